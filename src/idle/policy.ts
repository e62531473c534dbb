// When the backend should stop, and when mrsocko itself may leave: the [idle] section as
// one policy over the idle countdown (./idle-timer.ts). It reads the lifecycle's phase and
// the client counts, and only ever asks: `lifecycle.idle(reason)`, or `exit()`.
//   timeout           no counted traffic for this long (the countdown; touch() on traffic)
//   min_bytes         the countdown restarts only once counted clients moved this many
//                     bytes since it last did (a counter: the hot path stays O(1))
//   connections_count an open connection of a counted client holds the countdown
//   min_runtime       never sooner than this after start
//   max_runtime       this long after start, whatever the activity
//   exit = yes        once stopped with nobody connected, mrsocko exits
//
//   freeze            after this long idle, frozen instead (a second, shorter look at the
//                     same countdown); `timeout` still stops it, counted from the last
//                     activity. Counted activity that restarts the countdown thaws it.
//
// Where the next features go: a manual `hold` a flag checked first
// in check(). Per-socket `counts = no` is decided before traffic reaches touch() (the
// client table's counted flag), not here.
import type { BackendPhase } from '../backend/lifecycle.js';
import type { IdleConfig } from '../config/types.js';
import { formatTimespan } from '../config/timespan.js';
import { systemClock, type Clock } from '../util/clock.js';
import { formatSpan } from '../util/format.js';
import { IdleTimer } from './idle-timer.js';

export interface IdlePolicyOptions {
  /** The current [idle] section (it changes on reload). */
  config(): IdleConfig;
  lifecycle: {
    readonly phase: BackendPhase;
    readonly phaseAgeMs: number;
    readonly launchCount: number;
    /** `mrsocko hold` in force: until when (this clock; Infinity: until release). */
    readonly hold?: { readonly until: number } | undefined;
    /** `mrsocko stop --for` in force: mrsocko stays (its exit would end the block). */
    readonly block?: { readonly until: number } | undefined;
    idle(reason: string): void;
    /** [idle] freeze: freeze the backend instead of stopping it. */
    freeze(reason: string): void;
    /** Thaw a frozen backend (counted traffic on a connection already through). */
    demand(trigger: string): void;
  };
  /** Open connections and flows of clients whose traffic counts ([idle] keepalive). */
  countedOpen(): number;
  /** Every open connection and flow, waiting ones included. */
  openClients(): number;
  /** `exit = yes` and the moment has come (called once). */
  exit(): void;
  clock?: Clock;
}

export class IdlePolicy {
  private readonly timer: IdleTimer;
  private readonly clock: Clock;
  private cancelMaxRuntime: () => void = () => undefined;
  private cancelFreeze: () => void = () => undefined;
  /** The phase before the current one (a thaw is not a start). */
  private phase: BackendPhase = 'stopped';
  private exited = false;
  private stopped = false;
  /** `[idle] min_bytes`, and the counted bytes moved since the countdown last restarted. */
  private minBytes: number;
  private pending = 0;

  constructor(private readonly o: IdlePolicyOptions) {
    this.clock = o.clock ?? systemClock;
    this.timer = new IdleTimer(o.config().timeoutMs, () => this.check(), this.clock);
    this.minBytes = o.config().minBytes;
  }

  /**
   * `n` counted bytes at `at` (the hot path: an addition and a comparison, and the
   * timer's one assignment once min_bytes is reached).
   */
  touch(at?: number, n = 0): void {
    if (this.minBytes > 0) {
      this.pending += n;
      if (this.pending < this.minBytes) return;
    }
    this.restart(at);
  }

  /** Counted bytes moved since the countdown last restarted, toward min_bytes. */
  get bytesTowardRestart(): number {
    return this.pending;
  }

  /** Milliseconds until the backend counts as idle if nothing happens. */
  remainingMs(): number {
    return this.timer.remainingMs();
  }

  /** Whether mrsocko decided to exit (`exit = yes`): nothing new is admitted from then on. */
  get exiting(): boolean {
    return this.exited;
  }

  /**
   * The lifecycle entered `phase`. Frozen and thawing count as up: the countdown and
   * max_runtime go on; a thaw restarts the countdown like a start (a client came).
   */
  phaseChanged(phase: BackendPhase): void {
    const before = this.phase;
    this.phase = phase;
    this.cancelFreeze();
    this.cancelFreeze = () => undefined;
    const up = isUp(phase);
    if (!up || !isUp(before)) {
      this.cancelMaxRuntime();
      this.cancelMaxRuntime = () => undefined;
    }
    if (phase === 'running') {
      // a freeze that failed goes on counting from the last activity
      if (before !== 'frozen') {
        this.pending = 0;
        this.timer.start();
      } else this.timer.recheckIn(this.timer.remainingMs());
      const { maxRuntimeMs, freezeMs } = this.o.config();
      if (Number.isFinite(maxRuntimeMs) && !isUp(before)) {
        this.cancelMaxRuntime = this.clock.after(maxRuntimeMs, () =>
          this.o.lifecycle.idle(`max_runtime (${formatTimespan(maxRuntimeMs)}) reached`));
      }
      // after a failed freeze, not again until the next start or thaw
      if (Number.isFinite(freezeMs) && before !== 'frozen') this.armFreeze(Math.max(0, freezeMs - this.timer.idleForMs()));
    } else if (!up) this.timer.stop();
    if (phase === 'stopped') this.maybeExit();
  }

