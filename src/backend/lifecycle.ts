// The backend lifecycle: stopped → starting → running → stopping → stopped.
// `transition()` is the whole state machine as a pure function of (state, event, now):
// the phase, the back-off after repeated failures, the launch generation that tells a
// stale launch's result from the current one, and every log line it causes. The runner
// (./lifecycle-runner.ts) only carries out the effects and turns timers and the driver's
// results back into events.
//
//   stopped ──demand──▶ starting ──ready──▶ running ──idle / exited──▶ stopping ──stopped──▶ stopped
//                        │  ▲ (retry: the back-off wait is over)           ▲  │ demand: restartWanted,
//                        │  └─ waiting ◀─ demand after repeated failures     │  │ relaunched once stopped
//                        └── start-failed / start-timeout / exited ─────────┘
//
// Freezing ([idle] freeze) sits beside `running`:
//   running ──freeze──▶ frozen ──demand──▶ thawing ──thawed──▶ running
//              ▲          │ freeze-failed ─▶ running (it keeps running; clients held meanwhile released)
//              │          └── idle / exited / shutdown ─▶ stopping (the stop thaws first)
// Clients that come while frozen or thawing are held like during a start.
//
// Manual control (`mrsocko start/stop/hold/release`, ../control/) is events too: `start`
// is a demand, `stop` an idle stop that may leave a `block` (nothing wakes the backend
// until it ends), `hold` a flag that `idle` respects. Both end with `release` or at their
// `until` (the runner's `expire` timer; the phase checks use `now`, so a late timer changes
// nothing). They live here, so a reload (which keeps the lifecycle) keeps them.
// Where the next features go: a unit started from outside is an `adopted` event (here:
// taking `stopped` to `starting` without a launch, then readiness).
import type { LogEvent } from '../log/events.js';
import { formatSpan } from '../util/format.js';

/** A backend that ran this long before crashing was not crash-looping. */
const STABLE_RUN_MS = 10_000;
/** Delay before the third consecutive attempt; doubles after each further failure. */
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 60_000;

export type BackendPhase = 'stopped' | 'starting' | 'running' | 'frozen' | 'thawing' | 'stopping';

/** What happens to the backend, from outside the lifecycle (clients, idle policy, driver, shutdown). */
export type LifecycleEvent =
  /** A client needs the backend. */
  | { type: 'demand'; trigger: string }
  /** The backend accepts connections. `attempt`: the launch this answers (none: the current one). */
  | { type: 'ready'; attempt?: number }
  /** The launch or the readiness probe failed. */
  | { type: 'start-failed'; reason: string; attempt?: number }
  /** The idle policy wants it stopped. */
  | { type: 'idle'; reason: string }
  /** The idle policy wants it frozen ([idle] freeze). */
  | { type: 'freeze'; reason: string }
  /** The stop sequence finished: nothing of the backend is left. */
  | { type: 'stopped' }
  /** The backend ended (or stopped accepting) without being asked to. */
  | { type: 'exited'; status: string }
  /** mrsocko is shutting down. */
  | { type: 'shutdown' }
  /** The backend was started from outside mrsocko (a `unit =` backend someone else started) while stopped. */
  | { type: 'adopted'; by: string }
  /** `mrsocko start`: start now (`by`: who asked, for the log). */
  | { type: 'start'; by: string }
  /** `mrsocko stop [--for]`: stop now; with `forMs`, nothing wakes it for that long. */
  | { type: 'stop'; by: string; forMs?: number | undefined }
  /** `mrsocko hold [--for]`: no idle stop until release (or `forMs`; Infinity: until release). */
  | { type: 'hold'; by: string; forMs: number }
  /** `mrsocko release`: end a hold and a block. */
  | { type: 'release'; by: string };

/** What the runner reports back: its timers and the driver's progress. */
export type RunnerEvent =
  /** The back-off wait of `attempt` is over: launch now. */
  | { type: 'retry'; attempt: number; trigger: string }
  /** start_timeout (`ms`) ran out for `attempt`, waiting or launched; `reason`: what readiness still waited for. */
  | { type: 'start-timeout'; attempt: number; ms: number; reason?: string | undefined }
  /** The driver launched `attempt` (process spawned, unit started), or took over one started from outside (`adopted`). */
  | { type: 'launched'; attempt: number; pid: number | undefined; adopted?: string | undefined }
  /** Something the driver wants logged (stop command results, escalation). */
  | { type: 'report'; level: 'info' | 'warning'; message: string }
  /** A hold or block may have reached its `until`. */
  | { type: 'expire' }
  /** The freeze completed (`how`: cgroup freezer, SIGSTOP, systemctl freeze, ...). */
  | { type: 'frozen'; how: string }
  /** The freeze could not be done or did not complete; whatever was frozen was thawed again. */
  | { type: 'freeze-failed'; reason: string }
  /** The thaw completed. */
  | { type: 'thawed' }
  | { type: 'thaw-failed'; reason: string };

