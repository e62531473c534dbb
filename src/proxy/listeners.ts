// The listening side: adopt the sockets systemd passed (matched to `[socket.NAME]` by
// address and type, then by a FileDescriptorName no other fd has, then — one and one — as
// the only pair), or, in standalone mode, bind the `listen` addresses. Either way the
// result is one net.Server per TCP socket section, not yet accepting until the caller
// attaches its handler, and one bound dgram socket per UDP section, whose handlers the
// caller attaches before it is bound (so the datagram that woke mrsocko is not lost).
// Where the native addon relays connections (./relay.ts), it accepts on a TCP socket
// itself, from the moment Node.js has it listening: the connection that woke mrsocko is
// already the addon's.
import net from 'node:net';
import dgram from 'node:dgram';
import fs from 'node:fs';
import type { Config, ListenAddress, Protocol, SocketConfig } from '../config/types.js';
import { ConfigError, MrsockoError } from '../errors.js';
import { readListenFds, UNKNOWN_FD_NAME, type Env, type ListenFd } from '../systemd/listen-fds.js';
import { formatInet } from '../util/format.js';
import { inspectSocketFd, protocolMismatch, type SocketInfo } from '../systemd/socket-info.js';
import type { NativeAcceptor, RelayAddon } from './data-path.js';
import { AcceptedSocket } from './relay.js';
import { errnoError } from '../native/addon.js';

export interface Listener {
  readonly config: SocketConfig;
  readonly server: net.Server;
  /** Where it listens, for logs ("127.0.0.1:8080", "[::]:8096", "/run/x.sock"); set once bound. */
  address: string;
  readonly adopted: boolean;
  readonly backlog?: number | undefined;
  /** Set when the addon accepts on it (Node's server is closed then; the addon has its own descriptor of the socket). */
  acceptor?: NativeAcceptor;
}

/** Accept nothing more, now: connections not accepted yet stay queued in the socket (systemd's copy, when adopted). */
export function stopAccepting(listener: Listener): void {
  listener.acceptor?.close();
  listener.server.close();
}

/** What openListeners tells its caller. */
export interface ListenerHandlers {
  /** A new TCP or unix connection, not read yet: a paused Node.js socket, or one the addon accepted. */
  connection(listener: Listener, socket: net.Socket | AcceptedSocket): void;
  /**
   * Called for each UDP section's socket before it is bound: attach the 'message' and
   * 'error' handlers there. Without it, UDP sections are left alone (neither adopted nor bound).
   */
  datagramSocket?(listener: DatagramListener): void;
  /** Accepting failed (out of descriptors): the addon waits a moment and goes on. */
  acceptError?(listener: Listener, error: Error): void;
  /** The addon, to accept on TCP sockets itself; Node.js accepts without it. */
  relay?: RelayAddon | undefined;
}

/** A bound datagram socket for a `protocol = udp` section. */
export interface DatagramListener {
  readonly config: SocketConfig;
  readonly socket: dgram.Socket;
  /** Where it is bound, for logs ("127.0.0.1:53", "[::]:7359"); set once bound. */
  address: string;
  readonly adopted: boolean;
  /** The socket's family: `[::]` sockets (dual-stack) are inet6, and IPv4 clients on them appear as ::ffff:a.b.c.d. */
  readonly family: 'inet' | 'inet6';
}

/** With no known backlog, ask for the most: the kernel clamps it to net.core.somaxconn, as systemd's default does. */
const MAX_BACKLOG = 2 ** 31 - 1;
/** Standalone sockets: the same as systemd's default Backlog= once clamped. */
const STANDALONE_BACKLOG = MAX_BACKLOG;

export interface OpenListenersResult {
  listeners: Listener[];
  /** UDP sections; empty when openListeners() was given no onDatagramSocket. */
  datagram: DatagramListener[];
  mode: 'socket-activated' | 'standalone';
  /** Things worth a log line (ignored variables, unused fds). */
  notes: string[];
  /** Socket-activated: the fd systemd passed for each `reserved` socket, in order. Standalone: undefined (the owner binds them). */
  reserved?: Array<{ fd: number; info: SocketInfo }>;
}

/**
 * A socket of the instance that is not a [socket.NAME] section (the knock ports): under
 * systemd its fd is matched by address and type before the sections are, and handed
 * back; it is never proxied.
 */
export interface ReservedSocket {
  readonly listen: ListenAddress;
  readonly protocol: Protocol;
  /** Where the config asks for it, for the error when systemd did not pass it. */
  readonly section: string;
  readonly key: string;
  readonly line: number;
}

