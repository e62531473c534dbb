import { localHeader, proxyHeader } from '../net/proxy-header.js';
import { ReadyWait } from './ready-check.js';
import { readyTargets, startTimeoutReason } from './ready-targets.js';
/** How long a probe's closing connection waits for the backend to close its side. */
const FAREWELL_MS = 2_000;
export class ReadinessProbe {
    o;
    /** Probes' connections that got through, per backend, until a waiting client takes one. */
    kept = new Map();
    /** The current launch's wait (what `status` says it waits for). */
    current;
    constructor(o) {
        this.o = o;
    }
    /** Resolves once the backend is ready; rejects when `signal` aborts. */
    probe(signal) {
        this.drop();
        const keep = (target) => (connection) => {
            if (!this.o.wanted(target.backend))
                return false;
            const list = this.kept.get(target.backend.text) ?? [];
            list.push(connection);
            this.kept.set(target.backend.text, list);
            connection.on('error', () => undefined);
            return true;
        };
        const { service } = this.o;
        const wait = new ReadyWait({
            targets: readyTargets(this.o.sockets),
            check: service.ready,
            delayMs: service.readyDelayMs,
            process: this.o.process,
            keep,
            closeProbe: (target) => this.closeProbe(target),
            changed: () => this.o.changed(),
            notify: () => this.o.notify?.(),
        });
        this.current = wait;
        const ready = wait.wait(signal);
        // ready → the waiting clients are released in the lifecycle's continuation; a probe that
        // was not ready in time, or a launch that no longer counts, leaves its connections to close here.
        void ready.then(() => setImmediate(() => this.drop()), () => this.drop());
        return ready;
    }
    /** What the current wait still waits for, in words (undefined once none runs). */
    get waitingFor() {
        return this.current?.waitingFor;
    }
    /** Why start_timeout ran out, naming what readiness still waited for. */
    timeoutReason(ms) {
        return startTimeoutReason(ms, { sockets: this.o.sockets }, this.current);
    }
    /** The backend left `starting`: a wait from an earlier start says nothing about the next. */
    forget() {
        this.current = undefined;
    }
    /** A kept connection to `backend`, if any is left. */
    take(backend) {
        return this.kept.get(backend.text)?.pop();
    }
    /** Close whatever was kept and not taken. */
    drop() {
        for (const [backend, list] of this.kept) {
            const close = this.closer(this.o.sockets.find((s) => s.protocol === 'tcp' && s.backend.text === backend)?.proxyProtocol ?? 'off');
            for (const socket of list)
                close(socket);
        }
        this.kept.clear();
    }
    /** How a probe's connection to `target` that no client takes is closed (undefined: destroyed). */
    closeProbe(target) {
        const version = this.o.sockets.find((s) => s.name === target.sockets[0])?.proxyProtocol ?? 'off';
        return version === 'off' ? undefined : this.closer(version);
    }
    closer(version) {
        if (version === 'off')
            return (connection) => connection.destroy();
        const header = version === 'v2' ? localHeader() : proxyHeader('v1', { address: undefined, port: undefined }, { address: undefined, port: undefined });
        return (connection) => {
            connection.on('error', () => undefined);
            // the backend closes its side once it has read the header and the end; not one that never does
            connection.setTimeout(FAREWELL_MS, () => connection.destroy());
            connection.once('close', () => connection.setTimeout(0));
            connection.resume();
            connection.end(header);
        };
    }
}
//# sourceMappingURL=probe.js.map