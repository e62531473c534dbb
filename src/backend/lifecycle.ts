// The backend lifecycle: stopped → starting → running → stopping → stopped.
// `transition()` is the whole state machine as a pure function (tested on its own);
// `BackendLifecycle` carries out the effects it asks for.
import { setTimeout as sleep } from 'node:timers/promises';
import type { BackendDriver } from './driver.js';

/** A backend that ran this long before crashing was not crash-looping. */
const STABLE_RUN_MS = 10_000;
/** Delay before the third consecutive attempt; doubles after each further failure. */
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 60_000;

export type BackendPhase = 'stopped' | 'starting' | 'running' | 'stopping';

export type LifecycleEvent =
  /** A client needs the backend. */
  | { type: 'demand'; trigger: string }
  /** The backend accepts connections. */
  | { type: 'ready' }
  /**
   * Launch failed or readiness not reached within start_timeout. `launched: false`: the
   * start_timeout ran out while waiting to retry a failing backend (not a new failure).
   */
  | { type: 'start-failed'; reason: string; launched?: boolean }
  /** The idle policy wants it stopped. */
  | { type: 'idle'; reason: string }
  /** The stop sequence finished: nothing of the backend is left. */
  | { type: 'stopped' }
  /** The backend ended without being asked to. */
  | { type: 'exited'; status: string }
  /** mrsocko is shutting down. */
  | { type: 'shutdown' }
  /** The backend was started from outside mrsocko (a `unit =` backend someone else started) while stopped. */
  | { type: 'adopted'; by: string };

export type Effect =
  | { type: 'launch'; trigger: string }
  | { type: 'stop'; reason: string }
  /** Serve the clients held while the backend was down. */
  | { type: 'release-held' }
  /** Close the held clients: the backend will not come up for them. */
  | { type: 'fail-held'; reason: string }
  /** Close clients connected through to the backend: it is gone or going. */
  | { type: 'close-clients'; reason: string }
  | { type: 'log-start-failed'; reason: string }
  | { type: 'log-exited'; status: string }
  /** Follow a backend started from outside as if mrsocko had started it (no restart). */
  | { type: 'adopt'; by: string }
  /** Shutdown complete. */
  | { type: 'finished' };

export interface LifecycleState {
  readonly phase: BackendPhase;
  /** A client arrived while stopping: start again once stopped. */
  readonly restartWanted: boolean;
  readonly shuttingDown: boolean;
}

export const INITIAL_STATE: LifecycleState = { phase: 'stopped', restartWanted: false, shuttingDown: false };

export interface Transition {
  readonly next: LifecycleState;
  readonly effects: readonly Effect[];
}

const stay = (s: LifecycleState): Transition => ({ next: s, effects: [] });
const go = (s: LifecycleState, changes: Partial<LifecycleState>, ...effects: Effect[]): Transition => ({
  next: { ...s, ...changes },
  effects,
});

export function transition(s: LifecycleState, e: LifecycleEvent): Transition {
  if (e.type === 'shutdown' && s.shuttingDown) return stay(s);
  switch (s.phase) {
    case 'stopped':
      switch (e.type) {
        case 'demand':
          return s.shuttingDown
            ? go(s, {}, { type: 'fail-held', reason: 'mrsocko is shutting down' })
            : go(s, { phase: 'starting' }, { type: 'launch', trigger: e.trigger });
        case 'shutdown':
          return go(s, { shuttingDown: true }, { type: 'fail-held', reason: 'mrsocko is shutting down' }, { type: 'finished' });
        case 'adopted':
          // used as it is, no launch; its readiness is still checked (an outside start may
          // be seconds old or milliseconds), then the idle rules apply to it as to any
          return s.shuttingDown ? stay(s) : go(s, { phase: 'starting' }, { type: 'adopt', by: e.by });
        default:
          return stay(s);
      }
    case 'starting':
      switch (e.type) {
        case 'ready':
          return go(s, { phase: 'running' }, { type: 'release-held' });
        case 'start-failed':
          return go(s, { phase: 'stopping' },
            { type: 'fail-held', reason: e.reason },
            { type: 'log-start-failed', reason: e.reason },
            { type: 'stop', reason: 'start failed' });
        case 'exited': {
          const reason = `backend exited while starting (${e.status})`;
          return go(s, { phase: 'stopping' },
            { type: 'fail-held', reason },
            { type: 'log-start-failed', reason },
            { type: 'stop', reason: 'exited while starting' });
        }
        case 'shutdown':
          return go(s, { phase: 'stopping', shuttingDown: true },
            { type: 'fail-held', reason: 'mrsocko is shutting down' },
            { type: 'stop', reason: 'shutdown' });
        default:
          return stay(s);
      }
    case 'running':
      switch (e.type) {
        case 'idle':
          return go(s, { phase: 'stopping' },
            { type: 'close-clients', reason: 'backend stopped' },
            { type: 'stop', reason: e.reason });
        case 'exited':
          return go(s, { phase: 'stopping' },
            { type: 'close-clients', reason: `backend exited (${e.status})` },
            { type: 'log-exited', status: e.status },
            { type: 'stop', reason: 'exited' });
        case 'shutdown':
          return go(s, { phase: 'stopping', shuttingDown: true },
            { type: 'close-clients', reason: 'mrsocko is shutting down' },
            { type: 'stop', reason: 'shutdown' });
        default:
          return stay(s);
      }
    case 'stopping':
      switch (e.type) {
        case 'demand':
          return s.shuttingDown
            ? go(s, {}, { type: 'fail-held', reason: 'mrsocko is shutting down' })
            : go(s, { restartWanted: true });
        case 'shutdown':
          return go(s, { shuttingDown: true, restartWanted: false },
            { type: 'fail-held', reason: 'mrsocko is shutting down' });
        case 'stopped':
          if (s.shuttingDown) return go(s, { phase: 'stopped' }, { type: 'finished' });
          if (s.restartWanted) {
            return go(s, { phase: 'starting', restartWanted: false }, { type: 'launch', trigger: 'clients that arrived while stopping' });
          }
          return go(s, { phase: 'stopped' });
        default:
          return stay(s);
      }
  }
}

