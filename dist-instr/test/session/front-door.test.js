// `[access] wake_on = data` and `[socket.X] counts = no` with a real daemon and a real
// exec backend (an echo server that records each start): connect-and-close probes never
// start the backend and are counted in `mrsocko status`; a client that sends a byte does,
// and is served byte-exact; a silent one is closed at start_timeout; traffic on a
// counts = no socket (TCP or UDP) never holds off the idle stop, and never wakes the backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../helpers/paths.js';
import { phaseReached, startDaemon, tempDir } from '../helpers/daemon.js';
import { echoRoundTrip, freePort, freeUdpPort, waitFor } from '../helpers/net.js';
import { renderStatus } from '../../src/control/report.js';
const echo = path.join(repoRoot, 'test/fixtures/slow-echo.mjs');
const starts = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').length : 0);
/** Connect and close without a byte (a port scanner's or an uptime monitor's TCP check): a FIN, or an RST (`reset`, as nmap's connect scan does). */
async function probe(port, reset = false) {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    if (reset)
        socket.resetAndDestroy();
    else
        socket.end();
    await once(socket, 'close');
}
test('wake_on = data: 1 000 connect-and-close probes start nothing and are counted; one byte starts it, served byte-exact', async () => {
    const dir = tempDir();
    const [port, backend] = [await freePort(), await freePort()];
    const startsFile = path.join(dir, 'starts');
    const d = await startDaemon(`[service]
exec = ${process.execPath} ${echo} ${backend} 200 ${startsFile}
stop_timeout = 2s
[socket.main]
listen = 127.0.0.1:${port}
backend = 127.0.0.1:${backend}
[access]
wake_on = data
`, dir);
    try {
        const PROBES = 1000;
        // half of them end with a FIN, 50 at a time; half with an RST, one at a time (an RST that
        // overtakes mrsocko's accept leaves no connection to count: nothing to admit, nothing started)
        for (let i = 0; i < PROBES / 2; i += 50)
            await Promise.all(Array.from({ length: 50 }, () => probe(port)));
        for (let i = 0; i < PROBES / 2; i++)
            await probe(port, true);
        assert.ok(await waitFor(() => d.daemon.statusReport().totals.silent === PROBES, 10_000), `silent connections counted: ${d.daemon.statusReport().totals.silent}`);
        assert.equal(d.daemon.backendStarts, 0, 'a probe started the backend');
        assert.equal(starts(startsFile), 0);
        assert.equal(d.daemon.backendPhase, 'stopped');
        assert.match(renderStatus(d.daemon.statusReport()), /1000 sent nothing \(not woken: wake_on = data\)/);
        // one source: one line of its own, the rest summed up (at shutdown at the latest)
        assert.equal(d.lines.filter((l) => l.includes('without sending a byte')).length, 1, d.lines.slice(-5).join('\n'));
        assert.ok(!d.lines.some((l) => l.includes('ECONNRESET')), 'a reset probe was logged on its own');
        const payload = randomBytes(256 * 1024);
        const echoed = await echoRoundTrip({ host: '127.0.0.1', port }, payload);
        assert.ok(echoed.equals(payload), `echo differs: ${echoed.length} of ${payload.length} bytes`);
        assert.equal(d.daemon.backendStarts, 1);
        assert.equal(starts(startsFile), 1);
    }
    finally {
        await d.stop();
    }
    assert.ok(d.lines.some((l) => /999 more connections from 127\.0\.0\.1 sent nothing/.test(l)), 'no summary line at shutdown');
});
test('wake_on = data: a connection that sends nothing is held start_timeout, then closed, and never starts the backend', async () => {
    const dir = tempDir();
    const [port, backend] = [await freePort(), await freePort()];
    const d = await startDaemon(`[service]
exec = ${process.execPath} ${echo} ${backend} 0 ${path.join(dir, 'starts')}
start_timeout = 1s
[socket.main]
listen = 127.0.0.1:${port}
backend = 127.0.0.1:${backend}
[access]
wake_on = data
`, dir);
    try {
        const socket = net.connect({ host: '127.0.0.1', port });
        socket.on('error', () => undefined);
        socket.resume();
        await once(socket, 'connect');
        const t0 = performance.now();
        await once(socket, 'close');
        const ms = performance.now() - t0;
        assert.ok(ms >= 900 && ms < 3000, `closed after ${Math.round(ms)} ms`);
        assert.equal(d.daemon.backendStarts, 0);
        assert.equal(d.daemon.statusReport().totals.silent, 1);
        assert.ok(d.lines.some((l) => l.includes('was closed after start_timeout without sending a byte')));
    }
    finally {
        await d.stop();
    }
});
test('wake_on = connect (the default): a connect-and-close still starts the backend', async () => {
    const dir = tempDir();
    const [port, backend] = [await freePort(), await freePort()];
    const d = await startDaemon(`[service]
exec = ${process.execPath} ${echo} ${backend} 0 ${path.join(dir, 'starts')}
[socket.main]
listen = 127.0.0.1:${port}
backend = 127.0.0.1:${backend}
`, dir);
    try {
        await probe(port);
        assert.ok(await phaseReached(d.daemon, 'running', 10_000), 'not started');
        assert.equal(d.daemon.statusReport().totals.silent, 0);
    }
    finally {
        await d.stop();
    }
});
test('counts = no: traffic only on that socket lets the idle stop happen, and it never wakes the backend', async () => {
    const dir = tempDir();
    const [main, health, backend] = [await freePort(), await freePort(), await freePort()];
    const d = await startDaemon(`[service]
exec = ${process.execPath} ${echo} ${backend} 0 ${path.join(dir, 'starts')}
stop_timeout = 2s
[socket.main]
listen = 127.0.0.1:${main}
backend = 127.0.0.1:${backend}
[socket.health]
listen = 127.0.0.1:${health}
backend = 127.0.0.1:${backend}
counts = no
[idle]
timeout = 1s
`, dir);
    try {
        await echoRoundTrip({ host: '127.0.0.1', port: main }, Buffer.from('wake'));
        assert.equal(d.daemon.backendPhase, 'running');
        // a health check every 100 ms on counts = no, and one connection held open chattering on it
        const chatter = net.connect({ host: '127.0.0.1', port: health });
        chatter.on('error', () => undefined);
        chatter.resume();
        const t0 = performance.now();
        let checks = 0;
        const stopped = phaseReached(d.daemon, 'stopped', 6000);
        const ticker = setInterval(() => {
            chatter.write('ping');
            void echoRoundTrip({ host: '127.0.0.1', port: health }, Buffer.from('ok?')).then(() => (checks += 1), () => undefined);
        }, 100);
        const didStop = await stopped;
        clearInterval(ticker);
        const ms = performance.now() - t0;
        chatter.destroy();
        assert.ok(didStop, 'the idle stop did not happen: counts = no traffic held it off');
        assert.ok(checks > 3, `health checks served while it ran: ${checks}`);
        assert.ok(ms < 4000, `stopped ${Math.round(ms)} ms after the last counted traffic`);
        await sleep(200);
        // stopped: the counts = no socket refuses and does not start it
        const startsBefore = d.daemon.backendStarts;
        await assert.rejects(echoRoundTrip({ host: '127.0.0.1', port: health }, Buffer.from('wake?'), 3000));
        await sleep(300);
        assert.equal(d.daemon.backendStarts, startsBefore, 'a counts = no socket woke the backend');
        assert.equal(d.daemon.backendPhase, 'stopped');
        assert.ok(d.lines.some((l) => l.includes('counts = no')), 'the refusal is not logged');
    }
    finally {
        await d.stop();
    }
});
test('wake_on = data: a silent connection waits and is served once another client wakes the backend', async () => {
    const dir = tempDir();
    const [port, backend] = [await freePort(), await freePort()];
    const d = await startDaemon(`[service]
exec = ${process.execPath} ${echo} ${backend} 100 ${path.join(dir, 'starts')}
[socket.main]
listen = 127.0.0.1:${port}
backend = 127.0.0.1:${backend}
[access]
wake_on = data
`, dir);
    try {
        const quiet = net.connect({ host: '127.0.0.1', port });
        quiet.on('error', () => undefined);
        await once(quiet, 'connect');
        await sleep(300);
        assert.equal(d.daemon.backendPhase, 'stopped', 'a silent connection started the backend');
        assert.equal(d.daemon.statusReport().totals.held, 1);
        const payload = randomBytes(1000);
        assert.ok((await echoRoundTrip({ host: '127.0.0.1', port }, payload)).equals(payload));
        const answer = once(quiet, 'data');
        quiet.write('late');
        assert.equal((await answer)[0].toString(), 'late');
        quiet.destroy();
        assert.equal(d.daemon.backendStarts, 1);
        assert.equal(d.daemon.statusReport().totals.silent, 0);
    }
    finally {
        await d.stop();
    }
});
test('wake_on = data with proxy_protocol = v2: the backend gets the client\'s header, then what it sent while held, in one write', async () => {
    const [port, backendPort] = [await freePort(), await freePort()];
    const received = [];
    const got = new Promise((resolve) => {
        const server = net.createServer((socket) => {
            socket.on('data', (c) => {
                received.push(c);
                if (Buffer.concat(received).length >= 28 + 5) {
                    resolve();
                    socket.end();
                    server.close();
                }
            });
        });
        server.listen(backendPort, '127.0.0.1');
    });
    // the "backend" is already listening: mrsocko's exec only marks it started
    const d = await startDaemon(`[service]
exec = /bin/sleep infinity
[socket.main]
listen = 127.0.0.1:${port}
backend = 127.0.0.1:${backendPort}
proxy_protocol = v2
[access]
wake_on = data
`, tempDir());
    try {
        const client = net.connect({ host: '127.0.0.1', port });
        client.on('error', () => undefined);
        await once(client, 'connect');
        await sleep(100);
        assert.equal(d.daemon.backendPhase, 'stopped', 'started by a connection that sent nothing');
        client.write('hello');
        await got;
        const all = Buffer.concat(received);
        assert.deepEqual(all.subarray(0, 12), Buffer.from('\r\n\r\n\0\r\nQUIT\n', 'latin1'));
        assert.equal(all[13], 0x11);
        assert.deepEqual([...all.subarray(16, 20)], [127, 0, 0, 1]);
        assert.equal(all.readUInt16BE(24), client.localPort);
        assert.equal(all.subarray(28).toString(), 'hello');
        assert.equal(received.length, 1, `the header and the held bytes came in ${received.length} reads`);
        client.destroy();
    }
    finally {
        await d.stop();
    }
});
test('counts = no on a UDP socket: datagrams while stopped are refused and start nothing; while running they are served', async () => {
    const dir = tempDir();
    const [main, backend, udpPort] = [await freeUdpPort(), await freeUdpPort(), await freeUdpPort()];
    const d = await startDaemon(`[service]
exec = ${process.execPath} ${path.join(repoRoot, 'test/fixtures/slow-udp-echo.mjs')} 127.0.0.1:${backend} 0 ${path.join(dir, 'starts')}
[socket.main]
listen = 127.0.0.1:${main}
protocol = udp
backend = 127.0.0.1:${backend}
[socket.discovery]
listen = 127.0.0.1:${udpPort}
protocol = udp
backend = 127.0.0.1:${backend}
counts = no
`, dir);
    const client = dgram.createSocket('udp4');
    const got = [];
    client.on('message', (m) => got.push(m.toString()));
    try {
        client.send('who is there?', udpPort, '127.0.0.1');
        await sleep(500);
        assert.equal(d.daemon.backendStarts, 0, 'a counts = no datagram started the backend');
        assert.equal(got.length, 0);
        assert.equal(d.daemon.statusReport().totals.refused, 1);
        client.send('wake', main, '127.0.0.1');
        assert.ok(await waitFor(() => got.includes('wake'), 10_000), 'not served on the counted socket');
        client.send('now?', udpPort, '127.0.0.1');
        assert.ok(await waitFor(() => got.includes('now?'), 5000), 'counts = no not served while running');
        assert.equal(d.daemon.backendStarts, 1);
    }
    finally {
        client.close();
        await d.stop();
    }
});
test('wake_on = data with a starting page: a browser\'s GET wakes the backend and gets the page while it starts', async () => {
    const dir = tempDir();
    const [port, backend] = [await freePort(), await freePort()];
    const d = await startDaemon(`[service]
exec = ${process.execPath} ${echo} ${backend} 3000 ${path.join(dir, 'starts')}
[socket.web]
listen = 127.0.0.1:${port}
backend = 127.0.0.1:${backend}
starting_page = yes
starting_page_after = 200ms
[access]
wake_on = data
`, dir);
    try {
        await probe(port);
        assert.equal(d.daemon.backendPhase, 'stopped', 'a probe started it');
        const socket = net.connect({ host: '127.0.0.1', port });
        socket.on('error', () => undefined);
        const chunks = [];
        socket.on('data', (c) => chunks.push(c));
        await once(socket, 'connect');
        socket.write('GET / HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n\r\n');
        await once(socket, 'close');
        assert.match(Buffer.concat(chunks).toString(), /^HTTP\/1\.1 503 /);
        assert.equal(d.daemon.backendPhase, 'starting');
    }
    finally {
        await d.stop();
    }
});
//# sourceMappingURL=front-door.test.js.map