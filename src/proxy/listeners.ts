// The listening side: adopt the sockets systemd passed (matched to `[socket.NAME]` by
// address, then by a FileDescriptorName no other fd has, then — one and one — as the only
// pair), or, in
// standalone mode, bind the `listen` addresses. Either way the result is one net.Server
// per TCP socket section, not yet accepting until the caller attaches its handler.
import net from 'node:net';
import fs from 'node:fs';
import type { Config, ListenAddress, SocketConfig } from '../config/types.js';
import { ConfigError, MrsockoError } from '../errors.js';
import { readListenFds, UNKNOWN_FD_NAME, type Env, type ListenFd } from '../systemd/listen-fds.js';
import { inspectSocketFd, type SocketInfo } from '../systemd/socket-info.js';

export interface Listener {
  readonly config: SocketConfig;
  readonly server: net.Server;
  /** Where it listens, for logs ("127.0.0.1:8080", "[::]:8096", "/run/x.sock"); set once bound. */
  address: string;
  readonly adopted: boolean;
  readonly backlog?: number | undefined;
}

/** With no known backlog, ask for the most: the kernel clamps it to net.core.somaxconn, as systemd's default does. */
const MAX_BACKLOG = 2 ** 31 - 1;
/** Standalone sockets: the same as systemd's default Backlog= once clamped. */
const STANDALONE_BACKLOG = MAX_BACKLOG;

export interface OpenListenersResult {
  listeners: Listener[];
  mode: 'socket-activated' | 'standalone';
  /** Things worth a log line (ignored variables, unused fds). */
  notes: string[];
}

export async function openListeners(
  config: Config,
  env: Env,
  pid: number,
  onConnection: (listener: Listener, socket: net.Socket) => void,
): Promise<OpenListenersResult> {
  const passed = readListenFds(env, pid);
  const notes: string[] = passed.ignored ? [passed.ignored] : [];
  const tcpSockets = config.sockets.filter((s) => s.protocol === 'tcp');
  const listeners: Listener[] = [];
  const make = (sc: SocketConfig, info: SocketInfo | undefined): Listener => {
    const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true });
    const listener: Listener = {
      config: sc,
      server,
      address: info?.local ?? sc.listen.text,
      adopted: info !== undefined,
      backlog: info?.backlog,
    };
    server.on('connection', (socket) => onConnection(listener, socket));
    return listener;
  };
  try {
    if (passed.fds.length > 0) {
      const pairs = matchFds(config, passed.fds, notes);
      for (const { socket: sc, fd, info } of pairs) {
        if (sc.protocol !== 'tcp') continue; // datagram sockets are handled by the UDP proxy
        const listener = make(sc, info);
        listeners.push(listener);
        // Node calls listen() again on the fd; pass systemd's backlog so Backlog= is kept.
        await listen(listener.server, (cb) => listener.server.listen({ fd }, info.backlog ?? MAX_BACKLOG, cb));
      }
      return { listeners, mode: 'socket-activated', notes };
    }
    for (const sc of tcpSockets) {
      const listener = make(sc, undefined);
      listeners.push(listener);
      await bindStandalone(listener.server, sc);
      const bound = listener.server.address();
      if (bound && typeof bound === 'object' && sc.listen.kind === 'inet') {
        listener.address = formatInet(bound.address, bound.port);
      }
    }
    return { listeners, mode: 'standalone', notes };
  } catch (err) {
    for (const l of listeners) l.server.close();
    throw err;
  }
}

interface Pair {
  socket: SocketConfig;
  fd: number;
  info: SocketInfo;
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
    const byAddress = inspected.find((f) => unmatched.has(f) && sameAddress(sc.listen, f.info.local));
    if (byAddress) take(sc, byAddress);
    else remaining.push(sc);
  }
  for (const sc of [...remaining]) {
    const named = [...unmatched].filter((f) => f.name === sc.name);
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

function checkType(config: Config, sc: SocketConfig, fd: number, info: SocketInfo): void {
  const wanted = sc.protocol === 'tcp' ? 'stream' : 'dgram';
  const problem =
    info.type !== wanted
      ? `${sc.protocol} needs a ${wanted} socket, but systemd passed a ${info.type} socket (fd ${fd}, ${info.local}); ` +
        `use ${sc.protocol === 'tcp' ? 'ListenStream=' : 'ListenDatagram='} for it or change protocol`
      : sc.protocol === 'udp' && info.family === 'unix'
        ? `unix datagram sockets are not supported (fd ${fd}, ${info.local})`
        : undefined;
  if (problem) throw new ConfigError({ file: config.file, line: sc.line, section: `socket.${sc.name}`, key: 'protocol' }, problem);
}

function sameAddress(listen: ListenAddress, local: string): boolean {
  if (listen.kind === 'unix') return listen.path === local;
  return formatInet(listen.host, listen.port) === local;
}

export function formatInet(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
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