export async function openListeners(
  config: Config,
  env: Env,
  pid: number,
  handlers: ListenerHandlers,
  reservedSockets: readonly ReservedSocket[] = [],
): Promise<OpenListenersResult> {
  const onDatagramSocket = handlers.datagramSocket;
  const passed = readListenFds(env, pid);
  const notes: string[] = passed.ignored ? [passed.ignored] : [];
  const tcpSockets = config.sockets.filter((s) => s.protocol === 'tcp');
  const udpSockets = onDatagramSocket ? config.sockets.filter((s) => s.protocol === 'udp') : [];
  const listeners: Listener[] = [];
  const datagram: DatagramListener[] = [];
  const makeDatagram = (sc: SocketConfig, family: 'inet' | 'inet6', info: SocketInfo | undefined): DatagramListener => {
    // The type must match the socket's real family: a [::] socket adopted as udp4
    // receives, but every reply fails with EINVAL (shared/NOTES.md).
    const socket = dgram.createSocket({ type: family === 'inet6' ? 'udp6' : 'udp4', ipv6Only: false });
    const listener: DatagramListener = {
      config: sc,
      socket,
      address: info?.local ?? sc.listen.text,
      adopted: info !== undefined,
      family,
    };
    datagram.push(listener);
    onDatagramSocket?.(listener);
    return listener;
  };
  const make = (sc: SocketConfig, info: SocketInfo | undefined): Listener => {
    const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true });
    const listener: Listener = {
      config: sc,
      server,
      address: info?.local ?? sc.listen.text,
      adopted: info !== undefined,
      backlog: info?.backlog,
    };
    server.on('connection', (socket) => handlers.connection(listener, socket));
    return listener;
  };
  // Synchronously after Node.js listens (no turn of the loop in between, so Node accepts nothing).
  const acceptNatively = (listener: Listener): void => {
    const addon = handlers.relay;
    const fd = (listener.server as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
    // a unix socket's address is its path: those stay with Node.js
    if (addon === undefined || typeof listener.server.address() !== 'object' || typeof fd !== 'number' || fd < 0) return;
    listener.acceptor = new addon.Acceptor(fd, (accepted, address, port) => {
      if (accepted >= 0) handlers.connection(listener, new AcceptedSocket(accepted, address ?? '', port, addon));
      else handlers.acceptError?.(listener, errnoError(-accepted, 'accept'));
    });
    listener.server.close();
  };
  try {
    if (passed.fds.length > 0) {
      const { reserved, rest } = takeReserved(config, passed.fds, reservedSockets);
      const pairs = matchFds(config, rest, notes);
      for (const { socket: sc, fd, info } of pairs) {
        if (sc.protocol === 'udp') {
          if (!onDatagramSocket) continue;
          const listener = makeDatagram(sc, info.family === 'inet6' ? 'inet6' : 'inet', info);
          try {
            await bindDatagram(listener, { fd });
            raiseReceiveBuffer(listener.socket);
          } catch (err) {
            throw new MrsockoError('MRSOCKO_SOCKET', `socket ${sc.name}: cannot adopt fd ${fd} (${info.local}): ${(err as Error).message}`, { cause: err });
          }
          continue;
        }
        const listener = make(sc, info);
        listeners.push(listener);
        // Node calls listen() again on the fd; pass systemd's backlog so Backlog= is kept.
        await listen(listener.server, (cb) => listener.server.listen({ fd }, info.backlog ?? MAX_BACKLOG, cb));
        acceptNatively(listener);
      }
      return { listeners, datagram, mode: 'socket-activated', notes, reserved };
    }
    for (const sc of tcpSockets) {
      const listener = make(sc, undefined);
      listeners.push(listener);
      await bindStandalone(listener.server, sc);
      const bound = listener.server.address();
      if (bound && typeof bound === 'object' && sc.listen.kind === 'inet') {
        listener.address = formatInet(bound.address, bound.port);
      }
      acceptNatively(listener);
    }
    for (const sc of udpSockets) {
      if (sc.listen.kind !== 'inet') throw new Error(`udp socket ${sc.name}: ${sc.listen.text} is not an IP address`); // load.ts refuses it
      const { host, port } = sc.listen;
      const listener = makeDatagram(sc, sc.listen.family === 6 ? 'inet6' : 'inet', undefined);
      try {
        await bindDatagram(listener, { address: host, port, exclusive: true });
        raiseReceiveBuffer(listener.socket);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        const why = e.code === 'EADDRINUSE' ? 'address already in use' : e.code === 'EACCES' ? 'permission denied' : e.message;
        throw new MrsockoError('MRSOCKO_SOCKET', `socket ${sc.name}: cannot bind udp ${sc.listen.text}: ${why}`, { cause: err });
      }
      const bound = listener.socket.address();
      listener.address = formatInet(bound.address, bound.port);
    }
    return { listeners, datagram, mode: 'standalone', notes };
  } catch (err) {
    for (const l of listeners) stopAccepting(l);
    for (const d of datagram) closeQuietly(d.socket);
    throw err;
  }
}

