// Time as an input. Modules that wait (the backend lifecycle's back-off and start_timeout,
// the idle policy's max_runtime) take a Clock, so a test can drive a 60 s back-off in
// microseconds (test/helpers/fake-clock.ts) and production passes `systemClock`.
import { timerDelay } from './timer.js';
export const systemClock = {
    now: () => performance.now(),
    after(ms, fn) {
        // beyond the longest delay a Node timer takes, wait in steps (timer.ts)
        const deadline = performance.now() + ms;
        let timer;
        const arm = () => {
            const left = deadline - performance.now();
            timer = setTimeout(() => (left > timerDelay(left) ? arm() : fn()), timerDelay(left));
        };
        if (Number.isFinite(ms))
            arm();
        return () => clearTimeout(timer);
    },
};
//# sourceMappingURL=clock.js.map