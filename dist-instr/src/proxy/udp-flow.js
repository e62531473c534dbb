// One UDP client flow, from its first datagram to its release: the datagrams of one client
// address:port on one listening socket. The flow has a connected upstream socket of its
// own, so the backend's replies are told apart by the socket they arrive on and go back
// to the right client through the listening socket (the downstream side). Until that
// upstream socket is connected (the backend is stopped or starting, or the connect is
// under way) the client's datagrams wait in a bounded queue; once connected, the queue is
// released in order, paced with every other flow's (DatagramQueues).
//
//   held ──connect()──▶ connecting ──connected──▶ open        (close(): closed, from any phase)
//     ▲                                               │
//     └──────── refused (ECONNREFUSED upstream) ──────┘
//
// The phase changes only in move(), by FLOW_TRANSITIONS, and every change is told to
// FlowHooks.moved (the waiting room keeps its index of held flows from there).
import dgram from 'node:dgram';
import net from 'node:net';
import { formatInet } from '../util/format.js';
/** The whole state machine: the phase after `event`, or none where the event does not apply. */
export const FLOW_TRANSITIONS = {
    held: { connect: 'connecting', closed: 'closed' },
    connecting: { connected: 'open', closed: 'closed' },
    open: { refused: 'held', closed: 'closed' },
    closed: {},
};
export const DEFAULT_QUEUE_LIMITS = Object.freeze({
    flowDatagrams: 64,
    flowBytes: 256 * 1024,
    totalDatagrams: 16 * 1024,
    totalBytes: 4 * 1024 * 1024,
});
/**
 * Past this many datagrams not yet handed to the kernel on one socket (Node queues sends
 * while a socket would block), new ones are dropped rather than buffered without bound.
 */
const MAX_PENDING_SENDS = 1024;
/**
 * Queued datagrams are released to the backend at most RELEASE_BATCH per
 * RELEASE_INTERVAL_MS: about 32 000 datagrams/s, so the largest queue allowed (16 384
 * datagrams) is out in half a second. A backend's socket with the kernel's default receive
 * buffer (208 KiB) holds only about 256 small datagrams: a thousand queued datagrams
 * handed over at once lose most of them (measured with dnsmasq: 589 of 1000 answered
 * unpaced, all 1000 paced; an echo server in mrsocko's own event loop keeps up at 32 per
 * millisecond but not at 64).
 */
const RELEASE_BATCH = 32;
const RELEASE_INTERVAL_MS = 1;
/**
 * The queues of all flows together: the daemon-wide limits and counts, and the paced,
 * round-robin release of what was queued (one datagram per flow in turn, so no client
 * waits behind another's whole queue).
 */
