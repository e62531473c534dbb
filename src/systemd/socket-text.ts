// The text formats the way without the native addon reads (./socket-info.ts): rows of
// /proc/net/{tcp,tcp6,udp,udp6,unix} and lines of `ss -H -n -e`, parsed one line at a time
// so each can be tested on real samples.
//   proc(5) /proc/net/tcp, /proc/net/unix: https://man7.org/linux/man-pages/man5/proc_net.5.html
//   ss(8): https://man7.org/linux/man-pages/man8/ss.8.html
import { SocketAddress } from 'node:net';
import { endianness } from 'node:os';
import type { SocketFamily } from './socket-info.js';

/** __SO_ACCEPTCON in /proc/net/unix "Flags" column: the socket is listening. */
const UNIX_FLAG_ACCEPTCON = 0x0001_0000;

export interface ProcNetInetRow {
  readonly inode: number;
  readonly host: string;
  readonly port: number;
  /** The "st" column: TCP state (0x0A = LISTEN); 0x07 (CLOSE) for an unconnected UDP socket. */
  readonly state: number;
}

/**
 * One data row of /proc/net/{tcp,tcp6,udp,udp6}:
 * `sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...`.
 * Returns undefined for the header or anything unparseable.
 */
export function parseProcNetInetLine(line: string, littleEndian = endianness() === 'LE'): ProcNetInetRow | undefined {
  const f = line.trim().split(/\s+/);
  if (f.length < 10 || !/^\d+:$/.test(f[0] ?? '')) return undefined;
  const local = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(f[1] ?? '');
  const state = f[3] ?? '';
  const inode = f[9] ?? '';
  if (!local || !/^[0-9A-Fa-f]{2}$/.test(state) || !/^\d+$/.test(inode)) return undefined;
  return {
    inode: Number(inode),
    host: hexToAddress(local[1] ?? '', littleEndian),
    port: parseInt(local[2] ?? '', 16),
    state: parseInt(state, 16),
  };
}

export interface ProcNetUnixRow {
  readonly inode: number;
  /** 1 stream, 2 dgram, 5 seqpacket. */
  readonly type: number;
  readonly listening: boolean;
  /** The bound path, "@name" for an abstract socket, "" when unnamed. */
  readonly path: string;
}

/** One data row of /proc/net/unix: `Num RefCount Protocol Flags Type St Inode [Path]`. */
export function parseProcNetUnixLine(line: string): ProcNetUnixRow | undefined {
  const m = /^\s*[0-9a-fA-F]+:\s+[0-9a-fA-F]+\s+[0-9a-fA-F]+\s+([0-9a-fA-F]+)\s+([0-9a-fA-F]+)\s+[0-9a-fA-F]+\s+(\d+)(?: (.*))?$/.exec(line);
  if (!m) return undefined;
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
export function hexToAddress(hex: string, littleEndian: boolean): string {
  const bytes = Buffer.alloc(hex.length / 2);
  for (let word = 0; word < hex.length / 8; word++) {
    const value = parseInt(hex.slice(word * 8, word * 8 + 8), 16);
    if (littleEndian) bytes.writeUInt32LE(value, word * 4);
    else bytes.writeUInt32BE(value, word * 4);
  }
  return bytesToAddress(bytes);
}

/** 4 or 16 address bytes in network order → "127.0.0.1" or a compressed IPv6 text. */
export function bytesToAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(view.readUInt16BE(i).toString(16));
  // SocketAddress normalises to the RFC 5952 form (inet_ntop), e.g. "::ffff:127.0.0.1".
  return new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}

export interface SsRow {
  readonly recvQ: number;
  readonly sendQ: number;
  readonly v6only?: boolean;
}

/**
 * A line of `ss -H -n -e` (with or without the Netid column) describing socket `inode`, or
 * undefined when the line is about another socket. For inet sockets ss -e prints the socket
 * inode as "ino:N"; for unix sockets the inode is the "port" after the path and "ino:N"
 * is the *file's* inode, so the two are matched differently.
 */
export function parseSsLine(line: string, inode: number, family: SocketFamily): SsRow | undefined {
  const head = /^\s*(?:[a-z_]+\s+)?[A-Z][A-Z0-9-]*\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line);
  if (!head) return undefined;
  const rest = head[3] ?? '';
  // unix: "PATH INODE PEER PEER_INODE ..." (PATH is "*" when unnamed); the first such
  // group is this line's own socket.
  const ours = family === 'unix'
    ? Number(/^(?:.*?\s)?(\d+)\s+\S+\s+\d+(?:\s|$)/.exec(rest)?.[1]) === inode
    : new RegExp(`(?:^|\\s)ino:${inode}(?:\\s|$)`).test(rest);
  if (!ours) return undefined;
  const v6 = /(?:^|\s)v6only:([01])(?:\s|$)/.exec(rest);
  return {
    recvQ: Number(head[1]),
    sendQ: Number(head[2]),
    ...(v6 ? { v6only: v6[1] === '1' } : {}),
  };
}
