// When the backend should stop, and when mrsocko itself may leave: the [idle] section as
// one policy over the idle countdown (./idle-timer.ts). It reads the lifecycle's phase and
// the client counts, and only ever asks: `lifecycle.idle(reason)`, or `exit()`.
//   timeout           no counted traffic for this long (the countdown; touch() on traffic)
//   connections_count an open connection of a counted client holds the countdown
//   min_runtime       never sooner than this after start
//   max_runtime       this long after start, whatever the activity
//   exit = yes        once stopped with nobody connected, mrsocko exits
//
// Where the next features go: `min_bytes` is a threshold in touch(); `freeze` a second,
// shorter countdown asking the lifecycle to freeze; a manual `hold` a flag checked first
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
  private exited = false;
  private stopped = false;

  constructor(private readonly o: IdlePolicyOptions) {
    this.clock = o.clock ?? systemClock;
    this.timer = new IdleTimer(o.config().timeoutMs, () => this.check(), this.clock);
  }

  /** Counted traffic at `at` (the hot path: one assignment). */
  touch(at?: number): void {
    this.timer.touch(at);
  }

  /** Milliseconds until the backend counts as idle if nothing happens. */
  remainingMs(): number {
    return this.timer.remainingMs();
  }

  /** Whether mrsocko decided to exit (`exit = yes`): nothing new is admitted from then on. */
  get exiting(): boolean {
    return this.exited;
  }

  /** The lifecycle entered `phase`. */
  phaseChanged(phase: BackendPhase): void {
    this.cancelMaxRuntime();
    this.cancelMaxRuntime = () => undefined;
    if (phase === 'running') {
      this.timer.start();
      const { maxRuntimeMs } = this.o.config();
      if (Number.isFinite(maxRuntimeMs)) {
        this.cancelMaxRuntime = this.clock.after(maxRuntimeMs, () =>
          this.o.lifecycle.idle(`max_runtime (${formatTimespan(maxRuntimeMs)}) reached`));
      }
    } else this.timer.stop();
    if (phase === 'stopped') this.maybeExit();
  }

  /** A connection or flow ended; `counted` if its client's traffic counts. */
  clientClosed(counted: boolean, kind: 'connection' | 'flow'): void {
    // with connections_count, the end of an open connection is where the countdown starts
    if (kind === 'connection' && counted && this.o.config().connectionsCount) this.timer.touch();
    this.maybeExit();
  }

  reload(config: IdleConfig): void {
    this.timer.setTimeoutMs(config.timeoutMs);
  }

  /** Shutdown: no more timers, no exit request. */
  stop(): void {
    this.stopped = true;
    this.timer.stop();
    this.cancelMaxRuntime();
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
      this.timer.touch();
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
