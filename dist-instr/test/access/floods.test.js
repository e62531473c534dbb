// Floods against the real daemon (in process, standalone, a real exec backend): at
// max_connections a flood of one-datagram UDP flows from many sources, or of silent TCP
// connections, must not lock a new TCP, UDP or unix-socket client out (room is made by the
// address holding the most, src/session/eviction.ts); and with no per-source limit by
// default, a burst of clients from one address at a cold start is served in full.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../helpers/paths.js';
import { startDaemon, tempDir, phaseReached } from '../helpers/daemon.js';
import { renderStatus } from '../../src/control/report.js';
import { concurrentEchoes, echoRoundTrip, freePort, waitFor } from '../helpers/net.js';
const echo = path.join(repoRoot, 'test/fixtures/slow-echo.mjs');
/** The 17 flood sources of the issue: 127.0.0.2 … 127.0.0.18. */
const FLOOD_SOURCES = Array.from({ length: 17 }, (_, i) => `127.0.0.${i + 2}`);
/**
 * A TCP, a unix and a UDP socket in front of one backend: slow-echo (TCP, exec'd by
 * mrsocko, `delayMs` to start) and a UDP echo in this process on the same port number.
 */
async function setup(o = {}) {
    const dir = tempDir();
    const [tcpPort, udpPort, backendPort] = [await freePort(), await freePort(), await freePort()];
    const udpEcho = dgram.createSocket('udp4');
    udpEcho.on('message', (m, r) => udpEcho.send(m, r.port, r.address));
    await new Promise((r) => udpEcho.bind(backendPort, '127.0.0.1', r));
    const unixPath = path.join(dir, 'front.sock');
    const d = await startDaemon(`[service]
exec = ${process.execPath} ${echo} 127.0.0.1:${backendPort} ${o.delayMs ?? 0} ${path.join(dir, 'starts')}
stop_timeout = 2s
[socket.web]
listen = 127.0.0.1:${tcpPort}
backend = 127.0.0.1:${backendPort}
[socket.local]
listen = ${unixPath}
backend = 127.0.0.1:${backendPort}
[socket.dns]
listen = 127.0.0.1:${udpPort}
protocol = udp
backend = 127.0.0.1:${backendPort}
[idle]
timeout = 10min
[access]
${o.access ?? ''}
`, dir);
    return {
        d, tcpPort, udpPort, unixPath,
        stop: async () => {
            await d.stop();
            udpEcho.close();
        },
    };
}
/** One datagram of `payload` from `from:port` (port 0: any); resolves with the reply, or undefined after `timeoutMs`. */
async function udpAsk(from, port, to, payload, timeoutMs = 2000) {
    const s = dgram.createSocket('udp4');
    s.on('error', () => undefined);
    await new Promise((r) => s.bind(port, from, r));
    const reply = new Promise((resolve) => {
        const timer = setTimeout(() => resolve(undefined), timeoutMs);
        s.once('message', (m) => {
            clearTimeout(timer);
            resolve(m);
        });
    });
    s.send(payload, to, '127.0.0.1');
    const got = await reply;
    s.close();
    return got;
}
/**
 * One-byte datagrams from every flood source, each from a port of its own from `firstPort`
 * up (test/fixtures/udp-spray.mjs, a process of its own as an attacker is): `count` per
 * source, or until stop(). Resolves `done` with how many were sent.
 */
function udpSpray(to, firstPort, count) {
    const args = [path.join(repoRoot, 'test/fixtures/udp-spray.mjs'), String(to), FLOOD_SOURCES.join(','), String(firstPort)];
    const child = spawn(process.execPath, count === undefined ? args : [...args, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c.toString()));
    const done = new Promise((resolve) => child.once('exit', () => resolve(Number(/sent (\d+)/.exec(out)?.[1] ?? NaN))));
    return { done, stop: () => child.kill('SIGTERM') };
}
/**
 * A new TCP client, a new UDP client and a unix-socket client, each retried until served
 * byte-exact or `withinMs` passed; resolves with how long each waited (ms), or a problem.
 */