interface Pair {
  socket: SocketConfig;
  fd: number;
  info: SocketInfo;
}

/** The fds of the reserved sockets, by address and type only; the rest go to matchFds. */
function takeReserved(
  config: Config,
  fds: readonly ListenFd[],
  reserved: readonly ReservedSocket[],
): { reserved: Array<{ fd: number; info: SocketInfo }>; rest: ListenFd[] } {
  if (reserved.length === 0) return { reserved: [], rest: [...fds] };
  const inspected = fds.map((f) => ({ f, info: inspectSocketFd(f.fd) }));
  const used = new Set<number>();
  const found = reserved.map((r) => {
    const type = r.protocol === 'tcp' ? 'stream' : 'dgram';
    const match = inspected.find((i) => !used.has(i.f.fd) && i.info.type === type && sameAddress(r.listen, i.info.local));
    if (match === undefined) {
      throw new ConfigError(
        { file: config.file, line: r.line, section: r.section, key: r.key },
        `systemd passed no ${r.protocol} socket for ${r.listen.text}; add ` +
          `${r.protocol === 'tcp' ? 'ListenStream' : 'ListenDatagram'}=${r.listen.text} to the socket unit (mrsocko gen-unit does)`,
      );
    }
    used.add(match.f.fd);
    return { fd: match.f.fd, info: match.info };
  });
  return { reserved: found, rest: fds.filter((f) => !used.has(f.fd)) };
}

function matchFds(config: Config, fds: readonly ListenFd[], notes: string[]): Pair[] {
  const inspected = fds.map((f) => ({ ...f, info: inspectSocketFd(f.fd) }));
  const unmatched = new Set(inspected);
  const pairs: Pair[] = [];
  const take = (sc: SocketConfig, f: (typeof inspected)[number]): void => {
    unmatched.delete(f);
    pairs.push({ socket: sc, fd: f.fd, info: f.info });
  };
  // By address first: systemd gives every fd of one socket unit the same
  // FileDescriptorName= (the last one set), so names only tell sockets of different units apart.
  const remaining: SocketConfig[] = [];
  for (const sc of config.sockets) {
    // TCP and UDP may share an address and port (DNS on 53/tcp and 53/udp): match the type too.
    const byAddress = inspected.find(
      (f) => unmatched.has(f) && f.info.type === socketTypeFor(sc) && sameAddress(sc.listen, f.info.local),
    );
    if (byAddress) take(sc, byAddress);
    else remaining.push(sc);
  }
  for (const sc of [...remaining]) {
    let named = [...unmatched].filter((f) => f.name === sc.name);
    // One socket unit gives all its fds the same name: prefer the one of the right type.
    if (named.length > 1) named = named.filter((f) => f.info.type === socketTypeFor(sc));
    if (named.length === 1) {
      take(sc, named[0] as (typeof inspected)[number]);
      remaining.splice(remaining.indexOf(sc), 1);
    }
  }
  if (remaining.length === 1 && unmatched.size === 1) {
    take(remaining[0] as SocketConfig, [...unmatched][0] as (typeof inspected)[number]);
    remaining.length = 0;
  }
  if (remaining.length > 0) {
    const names = fds.map((f) => `fd ${f.fd} "${f.name}"`).join(', ');
    const sc = remaining[0] as SocketConfig;
    throw new ConfigError(
      { file: config.file, line: sc.line, section: `socket.${sc.name}` },
      `systemd passed no socket for this section (passed: ${names}); ` +
        `set FileDescriptorName=${sc.name} in the socket unit (mrsocko gen-unit does)`,
    );
  }
  for (const f of unmatched) {
    notes.push(`fd ${f.fd} (${f.name === UNKNOWN_FD_NAME ? 'unnamed' : `"${f.name}"`}, ${f.info.local}) matches no [socket.NAME] section; not used`);
  }
  for (const { socket: sc, fd, info } of pairs) checkType(config, sc, fd, info);
  return pairs;
}

