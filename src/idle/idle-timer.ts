// Activity-based stop. Traffic only records a timestamp (`touch()` runs once per chunk on
// the proxy's hot path, so it must stay a single assignment); one timer, armed for the
// earliest moment the backend could be idle, re-checks when it fires (and re-arms past
// the longest delay a timer takes).
import { systemClock, type Clock } from '../util/clock.js';

export class IdleTimer {
  private lastActivity: number;
  /** Cancels the armed check; undefined while none is armed. */
  private timer: (() => void) | undefined;

  constructor(
    private timeoutMs: number,
    private readonly onIdle: (idleForMs: number) => void,
    private readonly clock: Clock = systemClock,
  ) {
    this.lastActivity = clock.now();
  }

  /** Counted activity happened now (or at `at`, a reading of the same clock the caller already took). */
  touch(at: number = this.clock.now()): void {
    this.lastActivity = at;
  }

  /** Start counting down from now (the backend just became running). */
  start(): void {
    this.lastActivity = this.clock.now();
    this.arm(this.timeoutMs);
  }

  stop(): void {
    this.timer?.();
    this.timer = undefined;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Milliseconds until the backend counts as idle if nothing happens (Infinity: never). */
  remainingMs(): number {
    return Math.max(0, this.lastActivity + this.timeoutMs - this.clock.now());
  }

  idleForMs(): number {
    return this.clock.now() - this.lastActivity;
  }

  /** Look again in `delayMs` without counting it as activity (e.g. min_runtime not reached). */
  recheckIn(delayMs: number): void {
    this.arm(delayMs);
  }

  setTimeoutMs(timeoutMs: number): void {
    this.timeoutMs = timeoutMs;
    if (this.timer) this.arm(this.remainingMs());
  }

  private arm(delayMs: number): void {
    this.stop();
    if (!Number.isFinite(this.timeoutMs)) return;
    this.timer = this.clock.after(delayMs, () => this.check());
  }

  private check(): void {
    this.timer = undefined;
    const remaining = this.remainingMs();
    if (remaining > 0) {
      this.arm(remaining);
      return;
    }
    this.onIdle(this.idleForMs());
  }
}