/** A log line of the lifecycle; the runner adds the backend's name (and the count, see Effect). */
type Line<E = LogEvent> = E extends { kind: `backend-${string}`; backend: string } ? Omit<E, 'backend'> : never;
export type LifecycleLine = Exclude<Line, { kind: 'backend-output' | 'backend-connect-failed' }>;

export type Effect =
  /** Run the driver and then the readiness probe for `attempt`; start_timeout runs from the first effect of an attempt. */
  | { type: 'launch'; attempt: number; trigger: string }
  /** Follow a backend started from outside as if mrsocko had started it (no launch; the current attempt), then probe it. */
  | { type: 'adopt'; by: string }
  /** Back-off: launch `attempt` in `ms` (a `retry` event), unless something else happens first. */
  | { type: 'wait'; attempt: number; ms: number; trigger: string }
  /** `thawFirst`: the backend is (or may be) frozen: thaw it, then stop it (a stopped process acts on no signal but SIGKILL). */
  | { type: 'stop'; reason: string; thawFirst?: boolean }
  /** Freeze every process of the backend (a `frozen` or `freeze-failed` event follows). */
  | { type: 'freeze' }
  /** Thaw it (a `thawed` or `thaw-failed` event follows). */
  | { type: 'thaw' }
  /** Serve the clients held while the backend was down. Returns how many. */
  | { type: 'release-held' }
  /** Close the held clients: the backend will not come up for them. Returns how many. */
  | { type: 'fail-held'; reason: string }
  /** Close clients connected through to the backend: it is gone or going. Returns how many. */
  | { type: 'close-clients'; reason: string }
  /** Log that the start failed, with how many clients the fail-held before it closed. */
  | { type: 'log-start-failed'; reason: string }
  /** Log that the backend exited, with how many clients the close-clients before it closed. */
  | { type: 'log-exited'; status: string }
  /**
   * A log line. `count`: the field to fill with what the client effect before it in the
   * same transition returned (the only result handed from one effect to another, and
   * never beyond one transition).
   */
  | { type: 'log'; line: LifecycleLine; count?: 'released' }
  /** Shutdown complete. */
  | { type: 'finished' };

export interface LifecycleState {
  readonly phase: BackendPhase;
  /** A client arrived while stopping: start again once stopped. */
  readonly restartWanted: boolean;
  readonly shuttingDown: boolean;
  /** When the current phase began (the transition's `now`). */
  readonly since: number;
  /** The current start attempt (each may first wait out a back-off); results of older ones are stale. */
  readonly attempt: number;
  /** How many times the backend was launched. */
  readonly launches: number;
  /** When the current launch began (for "ready after N ms"). */
  readonly launchedAt: number;
  /** Consecutive failed starts or early crashes, and when the last one happened. */
  readonly failures: number;
  readonly lastFailureAt: number;
  /** While starting: waiting out a back-off of `delayMs` until `at` before launching. */
  readonly retry: { readonly at: number; readonly delayMs: number } | undefined;
  /** `mrsocko hold`: `idle` is ignored until `until` (Infinity: until release). */
  readonly hold: Manual | undefined;
  /** `mrsocko stop --for`: clients are refused and nothing starts the backend until `until`. */
  readonly block: Manual | undefined;
  /** Why the last start failed (what `mrsocko start` answers). */
  readonly lastFailure: string | undefined;
}

/** A hold or a block: until when (the clock of `now`), and who asked for it. */
export interface Manual {
  readonly until: number;
  readonly by: string;
}

/** The hold or block if it is still in force at `now`. */
export function inForce(m: Manual | undefined, now: number): Manual | undefined {
  return m !== undefined && m.until > now ? m : undefined;
}

export const INITIAL_STATE: LifecycleState = {
  phase: 'stopped',
  restartWanted: false,
  shuttingDown: false,
  since: 0,
  attempt: 0,
  launches: 0,
  launchedAt: 0,
  failures: 0,
  lastFailureAt: 0,
  retry: undefined,
  hold: undefined,
  block: undefined,
  lastFailure: undefined,
};

export interface Transition {
  readonly next: LifecycleState;
  readonly effects: readonly Effect[];
}

const SHUTTING_DOWN = 'mrsocko is shutting down';

