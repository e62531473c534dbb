// Activity-based stop. Traffic only records a timestamp (`touch()` runs once per chunk on
// the proxy's hot path, so it must stay a single assignment); one timer, armed for the
// earliest moment the backend could be idle, re-checks when it fires (and re-arms past
// the longest delay a timer takes).
import { timerDelay } from '../util/timer.js';

export class IdleTimer {
  private lastActivity: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private timeoutMs: number,
    private readonly onIdle: (idleForMs: number) => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastActivity = now();
  }

  /** Counted activity happened now (or at `at`, a reading of the same clock the caller already took). */
  touch(at: number = this.now()): void {
    this.lastActivity = at;
  }

  /** Start counting down from now (the backend just became running). */
  start(): void {
    this.lastActivity = this.now();
    this.arm(this.timeoutMs);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Milliseconds until the backend counts as idle if nothing happens (Infinity: never). */
  remainingMs(): number {
    return Math.max(0, this.lastActivity + this.timeoutMs - this.now());
  }

  idleForMs(): number {
    return this.now() - this.lastActivity;
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
    this.timer = setTimeout(() => this.check(), timerDelay(delayMs));
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
