// Time as an input. Modules that wait (the backend lifecycle's back-off and start_timeout,
// the idle policy's max_runtime) take a Clock, so a test can drive a 60 s back-off in
// microseconds (test/helpers/fake-clock.ts) and production passes `systemClock`.
import { timerDelay } from './timer.js';

export interface Clock {
  /** Milliseconds on a monotonic clock (performance.now() in production). */
  now(): number;
  /** Call `fn` once, `ms` from now; returns how to cancel it (idempotent). */
  after(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  after(ms, fn) {
    // beyond the longest delay a Node timer takes, wait in steps (timer.ts)
    const deadline = performance.now() + ms;
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      const left = deadline - performance.now();
      timer = setTimeout(() => (left > timerDelay(left) ? arm() : fn()), timerDelay(left));
    };
    if (Number.isFinite(ms)) arm();
    return () => clearTimeout(timer);
  },
};