const stay = (s: LifecycleState): Transition => ({ next: s, effects: [] });
const go = (s: LifecycleState, changes: Partial<LifecycleState>, ...effects: Effect[]): Transition => ({
  next: { ...s, ...changes },
  effects,
});
const log = (line: LifecycleLine): Effect => ({ type: 'log', line });
const stop = (reason: string, thawFirst = false): Effect[] => [
  log({ kind: 'backend-stop', reason }),
  thawFirst ? { type: 'stop', reason, thawFirst } : { type: 'stop', reason },
];
const report = (level: 'info' | 'warning', message: string): Effect => log({ kind: 'backend-report', level, message });

export function transition(s: LifecycleState, e: LifecycleEvent | RunnerEvent, now = 0): Transition {
  const t = step(s, e, now);
  return t.next.phase === s.phase ? t : { next: { ...t.next, since: now }, effects: t.effects };
}

function step(s: LifecycleState, e: LifecycleEvent | RunnerEvent, now: number): Transition {
  if (e.type === 'shutdown' && s.shuttingDown) return stay(s);
  if (e.type === 'report') return go(s, {}, log({ kind: 'backend-report', level: e.level, message: e.message }));
  if (e.type === 'hold' || e.type === 'release' || e.type === 'expire') return manual(s, e, now);
  const block = inForce(s.block, now);
  if (e.type === 'stop' && e.forMs !== undefined) {
    const blocked = { ...s, block: { until: now + e.forMs, by: e.by } };
    const t = step(blocked, { type: 'stop', by: e.by }, now);
    return { next: t.next, effects: [control(`blocked by ${e.by} for ${span(e.forMs)}: clients are refused and nothing starts it until then`), ...t.effects] };
  }
  if (block !== undefined && (e.type === 'demand' || e.type === 'start')) {
    // the gate refuses clients while blocked; this catches one already past it
    return go(s, { restartWanted: false }, { type: 'fail-held', reason: blockedReason(block) });
  }
  if (e.type === 'start') {
    if (s.shuttingDown) return stay(s);
    if (s.phase === 'stopped') return begin(s, e.by, now);
    if (s.phase === 'frozen') return frozen(s, { type: 'demand', trigger: e.by }, now);
    if (s.phase === 'stopping') return go(s, { restartWanted: true });
    return stay(s);
  }
  if (e.type === 'stop') {
    const reason = `stopped by ${e.by}`;
    switch (s.phase) {
      case 'starting':
        return go(s, { phase: 'stopping', retry: undefined },
          { type: 'fail-held', reason },
          ...stop(reason));
      case 'running':
        return go(s, { phase: 'stopping', failures: 0 },
          { type: 'close-clients', reason: 'backend stopped' },
          ...stop(reason));
      case 'frozen':
      case 'thawing':
        return go(s, { phase: 'stopping', failures: 0 },
          { type: 'fail-held', reason },
          { type: 'close-clients', reason: 'backend stopped' },
          ...stop(reason, true));
      case 'stopping':
        return go(s, { restartWanted: false }, { type: 'fail-held', reason });
      default:
        return stay(s);
    }
  }
  switch (s.phase) {
    case 'stopped':
      switch (e.type) {
        case 'demand':
          return s.shuttingDown ? go(s, {}, { type: 'fail-held', reason: SHUTTING_DOWN }) : begin(s, e.trigger, now);
        case 'shutdown':
          return go(s, { shuttingDown: true }, { type: 'fail-held', reason: SHUTTING_DOWN }, { type: 'finished' });
        case 'adopted':
          // used as it is, no launch and no back-off; its readiness is still checked (an
          // outside start may be seconds old or milliseconds), then the idle rules apply
          return s.shuttingDown ? stay(s) : go(s, { phase: 'starting', attempt: s.attempt + 1, launchedAt: now }, { type: 'adopt', by: e.by });
        default:
          return stay(s);
      }
    case 'starting':
      if ('attempt' in e && e.attempt !== undefined && e.attempt !== s.attempt) return stay(s); // a stale launch
      switch (e.type) {
        case 'retry':
          return s.retry === undefined ? stay(s) : launch({ ...s, retry: undefined }, e.trigger, now);
        case 'launched':
          if (e.adopted !== undefined) {
            return go(s, {}, log({ kind: 'backend-report', level: 'info', message: `started from outside mrsocko (${e.adopted}); used as it is, the idle rules apply` }));
          }
          return go(s, {}, log(e.pid === undefined ? { kind: 'backend-launched' } : { kind: 'backend-launched', pid: e.pid }));
        case 'ready':
          if (s.retry !== undefined) return stay(s);
          return go(s, { phase: 'running' },
            { type: 'release-held' },
            { type: 'log', line: { kind: 'backend-ready', ms: Math.round(now - s.launchedAt), released: 0 }, count: 'released' });
        case 'start-failed':
          return failStart(failed(s, now), e.reason, 'start failed');
        case 'start-timeout':
          if (s.retry !== undefined) {
            // not a new failure: the back-off outlasted start_timeout
            const reason = `not retried within start_timeout (${e.ms} ms): ` +
              `waiting ${Math.round(s.retry.delayMs / 1000)} s after ${s.failures} failed starts in a row`;
            return failStart({ ...s, retry: undefined }, reason, 'start failed');
          }
          return failStart(failed(s, now), e.reason ?? `not accepting connections within start_timeout (${e.ms} ms)`, 'start failed');
        case 'exited':
          return failStart(failed(s, now), `backend exited while starting (${e.status})`, 'exited while starting');
        case 'shutdown':
          return go(s, { phase: 'stopping', shuttingDown: true, retry: undefined },
            { type: 'fail-held', reason: SHUTTING_DOWN },
            ...stop('shutdown'));
        default:
          return stay(s);
      }
    case 'running':
      switch (e.type) {
        case 'idle':
          if (inForce(s.hold, now) !== undefined) return stay(s);
          return go(s, { phase: 'stopping', failures: 0 },
            { type: 'close-clients', reason: 'backend stopped' },
            ...stop(e.reason));
        case 'exited': {
          // a backend that ran for a while before crashing starts a new count
          const counted = now - s.since >= STABLE_RUN_MS ? { ...s, failures: 0 } : s;
          return go(failed(counted, now), { phase: 'stopping' },
            { type: 'close-clients', reason: `backend exited (${e.status})` },
            { type: 'log-exited', status: e.status },
            ...stop('exited'));
        }
        case 'shutdown':
          return go(s, { phase: 'stopping', shuttingDown: true },
            { type: 'close-clients', reason: SHUTTING_DOWN },
            ...stop('shutdown'));
        case 'freeze':
          if (inForce(s.hold, now) !== undefined) return stay(s);
          return go(s, { phase: 'frozen' }, report('info', `freezing backend (${e.reason})`), { type: 'freeze' });
        default:
          return stay(s);
      }
    case 'frozen':
    case 'thawing':
      return frozen(s, e, now);
    case 'stopping':
      switch (e.type) {
        case 'demand':
          return s.shuttingDown
            ? go(s, {}, { type: 'fail-held', reason: SHUTTING_DOWN })
            : go(s, { restartWanted: true });
        case 'shutdown':
          return go(s, { shuttingDown: true, restartWanted: false },
            { type: 'fail-held', reason: SHUTTING_DOWN });
        case 'stopped': {
          const stopped = log({ kind: 'backend-stopped', ms: Math.round(now - s.since) });
          if (s.shuttingDown) return go(s, { phase: 'stopped' }, stopped, { type: 'finished' });
          if (s.restartWanted) {
            const again = begin({ ...s, restartWanted: false }, 'clients that arrived while stopping', now);
            return { next: again.next, effects: [stopped, ...again.effects] };
          }
          return go(s, { phase: 'stopped' }, stopped);
        }
        default:
          return stay(s);
      }
  }
}

