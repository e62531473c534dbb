// What an inherited file descriptor really is, on Linux.
//
// Node.js cannot call getsockopt(SO_TYPE/SO_DOMAIN) or getsockname() on a raw fd, and
// guessing is wrong in ways that only show later (a `[::]` socket adopted as udp4 receives
// but every reply fails with EINVAL). The native addon asks the socket itself
// (native/sockinfo.c: getsockopt, getsockname, and the listen backlog from the kernel's
// socket diagnostics), in microseconds. Without the addon: /proc/self/fd/N →
// "socket:[INODE]", then the inode's row in /proc/net/{tcp,tcp6,udp,udp6,unix} gives
// family, type, address and state. The listen backlog is in no /proc file; `ss -e`
// (sock_diag) shows it as the Send-Q of a listening socket, so we ask ss and do without
// when it is missing. Scanning /proc/net and running ss costs tens of milliseconds on a
// host with many sockets, which the first client of a socket-activated start waits for.
// Both ways end in the same SocketInfo and the same errors.
//   proc(5) /proc/net/tcp, /proc/net/unix: https://man7.org/linux/man-pages/man5/proc_net.5.html
//   ss(8): https://man7.org/linux/man-pages/man8/ss.8.html
//   sock_diag(7): https://man7.org/linux/man-pages/man7/sock_diag.7.html

