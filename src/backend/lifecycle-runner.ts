// Carries out the lifecycle's effects (./lifecycle.ts) against a real driver, on an
// injected clock. It owns no decision: back-off, launch generations and log lines are in
// the state machine; here are only the driver calls, the timers and the hand-off to
// whoever holds the clients (LifecycleClients).
//
// It never re-enters itself: an event raised while effects run (a client effect that
// demands the backend again, a driver calling back synchronously) is queued and handled
// once the current transition's effects are done, in order.
import type { LogEvent } from '../log/events.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { BackendDriver } from './driver.js';
import {
  INITIAL_STATE,
  inForce,
  transition,
  type BackendPhase,
  type Effect,
  type LifecycleEvent,
  type LifecycleState,
  type Manual,
  type RunnerEvent,
} from './lifecycle.js';

/** What the lifecycle asks of the clients' side (the waiting room, ../session/waiting-room.ts). */
export interface LifecycleClients {
  /** Serve the waiting clients; returns how many. */
  releaseHeld(): number;
  /** Close the waiting clients: the backend will not come up for them. Returns how many. */
  failHeld(reason: string): number;
  /** Close the clients connected through to the backend; returns how many. */
  closeClients(reason: string): number;
}

export interface LifecycleOptions {
  startTimeoutMs: number;
  /** Resolves once the backend is ready (./probe.ts); must reject promptly when `signal` aborts. */
  probe(signal: AbortSignal): Promise<void>;
  /** Why start_timeout ran out, in words (what readiness still waited for). */
  timeoutReason?(startTimeoutMs: number): string;
  clients: LifecycleClients;
  /** Where the log lines go (the backend's name is added here). */
  log(event: LogEvent): void;
  /**
   * Whether to watch, while stopped, for the backend being started from outside (a
   * `unit =` backend started by a dependency or an admin); it is then adopted.
   */
  followOutsideStarts?(): boolean;
  /** After every transition that changed the phase, the back-off, a hold or a block. */
  changed?(state: LifecycleState): void;
  clock?: Clock;
}

/** Runs the state machine. One instance per daemon. */
export class BackendLifecycle {
  private state: LifecycleState;
  private readonly clock: Clock;
  private readonly queue: (LifecycleEvent | RunnerEvent)[] = [];
  private dispatching = false;
  /** The current attempt's launch (aborted by a stop) and its timers. */
  private launchAbort: AbortController | undefined;
  private timeoutAttempt = 0;
  private cancelTimeout: () => void = () => undefined;
  private cancelRetry: () => void = () => undefined;
  /** The timer of the earliest hold or block end. */
  private cancelExpire: () => void = () => undefined;
  /** While stopped: the driver's watch for an outside start. */
  private outsideStart: { close(): void } | undefined;
  private finished: (() => void) | undefined;
  private readonly done: Promise<void>;
  /** The last freeze or thaw: the next one (and a stop) waits for it, so they never overlap. */
  private pausing: Promise<void> = Promise.resolve();

  constructor(
    private readonly driver: BackendDriver,
    private readonly options: LifecycleOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.state = { ...INITIAL_STATE, since: this.clock.now() };
    this.done = new Promise((resolve) => (this.finished = resolve));
    driver.onUnexpectedExit = (status) => this.dispatch({ type: 'exited', status });
    driver.onReport = (level, message) => this.dispatch({ type: 'report', level, message });
  }

  get phase(): BackendPhase {
    return this.state.phase;
  }

  /** How many times the backend was launched (for status and tests). */
  get launchCount(): number {
    return this.state.launches;
  }

  get phaseAgeMs(): number {
    return this.clock.now() - this.state.since;
  }

  /** While a start waits out a back-off: how long still, of how long, and after how many failures in a row. */
  get retry(): { inMs: number; delayMs: number; failures: number } | undefined {
    const r = this.state.retry;
    if (r === undefined) return undefined;
    return { inMs: Math.max(0, r.at - this.clock.now()), delayMs: r.delayMs, failures: this.state.failures };
  }

