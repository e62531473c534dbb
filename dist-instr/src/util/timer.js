// Node's timers overflow above 2^31-1 ms (~24.8 days) and then fire at once; every long
// wait (start_timeout, max_runtime, stop_timeout, the idle countdown) goes through here.
/** The longest delay setTimeout() takes as written. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** `ms` as a setTimeout() delay: at most MAX_TIMER_MS (callers that need longer re-arm). */
export function timerDelay(ms) {
    return Math.min(Math.max(0, Math.ceil(ms)), MAX_TIMER_MS);
}
//# sourceMappingURL=timer.js.map