export class DatagramQueues {
    limits;
    datagrams = 0;
    bytes = 0;
    /** Datagrams dropped since start because a queue was full (per flow or overall). */
    dropped = 0;
    droppedBytes = 0;
    /** Flows with queued datagrams to release, next in turn first. */
    releasing = new Set();
    timer;
    /** The current release slot: when it began and how many datagrams went out in it. */
    slotStart = -Infinity;
    slotSent = 0;
    constructor(limits = DEFAULT_QUEUE_LIMITS) {
        this.limits = limits;
    }
    /** Reserve room for one datagram of `size` bytes for a flow holding `flowDatagrams`/`flowBytes`. */
    take(flowDatagrams, flowBytes, size) {
        const l = this.limits;
        if (flowDatagrams >= l.flowDatagrams ||
            flowBytes + size > l.flowBytes ||
            this.datagrams >= l.totalDatagrams ||
            this.bytes + size > l.totalBytes) {
            this.dropped += 1;
            this.droppedBytes += size;
            return false;
        }
        this.datagrams += 1;
        this.bytes += size;
        return true;
    }
    give(datagrams, bytes) {
        this.datagrams -= datagrams;
        this.bytes -= bytes;
    }
    /** Flows still releasing what they queued. */
    get releasingFlows() {
        return this.releasing.size;
    }
    /** `flow` is connected and has datagrams queued: release them in turn with the others. */
    release(flow) {
        this.releasing.add(flow);
        // Flows released together (the backend just became ready) all join before the first
        // batch goes out, so the turns are fair from the start.
        if (this.timer === undefined)
            this.timer = setImmediate(() => this.pump());
    }
    /** One batch, at most RELEASE_BATCH per RELEASE_INTERVAL_MS however often it runs. */
    pump() {
        this.timer = undefined;
        const now = performance.now();
        if (now - this.slotStart >= RELEASE_INTERVAL_MS) {
            this.slotStart = now;
            this.slotSent = 0;
        }
        while (this.slotSent < RELEASE_BATCH && this.releasing.size > 0) {
            const flow = this.releasing.values().next().value;
            this.releasing.delete(flow);
            if (flow.releaseOne()) {
                this.slotSent += 1;
                if (flow.queued > 0)
                    this.releasing.add(flow); // to the back of the line
            }
        }
        if (this.releasing.size > 0) {
            this.timer = setTimeout(() => this.pump(), Math.max(1, Math.ceil(this.slotStart + RELEASE_INTERVAL_MS - now)));
        }
    }
}
export class UdpFlow {
    socketName;
    address;
    port;
    downstream;
    backend;
    queues;
    hooks;
    kind = 'flow';
    current = 'held';
    /** downstream → upstream, delivered */
    bytesUp = 0;
    datagramsUp = 0;
    /** upstream → downstream */
    bytesDown = 0;
    datagramsDown = 0;
    /** Every datagram the client sent, delivered, queued or dropped (one: a one-datagram flow). */
    datagramsFromClient = 0;
    /** Datagrams of this flow dropped for want of room: its queue (or all flows' queues
     *  together) was full, or too many sends were pending on a socket. */
    dropped = 0;
    droppedBytes = 0;
    /** Datagrams still queued when the flow was closed (the backend never came up for them). */
    undelivered = 0;
    undeliveredBytes = 0;
    reportedDrops = 0;
    reportedDropBytes = 0;
    openedAt = performance.now();
    /** performance.now() of the last datagram either way; flows expire from here. */
    lastActivity = this.openedAt;
    /** "127.0.0.1:5353", "[::ffff:127.0.0.1]:5353", "[::1]:5353". */
    peer;
    /** Set by whoever admitted the flow (UdpProxyHooks.opened); closed with the flow. */
    accounting;
    queue = [];
    queuedBytes = 0;
    upstream;
    /** One callback per flow for replies sent downstream (none allocated per datagram). */
    replySent;
    constructor(socketName, 
    /** The client as the listening socket saw it (rinfo.address, not normalised). */
    address, port, downstream, backend, queues, hooks) {
        this.socketName = socketName;
        this.address = address;
        this.port = port;
        this.downstream = downstream;
        this.backend = backend;
        this.queues = queues;
        this.hooks = hooks;
        this.peer = formatInet(address, port);
        this.replySent = (error) => {
            if (error)
                this.fail('downstream', error);
        };
    }
    get phase() {
        return this.current;
    }
    /** The one place the phase changes. False (and nothing changes) where `event` does not apply. */
    move(event) {
        const from = this.current;
        const to = FLOW_TRANSITIONS[from][event];
        if (to === undefined)
            return false;
        this.current = to;
        this.hooks.moved?.(this, from);
        return true;
    }
    /** The waiting room's way to serve it (WaitingClient). */
    release() {
        this.connect();
    }
    /** The waiting room's way to give up on it: the backend did not come up. */
    abandon() {
        this.close('start-failed');
    }
    /** Datagrams waiting for the upstream socket. */
    get queued() {
        return this.queue.length;
    }
    /** Drops not yet reported (see `dropped`); marks them reported. */
    takeDropped() {
        const datagrams = this.dropped - this.reportedDrops;
        const bytes = this.droppedBytes - this.reportedDropBytes;
        this.reportedDrops = this.dropped;
        this.reportedDropBytes = this.droppedBytes;
        return { datagrams, bytes };
    }
    /** A datagram from the client, in arrival order. */
    fromClient(datagram, now) {
        this.lastActivity = now;
        this.datagramsFromClient += 1;
        // While earlier datagrams are still being released, later ones queue behind them.
        if (this.phase === 'open' && this.queue.length === 0)
            this.sendUpstream(datagram);
        else if (this.phase !== 'closed')
            this.enqueue(datagram);
    }
    /** The backend is up: connect upstream, then deliver what was queued, in order. */
    connect() {
        if (!this.move('connect'))
            return;
        const { host, port } = inetBackend(this.backend);
        const upstream = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
        this.upstream = upstream;
        upstream.on('message', (reply) => this.fromBackend(reply));
        upstream.on('error', (err) => {
            if (upstream !== this.upstream)
                return;
            if (err.code === 'ECONNREFUSED' && this.phase === 'open') {
                this.rehold();
                if (this.hooks.refused(this, err) === 'hold')
                    return;
            }
            this.fail('upstream', err);
        });
        upstream.connect(port, host, () => {
            if (!this.move('connected'))
                return;
            if (this.queue.length > 0)
                this.queues.release(this);
        });
    }
    /** Send the oldest queued datagram upstream (DatagramQueues' paced release). False when there was none to send. */
    releaseOne() {
        if (this.phase !== 'open')
            return false;
        const datagram = this.queue.shift();
        if (datagram === undefined)
            return false;
        this.queues.give(1, datagram.length);
        this.queuedBytes -= datagram.length;
        this.sendUpstream(datagram);
        return true;
    }
    /** Back to `held`: the upstream socket goes; what is queued stays for the next connect(). */
    rehold() {
        const upstream = this.upstream;
        this.upstream = undefined;
        this.move('refused');
        try {
            upstream?.close();
        }
        catch {
            // already closed
        }
    }
    /** Forget the flow: drop what is queued, close the upstream socket. Idempotent. */
    close(reason) {
        if (!this.move('closed'))
            return;
        if (this.queue.length > 0) {
            this.queues.give(this.queue.length, this.queuedBytes);
            this.undelivered = this.queue.length;
            this.undeliveredBytes = this.queuedBytes;
            this.queue = [];
            this.queuedBytes = 0;
        }
        if (this.upstream) {
            try {
                this.upstream.close();
            }
            catch {
                // already closed
            }
        }
        this.accounting?.close();
        this.hooks.released(this, reason);
    }
    enqueue(datagram) {
        if (this.queues.take(this.queue.length, this.queuedBytes, datagram.length)) {
            this.queue.push(datagram);
            this.queuedBytes += datagram.length;
        }
        else {
            this.dropped += 1;
            this.droppedBytes += datagram.length;
        }
    }
    sendUpstream(datagram) {
        const upstream = this.upstream;
        if (upstream.getSendQueueCount() >= MAX_PENDING_SENDS) {
            this.dropped += 1;
            this.droppedBytes += datagram.length;
            return;
        }
        this.bytesUp += datagram.length;
        this.datagramsUp += 1;
        // No callback: a failed send is an 'error' event on the upstream socket.
        upstream.send(datagram);
        this.accounting?.addUp(datagram.length);
        this.hooks.traffic(this, 'up', datagram.length);
    }
    fromBackend(reply) {
        if (this.phase !== 'open')
            return;
        this.lastActivity = performance.now();
        if (this.downstream.getSendQueueCount() >= MAX_PENDING_SENDS) {
            this.dropped += 1;
            this.droppedBytes += reply.length;
            return;
        }
        this.bytesDown += reply.length;
        this.datagramsDown += 1;
        this.downstream.send(reply, this.port, this.address, this.replySent);
        this.accounting?.addDown(reply.length);
        this.hooks.traffic(this, 'down', reply.length);
    }
    fail(side, err) {
        if (this.phase === 'closed')
            return;
        this.hooks.error(this, side, err);
        this.close('error');
    }
}
function inetBackend(backend) {
    // The config refuses unix datagram backends (load.ts); this is an internal invariant.
    if (backend.kind !== 'inet')
        throw new Error(`udp backend ${backend.text} is not HOST:PORT`);
    return backend;
}
//# sourceMappingURL=udp-flow.js.map