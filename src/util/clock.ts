// Time as an input. Modules that wait (the backend lifecycle's back-off and start_timeout,
// the idle policy's max_runtime) take a Clock, so a test can drive a 60 s back-off in
// microseconds (test/helpers/fake-clock.ts) and production passes `systemClock`.
import { timerDelay } from './timer.js';

/**
 * Milliseconds on the monotonic clock (CLOCK_MONOTONIC, as process.hrtime reads it): every
 * time mrsocko keeps is one of these, compared only with another. Not performance.now():
 * the first use of `performance` loads perf_hooks, about 3 ms of a start while a
 * socket-activated mrsocko's first client waits — and one clock for all is what lets the
 * idle policy compare its times with the clients' (a reading of one clock is meaningless
 * to another, whose origin differs).
 */
export function monotonicMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}

/** The wall-clock time (ms since the epoch) of a monotonicMs() reading; `now` is one taken just before. */
export function wallMs(at: number, now = monotonicMs()): number {
  return Date.now() - (now - at);
}

export interface Clock {
  /** Milliseconds on a monotonic clock (monotonicMs() in production). */
  now(): number;
  /** Call `fn` once, `ms` from now; returns how to cancel it (idempotent). */
  after(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: monotonicMs,
  after(ms, fn) {
    // beyond the longest delay a Node timer takes, wait in steps (timer.ts)
    const deadline = monotonicMs() + ms;
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      const left = deadline - monotonicMs();
      timer = setTimeout(() => (left > timerDelay(left) ? arm() : fn()), timerDelay(left));
    };
    if (Number.isFinite(ms)) arm();
    return () => clearTimeout(timer);
  },
};