export interface LifecycleHooks {
  releaseHeld(): number;
  failHeld(reason: string): number;
  closeClients(reason: string): number;
  phaseChanged(phase: BackendPhase): void;
  log: {
    start(trigger: string): void;
    launched(pid: number | undefined): void;
    ready(ms: number, released: number): void;
    startFailed(reason: string, closed: number): void;
    stop(reason: string): void;
    stopped(ms: number): void;
    report(level: 'info' | 'warning', message: string): void;
    exited(status: string, closed: number): void;
    backoff(failures: number, delayMs: number): void;
  };
}

export interface LifecycleOptions {
  startTimeoutMs: number;
  /** Resolves once the backend accepts connections; must reject promptly when `signal` aborts. */
  probe(signal: AbortSignal): Promise<void>;
  /** Why start_timeout ran out, in words (what readiness still waited for). */
  timeoutReason?(startTimeoutMs: number): string;
}

/** Runs the state machine against a real driver. One instance per daemon. */
export class BackendLifecycle {
  private state: LifecycleState = INITIAL_STATE;
  private launchAbort: AbortController | undefined;
  /** Start attempts (each may first wait out a back-off); identifies the current one. */
  private attempts = 0;
  private launches = 0;
  private finished: (() => void) | undefined;
  private readonly done: Promise<void>;
  /** How many clients the last fail-held / close-clients effect closed, for the log line after it. */
  private lastFailed = 0;
  private lastClosed = 0;
  private launchStartedAt = 0;
  /** Consecutive failed starts or early crashes (see countFailures). */
  private failures = 0;
  /** performance.now() of the last of those failures: the back-off counts from there. */
  private lastFailureAt = 0;
  private backoffEnds: number | undefined;
  /** performance.now() when the current phase began. */
  private phaseSince = performance.now();

  constructor(
    private readonly driver: BackendDriver,
    private readonly options: LifecycleOptions,
    private readonly hooks: LifecycleHooks,
  ) {
    this.done = new Promise((resolve) => (this.finished = resolve));
    driver.onUnexpectedExit = (status) => this.dispatch({ type: 'exited', status });
    driver.onReport = (level, message) => hooks.log.report(level, message);
  }

  get phase(): BackendPhase {
    return this.state.phase;
  }

  /** How many times the backend was launched (for status and tests). */
  get launchCount(): number {
    return this.launches;
  }

  get phaseAgeMs(): number {
    return performance.now() - this.phaseSince;
  }

  demand(trigger: string): void {
    this.dispatch({ type: 'demand', trigger });
  }

  idle(reason: string): void {
    this.dispatch({ type: 'idle', reason });
  }

  /** The backend was seen started from outside while stopped. */
  adopted(by: string): void {
    this.dispatch({ type: 'adopted', by });
  }

  /** The backend stopped accepting connections while it was supposed to run. */
  gone(status: string): void {
    this.dispatch({ type: 'exited', status });
  }

  /** While a start is delayed after repeated failures: when it will go ahead (Date.now() ms). */
  get backoffUntil(): number | undefined {
    return this.backoffEnds !== undefined && this.backoffEnds > Date.now() ? this.backoffEnds : undefined;
  }

  /** Stops the backend if mrsocko started it; resolves once nothing of it is left. */
  shutdown(): Promise<void> {
    this.dispatch({ type: 'shutdown' });
    return this.done;
  }

  private dispatch(event: LifecycleEvent): void {
    const before = this.state.phase;
    this.countFailures(before, event);
    const { next, effects } = transition(this.state, event);
    this.state = next;
    if (next.phase !== before) {
      this.phaseSince = performance.now();
      this.hooks.phaseChanged(next.phase);
    }
    for (const effect of effects) this.apply(effect);
  }

