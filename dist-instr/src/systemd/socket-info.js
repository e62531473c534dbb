// What an inherited file descriptor really is, on Linux, without native code.
//
// Node.js cannot call getsockopt(SO_TYPE/SO_DOMAIN) or getsockname() on a raw fd, and
// guessing is wrong in ways that only show later (a `[::]` socket adopted as udp4 receives
// but every reply fails with EINVAL). So: /proc/self/fd/N → "socket:[INODE]", then the
// inode's row in /proc/net/{tcp,tcp6,udp,udp6,unix} gives family, type, address and state.
// The listen backlog is in no /proc file; `ss -e` (sock_diag) shows it as the Send-Q of a
// listening socket, so we ask ss and do without when it is missing.
//   proc(5) /proc/net/tcp, /proc/net/unix: https://man7.org/linux/man-pages/man5/proc_net.5.html
//   ss(8): https://man7.org/linux/man-pages/man8/ss.8.html
import { readFileSync, readlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { endianness } from 'node:os';
import { SocketAddress } from 'node:net';
import { MrsockoError } from '../errors.js';
import { formatInet } from '../util/format.js';
/** TCP_LISTEN in /proc/net/tcp{,6} "st" column. */
const TCP_STATE_LISTEN = 0x0a;
/** __SO_ACCEPTCON in /proc/net/unix "Flags" column: the socket is listening. */
const UNIX_FLAG_ACCEPTCON = 0x0001_0000;
/** /proc/net/unix "Type" column: SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET. */
const UNIX_TYPE_STREAM = 1;
const UNIX_TYPE_DGRAM = 2;
const UNIX_TYPE_SEQPACKET = 5;
const PROC_NET_INET = [
    { file: 'tcp', type: 'stream', family: 'inet' },
    { file: 'tcp6', type: 'stream', family: 'inet6' },
    { file: 'udp', type: 'dgram', family: 'inet' },
    { file: 'udp6', type: 'dgram', family: 'inet6' },
];
const SS_TIMEOUT_MS = 5000;
/** Inspects an inherited fd. Throws MrsockoError('MRSOCKO_SOCKET') naming the fd when it is not a usable socket. */
export function inspectSocketFd(fd, options = {}) {
    const proc = options.procRoot ?? '/proc';
    let target;
    try {
        target = readlinkSync(`${proc}/self/fd/${fd}`);
    }
    catch (err) {
        throw new MrsockoError('MRSOCKO_SOCKET', `fd ${fd} is not open (${err.code ?? String(err)})`, { cause: err });
    }
    const inode = socketInode(target);
    if (inode === undefined) {
        throw new MrsockoError('MRSOCKO_SOCKET', `fd ${fd} is not a socket: it is ${target}`);
    }
    const found = findInProcNet(proc, inode);
    if (found === undefined) {
        throw new MrsockoError('MRSOCKO_SOCKET', `fd ${fd} is socket inode ${inode} but it is in none of ${proc}/net/{tcp,tcp6,udp,udp6,unix}: ` +
            'not an AF_INET/AF_INET6/AF_UNIX socket, or it belongs to another network namespace');
    }
    if (found.kind === 'unix' && found.row.type === UNIX_TYPE_SEQPACKET) {
        throw new MrsockoError('MRSOCKO_SOCKET', `fd ${fd} is an AF_UNIX SOCK_SEQPACKET socket (ListenSequentialPacket=); mrsocko proxies only stream and datagram sockets`);
    }
    if (found.kind === 'unix' && found.row.type !== UNIX_TYPE_STREAM && found.row.type !== UNIX_TYPE_DGRAM) {
        throw new MrsockoError('MRSOCKO_SOCKET', `fd ${fd} is an AF_UNIX socket of type ${found.row.type}; mrsocko proxies only stream and datagram sockets`);
    }
    const info = found.kind === 'unix'
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
    if (options.ss === false || ssArgs === undefined)
        return info;
    const extra = querySs(options.ss ?? 'ss', ssArgs, info);
    return { ...info, ...extra };
}
/** Whether the fd can serve a `[socket.X]` section of this protocol. */
export function matchesProtocol(info, protocol) {
    return protocolMismatch(info, protocol) === undefined;
}
/** Why the fd cannot serve `protocol`, as a sentence naming the fd; undefined when it can. */
export function protocolMismatch(info, protocol) {
    const what = `fd ${info.fd} (${describeSocket(info)})`;
    if (protocol === 'tcp') {
        if (info.type !== 'stream')
            return `${what} is a datagram socket but protocol = tcp (use ListenStream=)`;
        if (!info.listening) {
            return `${what} is a stream socket that is not listening (Accept=yes is not supported; use Accept=no): ` +
                'it is one connection, as a socket unit with Accept=yes passes, where mrsocko needs the listening socket';
        }
        return undefined;
    }
    if (info.type !== 'dgram')
        return `${what} is a stream socket but protocol = udp (use ListenDatagram=)`;
    if (info.family === 'unix')
        return `${what}: Node.js cannot adopt AF_UNIX datagram sockets; protocol = udp needs an IP address`;
    return undefined;
}
/** "AF_INET6 stream [::]:9912, listening, backlog 4096" — for logs and errors. */
export function describeSocket(info) {
    const family = info.family === 'inet' ? 'AF_INET' : info.family === 'inet6' ? 'AF_INET6' : 'AF_UNIX';
    const parts = [`${family} ${info.type} ${info.local === '' ? '(unnamed)' : info.local}`];
    if (info.listening)
        parts.push('listening');
    if (info.backlog !== undefined)
        parts.push(`backlog ${info.backlog}`);
    if (info.v6only !== undefined)
        parts.push(`v6only ${info.v6only ? 'yes' : 'no'}`);
    return parts.join(', ');
}
// ---- /proc parsing (exported for tests) ----
/** "socket:[12345]" → 12345; anything else → undefined. */
export function socketInode(linkTarget) {
    const m = /^socket:\[(\d+)\]$/.exec(linkTarget);
    return m ? Number(m[1]) : undefined;
}
/**
 * One data row of /proc/net/{tcp,tcp6,udp,udp6}:
 * `sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...`.
 * Returns undefined for the header or anything unparseable.
 */
export function parseProcNetInetLine(line, littleEndian = endianness() === 'LE') {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^\d+:$/.test(f[0] ?? ''))
        return undefined;
    const local = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(f[1] ?? '');
    const state = f[3] ?? '';
    const inode = f[9] ?? '';
    if (!local || !/^[0-9A-Fa-f]{2}$/.test(state) || !/^\d+$/.test(inode))
        return undefined;
    return {
        inode: Number(inode),
        host: hexToAddress(local[1] ?? '', littleEndian),
        port: parseInt(local[2] ?? '', 16),
        state: parseInt(state, 16),
    };
}
/** One data row of /proc/net/unix: `Num RefCount Protocol Flags Type St Inode [Path]`. */
export function parseProcNetUnixLine(line) {
    const m = /^\s*[0-9a-fA-F]+:\s+[0-9a-fA-F]+\s+[0-9a-fA-F]+\s+([0-9a-fA-F]+)\s+([0-9a-fA-F]+)\s+[0-9a-fA-F]+\s+(\d+)(?: (.*))?$/.exec(line);
    if (!m)
        return undefined;
    return {
        inode: Number(m[3]),
        type: parseInt(m[2] ?? '', 16),
        listening: (parseInt(m[1] ?? '', 16) & UNIX_FLAG_ACCEPTCON) !== 0,
        path: m[4] ?? '',
    };
}
/**
 * The kernel prints addresses as 32-bit words in host byte order (%08X each): 127.0.0.1 is
 * "0100007F" on little-endian machines. Returns "127.0.0.1" or a compressed IPv6 text.
 */
