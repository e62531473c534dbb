import { EvictionLog } from './eviction-log.js';
import { describePeer } from '../proxy/tcp.js';
import { formatInet } from '../util/format.js';
import { clientAddress, LOCAL_CLIENT } from '../net/address.js';
import { Admission } from './admission.js';
import { RefusalLog } from './refusal-log.js';
import { SilentLog } from './silent-log.js';
export class Gate {
    o;
    admission;
    refusals;
    /** What was closed to make room at max_connections. */
    evictions;
    /** Connections that sent nothing under `wake_on = data`. */
    silentLog;
    constructor(o) {
        this.o = o;
        this.admission = new Admission(o.policy, o.clients);
        this.refusals = new RefusalLog({
            emit: o.emit,
            explain: (refusal, address) => (refusal === 'blocked' ? o.blocked?.() : undefined) ?? this.admission.policy.explain(refusal, address),
        });
        this.evictions = new EvictionLog({ emit: o.emit });
        this.silentLog = new SilentLog(o.emit);
    }
    /** Connections that closed or timed out without a byte under `wake_on = data`, since start. */
    get silent() {
        return this.silentLog.total;
    }
    /** Such a connection (the session held it and closed it): counted and logged, bounded. */
    silentConnection(source, socket, client, end) {
        this.silentLog.silent(source, socket, client, end);
    }
    /** [access] and [idle] keepalive as they are now. */
    get policy() {
        return this.admission.policy;
    }
    get refused() {
        return this.refusals.total;
    }
    get evicted() {
        return this.evictions.total;
    }
    /** A reload: new rules for new clients. */
    update(policy) {
        this.admission.update(policy);
    }
    /** A refusal decided elsewhere (a knock port's traffic), logged and counted with the others. */
    refuse(...args) {
        this.refusals.refused(...args);
    }
    shutdown() {
        this.refusals.shutdown();
        this.evictions.shutdown();
        this.silentLog.shutdown();
    }
    /**
     * A new TCP (or unix) connection: its accounting if admitted; if not, it is closed here,
     * unread. `counts`: the socket's `counts =` (no: never activity, never wakes the backend).
     */
    connection(socket, socketName, unix, counts = true) {
        // A TCP socket without a remote address was reset before we got to it: nothing to admit.
        const address = unix ? LOCAL_CLIENT : socket.remoteAddress === undefined ? undefined : clientAddress(socket.remoteAddress);
        if (address !== undefined && this.admit(socketName, address, socket, 'connection', counts))
            return this.o.clients.open(address, 'connection', counts);
        // Refused (or gone already): close at once, unread; an RST tells a TCP client it was refused.
        socket.on('error', () => undefined);
        if (unix)
            socket.destroy();
        else
            socket.resetAndDestroy();
        return undefined;
    }
    /** A datagram from `remoteAddress`:`port` without a flow: may it open one? */
    flow(socketName, remoteAddress, port, counts = true) {
        const address = clientAddress(remoteAddress);
        return address !== undefined && this.admit(socketName, address, formatInet(remoteAddress, port), 'flow', counts);
    }
    /** The accounting of a flow flow() let in, in the same turn. */
    openFlow(remoteAddress, counts = true) {
        return this.o.clients.open(clientAddress(remoteAddress) ?? LOCAL_CLIENT, 'flow', counts);
    }
    admit(socketName, address, peer, kind, counts) {
        const decision = this.o.blocked?.() !== undefined ? 'blocked' : this.admission.decide(address, this.o.backendWanted(), counts);
        if (decision === undefined)
            return true;
        const client = typeof peer === 'string' ? peer : describePeer(peer);
        if (typeof decision !== 'string') {
            const victim = this.o.clients.evict(decision);
            this.evictions.evicted(decision, victim, client, this.admission.policy.maxConnections);
            return true;
        }
        this.refusals.refused(address, socketName, client, decision, kind === 'connection' ? 'connection' : 'datagram');
        return false;
    }
}
//# sourceMappingURL=gate.js.map