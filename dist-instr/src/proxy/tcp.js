// One proxied stream connection, from accept to release. The downstream side (the client)
// is accepted paused, so nothing is read while it is held; once the backend is up an
// upstream connection is made and bytes are pumped both ways with backpressure and
// half-close.
//
//   held ──connect()──▶ connecting ──connected──▶ open          (closed: from any phase)
//     ▲                     │                      │
//     └──────── requeue ────┴──────────────────────┘  (refused upstream; backend going, nothing sent yet)
//   held ──answer()──▶ answered ──closed──▶ closed               (mrsocko answered it itself: the starting page)
//
// The phase changes only in move(), by CONNECTION_TRANSITIONS, and every change is told to
// ConnectionHooks.moved: the waiting room (../session/waiting-room.ts) keeps its index of
// held clients from that one place.
// A held connection may read ahead (readWhileHeld(): the starting page, wake on data): what
// it read is `preread`, bounded, and goes upstream first, before the pipes start, intact,
// right after the PROXY protocol header (../net/proxy-header.ts), in the same write.
import net from 'node:net';
import { connectOptions } from '../backend/readiness.js';
import { createPipe } from './splice-pipe.js';
import { canUseOwnBuffers, useOwnBuffers } from './read-buffers.js';
import { formatInet } from '../util/format.js';
import { proxyHeader } from '../net/proxy-header.js';
/** The whole state machine: the phase after `event`, or none where the event does not apply. */
export const CONNECTION_TRANSITIONS = {
    held: { connect: 'connecting', answer: 'answered', closed: 'closed' },
    connecting: { connected: 'open', requeue: 'held', closed: 'closed' },
    open: { requeue: 'held', closed: 'closed' },
    answered: { closed: 'closed' },
    closed: {},
};
/**
 * A connection through to a backend that is going away may be held for the restart when
 * nothing went through it yet and it is this young (a client that just arrived, not a
 * silent one that would otherwise restart the backend at every idle stop).
 */
