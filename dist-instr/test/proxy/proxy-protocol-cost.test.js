// What the PROXY protocol header costs per connection: building it (µs, many rounds), and
// a whole connection through a real in-process daemon — connect, one byte up, one byte
// back — with proxy_protocol = off, v1 and v2 to one Node backend that reads the header
// (checking it names the client) before it answers; then 4 MiB each way after a header, byte-exact. The connections alternate between the
// three sockets, so that load on the machine hits all alike; medians are reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { proxyHeader } from '../../src/net/proxy-header.js';
import { startDaemon, tempDir } from '../helpers/daemon.js';
import { echoRoundTrip, freePort } from '../helpers/net.js';
import { randomBytes } from 'node:crypto';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
test('PROXY header: building one costs microseconds', () => {
    const source = { address: '::ffff:192.168.1.20', port: 51234 };
    const destination = { address: '::ffff:192.168.1.2', port: 8096 };
    const ROUNDS = 100_000;
    for (const version of ['v1', 'v2']) {
        let bytes = 0;
        const t0 = performance.now();
        for (let i = 0; i < ROUNDS; i++)
            bytes += proxyHeader(version, source, destination).length;
        const us = ((performance.now() - t0) * 1000) / ROUNDS;
        console.log(`# proxy header ${version}: ${us.toFixed(2)} µs to build (${bytes / ROUNDS} bytes)`);
        assert.ok(us < 50, `${version} took ${us} µs`);
    }
});
/** A backend that reads the PROXY header a connection starts with (if `expect`), checks it, then answers one byte per byte. */
function headerReadingBackend(port) {
    return net.createServer({ allowHalfOpen: true }, (socket) => {
        let buffered = Buffer.alloc(0);
        let headerDone = false;
        socket.on('data', (chunk) => {
            buffered = Buffer.concat([buffered, chunk]);
            if (!headerDone) {
                if (buffered[0] === 0x0d) {
                    if (buffered.length < 16)
                        return;
                    const length = 16 + buffered.readUInt16BE(14);
                    if (buffered.length < length)
                        return;
                    if (buffered[13] !== 0x11 || buffered[16] !== 127)
                        return socket.destroy();
                    buffered = buffered.subarray(length);
                }
                else if (buffered[0] === 0x50) {
                    const eol = buffered.indexOf('\r\n');
                    if (eol < 0)
                        return;
                    if (!buffered.subarray(0, eol).toString().startsWith('PROXY TCP4 127.0.0.1 '))
                        return socket.destroy();
                    buffered = buffered.subarray(eol + 2);
                }
                headerDone = true;
            }
            if (buffered.length > 0) {
                socket.write(buffered);
                buffered = Buffer.alloc(0);
            }
        });
        socket.on('end', () => socket.end());
        socket.on('error', () => undefined);
    }).listen(port, '127.0.0.1');
}
async function roundTrip(port) {
    const t0 = performance.now();
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    await once(socket, 'connect');
    socket.write('a');
    const [answer] = (await once(socket, 'data'));
    const ms = performance.now() - t0;
    assert.equal(answer.toString(), 'a');
    socket.destroy();
    return ms;
}
test('PROXY header: extra latency of a whole connection through mrsocko (off, v1, v2)', async () => {
    const backendPort = await freePort();
    const backend = headerReadingBackend(backendPort);
    await once(backend, 'listening');
    const ports = { off: await freePort(), v1: await freePort(), v2: await freePort() };
    // sockets to one backend address must agree on proxy_protocol: one address each (127.0.0.1-3), one server behind them
    const sockets = Object.keys(ports).map((v, i) => `[socket.${v}]
listen = 127.0.0.1:${ports[v]}
backend = 127.0.0.${i + 1}:${backendPort}
proxy_protocol = ${v}
`).join('');
    const backends = [backend, ...['127.0.0.2', '127.0.0.3'].map((host) => net.createServer((s) => backend.emit('connection', s)).listen(backendPort, host))];
    await Promise.all(backends.slice(1).map((s) => once(s, 'listening')));
    const d = await startDaemon(`[service]\nexec = /bin/sleep infinity\n${sockets}`, tempDir());
    try {
        for (const port of Object.values(ports))
            await roundTrip(port); // wakes the backend, warms up
        const times = { off: [], v1: [], v2: [] };
        const ROUNDS = 300;
        for (let i = 0; i < ROUNDS; i++) {
            for (const [version, port] of Object.entries(ports))
                times[version].push(await roundTrip(port));
        }
        // bulk after the header (the native data path takes it over once built): byte-exact both ways
        const payload = randomBytes(4 * 1024 * 1024);
        for (const port of [ports.v1, ports.v2]) {
            const echoed = await echoRoundTrip({ host: '127.0.0.1', port }, payload);
            assert.ok(echoed.equals(payload), `4 MiB through a header socket came back as ${echoed.length} different bytes`);
        }
        const off = median(times.off);
        const line = (Object.keys(times)).map((v) => `${v} ${(median(times[v]) * 1000).toFixed(0)} µs`).join(', ');
        console.log(`# connection through mrsocko, median of ${ROUNDS}: ${line}; ` +
            `header: v1 ${((median(times.v1) - off) * 1000).toFixed(0)} µs, v2 ${((median(times.v2) - off) * 1000).toFixed(0)} µs extra`);
    }
    finally {
        await d.stop();
        for (const s of backends)
            s.close();
    }
});
//# sourceMappingURL=proxy-protocol-cost.test.js.map