// The upstream side of one UDP flow (./udp-flow.ts): a datagram socket of its own,
// connected to the backend, and the backend's replies sent back to the client through the
// listening socket. Two ways to move them, chosen per process as for TCP (./data-path.ts):
//
// - native (native/udp.c): the addon owns the upstream socket and relays replies in batches
//   (recvmmsg, sendmmsg to the client's address), counted in sums at most every REPORT_MS.
//   The addon also reads the listening socket (startNativeReading, recvmmsg), and once a
//   flow is open with nothing queued (attach()), sends that client's datagrams up itself;
//   the others (new clients, held flows) come to JavaScript as from Node's own socket, and
//   go up through one synchronous send() each. Per datagram of an open flow, nothing runs
//   in JavaScript: no event, no Buffer, no send request, no address lookup.
// - js: a Node dgram socket; every reply is a 'message' event and a send on the listening
//   socket. The path when the addon is not built (or MRSOCKO_DATA_PATH=js), and for a flow
//   the addon cannot take (a scoped IPv6 client address, a backend given by name).
//
// Either way the flow sees the same events: connected (once, asynchronously), replies
// counted, datagrams dropped for want of room, and errors (ECONNREFUSED upstream: nothing is
// bound at the backend port any more).
import dgram from 'node:dgram';
import net from 'node:net';
import { dataPath, type DataPath, type NativeUdpReader, type NativeUdpRelay, type UdpRelayAddon } from './data-path.js';
import { errnoError } from '../native/addon.js';
import type { ErrorSide } from './tcp.js';

export interface UpstreamEvents {
  /** The socket is connected: datagrams may go up. Called once, never synchronously. */
  connected(): void;
  /** Replies went to the client: one at a time on the js path, in sums on the native one. */
  down(bytes: number, datagrams: number): void;
  /** The client's datagrams went up without JavaScript (native path, attached): in sums. */
  up(bytes: number, datagrams: number): void;
  /** Replies dropped: too many sends pending (js) or no room in the listening socket's send buffer (native). */
  dropped(datagrams: number, bytes: number): void;
  failed(side: ErrorSide, error: NodeJS.ErrnoException): void;
}

export interface FlowUpstream {
  /** One datagram to the backend; false when there is no room for it (it is dropped). */
  send(datagram: Buffer): boolean;
  /** The flow is open with nothing queued: the client's datagrams may go up without JavaScript (native path). */
  attach(): void;
  /** Count the replies relayed and not reported yet, now (native path; nothing to do on js). */
  flush(): void;
  /** Stop: no more events. Idempotent. */
  close(): void;
}

export interface UpstreamTarget {
  /** The backend: an IP address or name, and port. */
  readonly host: string;
  readonly port: number;
  /** The listening socket, and the client as it saw it (rinfo.address). */
  readonly downstream: dgram.Socket;
  readonly clientAddress: string;
  readonly clientPort: number;
  /** The addon's reading of the listening socket, when it reads it (startNativeReading). */
  readonly reader: NativeUdpReader | undefined;
}

/**
 * Past this many datagrams not yet handed to the kernel on one socket (Node queues sends
 * while a socket would block), new ones are dropped rather than buffered without bound.
 */
const MAX_PENDING_SENDS = 1024;

/**
 * How often replies that keep flowing are counted on the native path (the idle countdown and
 * `status` see them this late at most; the first after a quiet spell is counted at once;
 * expiry flushes before it decides). As ./splice-pipe.ts.
 */
const REPORT_MS = 100;

/** What native/udp.c reports. */
const DOWN = 0;
const DROPPED = 1;
const UPSTREAM_ERROR = 2;
const DOWNSTREAM_ERROR = 3;
const UP = 4;

const EAGAIN = 11;
const ENOBUFS = 105;

/** The upstream of one flow, native when the addon is there and can take it. */
export function openUpstream(target: UpstreamTarget, events: UpstreamEvents, path: DataPath = dataPath): FlowUpstream {
  const addon = path.name === 'native' ? udpRelayOf(path) : undefined;
  // the addon sends replies through its reader's descriptor of the listening socket
  if (addon !== undefined && target.reader !== undefined && net.isIP(target.host) !== 0) {
    try {
      return new NativeUpstream(addon, target.reader, target, events);
    } catch {
      // EINVAL (an address the addon cannot take), or EMFILE and the like, which the
      // dgram socket then reports as the flow's error the usual way
    }
  }
  return new JsUpstream(target, events);
}

/** How open UDP flows move on `path`, for `mrsocko check` and the start-up log (as describeDataPath for TCP). */
export function describeUdpDataPath(path: DataPath): string {
  if (path.name === 'native' && udpRelayOf(path) !== undefined) return `UDP data path: native (recvmmsg/sendmmsg batches in the addon): ${path.why}`;
  const why = path.name === 'native' ? 'the addon was built before it could move UDP; rebuild it with `npm run build:native`' : path.why;
  return `UDP data path: js (a Node.js socket per flow): ${why}`;
}

function udpRelayOf(path: DataPath): UdpRelayAddon | undefined {
  const addon = path.addon as Partial<UdpRelayAddon> | undefined;
  // an addon built before native/udp.c existed has none: the js path, until it is rebuilt
  return typeof addon?.UdpRelay === 'function' && typeof addon.UdpReader === 'function' ? (addon as UdpRelayAddon) : undefined;
}

interface DgramHandle {
  fd?: unknown;
  recvStart?: () => number;
  recvStop?: () => number;
}