const REQUEUE_WITHIN_MS = 1000;
/** How long a client that got mrsocko's own answer may take to close before it is closed. */
const ANSWERED_LINGER_MS = 5000;
export class TcpConnection {
    socketName;
    downstream;
    backend;
    hooks;
    accounting;
    buffers;
    proxyProtocol;
    kind = 'connection';
    current = 'held';
    /** downstream → upstream */
    bytesUp = 0;
    /** upstream → downstream */
    bytesDown = 0;
    openedAt = performance.now();
    peer;
    upstream;
    stopPumping;
    /** What the client sent while held (readWhileHeld()), in order; it goes upstream first. */
    prereadChunks = [];
    /** Bytes in prereadChunks. */
    prereadBytes = 0;
    /** The client ended its side (FIN) while held: passed on after `preread`. */
    endedWhileHeld = false;
    /** It was read through Node's own reads: its bytes still buffered there come after `preread`. */
    readAhead = false;
    prereadLimit = 0;
    prereadReaders = [];
    stopReadingAhead;
    flushPumps;
    constructor(socketName, downstream, backend, hooks, 
    /** The client's accounting (bytes per chunk, the hot path); closed on release. */
    accounting, 
    /** Where the bytes of every connection of this daemon are read into. */
    buffers, 
    /** `proxy_protocol`: the header every upstream connection of this client starts with. */
    proxyProtocol = 'off') {
        this.socketName = socketName;
        this.downstream = downstream;
        this.backend = backend;
        this.hooks = hooks;
        this.accounting = accounting;
        this.buffers = buffers;
        this.proxyProtocol = proxyProtocol;
        this.peer = describePeer(downstream);
        downstream.on('error', (err) => this.fail('downstream', err));
        downstream.once('close', () => this.sideClosed());
    }
    get phase() {
        return this.current;
    }
    /** The one place the phase changes. False (and nothing changes) where `event` does not apply. */
    move(event) {
        const from = this.current;
        const to = CONNECTION_TRANSITIONS[from][event];
        if (to === undefined)
            return false;
        this.current = to;
        this.hooks.moved(this, from);
        return true;
    }
    /** What the client sent while held, so far (one Buffer; empty when nothing). */
    get preread() {
        if (this.prereadChunks.length > 1)
            this.prereadChunks.splice(0, this.prereadChunks.length, Buffer.concat(this.prereadChunks));
        return this.prereadChunks[0] ?? Buffer.alloc(0);
    }
    /** Whether the client ended its side while held (it will send nothing more). */
    get clientEnded() {
        return this.endedWhileHeld;
    }
    /**
     * While held, read what the client sends, up to `limit` bytes (then reading pauses and
     * the kernel's window holds the client back): `read` is told after each read (with the
     * bytes just read) and at the client's end (with none). Everything read is kept in `preread` and passed on at release, intact.
     * Reading stops at release. Only while held. Several features may each ask (the starting
     * page, wake on data): all are told, and the largest limit holds.
     */
    readWhileHeld(limit, read) {
        if (this.current !== 'held')
            return;
        this.prereadLimit = Math.max(this.prereadLimit, limit);
        this.prereadReaders.push(read);
        if (this.readAhead)
            return;
        this.readAhead = true;
        const downstream = this.downstream;
        const tell = (chunk) => {
            for (const reader of this.prereadReaders)
                reader(this, chunk);
        };
        const onData = (chunk) => {
            this.prereadChunks.push(chunk);
            this.prereadBytes += chunk.length;
            // a read is up to 64 KiB, so the bound is passed by at most one read
            if (this.prereadBytes >= this.prereadLimit)
                downstream.pause();
            tell(chunk);
        };
        const onEnd = () => {
            this.endedWhileHeld = true;
            tell();
        };
        downstream.on('data', onData);
        downstream.once('end', onEnd);
        this.stopReadingAhead = () => {
            downstream.off('data', onData);
            downstream.off('end', onEnd);
            downstream.pause();
            this.prereadReaders.length = 0;
            this.stopReadingAhead = undefined;
        };
        downstream.resume();
    }
    /**
     * Answer a held client from here (the starting page) and close: `response` is sent, then
     * its side is ended; whatever it still sends is read and dropped (closing with unread
     * bytes would send an RST that can overtake the answer), for at most ANSWERED_LINGER_MS.
     */
    answer(response) {
        if (!this.move('answer'))
            return;
        this.stopReadingAhead?.();
        const downstream = this.downstream;
        downstream.on('data', () => undefined);
        downstream.once('end', () => downstream.destroy());
        downstream.end(response);
        downstream.resume();
        setTimeout(() => downstream.destroy(), ANSWERED_LINGER_MS).unref();
    }
    /** The waiting room's way to serve it (WaitingClient). */
    release(ready) {
        this.connect(ready);
    }
    /** The waiting room's way to give up on it: an RST, the backend did not come up. */
    abandon() {
        this.close(true);
    }
    /** Bytes moved and not counted yet (the native data path counts at most every REPORT_MS), counted now. */
    flushCounts() {
        this.flushPumps?.();
    }
    /**
     * The backend accepts connections: connect through and start pumping. `ready` is a
     * connection to the backend made already (the readiness probe's), used instead of a new one.
     */
    connect(ready) {
        if (!this.move('connect')) {
            ready?.destroy();
            return;
        }
        this.stopReadingAhead?.();
        // one the backend closed meanwhile (it may wait for a slower UDP probe) is not used
        const connected = ready !== undefined && !ready.destroyed && ready.writable ? ready : undefined;
        if (connected === undefined)
            ready?.destroy();
        const up = createPipe(this.buffers, (n) => {
            this.bytesUp += n;
            this.accounting.addUp(n);
        });
        const down = createPipe(this.buffers, (n) => {
            this.bytesDown += n;
            this.accounting.addDown(n);
        });
        const upstream = connected ?? net.connect({
            ...connectOptions(this.backend),
            allowHalfOpen: true,
            noDelay: true,
            onread: { buffer: down.source, callback: down.onRead },
        });
        this.upstream = upstream;
        const open = () => {
            if (!this.move('connected'))
                return;
            const downstream = this.downstream;
            downstream.setNoDelay(true);
            // Before any client byte, the pipes start only after it. Written once connected (a
            // connection that fails is held again with its preread intact, and the next one gets
            // its own header), in one write with what the client sent while held.
            this.passPreread(upstream, this.proxyProtocol === 'off' ? undefined : this.header(this.proxyProtocol));
            // one that read ahead may have more in Node's buffer: Node's reads deliver that, in order
            const ownBuffers = (!this.readAhead || downstream.readableLength === 0) && canUseOwnBuffers(downstream);
            if (ownBuffers)
                useOwnBuffers(downstream, up.source, up.onRead);
            up.start(downstream, upstream, ownBuffers);
            // an adopted connection may have read already: it keeps Node's reads ('data')
            down.start(upstream, downstream, connected === undefined);
            this.stopPumping = () => {
                up.stop();
                down.stop();
            };
            this.flushPumps = () => {
                up.flush();
                down.flush();
            };
            downstream.resume();
        };
        if (connected === undefined)
            upstream.once('connect', open);
        else {
            connected.allowHalfOpen = true;
            connected.setNoDelay(true);
            open();
        }
        upstream.on('error', (err) => {
            if (this.current !== 'connecting')
                return this.fail('upstream', err);
            // held again first, then asked: whoever decides sees the connection as it now is
            this.abandonUpstream();
            if (this.hooks.connectFailed(this, err) === 'close')
                this.close();
        });
        upstream.once('close', () => this.sideClosed());
    }
    /** The PROXY header and the bytes read while held go first, then the client's end if it ended meanwhile. */
    passPreread(upstream, header) {
        const bytes = this.prereadBytes;
        if (bytes === 0 && header !== undefined)
            upstream.write(header);
        if (bytes > 0) {
            upstream.write(header === undefined ? this.preread : Buffer.concat([header, this.preread]));
            this.prereadChunks.length = 0;
            this.prereadBytes = 0;
            this.bytesUp += bytes;
            this.accounting.addUp(bytes);
        }
        if (this.endedWhileHeld)
            upstream.end();
    }
    header(version) {
        const d = this.downstream;
        return proxyHeader(version, { address: d.remoteAddress, port: d.remotePort }, { address: d.localAddress, port: d.localPort });
    }
    /**
     * Back to held, if nothing went through yet (upstream still connecting, or just connected
     * with no byte either way): it will be connected again later. False when it is past that.
     */
    requeue() {
        const untouched = this.current === 'open' && this.bytesUp === 0 && this.bytesDown === 0 &&
            performance.now() - this.openedAt < REQUEUE_WITHIN_MS;
        if (this.current !== 'connecting' && !untouched)
            return false;
        this.downstream.pause();
        this.stopPumping?.();
        this.stopPumping = undefined;
        this.abandonUpstream();
        return true;
    }
    abandonUpstream() {
        const upstream = this.upstream;
        if (upstream) {
            upstream.removeAllListeners();
            upstream.on('error', () => undefined);
            upstream.destroy();
        }
        this.upstream = undefined;
        this.move('requeue');
    }
    /**
     * Close both sides now (backend gone, shutdown). `reset` sends the client an RST instead
     * of a FIN, so that a client whose backend could not be started sees an error, not an
     * empty answer.
     */
    close(reset = false) {
        if (this.current === 'closed')
            return;
        if (reset && !this.downstream.destroyed)
            this.downstream.resetAndDestroy();
        else
            this.downstream.destroy();
        this.upstream?.destroy();
    }
    fail(side, err) {
        if (this.current === 'closed')
            return;
        this.hooks.error(this, side, err);
        this.close();
    }
    /** One side is fully closed (both directions done, or destroyed). */
    sideClosed() {
        if (this.current === 'closed')
            return;
        const upstream = this.upstream;
        if (this.downstream.destroyed && (upstream === undefined || upstream.destroyed)) {
            this.move('closed');
            this.stopPumping?.();
            this.stopPumping = undefined;
            this.accounting.close();
            this.hooks.released(this);
            return;
        }
        const survivor = this.downstream.destroyed ? upstream : this.downstream;
        if (this.current !== 'open') {
            survivor.destroy();
            return;
        }
        // The other side has nobody left to talk to: let it flush what it was sending, then go.
        if (survivor.writableFinished)
            survivor.destroy();
        else {
            survivor.once('finish', () => survivor.destroy());
            survivor.end();
        }
    }
}
export function describePeer(socket) {
    const { remoteAddress, remotePort } = socket;
    return remoteAddress === undefined ? 'local' : formatInet(remoteAddress, remotePort);
}
//# sourceMappingURL=tcp.js.map