// Stream connections the native addon accepts (native/accept.c) and, while the backend
// runs, relays whole (native/relay.c): no Node.js socket is made for them. An accepted
// client is an AcceptedSocket until the session decides: relayed (RelayedConnection), or a
// Node.js socket (toSocket()) for everything the addon does not do itself — holding,
// reading ahead, the starting page, a backend by host name. The PROXY protocol header is
// made here and written by the addon before any client byte.
//
//   connecting ──connected──▶ open ──closed──▶ closed
//       │                                         ▲
//       └─ connect failed / requeue: taken back ──┘  (as a held TcpConnection, ./tcp.ts)
//
// The phase is the addon's (it changes there, where the system calls are); JavaScript
// hears only what it must act on: connect failed, an error, the end, and the bytes, in sums
// at most every REPORT_MS (a short connection costs one call into JavaScript at its end).
import net from 'node:net';
import type { BackendAddress } from '../config/types.js';
import type { ClientAccounting } from './accounting.js';
import type { NativeRelay, RelayAddon } from './data-path.js';
import { errnoError } from '../native/addon.js';
import { BURST_BYTES } from './pipe.js';
import { NATIVE_BURST_BYTES, NATIVE_TURN_BYTES, REPORT_MS } from './splice-pipe.js';
import { formatInet } from '../util/format.js';
import { proxyHeader } from '../net/proxy-header.js';
import type { ErrorSide } from './tcp.js';
import { monotonicMs } from '../util/clock.js';

/** What native/relay.c reports. */
const BYTES = 0;
const CONNECT_FAILED = 1;
const ERROR = 2;
const CLOSED = 3;
/** Its phases. */
const CONNECTING = 0;
const OPEN = 1;

/** As ./tcp.ts: a connection that moved no byte yet and is this young may wait for the backend's restart. */
const REQUEUE_WITHIN_MS = 1000;

/** A connection the addon accepted, not yet relayed nor made a Node.js socket: admission sees its address. */
export class AcceptedSocket {
  private owned = true;

  constructor(
    readonly fd: number,
    readonly remoteAddress: string,
    readonly remotePort: number,
    readonly addon: RelayAddon,
  ) {}

  /** The descriptor, now someone else's to close. */
  take(): number {
    this.owned = false;
    return this.fd;
  }

  /** `proxy_protocol`'s header for this client (undefined when the socket has no local address any more: it is gone). */
  proxyHeader(version: 'v1' | 'v2'): Buffer | undefined {
    const local = this.addon.socketAddress(this.fd);
    if (local === undefined) return undefined;
    return proxyHeader(version, { address: this.remoteAddress, port: this.remotePort }, { address: local[0], port: local[1] });
  }

  /** A Node.js socket for it, not reading yet (as a net.Server with pauseOnConnect makes them). */
  toSocket(): net.Socket {
    return socketFromFd(this.take());
  }

  destroy(): void {
    if (this.owned) this.addon.closeSocket(this.take());
  }

  /** Closed with an RST: a refused client learns it was refused. */
  resetAndDestroy(): void {
    if (this.owned) this.addon.resetSocket(this.take());
  }
}

/** A Node.js socket for a connected TCP descriptor, not reading yet (as a net.Server with pauseOnConnect makes them). */
export function socketFromFd(fd: number): net.Socket {
  return new net.Socket({ fd, readable: true, writable: true, allowHalfOpen: true, pauseOnCreate: true } as net.SocketConstructorOpts);
}

/** Whether the addon can connect to `backend` itself (a numeric address or a unix socket; a host name is Node's to look up). */
export function relayable(backend: BackendAddress): boolean {
  return backend.kind === 'unix' || net.isIP(backend.host) !== 0;
}

export interface RelayHooks {
  /** The backend refused: the client is taken back (takeBack()) or closed by whoever hears this. */
  connectFailed(connection: RelayedConnection, error: NodeJS.ErrnoException): void;
  error(connection: RelayedConnection, side: ErrorSide, error: Error): void;
  /** Both sides are closed; called exactly once (not when the connection was taken back). */
  released(connection: RelayedConnection): void;
}

export class RelayedConnection {
  readonly kind = 'connection';
  readonly openedAt = monotonicMs();
  readonly peer: string;
  private readonly relay: NativeRelay;
  private ended = false;

  constructor(
    readonly socketName: string,
    accepted: AcceptedSocket,
    readonly backend: BackendAddress,
    private readonly hooks: RelayHooks,
    readonly accounting: ClientAccounting,
    /** `proxy_protocol`: the header the backend gets first. */
    header: Buffer | null = null,
  ) {
    this.peer = formatInet(accepted.remoteAddress, accepted.remotePort);
    const [host, port] = backend.kind === 'unix' ? [backend.path, 0] : [backend.host, backend.port];
    // throws (out of descriptors for the upstream socket, say) with the descriptor still `accepted`'s
    this.relay = new accepted.addon.Relay(accepted.fd, host, port, header, BURST_BYTES, NATIVE_BURST_BYTES, NATIVE_TURN_BYTES, REPORT_MS, this.report);
    accepted.take();
  }

  /** downstream → upstream, counted or not yet */
  get bytesUp(): number {
    return this.relay.up;
  }

  /** upstream → downstream */
  get bytesDown(): number {
    return this.relay.down;
  }

  get phase(): 'connecting' | 'open' | 'closed' {
    if (this.ended) return 'closed';
    const phase = this.relay.phase;
    return phase === CONNECTING ? 'connecting' : phase === OPEN ? 'open' : 'closed';
  }

  /** Bytes moved and not counted yet, counted now. */
  flushCounts(): void {
    if (!this.ended) this.relay.flush();
  }

  /**
   * The backend is going: the client's descriptor back, for it to wait for the restart, if
   * nothing went through yet (still connecting, or connected this young with no byte either
   * way); undefined when it is past that.
   */
  requeue(): number | undefined {
    const phase = this.relay.phase;
    const untouched = phase === OPEN && this.relay.up === 0 && this.relay.down === 0 && monotonicMs() - this.openedAt < REQUEUE_WITHIN_MS;
    if (this.ended || (phase !== CONNECTING && !untouched)) return undefined;
    return this.takeBack();
  }

  /** The client's descriptor back (the upstream side closed, nothing counted on it): whoever takes it owns it. -1 when closed. */
  takeBack(): number {
    if (this.ended) return -1;
    this.ended = true;
    return this.relay.detach();
  }

  /** Close both sides now (backend gone, shutdown, evicted); `reset`: an RST to the client. */
  close(reset = false): void {
    if (this.ended) return;
    this.relay.close(reset);
    this.release();
  }

  private release(): void {
    if (this.ended) return;
    this.ended = true;
    this.accounting.close();
    this.hooks.released(this);
  }

  private readonly report = (kind: number, a: number, b: number): void => {
    if (kind === BYTES || kind === CLOSED) {
      if (a > 0) this.accounting.addUp(a);
      if (b > 0) this.accounting.addDown(b);
      if (kind === CLOSED) this.release();
    } else if (kind === ERROR) {
      // a: the side (0 downstream, 1 upstream), plus 2 when it was a write to it that failed
      this.hooks.error(this, (a & 1) === 0 ? 'downstream' : 'upstream', errnoError(b, (a & 2) === 0 ? 'read' : 'write'));
    } else if (kind === CONNECT_FAILED) {
      this.hooks.connectFailed(this, errnoError(a, 'connect'));
    }
  };
}
