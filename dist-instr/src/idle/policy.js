import { formatTimespan } from '../config/timespan.js';
import { systemClock } from '../util/clock.js';
import { formatSpan } from '../util/format.js';
import { IdleTimer } from './idle-timer.js';
export class IdlePolicy {
    o;
    timer;
    clock;
    cancelMaxRuntime = () => undefined;
    cancelFreeze = () => undefined;
    /** The phase before the current one (a thaw is not a start). */
    phase = 'stopped';
    exited = false;
    stopped = false;
    /** `[idle] min_bytes`, and the counted bytes moved since the countdown last restarted. */
    minBytes;
    pending = 0;
    constructor(o) {
        this.o = o;
        this.clock = o.clock ?? systemClock;
        this.timer = new IdleTimer(o.config().timeoutMs, () => this.check(), this.clock);
        this.minBytes = o.config().minBytes;
    }
    /**
     * `n` counted bytes at `at` (the hot path: an addition and a comparison, and the
     * timer's one assignment once min_bytes is reached).
     */
    touch(at, n = 0) {
        if (this.minBytes > 0) {
            this.pending += n;
            if (this.pending < this.minBytes)
                return;
        }
        this.restart(at);
    }
    /** Counted bytes moved since the countdown last restarted, toward min_bytes. */
    get bytesTowardRestart() {
        return this.pending;
    }
    /** Milliseconds until the backend counts as idle if nothing happens. */
    remainingMs() {
        return this.timer.remainingMs();
    }
    /** Whether mrsocko decided to exit (`exit = yes`): nothing new is admitted from then on. */
    get exiting() {
        return this.exited;
    }
    /**
     * The lifecycle entered `phase`. Frozen and thawing count as up: the countdown and
     * max_runtime go on; a thaw restarts the countdown like a start (a client came).
     */
    phaseChanged(phase) {
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
            }
            else
                this.timer.recheckIn(this.timer.remainingMs());
            const { maxRuntimeMs, freezeMs } = this.o.config();
            if (Number.isFinite(maxRuntimeMs) && !isUp(before)) {
                this.cancelMaxRuntime = this.clock.after(maxRuntimeMs, () => this.o.lifecycle.idle(`max_runtime (${formatTimespan(maxRuntimeMs)}) reached`));
            }
            // after a failed freeze, not again until the next start or thaw
            if (Number.isFinite(freezeMs) && before !== 'frozen')
                this.armFreeze(Math.max(0, freezeMs - this.timer.idleForMs()));
        }
        else if (!up)
            this.timer.stop();
        if (phase === 'stopped')
            this.maybeExit();
    }
    /** A connection or flow ended; `counted` if its client's traffic counts. */
    clientClosed(counted, kind) {
        // with connections_count, the end of an open connection is where the countdown starts
        if (kind === 'connection' && counted && this.o.config().connectionsCount)
            this.restart();
        this.maybeExit();
    }
    reload(config) {
        this.timer.setTimeoutMs(config.timeoutMs);
        this.minBytes = config.minBytes;
        this.cancelFreeze();
        this.cancelFreeze = () => undefined;
        if (this.phase === 'running' && Number.isFinite(config.freezeMs))
            this.armFreeze(Math.max(0, config.freezeMs - this.timer.idleForMs()));
    }
    /** Shutdown: no more timers, no exit request. */
    stop() {
        this.stopped = true;
        this.timer.stop();
        this.cancelMaxRuntime();
        this.cancelFreeze();
    }
    /** The countdown starts again from `at` (now by default); activity thaws a frozen backend. */
    restart(at) {
        this.pending = 0;
        this.timer.touch(at);
        if (this.phase === 'frozen')
            this.o.lifecycle.demand('traffic on an open connection');
    }
    armFreeze(delayMs) {
        this.cancelFreeze();
        this.cancelFreeze = this.clock.after(delayMs, () => this.checkFreeze());
    }
    /** [idle] freeze: the same rules as the stop (connections_count, min_runtime), sooner. */
    checkFreeze() {
        this.cancelFreeze = () => undefined;
        const idle = this.o.config();
        if (this.phase !== 'running' || !Number.isFinite(idle.freezeMs))
            return;
        const idleFor = this.timer.idleForMs();
        if (idleFor < idle.freezeMs)
            return this.armFreeze(idle.freezeMs - idleFor);
        // `mrsocko hold`: no freeze either; look again when it ends
        const hold = this.o.lifecycle.hold;
        if (hold !== undefined)
            return this.armFreeze(Math.min(hold.until - this.clock.now(), idle.freezeMs));
        if (idle.connectionsCount && this.o.countedOpen() > 0)
            return this.armFreeze(idle.freezeMs);
        const runningFor = this.o.lifecycle.phaseAgeMs;
        if (runningFor < idle.minRuntimeMs)
            return this.armFreeze(idle.minRuntimeMs - runningFor);
        this.o.lifecycle.freeze(`no traffic for ${formatSpan(idleFor)}`);
    }
    /** The countdown ran out. */
    check() {
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
    manualChanged() {
        this.maybeExit();
    }
    maybeExit() {
        if (!this.o.config().exit || this.stopped || this.exited)
            return;
        const { lifecycle } = this.o;
        if (lifecycle.block !== undefined)
            return;
        if (lifecycle.phase !== 'stopped' || lifecycle.launchCount === 0 || this.o.openClients() > 0)
            return;
        this.exited = true;
        this.o.exit();
    }
}
function isUp(phase) {
    return phase === 'running' || phase === 'frozen' || phase === 'thawing';
}
//# sourceMappingURL=policy.js.map