  private apply(effect: Effect): void {
    switch (effect.type) {
      case 'launch':
        void this.launch(effect.trigger);
        return;
      case 'stop':
        void this.stop(effect.reason);
        return;
      case 'release-held': {
        const ms = Math.round(performance.now() - this.launchStartedAt);
        const released = this.hooks.releaseHeld();
        this.hooks.log.ready(ms, released);
        return;
      }
      case 'fail-held':
        this.lastFailed = this.hooks.failHeld(effect.reason);
        return;
      case 'close-clients':
        this.lastClosed = this.hooks.closeClients(effect.reason);
        return;
      case 'log-start-failed':
        this.hooks.log.startFailed(effect.reason, this.lastFailed);
        return;
      case 'log-exited':
        this.hooks.log.exited(effect.status, this.lastClosed);
        return;
      case 'finished':
        this.finished?.();
        return;
      case 'adopt':
        void this.launch(effect.by, true);
        return;
    }
  }

  /**
   * Consecutive failures: failed starts, and crashes soon after start. A backend that fails
   * on every start is retried with a growing delay, never in a hot loop.
   */
  private countFailures(phase: BackendPhase, event: LifecycleEvent): void {
    const failed = (): void => {
      this.failures += 1;
      this.lastFailureAt = performance.now();
    };
    if (phase === 'starting' && event.type === 'start-failed' && event.launched !== false) failed();
    else if (phase === 'starting' && event.type === 'exited') failed();
    else if (phase === 'running' && event.type === 'exited') {
      if (this.phaseAgeMs >= STABLE_RUN_MS) this.failures = 0;
      failed();
    } else if (phase === 'running' && event.type === 'idle') this.failures = 0;
  }

  /**
   * How long to wait before the next launch: none for the first two attempts, then 1 s,
   * 2 s, 4 s, ... up to 60 s, counted from the last failure (not from each client's
   * arrival, so clients that keep coming do not keep pushing the retry away).
   */
  private backoffDelayMs(): number {
    if (this.failures < 2) return 0;
    const delay = Math.min(FIRST_BACKOFF_MS * 2 ** (this.failures - 2), MAX_BACKOFF_MS);
    return Math.max(0, this.lastFailureAt + delay - performance.now());
  }

  /** `adopted`: the backend was started from outside; follow it and wait for it to be ready, without starting it. */
  private async launch(trigger: string, adopted = false): Promise<void> {
    const attempt = ++this.attempts;
    const abort = new AbortController();
    this.launchAbort = abort;
    // start_timeout covers the back-off too: no client is held longer than that.
    const timer = setTimeout(() => {
      const ms = this.options.startTimeoutMs;
      abort.abort(new Error(this.options.timeoutReason?.(ms) ?? `not accepting connections within start_timeout (${ms} ms)`));
    }, Math.min(this.options.startTimeoutMs, 2 ** 31 - 1));
    const delay = adopted ? 0 : this.backoffDelayMs();
    if (delay > 0) {
      this.hooks.log.backoff(this.failures, delay);
      this.backoffEnds = Date.now() + delay;
      try {
        await sleep(delay, undefined, { signal: abort.signal });
      } catch {
        clearTimeout(timer);
        // stopped or shut down while waiting: nothing to report; else start_timeout ran out
        if (this.isCurrentLaunch(attempt)) {
          const reason = `not retried within start_timeout (${this.options.startTimeoutMs} ms): ` +
            `waiting ${Math.round(delay / 1000)} s after ${this.failures} failed starts in a row`;
          this.dispatch({ type: 'start-failed', reason, launched: false });
        }
        return;
      } finally {
        this.backoffEnds = undefined;
      }
    }
    if (!adopted) this.launches += 1;
    this.launchStartedAt = performance.now();
    if (adopted) this.hooks.log.report('info', `started from outside mrsocko (${trigger}); used as it is, the idle rules apply`);
    else this.hooks.log.start(trigger);
    try {
      if (adopted) {
        this.driver.adopt?.();
      } else {
        await this.driver.start(abort.signal);
        this.hooks.log.launched(this.driver.pid);
      }
      await this.options.probe(abort.signal);
      if (this.isCurrentLaunch(attempt)) this.dispatch({ type: 'ready' });
    } catch (err) {
      if (this.isCurrentLaunch(attempt)) {
        const reason = abort.signal.aborted ? errorText(abort.signal.reason) : errorText(err);
        this.dispatch({ type: 'start-failed', reason });
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private isCurrentLaunch(attempt: number): boolean {
    return attempt === this.attempts && this.state.phase === 'starting';
  }

  private async stop(reason: string): Promise<void> {
    this.launchAbort?.abort(new Error('stopped'));
    this.launchAbort = undefined;
    const started = performance.now();
    this.hooks.log.stop(reason);
    await this.driver.stop();
    this.hooks.log.stopped(Math.round(performance.now() - started));
    this.dispatch({ type: 'stopped' });
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
