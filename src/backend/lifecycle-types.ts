// The backend lifecycle's vocabulary: its phases, the events it takes, the effects it asks
// for and its state. The state machine itself is ./lifecycle.ts.
import type { LogEvent } from '../log/events.js';

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
