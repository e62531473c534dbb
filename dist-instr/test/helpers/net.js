import dgram from 'node:dgram';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
/** Ports freePort() handed out in this process: the kernel may offer a released one again. */
const handedOut = new Set();
/** A free TCP port on 127.0.0.1 (bound then released), never one handed out before in this process. */
export async function freePort(host = '127.0.0.1') {
    for (;;) {
        const port = await new Promise((resolve, reject) => {
            const s = net.createServer();
            s.once('error', reject);
            s.listen(0, host, () => {
                const p = s.address().port;
                s.close(() => resolve(p));
            });
        });
        if (handedOut.has(port))
            continue;
        handedOut.add(port);
        return port;
    }
}
/** A port free for UDP (and TCP) on `host`, by freePort()'s rules. */
export async function freeUdpPort(host = '127.0.0.1') {
    for (;;) {
        const port = await freePort(host);
        const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
        const ok = await new Promise((resolve) => {
            s.once('error', () => resolve(false));
            s.bind(port, host, () => resolve(true));
        });
        s.close();
        if (ok)
            return port;
    }
}
/**
 * Connect, send `payload`, half-close, and collect everything until the server closes.
 * Resolves with the bytes received.
 */
export function echoRoundTrip(options, payload, timeoutMs = 30_000) {
    return new Promise((resolve, reject) => {
        const chunks = [];
        const socket = net.connect(options);
        const timer = setTimeout(() => {
            socket.destroy();
            reject(new Error(`no complete echo within ${timeoutMs} ms (got ${Buffer.concat(chunks).length} bytes)`));
        }, timeoutMs);
        socket.on('data', (c) => chunks.push(c));
        socket.once('error', (err) => {
            clearTimeout(timer);
            reject(err);
        });
        socket.once('end', () => {
            clearTimeout(timer);
            socket.end();
            resolve(Buffer.concat(chunks));
        });
        socket.end(payload);
    });
}
/** `count` clients at once, each with its own random payload; resolves with how many were echoed byte-exact. */
export async function concurrentEchoes(options, count, size, timeoutMs = 60_000) {
    const payloads = Array.from({ length: count }, () => randomBytes(size));
    const results = await Promise.allSettled(payloads.map((p) => echoRoundTrip(options, p, timeoutMs)));
    const failures = [];
    let exact = 0;
    results.forEach((r, i) => {
        if (r.status === 'rejected')
            failures.push(`client ${i}: ${String(r.reason)}`);
        else if (r.value.equals(payloads[i]))
            exact += 1;
        else
            failures.push(`client ${i}: got ${r.value.length} bytes, not its own ${size}`);
    });
    return { exact, failures };
}
export async function waitFor(predicate, timeoutMs, intervalMs = 20) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (await predicate())
            return true;
        await new Promise((r) => setTimeout(r, intervalMs));
    }
    return predicate();
}
/** Connects to 127.0.0.1:`port` and reads everything until the server closes; the text, trimmed. */
export function readAll(port, timeoutMs = 15_000) {
    return new Promise((resolve, reject) => {
        let text = '';
        const socket = net.connect({ host: '127.0.0.1', port });
        const timer = setTimeout(() => {
            socket.destroy();
            reject(new Error(`no answer within ${timeoutMs} ms (got "${text}")`));
        }, timeoutMs);
        socket.on('data', (c) => (text += c.toString()));
        socket.once('error', (err) => {
            clearTimeout(timer);
            reject(err);
        });
        socket.once('close', () => {
            clearTimeout(timer);
            resolve(text.trim());
        });
    });
}
//# sourceMappingURL=net.js.map