function socketTypeFor(sc: SocketConfig): 'stream' | 'dgram' {
  return sc.protocol === 'tcp' ? 'stream' : 'dgram';
}

function checkType(config: Config, sc: SocketConfig, fd: number, info: SocketInfo): void {
  const wanted = socketTypeFor(sc);
  const problem =
    info.type !== wanted
      ? `${sc.protocol} needs a ${wanted} socket, but systemd passed a ${info.type} socket (fd ${fd}, ${info.local}); ` +
        `use ${sc.protocol === 'tcp' ? 'ListenStream=' : 'ListenDatagram='} for it or change protocol`
      : sc.protocol === 'udp' && info.family === 'unix'
        ? `unix datagram sockets are not supported (fd ${fd}, ${info.local})`
        // A socket unit with Accept=yes passes one connection, not the listening socket:
        // Node's listen() on it fails with a bare EINVAL.
        : sc.protocol === 'tcp' && !info.listening
          ? protocolMismatch(info, 'tcp')
          : undefined;
  if (problem) throw new ConfigError({ file: config.file, line: sc.line, section: `socket.${sc.name}`, key: 'protocol' }, problem);
}

function sameAddress(listen: ListenAddress, local: string): boolean {
  if (listen.kind === 'unix') return listen.path === local;
  return formatInet(listen.host, listen.port) === local;
}


function listen(server: net.Server, start: (onListening: () => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    start(() => {
      server.off('error', reject);
      resolve();
    });
  });
}

function bindDatagram(listener: DatagramListener, options: dgram.BindOptions): Promise<void> {
  const { socket } = listener;
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      socket.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      socket.off('error', onError);
      resolve();
    };
    socket.once('error', onError);
    socket.once('listening', onListening);
    socket.bind(options);
  });
}

/**
 * What a UDP listening socket asks for as its receive buffer. While the backend starts,
 * mrsocko is busy (spawning it, logging) and clients keep sending; the kernel's default
 * (208 KiB) holds only about 256 small datagrams. SO_RCVBUF is capped at net.core.rmem_max
 * (Debian's default is that same 208 KiB; raise it, or set ReceiveBuffer= in the socket
 * unit, which systemd forces past the cap). A buffer already larger is left alone.
 */
const UDP_RECEIVE_BUFFER = 4 * 1024 * 1024;

function raiseReceiveBuffer(socket: dgram.Socket): void {
  try {
    // The kernel keeps twice what is asked for, after capping the request at rmem_max; a
    // larger buffer (systemd's ReceiveBuffer= may force one) would shrink, so leave it.
    const rmemMax = Number(fs.readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
    const wouldGet = 2 * Math.min(UDP_RECEIVE_BUFFER, Number.isFinite(rmemMax) ? rmemMax : 0);
    if (wouldGet > socket.getRecvBufferSize()) socket.setRecvBufferSize(UDP_RECEIVE_BUFFER);
  } catch {
    // not fatal: the default buffer still works, with less room for bursts
  }
}

function closeQuietly(socket: dgram.Socket): void {
  try {
    socket.close();
  } catch {
    // not bound or already closed
  }
}

async function bindStandalone(server: net.Server, sc: SocketConfig): Promise<void> {
  const { listen: address } = sc;
  try {
    if (address.kind === 'unix') {
      await removeStaleUnixSocket(address.path);
      await listen(server, (cb) => server.listen({ path: address.path, backlog: STANDALONE_BACKLOG }, cb));
    } else {
      await listen(server, (cb) =>
        server.listen({ host: address.host, port: address.port, ipv6Only: false, backlog: STANDALONE_BACKLOG }, cb),
      );
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EADDRINUSE' ? 'address already in use' : e.code === 'EACCES' ? 'permission denied' : e.message;
    throw new MrsockoError('MRSOCKO_SOCKET', `socket ${sc.name}: cannot listen on ${address.text}: ${why}`, { cause: err });
  }
}

/** A socket file left by a crashed run blocks bind(); remove it only if nobody answers on it. */
async function removeStaleUnixSocket(path: string): Promise<void> {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(path);
  } catch {
    return;
  }
  if (!stat.isSocket()) return; // not ours to remove: bind() will report EADDRINUSE
  const alive = await new Promise<boolean>((resolve) => {
    const probe = net.connect({ path }, () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (!alive) fs.unlinkSync(path);
}