export function hexToAddress(hex, littleEndian) {
    const bytes = Buffer.alloc(hex.length / 2);
    for (let word = 0; word < hex.length / 8; word++) {
        const value = parseInt(hex.slice(word * 8, word * 8 + 8), 16);
        if (littleEndian)
            bytes.writeUInt32LE(value, word * 4);
        else
            bytes.writeUInt32BE(value, word * 4);
    }
    if (bytes.length === 4)
        return [...bytes].join('.');
    const groups = [];
    for (let i = 0; i < 16; i += 2)
        groups.push(bytes.readUInt16BE(i).toString(16));
    // SocketAddress normalises to the RFC 5952 form (inet_ntop), e.g. "::ffff:127.0.0.1".
    return new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}
/**
 * A line of `ss -H -n -e` (with or without the Netid column) describing socket `inode`, or
 * undefined when the line is about another socket. For inet sockets ss -e prints the socket
 * inode as "ino:N"; for unix sockets the inode is the "port" after the path and "ino:N"
 * is the *file's* inode, so the two are matched differently.
 */
export function parseSsLine(line, inode, family) {
    const head = /^\s*(?:[a-z_]+\s+)?[A-Z][A-Z0-9-]*\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (!head)
        return undefined;
    const rest = head[3] ?? '';
    // unix: "PATH INODE PEER PEER_INODE ..." (PATH is "*" when unnamed); the first such
    // group is this line's own socket.
    const ours = family === 'unix'
        ? Number(/^(?:.*?\s)?(\d+)\s+\S+\s+\d+(?:\s|$)/.exec(rest)?.[1]) === inode
        : new RegExp(`(?:^|\\s)ino:${inode}(?:\\s|$)`).test(rest);
    if (!ours)
        return undefined;
    const v6 = /(?:^|\s)v6only:([01])(?:\s|$)/.exec(rest);
    return {
        recvQ: Number(head[1]),
        sendQ: Number(head[2]),
        ...(v6 ? { v6only: v6[1] === '1' } : {}),
    };
}
function findInProcNet(proc, inode) {
    for (const table of PROC_NET_INET) {
        for (const line of readLines(`${proc}/net/${table.file}`)) {
            const row = parseProcNetInetLine(line);
            if (row?.inode === inode)
                return { kind: 'inet', type: table.type, family: table.family, row };
        }
    }
    for (const line of readLines(`${proc}/net/unix`)) {
        const row = parseProcNetUnixLine(line);
        if (row?.inode === inode)
            return { kind: 'unix', row };
    }
    return undefined;
}
function readLines(file) {
    try {
        return readFileSync(file, 'utf8').split('\n');
    }
    catch {
        return []; // e.g. no IPv6 in this kernel: no tcp6/udp6 file
    }
}
/** Which ss listing can tell us more: the backlog of a listening socket, IPV6_V6ONLY of a UDP6 one. */
function ssArgsFor(info) {
    if (info.type === 'stream' && info.listening)
        return info.family === 'unix' ? ['-Hlnxe'] : ['-Hltne'];
    if (info.type === 'dgram' && info.family === 'inet6')
        return ['-Hlune'];
    return undefined;
}
function querySs(ss, args, info) {
    const run = spawnSync(ss, args, { encoding: 'utf8', timeout: SS_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'ignore'] });
    if (run.error !== undefined || run.status !== 0)
        return {};
    for (const line of run.stdout.split('\n')) {
        const row = parseSsLine(line, info.inode, info.family);
        if (row === undefined)
            continue;
        return {
            // Send-Q of a listening socket is sk_max_ack_backlog, the backlog given to listen().
            ...(info.listening ? { backlog: row.sendQ } : {}),
            ...(info.family === 'inet6' && row.v6only !== undefined ? { v6only: row.v6only } : {}),
        };
    }
    return {};
}
//# sourceMappingURL=socket-info.js.map