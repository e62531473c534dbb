// Activity-based stop. Traffic only records a timestamp (`touch()` runs once per chunk on
// the proxy's hot path, so it must stay a single assignment); one timer, armed for the
// earliest moment the backend could be idle, re-checks when it fires (and re-arms past
// the longest delay a timer takes).
import { systemClock } from '../util/clock.js';
export class IdleTimer {
    timeoutMs;
    onIdle;
    clock;
    lastActivity;
    /** Cancels the armed check; undefined while none is armed. */
    timer;
    constructor(timeoutMs, onIdle, clock = systemClock) {
        this.timeoutMs = timeoutMs;
        this.onIdle = onIdle;
        this.clock = clock;
        this.lastActivity = clock.now();
    }
    /** Counted activity happened now (or at `at`, a reading of the same clock the caller already took). */
    touch(at = this.clock.now()) {
        this.lastActivity = at;
    }
    /** Start counting down from now (the backend just became running). */
    start() {
        this.lastActivity = this.clock.now();
        this.arm(this.timeoutMs);
    }
    stop() {
        this.timer?.();
        this.timer = undefined;
    }
    get running() {
        return this.timer !== undefined;
    }
    /** Milliseconds until the backend counts as idle if nothing happens (Infinity: never). */
    remainingMs() {
        return Math.max(0, this.lastActivity + this.timeoutMs - this.clock.now());
    }
    idleForMs() {
        return this.clock.now() - this.lastActivity;
    }
    /** Look again in `delayMs` without counting it as activity (e.g. min_runtime not reached). */
    recheckIn(delayMs) {
        this.arm(delayMs);
    }
    setTimeoutMs(timeoutMs) {
        this.timeoutMs = timeoutMs;
        if (this.timer)
            this.arm(this.remainingMs());
    }
    arm(delayMs) {
        this.stop();
        if (!Number.isFinite(this.timeoutMs))
            return;
        this.timer = this.clock.after(delayMs, () => this.check());
    }
    check() {
        this.timer = undefined;
        const remaining = this.remainingMs();
        if (remaining > 0) {
            this.arm(remaining);
            return;
        }
        this.onIdle(this.idleForMs());
    }
}
//# sourceMappingURL=idle-timer.js.map