  /** A connection or flow ended; `counted` if its client's traffic counts. */
  clientClosed(counted: boolean, kind: 'connection' | 'flow'): void {
    // with connections_count, the end of an open connection is where the countdown starts
    if (kind === 'connection' && counted && this.o.config().connectionsCount) this.restart();
    this.maybeExit();
  }

  reload(config: IdleConfig): void {
    this.timer.setTimeoutMs(config.timeoutMs);
    this.minBytes = config.minBytes;
    this.cancelFreeze();
    this.cancelFreeze = () => undefined;
    if (this.phase === 'running' && Number.isFinite(config.freezeMs)) this.armFreeze(Math.max(0, config.freezeMs - this.timer.idleForMs()));
  }

  /** Shutdown: no more timers, no exit request. */
  stop(): void {
    this.stopped = true;
    this.timer.stop();
    this.cancelMaxRuntime();
    this.cancelFreeze();
  }

  /** The countdown starts again from `at` (now by default); activity thaws a frozen backend. */
  private restart(at?: number): void {
    this.pending = 0;
    this.timer.touch(at);
    if (this.phase === 'frozen') this.o.lifecycle.demand('traffic on an open connection');
  }

  private armFreeze(delayMs: number): void {
    this.cancelFreeze();
    this.cancelFreeze = this.clock.after(delayMs, () => this.checkFreeze());
  }

  /** [idle] freeze: the same rules as the stop (connections_count, min_runtime), sooner. */
  private checkFreeze(): void {
    this.cancelFreeze = () => undefined;
    const idle = this.o.config();
    if (this.phase !== 'running' || !Number.isFinite(idle.freezeMs)) return;
    const idleFor = this.timer.idleForMs();
    if (idleFor < idle.freezeMs) return this.armFreeze(idle.freezeMs - idleFor);
    // `mrsocko hold`: no freeze either; look again when it ends
    const hold = this.o.lifecycle.hold;
    if (hold !== undefined) return this.armFreeze(Math.min(hold.until - this.clock.now(), idle.freezeMs));
    if (idle.connectionsCount && this.o.countedOpen() > 0) return this.armFreeze(idle.freezeMs);
    const runningFor = this.o.lifecycle.phaseAgeMs;
    if (runningFor < idle.minRuntimeMs) return this.armFreeze(idle.minRuntimeMs - runningFor);
    this.o.lifecycle.freeze(`no traffic for ${formatSpan(idleFor)}`);
  }

  /** The countdown ran out. */
  private check(): void {
    const idle = this.o.config();
    const hold = this.o.lifecycle.hold;
    if (hold !== undefined) {
      // the lifecycle ignores idle while held: look again when the hold ends (or a timeout on)
      this.timer.recheckIn(Math.min(hold.until - this.clock.now(), idle.timeoutMs));
      return;
    }
    if (idle.connectionsCount && this.o.countedOpen() > 0) {
      // open connections count as activity: check again a full timeout from now
      this.restart();
      this.timer.recheckIn(idle.timeoutMs);
      return;
    }
    const runningFor = this.o.lifecycle.phaseAgeMs;
    if (runningFor < idle.minRuntimeMs) {
      this.timer.recheckIn(idle.minRuntimeMs - runningFor);
      return;
    }
    this.o.lifecycle.idle(`no traffic for ${formatSpan(this.timer.idleForMs())}`);
  }

  /** `exit = yes`: leave once nothing runs and nobody is connected; systemd keeps listening. */
  /** A hold or block began or ended (an ended block may let mrsocko exit now). */
  manualChanged(): void {
    this.maybeExit();
  }

  private maybeExit(): void {
    if (!this.o.config().exit || this.stopped || this.exited) return;
    const { lifecycle } = this.o;
    if (lifecycle.block !== undefined) return;
    if (lifecycle.phase !== 'stopped' || lifecycle.launchCount === 0 || this.o.openClients() > 0) return;
    this.exited = true;
    this.o.exit();
  }
}

function isUp(phase: BackendPhase): boolean {
  return phase === 'running' || phase === 'frozen' || phase === 'thawing';
}
