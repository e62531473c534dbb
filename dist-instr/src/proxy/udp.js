import { UdpFlow } from './udp-flow.js';
/** Expiry runs at most this late after flow_timeout: a tenth of it, within these bounds. */
const MIN_SWEEP_MS = 10;
const MAX_SWEEP_MS = 1000;
export class UdpProxy {
    listener;
    queues;
    hooks;
    now;
    /** Client "address port" → its flow. */
    flows = new Map();
    sweeper;
    closed = false;
    sweepMs;
    flowHooks;
    constructor(listener, queues, hooks, now = () => performance.now()) {
        this.listener = listener;
        this.queues = queues;
        this.hooks = hooks;
        this.now = now;
        const timeout = listener.config.flowTimeoutMs;
        this.sweepMs = Math.min(MAX_SWEEP_MS, Math.max(MIN_SWEEP_MS, Math.floor(timeout / 10)));
        this.flowHooks = {
            moved: (flow, from) => hooks.moved?.(flow, from),
            traffic: hooks.traffic,
            refused: hooks.refused,
            error: hooks.error,
            released: (flow, reason) => {
                const key = flowKey(flow.address, flow.port);
                if (this.flows.get(key) === flow)
                    this.flows.delete(key);
                if (this.flows.size === 0)
                    this.stopSweeping();
                hooks.released(flow, reason);
            },
        };
        const socket = listener.socket;
        socket.on('message', (datagram, rinfo) => this.onDatagram(datagram, rinfo));
        socket.on('error', (err) => hooks.socketError(this, err));
    }
    get name() {
        return this.listener.config.name;
    }
    /** Flows currently known, held ones included. */
    get size() {
        return this.flows.size;
    }
    /** Every flow, for status and tests. */
    list() {
        return [...this.flows.values()];
    }
    /** Close flows for `reason`: all, only those waiting for the backend, or only those connected to it. Returns how many. */
    closeFlows(reason, which = 'all') {
        let n = 0;
        for (const flow of [...this.flows.values()]) {
            if (which !== 'all' && (flow.phase === 'held') !== (which === 'held'))
                continue;
            flow.close(reason);
            n += 1;
        }
        return n;
    }
    /** Stop receiving and forget every flow. Idempotent. */
    close() {
        if (this.closed)
            return;
        this.closed = true;
        this.closeFlows('shutdown');
        this.stopSweeping();
        try {
            this.listener.socket.close();
        }
        catch {
            // already closed
        }
    }
    onDatagram(datagram, rinfo) {
        if (this.closed)
            return;
        const key = flowKey(rinfo.address, rinfo.port);
        let flow = this.flows.get(key);
        const now = this.now();
        if (flow === undefined) {
            if (!this.hooks.admit(this, rinfo.address, rinfo.port, datagram.length))
                return;
            flow = new UdpFlow(this.name, rinfo.address, rinfo.port, this.listener.socket, this.listener.config.backend, this.queues, this.flowHooks);
            this.flows.set(key, flow);
            this.startSweeping();
            flow.fromClient(datagram, now);
            this.hooks.opened(flow);
            return;
        }
        flow.fromClient(datagram, now);
    }
    startSweeping() {
        if (this.sweeper !== undefined || !Number.isFinite(this.listener.config.flowTimeoutMs))
            return;
        this.sweeper = setInterval(() => this.sweep(), this.sweepMs);
        this.sweeper.unref();
    }
    stopSweeping() {
        if (this.sweeper !== undefined)
            clearInterval(this.sweeper);
        this.sweeper = undefined;
    }
    /**
     * Forget flows without a datagram either way for flow_timeout. Held and connecting flows
     * wait for the backend instead: start_timeout bounds them, and their clients still want
     * the answers to what is queued.
     */
    sweep() {
        const oldest = this.now() - this.listener.config.flowTimeoutMs;
        for (const flow of [...this.flows.values()]) {
            if (flow.phase === 'open' && flow.lastActivity <= oldest)
                flow.close('expired');
        }
    }
}
function flowKey(address, port) {
    return `${address} ${port}`;
}
//# sourceMappingURL=udp.js.map