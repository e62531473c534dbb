// Knocks for tests, from a chosen source address: a TCP connection closed at once, one
// datagram, or a single-packet knock (made here, so tests can forge, age and replay them).
import net from 'node:net';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { encodePacket } from '../../src/access/knock/packet.js';

/** Connects from `from` and closes at once; resolves once the connection ended either way. */
export function tcpKnock(host: string, port: number, from = '127.0.0.1'): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, localAddress: from });
    s.once('connect', () => s.end());
    s.once('error', () => resolve());
    s.once('close', () => resolve());
  });
}

export function sendDatagram(host: string, port: number, data: Buffer, from = '127.0.0.1'): Promise<void> {
  const s = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind({ address: from, port: 0 }, () => {
      s.send(data, port, host, (err) => {
        s.close();
        if (err) reject(err);
        else resolve();
      });
    });
  });
}

export const udpKnock = (host: string, port: number, from = '127.0.0.1'): Promise<void> => sendDatagram(host, port, Buffer.from('knock'), from);

export function knockPacket(key: Buffer, o: { open?: string; ageSeconds?: number } = {}): Buffer {
  return encodePacket(key, {
    timestamp: Math.floor(Date.now() / 1000) - (o.ageSeconds ?? 0),
    nonce: randomBytes(16),
    open: o.open,
  });
}