  /** `mrsocko hold` in force now. */
  get hold(): Manual | undefined {
    return inForce(this.state.hold, this.clock.now());
  }

  /** `mrsocko stop --for` in force now: clients are refused. */
  get block(): Manual | undefined {
    return inForce(this.state.block, this.clock.now());
  }

  /** Why the last start failed. */
  get lastFailure(): string | undefined {
    return this.state.lastFailure;
  }

  /** Manual control (../control/): `start`, `stop`, `hold`, `release`, with who asked. */
  command(event: Extract<LifecycleEvent, { type: 'start' | 'stop' | 'hold' | 'release' }>): void {
    this.dispatch(event);
  }

  demand(trigger: string): void {
    this.dispatch({ type: 'demand', trigger });
  }

  idle(reason: string): void {
    this.dispatch({ type: 'idle', reason });
  }

  /** [idle] freeze: freeze the running backend in place. */
  freeze(reason: string): void {
    this.dispatch({ type: 'freeze', reason });
  }

  /** The backend stopped accepting connections while it was supposed to run. */
  gone(status: string): void {
    this.dispatch({ type: 'exited', status });
  }

  /**
   * Only while stopped (and wanted): a backend started from outside is adopted as it is.
   * Called as the daemon starts serving, too: the driver then prepares the first launch.
   */
  watchOutsideStarts(): void {
    const { phase, shuttingDown } = this.state;
    if (phase === 'stopped' && !shuttingDown && this.state.launches === 0) this.driver.prepare?.();
    if (phase !== 'stopped' || shuttingDown || !(this.options.followOutsideStarts?.() ?? false)) {
      this.outsideStart?.close();
      this.outsideStart = undefined;
    } else {
      this.outsideStart ??= this.driver.watchForOutsideStart?.((by) => {
        this.outsideStart = undefined;
        this.dispatch({ type: 'adopted', by });
      });
    }
  }

  /** Stops the backend if mrsocko started it; resolves once nothing of it is left. */
  shutdown(): Promise<void> {
    this.cancelExpire();
    this.dispatch({ type: 'shutdown' });
    this.watchOutsideStarts();
    return this.done;
  }

