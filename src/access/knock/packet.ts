// The single-packet knock: one UDP datagram that proves the sender holds the key.
// docs/knock-protocol.md is the specification; this is its one implementation.
//
//   offset  size  field
//        0     4  magic "mrsk" (6d 72 73 6b)
//        4     1  version, 1
//        5     1  what to open: 0 = the sender's address, 4 = the IPv4 address below, 6 = the IPv6 one
//        6     2  reserved, zero
//        8     8  timestamp: Unix time in seconds, unsigned big-endian
//       16    16  nonce: random bytes, never reused
//       32    16  address: IPv4 in the first 4 bytes (the rest zero), IPv6 in all 16; all zero for 0
//       48    32  HMAC-SHA256(key, bytes 0-47)
//   80 bytes in all.
import { createRequire } from 'node:module';
import net from 'node:net';
import { ipaddr } from '../../net/ipaddr.js';

const PACKET_MAGIC = Buffer.from('mrsk', 'latin1');
const PACKET_VERSION = 1;
export const PACKET_LENGTH = 80;
const SIGNED_LENGTH = 48;
export const NONCE_LENGTH = 16;
/** A packet is valid this long before and after its timestamp. */
export const PACKET_SKEW_MS = 60_000;
/** The smallest key accepted. */
export const MIN_KEY_LENGTH = 16;

const OPEN_SENDER = 0;
const OPEN_IPV4 = 4;
const OPEN_IPV6 = 6;

export interface KnockPacket {
  /** Unix time, seconds. */
  readonly timestamp: number;
  readonly nonce: Buffer;
  /** The address to open, normalised text; undefined = the sender's. */
  readonly open: string | undefined;
}

export type PacketProblem =
  /** Not a knock packet at all: wrong length, magic, version, or a malformed field. */
  | 'malformed'
  /** Well-formed, but the HMAC does not match: a wrong key, or tampered with. */
  | 'bad-mac'
  /** The timestamp is more than PACKET_SKEW_MS away from now. */
  | 'expired'
  /** This nonce was accepted already (./replay.ts decides; listed here for the callers). */
  | 'replayed';

export function encodePacket(key: Buffer, packet: KnockPacket): Buffer {
  if (packet.nonce.length !== NONCE_LENGTH) throw new Error(`the nonce must be ${NONCE_LENGTH} bytes`);
  if (!Number.isSafeInteger(packet.timestamp) || packet.timestamp < 0) throw new Error('the timestamp must be a whole number of seconds');
  const out = Buffer.alloc(PACKET_LENGTH);
  PACKET_MAGIC.copy(out, 0);
  out[4] = PACKET_VERSION;
  if (packet.open !== undefined) {
    const family = net.isIP(packet.open);
    if (family === 0) throw new Error(`"${packet.open}" is not an IP address`);
    const ip = ipaddr.process(packet.open); // ::ffff:a.b.c.d is IPv4
    const bytes = Buffer.from(ip.toByteArray());
    out[5] = ip.kind() === 'ipv4' ? OPEN_IPV4 : OPEN_IPV6;
    bytes.copy(out, 32);
  }
  out.writeBigUInt64BE(BigInt(packet.timestamp), 8);
  packet.nonce.copy(out, 16);
  mac(key, out.subarray(0, SIGNED_LENGTH)).copy(out, SIGNED_LENGTH);
  return out;
}

/** node:crypto, loaded on first use: every daemon loads this module, and loading crypto
 *  costs a socket-activated start without [knock] about 4 ms on the first client's clock. */
function crypto(): typeof import('node:crypto') {
  return createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
}

function mac(key: Buffer, signed: Buffer): Buffer {
  return crypto().createHmac('sha256', key).update(signed).digest();
}

/**
 * Checks one datagram: layout, then the HMAC (in constant time), then the timestamp
 * against `nowMs` (wall clock). Never throws, whatever the bytes. Replays are the
 * caller's to check (./replay.ts), with the nonce returned here.
 */
export function verifyPacket(key: Buffer, data: Buffer, nowMs: number): { ok: true; packet: KnockPacket } | { ok: false; problem: PacketProblem } {
  if (data.length !== PACKET_LENGTH || !data.subarray(0, 4).equals(PACKET_MAGIC) || data[4] !== PACKET_VERSION) {
    return { ok: false, problem: 'malformed' };
  }
  if (data[6] !== 0 || data[7] !== 0) return { ok: false, problem: 'malformed' };
  const type = data[5];
  const address = data.subarray(32, 48);
  let open: string | undefined;
  if (type === OPEN_SENDER) {
    if (!address.equals(Buffer.alloc(16))) return { ok: false, problem: 'malformed' };
  } else if (type === OPEN_IPV4) {
    if (!address.subarray(4).equals(Buffer.alloc(12))) return { ok: false, problem: 'malformed' };
    open = ipaddr.fromByteArray([...address.subarray(0, 4)]).toString();
  } else if (type === OPEN_IPV6) {
    const ip = ipaddr.fromByteArray([...address]);
    // An IPv4-mapped address is an IPv4 one, as everywhere else (../address.ts).
    open = ipaddr.process(ip.toString()).toString();
  } else {
    return { ok: false, problem: 'malformed' };
  }
  const expected = mac(key, data.subarray(0, SIGNED_LENGTH));
  if (!crypto().timingSafeEqual(expected, data.subarray(SIGNED_LENGTH))) return { ok: false, problem: 'bad-mac' };
  const timestamp = Number(data.readBigUInt64BE(8));
  if (Math.abs(timestamp * 1000 - nowMs) > PACKET_SKEW_MS) return { ok: false, problem: 'expired' };
  return { ok: true, packet: { timestamp, nonce: Buffer.from(data.subarray(16, 32)), open } };
}
