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
import type { BackendAddress, ProxyProtocol } from '../config/types.js';
import { connectOptions } from '../backend/readiness.js';
import type { ClientAccounting } from './accounting.js';
import { createPipe } from './splice-pipe.js';
import { canUseOwnBuffers, useOwnBuffers, type ReadBuffers } from './read-buffers.js';
import { formatInet } from '../util/format.js';
import { proxyHeader } from '../net/proxy-header.js';
import { monotonicMs } from '../util/clock.js';

export type ConnectionPhase = 'held' | 'connecting' | 'open' | 'answered' | 'closed';
export type ConnectionEvent = 'connect' | 'connected' | 'requeue' | 'answer' | 'closed';

/** The whole state machine: the phase after `event`, or none where the event does not apply. */
export const CONNECTION_TRANSITIONS: Readonly<Record<ConnectionPhase, Partial<Record<ConnectionEvent, ConnectionPhase>>>> = {
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

export interface ConnectionHooks {
  /** The phase changed (from `from` to `connection.phase`). */
  moved(connection: TcpConnection, from: ConnectionPhase): void;
  /**
   * The upstream connection could not be made; the connection is `held` again already
   * (still unread). 'hold' keeps it waiting for a later connect(); 'close' closes it.
   */
  connectFailed(connection: TcpConnection, error: NodeJS.ErrnoException): 'hold' | 'close';
  error(connection: TcpConnection, side: ErrorSide, error: Error): void;
  /** Both sides are closed; called exactly once. */
  released(connection: TcpConnection): void;
}

/**
 * Which side an error came from, as the log line says it to users: `client` is the
 * downstream socket, `backend` the upstream one.
 */
/** Which side of a connection or flow failed: downstream (the client) or upstream (the backend). */
export type ErrorSide = 'downstream' | 'upstream';

/** Told of each read while held (`chunk`: the bytes just read), and of the client's end (no chunk). */
export type PrereadReader = (connection: TcpConnection, chunk?: Buffer) => void;

export class TcpConnection {
  readonly kind = 'connection';
  private current: ConnectionPhase = 'held';
  /** downstream → upstream */
  bytesUp = 0;
  /** upstream → downstream */
  bytesDown = 0;
  readonly openedAt = monotonicMs();
  readonly peer: string;
  private upstream: net.Socket | undefined;
  private stopPumping: (() => void) | undefined;
  /** What the client sent while held (readWhileHeld()), in order; it goes upstream first. */
  private readonly prereadChunks: Buffer[] = [];
  /** Bytes in prereadChunks. */
  prereadBytes = 0;
  /** The client ended its side (FIN) while held: passed on after `preread`. */
  private endedWhileHeld = false;
  /** It was read through Node's own reads: its bytes still buffered there come after `preread`. */
  private readAhead = false;
  private prereadLimit = 0;
  private readonly prereadReaders: PrereadReader[] = [];
  private stopReadingAhead: (() => void) | undefined;
  private flushPumps: (() => void) | undefined;

  constructor(
    readonly socketName: string,
    readonly downstream: net.Socket,
    readonly backend: BackendAddress,
    private readonly hooks: ConnectionHooks,
    /** The client's accounting (bytes per chunk, the hot path); closed on release. */
    readonly accounting: ClientAccounting,
    /** Where the bytes of every connection of this daemon are read into. */
    private readonly buffers: ReadBuffers,
    /** `proxy_protocol`: the header every upstream connection of this client starts with. */
    private readonly proxyProtocol: ProxyProtocol = 'off',
  ) {
    this.peer = describePeer(downstream);
    downstream.on('error', (err) => this.fail('downstream', err));
    downstream.once('close', () => this.sideClosed());
  }

  get phase(): ConnectionPhase {
    return this.current;
  }

  /** The one place the phase changes. False (and nothing changes) where `event` does not apply. */
  private move(event: ConnectionEvent): boolean {
    const from = this.current;
    const to = CONNECTION_TRANSITIONS[from][event];
    if (to === undefined) return false;
    this.current = to;
    this.hooks.moved(this, from);
    return true;
  }

  /** What the client sent while held, so far (one Buffer; empty when nothing). */
  get preread(): Buffer {
    if (this.prereadChunks.length > 1) this.prereadChunks.splice(0, this.prereadChunks.length, Buffer.concat(this.prereadChunks));
    return this.prereadChunks[0] ?? Buffer.alloc(0);
  }

  /** Whether the client ended its side while held (it will send nothing more). */
  get clientEnded(): boolean {
    return this.endedWhileHeld;
  }

  /**
   * While held, read what the client sends, up to `limit` bytes (then reading pauses and
   * the kernel's window holds the client back): `read` is told after each read (with the
   * bytes just read) and at the client's end (with none). Everything read is kept in `preread` and passed on at release, intact.
   * Reading stops at release. Only while held. Several features may each ask (the starting
   * page, wake on data): all are told, and the largest limit holds.
   */
  readWhileHeld(limit: number, read: PrereadReader): void {
    if (this.current !== 'held') return;
    this.prereadLimit = Math.max(this.prereadLimit, limit);
    this.prereadReaders.push(read);
    if (this.readAhead) return;
    this.readAhead = true;
    const downstream = this.downstream;
    const tell = (chunk?: Buffer): void => {
      for (const reader of this.prereadReaders) reader(this, chunk);
    };
    const onData = (chunk: Buffer): void => {
      this.prereadChunks.push(chunk);
      this.prereadBytes += chunk.length;
      // a read is up to 64 KiB, so the bound is passed by at most one read
      if (this.prereadBytes >= this.prereadLimit) downstream.pause();
      tell(chunk);
    };
    const onEnd = (): void => {
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
  answer(response: Buffer): void {
    if (!this.move('answer')) return;
    this.stopReadingAhead?.();
    const downstream = this.downstream;
    downstream.on('data', () => undefined);
    downstream.once('end', () => downstream.destroy());
    downstream.end(response);
    downstream.resume();
    setTimeout(() => downstream.destroy(), ANSWERED_LINGER_MS).unref();
  }

  /** The waiting room's way to serve it (WaitingClient). */
  release(ready?: net.Socket): void {
    this.connect(ready);
  }

  /** The waiting room's way to give up on it: an RST, the backend did not come up. */
  abandon(): void {
    this.close(true);
  }

  /** Bytes moved and not counted yet (the native data path counts at most every REPORT_MS), counted now. */
  flushCounts(): void {
    this.flushPumps?.();
  }

  /**
   * The backend accepts connections: connect through and start pumping. `ready` is a
   * connection to the backend made already (the readiness probe's), used instead of a new one.
   */
  connect(ready?: net.Socket): void {
    if (!this.move('connect')) {
      ready?.destroy();
      return;
    }
    this.stopReadingAhead?.();
    // one the backend closed meanwhile (it may wait for a slower UDP probe) is not used
    const connected = ready !== undefined && !ready.destroyed && ready.writable ? ready : undefined;
    if (connected === undefined) ready?.destroy();
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
    const open = (): void => {
      if (!this.move('connected')) return;
      const downstream = this.downstream;
      downstream.setNoDelay(true);
      // Before any client byte, the pipes start only after it. Written once connected (a
      // connection that fails is held again with its preread intact, and the next one gets
      // its own header), in one write with what the client sent while held.
      this.passPreread(upstream, this.proxyProtocol === 'off' ? undefined : this.header(this.proxyProtocol));
      // one that read ahead may have more in Node's buffer: Node's reads deliver that, in order
      const ownBuffers = (!this.readAhead || downstream.readableLength === 0) && canUseOwnBuffers(downstream);
      if (ownBuffers) useOwnBuffers(downstream, up.source, up.onRead);
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
    if (connected === undefined) upstream.once('connect', open);
    else {
      connected.allowHalfOpen = true;
      connected.setNoDelay(true);
      open();
    }
    upstream.on('error', (err) => {
      if (this.current !== 'connecting') return this.fail('upstream', err);
      // held again first, then asked: whoever decides sees the connection as it now is
      this.abandonUpstream();
      if (this.hooks.connectFailed(this, err) === 'close') this.close();
    });
    upstream.once('close', () => this.sideClosed());
  }

  /** The PROXY header and the bytes read while held go first, then the client's end if it ended meanwhile. */
  private passPreread(upstream: net.Socket, header: Buffer | undefined): void {
    const bytes = this.prereadBytes;
    if (bytes === 0 && header !== undefined) upstream.write(header);
    if (bytes > 0) {
      upstream.write(header === undefined ? this.preread : Buffer.concat([header, this.preread]));
      this.prereadChunks.length = 0;
      this.prereadBytes = 0;
      this.bytesUp += bytes;
      this.accounting.addUp(bytes);
    }
    if (this.endedWhileHeld) upstream.end();
  }

  private header(version: 'v1' | 'v2'): Buffer {
    const d = this.downstream;
    return proxyHeader(version, { address: d.remoteAddress, port: d.remotePort }, { address: d.localAddress, port: d.localPort });
  }

  /**
   * Back to held, if nothing went through yet (upstream still connecting, or just connected
   * with no byte either way): it will be connected again later. False when it is past that.
   */
  requeue(): boolean {
    const untouched = this.current === 'open' && this.bytesUp === 0 && this.bytesDown === 0 &&
      monotonicMs() - this.openedAt < REQUEUE_WITHIN_MS;
    if (this.current !== 'connecting' && !untouched) return false;
    this.downstream.pause();
    this.stopPumping?.();
    this.stopPumping = undefined;
    this.abandonUpstream();
    return true;
  }

  private abandonUpstream(): void {
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
  close(reset = false): void {
    if (this.current === 'closed') return;
    if (reset && !this.downstream.destroyed) this.downstream.resetAndDestroy();
    else this.downstream.destroy();
    this.upstream?.destroy();
  }

  private fail(side: ErrorSide, err: Error): void {
    if (this.current === 'closed') return;
    this.hooks.error(this, side, err);
    this.close();
  }

  /** One side is fully closed (both directions done, or destroyed). */
  private sideClosed(): void {
    if (this.current === 'closed') return;
    const upstream = this.upstream;
    if (this.downstream.destroyed && (upstream === undefined || upstream.destroyed)) {
      this.move('closed');
      this.stopPumping?.();
      this.stopPumping = undefined;
      this.accounting.close();
      this.hooks.released(this);
      return;
    }
    const survivor = this.downstream.destroyed ? (upstream as net.Socket) : this.downstream;
    if (this.current !== 'open') {
      survivor.destroy();
      return;
    }
    // The other side has nobody left to talk to: let it flush what it was sending, then go.
    if (survivor.writableFinished) survivor.destroy();
    else {
      survivor.once('finish', () => survivor.destroy());
      survivor.end();
    }
  }
}

export function describePeer(socket: Pick<net.Socket, 'remoteAddress' | 'remotePort'>): string {
  const { remoteAddress, remotePort } = socket;
  return remoteAddress === undefined ? 'local' : formatInet(remoteAddress, remotePort);
}