/**
 * A bound dgram socket's handle. Node keeps it behind a symbol of its own (`_handle` is
 * deprecated there and warns); without it, the js path.
 */
function handleOf(socket: dgram.Socket): DgramHandle | undefined {
  const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  return state === undefined ? undefined : (socket as unknown as Record<symbol, { handle?: DgramHandle | null }>)[state]?.handle ?? undefined;
}

function fdOf(socket: dgram.Socket): number | undefined {
  const fd = handleOf(socket)?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * The addon reads the bound listening `socket` from now on, instead of Node: `deliver` gets
 * what no attached flow takes, as a 'message' would. If reading fails, `failed` hears why and
 * Node reads the socket again. Undefined (Node keeps reading) on the js path, or when the
 * socket's handle is not there to take over.
 */
export function startNativeReading(
  socket: dgram.Socket,
  deliver: (datagram: Buffer, address: string, port: number) => void,
  failed: (error: NodeJS.ErrnoException) => void,
  path: DataPath = dataPath,
): NativeUdpReader | undefined {
  const addon = path.name === 'native' ? udpRelayOf(path) : undefined;
  const handle = handleOf(socket);
  const fd = fdOf(socket);
  if (addon === undefined || fd === undefined || typeof handle?.recvStop !== 'function' || typeof handle.recvStart !== 'function') return undefined;
  let reader: NativeUdpReader | undefined;
  try {
    reader = new addon.UdpReader(fd, (datagram, address, port) => {
      if (datagram !== null) {
        deliver(datagram, address as string, port);
        return;
      }
      reader?.close();
      handle.recvStart?.call(handle);
      failed(errnoError(address as number, 'recvmmsg'));
    });
  } catch {
    return undefined;
  }
  // Node stops its own reading; datagrams it read before are delivered by it as usual
  if (handle.recvStop.call(handle) !== 0) {
    reader.close();
    return undefined;
  }
  return reader;
}

class NativeUpstream implements FlowUpstream {
  private readonly relay: NativeUdpRelay;
  private closed = false;

  constructor(
    addon: UdpRelayAddon,
    private readonly reader: NativeUdpReader,
    target: UpstreamTarget,
    private readonly events: UpstreamEvents,
  ) {
    this.relay = new addon.UdpRelay(reader, target.clientAddress, target.clientPort, target.host, target.port, REPORT_MS, (kind, a, b) => this.report(kind, a, b));
    // connect() on a datagram socket only sets the address: it is done already, but the
    // flow hears of it in a later turn, as from a dgram socket
    setImmediate(() => {
      if (!this.closed) this.events.connected();
    });
  }

  send(datagram: Buffer): boolean {
    const errno = this.relay.send(datagram);
    if (errno === 0) return true;
    if (errno === EAGAIN || errno === ENOBUFS) return false;
    // ECONNREFUSED from an earlier datagram, and the like: reported as a dgram socket
    // would, in a later turn, so the caller finishes its own bookkeeping first
    setImmediate(() => {
      if (!this.closed) this.events.failed('upstream', errnoError(errno, 'send'));
    });
    return true;
  }

  attach(): void {
    if (!this.closed) this.relay.attach(this.reader);
  }

  flush(): void {
    if (!this.closed) this.relay.flush();
  }

  close(): void {
    if (this.closed) return;
    this.relay.close(); // reports what it counted last
    this.closed = true;
  }

  private report(kind: number, a: number, b: number): void {
    if (this.closed) return;
    if (kind === DOWN) this.events.down(a, b);
    else if (kind === UP) this.events.up(a, b);
    else if (kind === DROPPED) this.events.dropped(a, b);
    else if (kind === UPSTREAM_ERROR) this.events.failed('upstream', errnoError(a, 'recvmmsg'));
    else if (kind === DOWNSTREAM_ERROR) this.events.failed('downstream', errnoError(a, 'sendmmsg'));
  }
}

class JsUpstream implements FlowUpstream {
  private readonly socket: dgram.Socket;
  private open = false;
  private closed = false;
  /** One callback for every reply sent downstream (none allocated per datagram). */
  private readonly replySent: (error: Error | null) => void;

  constructor(private readonly target: UpstreamTarget, private readonly events: UpstreamEvents) {
    this.replySent = (error) => {
      if (error && !this.closed) this.events.failed('downstream', error);
    };
    const socket = dgram.createSocket(net.isIPv6(target.host) ? 'udp6' : 'udp4');
    this.socket = socket;
    socket.on('message', (reply: Buffer) => this.reply(reply));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!this.closed) this.events.failed('upstream', err);
    });
    socket.connect(target.port, target.host, () => {
      if (this.closed) return;
      this.open = true;
      this.events.connected();
    });
  }

  send(datagram: Buffer): boolean {
    if (this.socket.getSendQueueCount() >= MAX_PENDING_SENDS) return false;
    // No callback: a failed send is an 'error' event on the socket.
    this.socket.send(datagram);
    return true;
  }

  attach(): void {
    // Node reads the listening socket: every datagram comes through the flow
  }

  flush(): void {
    // every reply is counted as it goes
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }

  private reply(reply: Buffer): void {
    if (!this.open || this.closed) return;
    const { downstream, clientPort, clientAddress } = this.target;
    if (downstream.getSendQueueCount() >= MAX_PENDING_SENDS) {
      this.events.dropped(1, reply.length);
      return;
    }
    downstream.send(reply, clientPort, clientAddress, this.replySent);
    this.events.down(reply.length, 1);
  }
}
