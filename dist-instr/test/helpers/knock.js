// Knocks for tests, from a chosen source address: a TCP connection closed at once, one
// datagram, or a single-packet knock (made here, so tests can forge, age and replay them).
import net from 'node:net';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { encodePacket } from '../../src/access/knock/packet.js';
/** Connects from `from` and closes at once; resolves once the connection ended either way. */
export function tcpKnock(host, port, from = '127.0.0.1') {
    return new Promise((resolve) => {
        const s = net.connect({ host, port, localAddress: from });
        s.once('connect', () => s.end());
        s.once('error', () => resolve());
        s.once('close', () => resolve());
    });
}
export function sendDatagram(host, port, data, from = '127.0.0.1') {
    const s = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    return new Promise((resolve, reject) => {
        s.once('error', reject);
        s.bind({ address: from, port: 0 }, () => {
            s.send(data, port, host, (err) => {
                s.close();
                if (err)
                    reject(err);
                else
                    resolve();
            });
        });
    });
}
export const udpKnock = (host, port, from = '127.0.0.1') => sendDatagram(host, port, Buffer.from('knock'), from);
export function knockPacket(key, o = {}) {
    return encodePacket(key, {
        timestamp: Math.floor(Date.now() / 1000) - (o.ageSeconds ?? 0),
        nonce: randomBytes(16),
        open: o.open,
    });
}
/** Sends `payload` from `from` and resolves with the first reply, or undefined after `timeoutMs`. */
export function udpRoundTrip(host, port, payload, from = '127.0.0.1', timeoutMs = 1500) {
    const s = dgram.createSocket('udp4');
    return new Promise((resolve) => {
        const timer = setTimeout(() => {
            s.close();
            resolve(undefined);
        }, timeoutMs);
        s.once('message', (m) => {
            clearTimeout(timer);
            s.close();
            resolve(m);
        });
        s.once('error', () => undefined);
        s.bind({ address: from, port: 0 }, () => s.send(payload, port, host));
    });
}
/** The shell one-liner of docs/knock-protocol.md (its lines after the variables), to run with KEY, HOST and PORT set. */
export function docOneLiner(docText) {
    const block = /## Shell one-liner[\s\S]*?```sh\n([\s\S]*?)```/.exec(docText)?.[1];
    if (block === undefined)
        throw new Error('docs/knock-protocol.md has no shell one-liner block');
    return block.split('\n').slice(1).join('\n');
}
//# sourceMappingURL=knock.js.map