import { readFileSync, readlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { MrsockoError } from '../errors.js';
import type { Protocol } from '../config/types.js';
import { formatInet } from '../util/format.js';
import { nativeClass } from '../native/addon.js';
import { bytesToAddress, parseProcNetInetLine, parseProcNetUnixLine, parseSsLine, type ProcNetInetRow, type ProcNetUnixRow } from './socket-text.js';

export type SocketType = 'stream' | 'dgram';
export type SocketFamily = 'inet' | 'inet6' | 'unix';

export interface SocketInfo {
  readonly fd: number;
  /** The socket's inode, as in "socket:[INODE]". */
  readonly inode: number;
  readonly type: SocketType;
  readonly family: SocketFamily;
  /** "127.0.0.1:9911", "[::]:9912", "/run/x.sock", "@abstract", or "" for an unnamed unix socket. */
  readonly local: string;
  /** inet/inet6 only: the bound address without brackets, and the port. */
  readonly host?: string;
  readonly port?: number;
  /** As SO_ACCEPTCONN: a stream socket in the LISTEN state. Always false for datagram sockets. */
  readonly listening: boolean;
  /** Listening stream sockets: the kernel's accept-queue limit (already clamped to somaxconn). Undefined when the kernel (or ss) could not tell. */
  readonly backlog?: number;
  /** inet6 only, listening stream or unconnected datagram sockets: IPV6_V6ONLY. Undefined when unknown. */
  readonly v6only?: boolean;
}

export interface InspectOptions {
  /** Where /proc is (tests). Default "/proc". */
  readonly procRoot?: string;
  /** The ss binary, or false not to run it (backlog and v6only are then undefined). Default "ss". */
  readonly ss?: string | false;
  /**
   * How to ask the socket itself, or false to read /proc and run ss (tests). Default: the
   * native addon's inspectSocket when the addon loads (whatever MRSOCKO_DATA_PATH says:
   * this is not the data path), else false.
   */
  readonly native?: NativeInspect | false;
}

/** What native/sockinfo.c's inspectSocket(fd) returns: the socket's own answers, or null when fd is not an open socket. */
export type NativeInspect = (fd: number) => NativeSocketFacts | null;

export interface NativeSocketFacts {
  readonly inode: number;
  /** SO_DOMAIN, SO_TYPE, SO_PROTOCOL. */
  readonly domain: number;
  readonly type: number;
  readonly protocol: number;
  /** SO_ACCEPTCONN. */
  readonly listening: boolean;
  /** getpeername() succeeded. */
  readonly connected: boolean;
  /** getsockname(): the 4 or 16 address bytes (inet), or the name as /proc/net/unix prints it (unix). */
  readonly address?: Buffer;
  readonly port?: number;
  /** IPV6_V6ONLY, AF_INET6 only. */
  readonly v6only?: boolean;
  /** sk_max_ack_backlog of a listening TCP or AF_UNIX stream socket, from sock_diag. */
  readonly backlog?: number;
}

/** Linux's values (include/linux/socket.h, net.h, in.h). */
const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

/** TCP_LISTEN in /proc/net/tcp{,6} "st" column. */
const TCP_STATE_LISTEN = 0x0a;
/** /proc/net/unix "Type" column: SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET. */
const UNIX_TYPE_STREAM = 1;
const UNIX_TYPE_DGRAM = 2;
const UNIX_TYPE_SEQPACKET = 5;

const PROC_NET_INET = [
  { file: 'tcp', type: 'stream', family: 'inet' },
  { file: 'tcp6', type: 'stream', family: 'inet6' },
  { file: 'udp', type: 'dgram', family: 'inet' },
  { file: 'udp6', type: 'dgram', family: 'inet6' },
] as const;

const SS_TIMEOUT_MS = 5000;

/** Inspects an inherited fd. Throws MrsockoError('MRSOCKO_SOCKET') naming the fd when it is not a usable socket. */
export function inspectSocketFd(fd: number, options: InspectOptions = {}): SocketInfo {
  const proc = options.procRoot ?? '/proc';
  const native = options.native ?? addonInspect();
  if (native !== false) {
    const facts = askSocket(native, fd);
    if (facts !== undefined) return fromFacts(fd, facts, proc);
    // not an open socket, or the addon failed: below says what the fd is, the same way
  }
  let target: string;
  try {
    target = readlinkSync(`${proc}/self/fd/${fd}`);
  } catch (err) {
    throw new MrsockoError('MRSOCKO_SOCKET', `fd ${fd} is not open (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
  const inode = socketInode(target);
  if (inode === undefined) {
    throw new MrsockoError('MRSOCKO_SOCKET', `fd ${fd} is not a socket: it is ${target}`);
  }

  const found = findInProcNet(proc, inode);
  if (found === undefined) throw notInProcNet(fd, inode, proc);
  if (found.kind === 'unix') checkUnixType(fd, found.row.type);

  const info: SocketInfo = found.kind === 'unix'
    ? {
        fd,
        inode,
        type: found.row.type === UNIX_TYPE_STREAM ? 'stream' : 'dgram',
        family: 'unix',
        local: found.row.path,
        listening: found.row.listening,
      }
    : {
        fd,
        inode,
        type: found.type,
        family: found.family,
        local: formatInet(found.row.host, found.row.port),
        host: found.row.host,
        port: found.row.port,
        listening: found.type === 'stream' && found.row.state === TCP_STATE_LISTEN,
      };

  const ssArgs = ssArgsFor(info);
  if (options.ss === false || ssArgs === undefined) return info;
  const extra = querySs(options.ss ?? 'ss', ssArgs, info);
  return { ...info, ...extra };
}

/** Whether the fd can serve a `[socket.X]` section of this protocol. */
export function matchesProtocol(info: SocketInfo, protocol: Protocol): boolean {
  return protocolMismatch(info, protocol) === undefined;
}

/** Why the fd cannot serve `protocol`, as a sentence naming the fd; undefined when it can. */
export function protocolMismatch(info: SocketInfo, protocol: Protocol): string | undefined {
  const what = `fd ${info.fd} (${describeSocket(info)})`;
  if (protocol === 'tcp') {
    if (info.type !== 'stream') return `${what} is a datagram socket but protocol = tcp (use ListenStream=)`;
    if (!info.listening) {
      return `${what} is a stream socket that is not listening (Accept=yes is not supported; use Accept=no): ` +
        'it is one connection, as a socket unit with Accept=yes passes, where mrsocko needs the listening socket';
    }
    return undefined;
  }
  if (info.type !== 'dgram') return `${what} is a stream socket but protocol = udp (use ListenDatagram=)`;
  if (info.family === 'unix') return `${what}: Node.js cannot adopt AF_UNIX datagram sockets; protocol = udp needs an IP address`;
  return undefined;
}

/** "AF_INET6 stream [::]:9912, listening, backlog 4096" — for logs and errors. */
export function describeSocket(info: SocketInfo): string {
  const family = info.family === 'inet' ? 'AF_INET' : info.family === 'inet6' ? 'AF_INET6' : 'AF_UNIX';
  const parts = [`${family} ${info.type} ${info.local === '' ? '(unnamed)' : info.local}`];
  if (info.listening) parts.push('listening');
  if (info.backlog !== undefined) parts.push(`backlog ${info.backlog}`);
  if (info.v6only !== undefined) parts.push(`v6only ${info.v6only ? 'yes' : 'no'}`);
  return parts.join(', ');
}

// ---- /proc parsing (exported for tests) ----

/** "socket:[12345]" → 12345; anything else → undefined. */
export function socketInode(linkTarget: string): number | undefined {
  const m = /^socket:\[(\d+)\]$/.exec(linkTarget);
  return m ? Number(m[1]) : undefined;
}

// ---- internals ----

/** The addon's inspectSocket, or false when the addon (or this part of it) is not there. */
function addonInspect(): NativeInspect | false {
  const fn = nativeClass('inspectSocket');
  return typeof fn === 'function' ? (fn as NativeInspect) : false;
}

/** The socket's facts; undefined when fd is not an open socket or the addon failed (the /proc way then says or finds out). */
function askSocket(native: NativeInspect, fd: number): NativeSocketFacts | undefined {
  try {
    return native(fd) ?? undefined;
  } catch {
    return undefined;
  }
}

/** The SocketInfo (or the error) the /proc and ss way gives for this socket. */
function fromFacts(fd: number, facts: NativeSocketFacts, proc: string): SocketInfo {
  const { inode } = facts;
  const address = facts.address ?? Buffer.alloc(0);
  if (facts.domain === AF_UNIX) {
    checkUnixType(fd, facts.type);
    const type = facts.type === SOCK_STREAM ? 'stream' : 'dgram';
    const listening = facts.listening;
    return {
      fd,
      inode,
      type,
      family: 'unix',
      // readFileSync(..., 'utf8') decodes /proc/net/unix the same way
      local: address.toString('utf8'),
      listening,
      ...(type === 'stream' && listening && facts.backlog !== undefined ? { backlog: facts.backlog } : {}),
    };
  }
  // /proc/net/{tcp,udp}{,6} list TCP and UDP sockets only (not UDP-Lite, SCTP, MPTCP, raw...)
  const inet = facts.domain === AF_INET || facts.domain === AF_INET6;
  const stream = facts.type === SOCK_STREAM && facts.protocol === IPPROTO_TCP;
  const dgram = facts.type === SOCK_DGRAM && facts.protocol === IPPROTO_UDP;
  if (!inet || !(stream || dgram) || address.length !== (facts.domain === AF_INET ? 4 : 16) || facts.port === undefined) {
    throw notInProcNet(fd, inode, proc);
  }
  const family = facts.domain === AF_INET ? 'inet' : 'inet6';
  const host = bytesToAddress(address);
  const listening = stream && facts.listening;
  // as ss reports them: the backlog of a listener; v6only of an inet6 listener, or of an
  // unconnected (`ss -l`) datagram socket
  const v6only = family === 'inet6' && (listening || (dgram && !facts.connected)) ? facts.v6only : undefined;
  return {
    fd,
    inode,
    type: stream ? 'stream' : 'dgram',
    family,
    local: formatInet(host, facts.port),
    host,
    port: facts.port,
    listening,
    ...(listening && facts.backlog !== undefined ? { backlog: facts.backlog } : {}),
    ...(v6only !== undefined ? { v6only } : {}),
  };
}

function notInProcNet(fd: number, inode: number, proc: string): MrsockoError {
  return new MrsockoError(
    'MRSOCKO_SOCKET',
    `fd ${fd} is socket inode ${inode} but it is in none of ${proc}/net/{tcp,tcp6,udp,udp6,unix}: ` +
      'not an AF_INET/AF_INET6/AF_UNIX socket, or it belongs to another network namespace',
  );
}

/** Throws unless an AF_UNIX socket of this type (SOCK_*, as /proc/net/unix prints it) can be proxied. */
function checkUnixType(fd: number, type: number): void {
  if (type === UNIX_TYPE_SEQPACKET) {
    throw new MrsockoError('MRSOCKO_SOCKET', `fd ${fd} is an AF_UNIX SOCK_SEQPACKET socket (ListenSequentialPacket=); mrsocko proxies only stream and datagram sockets`);
  }
  if (type !== UNIX_TYPE_STREAM && type !== UNIX_TYPE_DGRAM) {
    throw new MrsockoError('MRSOCKO_SOCKET', `fd ${fd} is an AF_UNIX socket of type ${type}; mrsocko proxies only stream and datagram sockets`);
  }
}

type Found =
  | { kind: 'inet'; type: SocketType; family: 'inet' | 'inet6'; row: ProcNetInetRow }
  | { kind: 'unix'; row: ProcNetUnixRow };

function findInProcNet(proc: string, inode: number): Found | undefined {
  for (const table of PROC_NET_INET) {
    for (const line of readLines(`${proc}/net/${table.file}`)) {
      const row = parseProcNetInetLine(line);
      if (row?.inode === inode) return { kind: 'inet', type: table.type, family: table.family, row };
    }
  }
  for (const line of readLines(`${proc}/net/unix`)) {
    const row = parseProcNetUnixLine(line);
    if (row?.inode === inode) return { kind: 'unix', row };
  }
  return undefined;
}

function readLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n');
  } catch {
    return []; // e.g. no IPv6 in this kernel: no tcp6/udp6 file
  }
}

/** Which ss listing can tell us more: the backlog of a listening socket, IPV6_V6ONLY of a UDP6 one. */
function ssArgsFor(info: SocketInfo): string[] | undefined {
  if (info.type === 'stream' && info.listening) return info.family === 'unix' ? ['-Hlnxe'] : ['-Hltne'];
  if (info.type === 'dgram' && info.family === 'inet6') return ['-Hlune'];
  return undefined;
}

function querySs(ss: string, args: string[], info: SocketInfo): { backlog?: number; v6only?: boolean } {
  const run = spawnSync(ss, args, { encoding: 'utf8', timeout: SS_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'ignore'] });
  if (run.error !== undefined || run.status !== 0) return {};
  for (const line of run.stdout.split('\n')) {
    const row = parseSsLine(line, info.inode, info.family);
    if (row === undefined) continue;
    return {
      // Send-Q of a listening socket is sk_max_ack_backlog, the backlog given to listen().
      ...(info.listening ? { backlog: row.sendQ } : {}),
      ...(info.family === 'inet6' && row.v6only !== undefined ? { v6only: row.v6only } : {}),
    };
  }
  return {};
}