  private dispatch(event: LifecycleEvent | RunnerEvent): void {
    this.queue.push(event);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let e = this.queue.shift(); e !== undefined; e = this.queue.shift()) this.step(e);
    } finally {
      this.dispatching = false;
    }
  }

  private step(event: LifecycleEvent | RunnerEvent): void {
    const before = this.state;
    const { next, effects } = transition(before, event, this.clock.now());
    this.state = next;
    if (next.phase !== 'starting') this.clearStartTimers();
    const manual = next.hold !== before.hold || next.block !== before.block;
    if (manual) this.armExpire(next);
    if (next.phase !== before.phase || next.retry !== before.retry || manual) this.options.changed?.(next);
    if (next.phase !== before.phase) this.watchOutsideStarts();
    // the one result handed between effects: a client effect's count, for the log line after it
    let count = 0;
    for (const effect of effects) count = this.apply(effect, count);
  }

  private apply(effect: Effect, count: number): number {
    const backend = this.driver.description;
    const { clients, log } = this.options;
    switch (effect.type) {
      case 'launch':
        this.armTimeout(effect.attempt);
        void this.launch(effect.attempt);
        return count;
      case 'adopt':
        this.armTimeout(this.state.attempt);
        void this.launch(this.state.attempt, effect.by);
        return count;
      case 'wait':
        this.armTimeout(effect.attempt);
        this.cancelRetry();
        this.cancelRetry = this.clock.after(effect.ms, () =>
          this.dispatch({ type: 'retry', attempt: effect.attempt, trigger: effect.trigger }));
        return count;
      case 'stop':
        void this.stop(effect.thawFirst === true);
        return count;
      case 'freeze':
        this.pausing = this.pausing.then(() => this.freezeBackend());
        return count;
      case 'thaw':
        this.pausing = this.pausing.then(() => this.thawBackend());
        return count;
      case 'release-held':
        return clients.releaseHeld();
      case 'fail-held':
        return clients.failHeld(effect.reason);
      case 'close-clients':
        return clients.closeClients(effect.reason);
      case 'log-start-failed':
        log({ kind: 'backend-start-failed', backend, reason: effect.reason, closed: count });
        return count;
      case 'log-exited':
        log({ kind: 'backend-exited', backend, status: effect.status, closed: count });
        return count;
      case 'log':
        log({ ...effect.line, backend, ...(effect.count === 'released' ? { released: count } : {}) } as LogEvent);
        return count;
      case 'finished':
        this.finished?.();
        return count;
    }
  }

  /** start_timeout for `attempt`, from its first effect (a back-off wait counts too). */
  private armTimeout(attempt: number): void {
    if (this.timeoutAttempt === attempt) return;
    this.cancelTimeout();
    this.timeoutAttempt = attempt;
    const ms = this.options.startTimeoutMs;
    this.cancelTimeout = this.clock.after(ms, () =>
      this.dispatch({ type: 'start-timeout', attempt, ms, reason: this.options.timeoutReason?.(ms) }));
  }

  /** One timer, for the earliest finite end of a hold or block. */
  private armExpire(s: LifecycleState): void {
    this.cancelExpire();
    this.cancelExpire = () => undefined;
    const ends = [s.hold?.until, s.block?.until].filter((t): t is number => t !== undefined && Number.isFinite(t));
    if (ends.length === 0 || s.shuttingDown) return;
    this.cancelExpire = this.clock.after(Math.max(0, Math.min(...ends) - this.clock.now()), () => this.dispatch({ type: 'expire' }));
  }

  private clearStartTimers(): void {
    this.cancelTimeout();
    this.cancelRetry();
    this.cancelTimeout = this.cancelRetry = () => undefined;
    this.timeoutAttempt = 0;
  }

  /** `adopted`: started from outside (by whom); follow it and wait for it to be ready, without starting it. */
  private async launch(attempt: number, adopted?: string): Promise<void> {
    const abort = new AbortController();
    this.launchAbort = abort;
    try {
      if (adopted !== undefined) this.driver.adopt?.();
      else await this.driver.start(abort.signal);
      this.dispatch({ type: 'launched', attempt, pid: this.driver.pid, adopted });
      await this.options.probe(abort.signal);
      this.dispatch({ type: 'ready', attempt });
    } catch (err) {
      // aborted: a stop (start_timeout, shutdown, exit) has taken over; nothing to add
      if (!abort.signal.aborted) this.dispatch({ type: 'start-failed', attempt, reason: errorText(err) });
    }
  }

  private async freezeBackend(): Promise<void> {
    try {
      if (this.driver.freeze === undefined) throw new Error('this kind of backend cannot be frozen');
      this.dispatch({ type: 'frozen', how: await this.driver.freeze() });
    } catch (err) {
      this.dispatch({ type: 'freeze-failed', reason: errorText(err) });
    }
  }

  private async thawBackend(): Promise<void> {
    try {
      await this.driver.thaw?.();
      this.dispatch({ type: 'thawed' });
    } catch (err) {
      this.dispatch({ type: 'thaw-failed', reason: errorText(err) });
    }
  }

  /** `thawFirst`: a frozen process acts on no signal but SIGKILL, and a stop command may need it running. */
  private async stop(thawFirst: boolean): Promise<void> {
    this.launchAbort?.abort(new Error('stopped'));
    this.launchAbort = undefined;
    if (thawFirst) {
      await this.pausing;
      await this.driver.thaw?.().catch((err: unknown) =>
        this.dispatch({ type: 'report', level: 'warning', message: `could not thaw the backend before stopping it: ${errorText(err)}` }));
    }
    await this.driver.stop();
    this.dispatch({ type: 'stopped' });
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
