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
import { formatSpan } from '../util/format.js';
import {
  INITIAL_STATE, inForce,
  type BackendPhase, type Effect, type LifecycleEvent, type LifecycleLine, type LifecycleState, type Manual, type RunnerEvent,
  type Transition,
} from './lifecycle-types.js';
import { wallMs } from '../util/clock.js';

export {
  INITIAL_STATE, inForce,
  type BackendPhase, type Effect, type LifecycleEvent, type LifecycleLine, type LifecycleState, type Manual, type RunnerEvent,
  type Transition,
};

/** A backend that ran this long before crashing was not crash-looping. */
const STABLE_RUN_MS = 10_000;
/** Delay before the third consecutive attempt; doubles after each further failure. */
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 60_000;

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
  return `blocked by ${block.by} (mrsocko stop --for) until ${new Date(wallMs(block.until)).toISOString()}`;
}

function control(message: string): Effect {
  return log({ kind: 'backend-control', message });
}

function span(ms: number): string {
  return formatSpan(ms);
}
