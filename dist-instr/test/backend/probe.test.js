// The readiness probe in front of a backend that reads the PROXY protocol: a probe
// connection no client takes must not close bare (nginx and HAProxy log that as a broken
// client; test/e2e/proxy-protocol.test.ts shows it with the real ones). It sends v2 LOCAL
// or v1 UNKNOWN and then ends; without proxy_protocol it sends nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { ReadinessProbe } from '../../src/backend/probe.js';
import { parseConfig } from '../../src/config/load.js';
import { freePort } from '../helpers/net.js';
async function whatAProbeSends(proxyProtocol, ready) {
    const port = await freePort();
    const received = [];
    let ended;
    const done = new Promise((resolve) => (ended = resolve));
    const server = net.createServer((socket) => {
        socket.on('data', (c) => received.push(c));
        socket.on('end', () => {
            socket.end();
            ended();
        });
        socket.on('close', ended);
    }).listen(port, '127.0.0.1');
    await once(server, 'listening');
    const config = parseConfig(`[service]\nexec = /bin/true\nready = ${ready}\n[socket.web]\nlisten = 1\nbackend = 127.0.0.1:${port}\nproxy_protocol = ${proxyProtocol}\n`, '/x.conf');
    const probe = new ReadinessProbe({
        sockets: config.sockets,
        service: config.service,
        process: { env: { PATH: process.env.PATH } },
        wanted: () => false,
        changed: () => undefined,
    });
    try {
        await probe.probe(new AbortController().signal);
        await done;
    }
    finally {
        server.close();
    }
    return Buffer.concat(received);
}
test('a probe no client takes: v2 sends LOCAL, v1 UNKNOWN, off nothing; then it ends', async () => {
    for (const ready of ['connect', 'exec /bin/true']) {
        const v2 = await whatAProbeSends('v2', ready);
        assert.deepEqual(v2, Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x20, 0x00, 0x00, 0x00]), ready);
        assert.equal((await whatAProbeSends('v1', ready)).toString('latin1'), 'PROXY UNKNOWN\r\n', ready);
        assert.equal((await whatAProbeSends('off', ready)).length, 0, ready);
    }
});
//# sourceMappingURL=probe.test.js.map