/** While frozen or thawing: the backend's processes exist but do not run. */
function frozen(s: LifecycleState, e: LifecycleEvent | RunnerEvent, now: number): Transition {
  const thawing = s.phase === 'thawing';
  switch (e.type) {
    case 'frozen':
      return thawing ? stay(s) : go(s, {}, report('info', `frozen (${e.how}); the next client thaws it`));
    case 'freeze-failed':
      // it keeps running; clients that came meanwhile are served now
      return go(s, { phase: 'running' },
        report('warning', `could not freeze the backend (${e.reason}); it keeps running until the idle timeout`),
        { type: 'release-held' });
    case 'demand':
      if (thawing) return stay(s);
      return go(s, { phase: 'thawing', launchedAt: now }, report('info', `thawing backend for ${e.trigger}`), { type: 'thaw' });
    case 'thawed':
      if (!thawing) return stay(s);
      return go(s, { phase: 'running' },
        { type: 'release-held' },
        { type: 'log', line: { kind: 'backend-report', level: 'info', message: `thawed in ${Math.round(now - s.launchedAt)} ms` } });
    case 'thaw-failed':
      return go(s, { phase: 'stopping' },
        { type: 'fail-held', reason: `could not thaw the backend: ${e.reason}` },
        { type: 'close-clients', reason: 'backend could not be thawed' },
        report('warning', `could not thaw the backend (${e.reason})`),
        ...stop('thaw failed', true));
    case 'idle':
      // while thawing a client waits for it: the countdown starts again once it runs
      if (thawing || inForce(s.hold, now) !== undefined) return stay(s);
      return go(s, { phase: 'stopping', failures: 0 },
        { type: 'close-clients', reason: 'backend stopped' },
        ...stop(e.reason, true));
    case 'exited':
      return go(failed(s, now), { phase: 'stopping' },
        { type: 'fail-held', reason: `backend exited (${e.status})` },
        { type: 'close-clients', reason: `backend exited (${e.status})` },
        { type: 'log-exited', status: e.status },
        ...stop('exited', true));
    case 'shutdown':
      return go(s, { phase: 'stopping', shuttingDown: true },
        { type: 'fail-held', reason: SHUTTING_DOWN },
        { type: 'close-clients', reason: SHUTTING_DOWN },
        ...stop('shutdown', true));
    default:
      return stay(s);
  }
}