async function newClients(s, withinMs) {
    const until = performance.now() + withinMs;
    const served = async (kind, once) => {
        const t0 = performance.now();
        let tries = 0;
        while (performance.now() < until) {
            tries += 1;
            if (await once().catch(() => false))
                return Math.round(performance.now() - t0);
            await sleep(50);
        }
        return `${kind}: not served within ${withinMs} ms (${tries} tries)`;
    };
    const payload = randomBytes(20_000);
    const [tcp, udp, unix] = await Promise.all([
        served('tcp', async () => (await echoRoundTrip({ host: '127.0.0.1', port: s.tcpPort, localAddress: '127.0.0.1' }, payload, 3000)).equals(payload)),
        served('udp', async () => (await udpAsk('127.0.0.1', 0, s.udpPort, payload.subarray(0, 512), 1000))?.equals(payload.subarray(0, 512)) ?? false),
        served('unix', async () => (await echoRoundTrip({ path: s.unixPath }, payload, 3000)).equals(payload)),
    ]);
    return { tcp, udp, unix };
}
function assertServed(waited, withinMs) {
    for (const [kind, w] of Object.entries(waited)) {
        assert.equal(typeof w, 'number', String(w));
        assert.ok(w < withinMs, `${kind} waited ${w} ms`);
    }
}
test('1 088 one-byte datagrams from 17 addresses fill max_connections = 1024: new TCP, UDP and unix clients are still served, during the flood and after', async () => {
    const s = await setup();
    try {
        // the backend is up first: the flood meets a running backend, as in the issue
        assert.equal(await udpAsk('127.0.0.1', 0, s.udpPort, Buffer.from('warm')).then((b) => b?.toString()), 'warm');
        const t0 = performance.now();
        assert.equal(await udpSpray(s.udpPort, 40_000, 64).done, 1088);
        const full = await waitFor(() => s.d.daemon.statusReport().totals.flows >= 1000, 10_000);
        const floodMs = Math.round(performance.now() - t0);
        assert.ok(full, `flows: ${s.d.daemon.statusReport().totals.flows}`);
        // the flood goes on (fresh source ports) while the new clients arrive
        const flood = udpSpray(s.udpPort, 41_000);
        await sleep(300);
        const during = await newClients(s, 5000);
        flood.stop();
        const sprayed = await flood.done;
        assertServed(during, 5000);
        const after = await newClients(s, 5000);
        assertServed(after, 5000);
        const report = s.d.daemon.statusReport();
        assert.ok(report.totals.flows + report.totals.connections <= 1024, JSON.stringify(report.totals));
        assert.ok(report.totals.evicted > 0, 'room was made');
        const evictionLines = s.d.lines.filter((l) => /closed udp flow 127\.0\.0\.\d+:\d+ to make room for .*: a flow of one datagram/.test(l));
        assert.ok(evictionLines.length >= 1 && evictionLines.length <= 17, `${evictionLines.length} first lines, one per flood source at most:\n${evictionLines.slice(0, 3).join('\n')}`);
        console.log(`# udp flood: 1088 datagrams in ${floodMs} ms, ${sprayed} more during the clients; new clients waited ` +
            `${JSON.stringify(during)} ms during the flood, ${JSON.stringify(after)} ms after; ${report.totals.evicted} flows forgotten to make room, ` +
            `${report.totals.refused} refused`);
    }
    finally {
        await s.stop();
    }
});
/** `count` silent TCP connections, `perSource` from each flood address in turn. */
async function silentFlood(port, count, sources) {
    const sockets = [];
    const opened = [];
    for (let i = 0; i < count; i++) {
        const socket = net.connect({ host: '127.0.0.1', port, localAddress: sources[i % sources.length] });
        socket.on('error', () => undefined);
        socket.on('data', () => undefined);
        opened.push(new Promise((r) => {
            socket.once('connect', () => r());
            socket.once('close', () => r());
        }));
        sockets.push(socket);
    }
    await Promise.all(opened);
    return sockets;
}
for (const { max, count } of [{ max: 64, count: 68 }, { max: 1024, count: 1088 }]) {
    test(`${count} silent TCP connections from 17 addresses at max_connections = ${max}: new TCP, UDP and unix clients are served`, async () => {
        const s = await setup({ access: max === 1024 ? '' : `max_connections = ${max}` });
        let sockets = [];
        try {
            const t0 = performance.now();
            sockets = await silentFlood(s.tcpPort, count, FLOOD_SOURCES);
            assert.ok(await waitFor(() => s.d.daemon.statusReport().totals.connections === max, 10_000), JSON.stringify(s.d.daemon.statusReport().totals));
            assert.ok(await phaseReached(s.d.daemon, 'running', 10_000), 'silent clients wake it');
            const floodMs = Math.round(performance.now() - t0);
            const waited = await newClients(s, 5000);
            assertServed(waited, 5000);
            const closed = sockets.filter((x) => x.destroyed).length;
            const report = s.d.daemon.statusReport();
            assert.ok(report.totals.evicted >= 3, `${report.totals.evicted} closed to make room`);
            assert.ok(s.d.lines.some((l) => /web: closed connection 127\.0\.0\.\d+:\d+ to make room for /.test(l)), 'the closure is logged');
            assert.match(renderStatus(report), new RegExp(`; ${report.totals.refused} refused, ${report.totals.evicted} closed to make room since start`));
            // nobody but the flood lost a connection
            assert.ok(report.clients.filter((c) => !FLOOD_SOURCES.includes(c.address)).every((c) => c.connections + c.flows <= 1));
            console.log(`# silent tcp flood: ${count} connections at max_connections = ${max} in ${floodMs} ms; new clients waited ` +
                `${JSON.stringify(waited)} ms; ${report.totals.evicted} closed to make room, ${report.totals.refused} refused, ${closed} flood sockets closed`);
        }
        finally {
            for (const x of sockets)
                x.destroy();
            await s.stop();
        }
    });
}
test('silent connections from the same address as a new client: after a second of silence they make room for it', async () => {
    const s = await setup({ access: 'max_connections = 32' });
    let sockets = [];
    try {
        sockets = await silentFlood(s.tcpPort, 32, ['127.0.0.1']);
        assert.ok(await waitFor(() => s.d.daemon.statusReport().totals.connections === 32, 5000));
        await sleep(1100);
        const payload = randomBytes(5000);
        assert.ok((await echoRoundTrip({ host: '127.0.0.1', port: s.tcpPort }, payload, 3000)).equals(payload));
        assert.ok(s.d.lines.some((l) => /closed connection 127\.0\.0\.1:\d+ to make room for 127\.0\.0\.1:\d+ .*silent for/.test(l)), s.d.lines.slice(-5).join('\n'));
    }
    finally {
        for (const x of sockets)
            x.destroy();
        await s.stop();
    }
});
test('100 clients arriving together from one address at a cold start are all served byte-exact (no default max_per_source)', async () => {
    const s = await setup({ delayMs: 300 });
    try {
        assert.equal(s.d.daemon.backendPhase, 'stopped');
        const r = await concurrentEchoes({ host: '127.0.0.1', port: s.tcpPort }, 100, 64 * 1024, 30_000);
        assert.deepEqual(r.failures, []);
        assert.equal(r.exact, 100);
        assert.equal(s.d.daemon.backendStarts, 1);
        assert.equal(s.d.daemon.statusReport().totals.refused, 0);
    }
    finally {
        await s.stop();
    }
});
//# sourceMappingURL=floods.test.js.map