/**
 * A new start attempt: at once for the first two, then after 1 s, 2 s, 4 s, ... up to
 * 60 s, counted from the last failure (not from each client's arrival, so clients that
 * keep coming do not keep pushing the retry away). start_timeout covers the wait too.
 */
function begin(s: LifecycleState, trigger: string, now: number): Transition {
  const attempt = s.attempt + 1;
  const delayMs = s.failures < 2 ? 0 : Math.min(FIRST_BACKOFF_MS * 2 ** (s.failures - 2), MAX_BACKOFF_MS);
  const left = Math.max(0, s.lastFailureAt + delayMs - now);
  if (left === 0) return launch({ ...s, attempt }, trigger, now);
  return go(s, { phase: 'starting', attempt, retry: { at: now + left, delayMs: left } },
    log({ kind: 'backend-backoff', failures: s.failures, delayMs: left }),
    { type: 'wait', attempt, ms: left, trigger });
}

function launch(s: LifecycleState, trigger: string, now: number): Transition {
  return go(s, { phase: 'starting', launches: s.launches + 1, launchedAt: now },
    log({ kind: 'backend-start', trigger }),
    { type: 'launch', attempt: s.attempt, trigger });
}

function failed(s: LifecycleState, now: number): LifecycleState {
  return { ...s, failures: s.failures + 1, lastFailureAt: now };
}

function failStart(s: LifecycleState, reason: string, stopReason: string): Transition {
  return go(s, { phase: 'stopping', lastFailure: reason },
    { type: 'fail-held', reason },
    { type: 'log-start-failed', reason },
    ...stop(stopReason));
}

/** hold, release and the end of either: state and a log line, whatever the phase. */
function manual(s: LifecycleState, e: Extract<LifecycleEvent | RunnerEvent, { type: 'hold' | 'release' | 'expire' }>, now: number): Transition {
  switch (e.type) {
    case 'hold': {
      const until = now + e.forMs;
      const how = Number.isFinite(until) ? `for ${span(e.forMs)}` : 'until mrsocko release';
      return go(s, { hold: { until, by: e.by } }, control(`held by ${e.by} ${how}: no idle stop meanwhile`));
    }
    case 'release': {
      const ended = [inForce(s.hold, now) && 'hold', inForce(s.block, now) && 'block'].filter(Boolean);
      if (ended.length === 0) return go(s, { hold: undefined, block: undefined }, control(`release by ${e.by}: nothing was held or blocked`));
      return go(s, { hold: undefined, block: undefined }, control(`${ended.join(' and ')} released by ${e.by}`));
    }
    case 'expire': {
      const effects: Effect[] = [];
      let { hold, block } = s;
      if (hold !== undefined && hold.until <= now) {
        effects.push(control(`hold by ${hold.by} ended: the idle rules apply again`));
        hold = undefined;
      }
      if (block !== undefined && block.until <= now) {
        effects.push(control(`block by ${block.by} ended: clients may start it again`));
        block = undefined;
      }
      return effects.length === 0 ? stay(s) : go(s, { hold, block }, ...effects);
    }
  }
}

/** What a client refused (or failed) during a block is told, and the log. */
export function blockedReason(block: Manual): string {
  return `blocked by ${block.by} (mrsocko stop --for) until ${new Date(performance.timeOrigin + block.until).toISOString()}`;
}

function control(message: string): Effect {
  return log({ kind: 'backend-control', message });
}

function span(ms: number): string {
  return formatSpan(ms);
}
