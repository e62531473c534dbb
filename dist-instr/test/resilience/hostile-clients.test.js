// Hostile and broken clients at the listener, in process: random bytes in random pieces,
// resets at every stage, half-closes, clients that never read, clients that never send
// (slowloris). The daemon must pass every byte of the well-behaved ones intact, release
// every connection, apply backpressure, and neither let silent clients keep the backend
// up (connections_count = no) nor let one source hold more than max_per_source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, waitFor } from '../helpers/net.js';
import { fixture } from '../helpers/paths.js';
import { Prng, seedFor } from '../helpers/prng.js';
import { fdTable, hygienic, startMarkedDaemon } from '../helpers/resources.js';
import { exchange } from '../helpers/traffic.js';
import { phaseReached, tempDir } from '../helpers/daemon.js';
function echoConfig(port, backendPort, o = {}) {
    return `[service]\nexec = ${process.execPath} ${fixture('slow-echo.mjs')} ${backendPort} ${o.delayMs ?? 0}${o.dir ? ` ${path.join(o.dir, 'starts')}` : ''}\n` +
        `stop_timeout = 2s\n[socket.main]\nlisten = 127.0.0.1:${port}\nbackend = 127.0.0.1:${backendPort}\n` +
        `[idle]\n${o.idle ?? 'timeout = 1min'}\n[access]\n${o.access ?? 'max_per_source = 1000'}\n`;
}
/** Resolves when the socket is closed, with how: 'end' (FIN from mrsocko), an error code, or 'close'. */
function ended(socket) {
    return new Promise((resolve) => {
        let how;
        socket.once('end', () => (how ??= 'end'));
        socket.on('error', (err) => (how ??= err.code ?? err.message));
        socket.once('close', () => resolve(how ?? 'close'));
    });
}
function silent(port, from = '127.0.0.1') {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: from });
    socket.on('data', () => undefined);
    return { socket, closed: ended(socket) };
}
test('random bytes, resets at every stage, half-closes and clients that never read: every good byte intact, every connection released', async () => {
    await hygienic('hostile clients', async () => {
        const p = new Prng(seedFor('hostile clients'));
        const dir = tempDir();
        const [port, backendPort] = [await freePort(), await freePort()];
        // the backend takes 300 ms: the first wave meets a cold start, later ones a running backend
        const d = await startMarkedDaemon(echoConfig(port, backendPort, { delayMs: 300, dir }), dir);
        try {
            const target = { host: '127.0.0.1', port };
            const jobs = [];
            const later = (ms, job) => {
                jobs.push(sleep(ms).then(job));
            };
            // well-behaved: random bytes in random pieces, then half-close; must come back exactly
            for (let i = 0; i < 120; i++) {
                const payload = p.bytes(p.int(256 * 1024));
                const chunk = 1 + p.int(Math.max(1, payload.length));
                later(p.int(800), async () => {
                    const r = await exchange(target, payload, { chunk, timeoutMs: 30_000 });
                    return r.ok ? undefined : `random bytes (${payload.length}): ${r.problem}`;
                });
            }
            // reset (RST) at a random moment: before a byte, mid-stream, while held
            for (let i = 0; i < 60; i++) {
                const payload = p.bytes(p.int(64 * 1024));
                const after = p.int(400);
                later(p.int(800), async () => {
                    const s = net.connect(target);
                    s.on('error', () => undefined);
                    s.on('data', () => undefined);
                    const closed = new Promise((r) => s.once('close', r));
                    s.once('connect', () => {
                        s.write(payload);
                        setTimeout(() => s.resetAndDestroy(), after);
                    });
                    await closed;
                    return undefined;
                });
            }
            // gone at once: RST or FIN straight after the handshake, maybe before mrsocko accepts
            for (let i = 0; i < 60; i++) {
                const rst = p.chance(0.5);
                later(p.int(800), async () => {
                    const s = net.connect(target);
                    s.on('error', () => undefined);
                    const closed = new Promise((r) => s.once('close', r));
                    s.once('connect', () => (rst ? s.resetAndDestroy() : s.destroy()));
                    await closed;
                    return undefined;
                });
            }
            // half-close without a byte: the end must come back, promptly
            for (let i = 0; i < 40; i++) {
                later(p.int(800), async () => {
                    const s = net.connect(target);
                    s.on('data', () => undefined);
                    const how = ended(s);
                    s.once('connect', () => s.end());
                    const t0 = performance.now();
                    let timer;
                    const result = await Promise.race([how, new Promise((r) => (timer = setTimeout(() => r('still open after 10 s'), 10_000)))]);
                    clearTimeout(timer);
                    s.destroy();
                    return result === 'end' ? undefined : `half-close after ${Math.round(performance.now() - t0)} ms: ${result}`;
                });
            }
            // never read: write as fast as the connection takes it, for two seconds. Kernel
            // buffers along the way take tens of MiB; after that, backpressure must reach the
            // client and stop it (mrsocko buffering without limit would take whatever comes).
            const pushed = [];
            for (let i = 0; i < 4; i++) {
                later(400, async () => {
                    const s = net.connect(target);
                    s.on('error', () => undefined);
                    s.pause();
                    await new Promise((r) => s.once('connect', r));
                    const chunk = p.bytes(64 * 1024);
                    const t0 = performance.now();
                    // what the kernel took (Node's own buffer of this socket not included)
                    const flushed = () => s.bytesWritten - s.writableLength;
                    let first = 0;
                    const firstTaken = sleep(1000).then(() => (first = flushed()));
                    while (performance.now() < t0 + 2000) {
                        if (!s.write(chunk)) {
                            // wait for 'drain', or 50 ms at most
                            await new Promise((r) => {
                                const done = () => {
                                    clearTimeout(timer);
                                    s.off('drain', done);
                                    r();
                                };
                                const timer = setTimeout(done, 50);
                                s.on('drain', done);
                            });
                            while (s.writableLength > 0 && performance.now() < t0 + 2000)
                                await sleep(50);
                        }
                    }
                    await firstTaken;
                    pushed.push({ first, second: flushed() - first });
                    s.destroy();
                    return undefined;
                });
            }
            const problems = (await Promise.all(jobs)).filter((x) => x !== undefined);
            assert.deepEqual(problems, []);
            const mib = (n) => (n / 1048576).toFixed(1);
            for (const { first, second } of pushed) {
                assert.ok(second < 2 * 1048576, `a client that never reads pushed ${mib(first)} MiB in the first second and ${mib(second)} MiB more in the next`);
            }
            assert.ok(await waitFor(() => d.daemon.statusReport().totals.connections === 0, 5000), `still open: ${JSON.stringify(d.daemon.statusReport().totals)}`);
            const last = await exchange(target, Buffer.from('still serving'));
            assert.ok(last.ok, last.problem);
            assert.equal(d.daemon.backendStarts, 1, 'one start for all of them');
            assert.equal(d.daemon.statusReport().totals.refused, 0);
            console.log(`# hostile clients: 284 connections (120 random-byte exchanges, 60 resets, 60 instant closes, 40 half-closes, 4 never-reading), ` +
                `never-reading clients pushed ${pushed.map((w) => `${mib(w.first)}+${mib(w.second)}`).join(', ')} MiB in their first and second seconds`);
        }
        finally {
            await d.stop();
        }
    });
});
test('slowloris, connections_count = no: silent clients do not keep the backend up; traffic does, and the stop follows it', async () => {
    await hygienic('slowloris and idle', async () => {
        const [port, backendPort] = [await freePort(), await freePort()];
        const d = await startMarkedDaemon(echoConfig(port, backendPort, { idle: 'timeout = 500ms\nconnections_count = no', access: '' }));
        try {
            // 64 silent clients (no per-source limit is set: there is none by default)
            const loris = Array.from({ length: 64 }, () => silent(port));
            assert.ok(await phaseReached(d.daemon, 'running', 5000), 'silent clients may wake it');
            const ready = performance.now();
            const how = await Promise.all(loris.map((l) => l.closed));
            const ms = performance.now() - ready;
            assert.ok(ms >= 450 && ms < 2000, `silent clients closed ${Math.round(ms)} ms after the start (timeout 500ms)`);
            assert.ok(how.every((h) => h === 'end' || h === 'ECONNRESET'), how.join(','));
            assert.ok(await phaseReached(d.daemon, 'stopped', 3000));
            // silent clients again, plus one that talks for 1.5 s from another address
            const more = Array.from({ length: 64 }, () => silent(port));
            const talker = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
            talker.on('data', () => undefined);
            talker.on('error', () => undefined);
            assert.ok(await phaseReached(d.daemon, 'running', 5000));
            const until = performance.now() + 1500;
            while (performance.now() < until) {
                talker.write('ping');
                await sleep(100);
                assert.equal(d.daemon.backendPhase, 'running', 'traffic keeps it up');
            }
            const quiet = performance.now();
            assert.ok(await waitFor(() => d.daemon.backendPhase !== 'running', 3000), 'silent clients kept the backend up');
            const stoppedAfter = performance.now() - quiet;
            assert.ok(stoppedAfter >= 350 && stoppedAfter < 1500, `stopped ${Math.round(stoppedAfter)} ms after the last byte (timeout 500ms)`);
            await Promise.all(more.map((l) => l.closed));
            talker.destroy();
        }
        finally {
            await d.stop();
        }
    });
});
test('slowloris from one address holds at most max_per_source connections; everyone else is still served', async () => {
    await hygienic('slowloris and max_per_source', async () => {
        const [port, backendPort] = [await freePort(), await freePort()];
        const d = await startMarkedDaemon(echoConfig(port, backendPort, { access: 'max_per_source = 16\nmax_connections = 100' }));
        try {
            const fds0 = fdTable().size;
            const loris = Array.from({ length: 200 }, () => silent(port, '127.0.0.7'));
            assert.ok(await waitFor(() => loris.filter((l) => l.socket.destroyed).length === 184, 5000), 'all but 16 refused');
            const refusedHow = await Promise.all(loris.filter((l) => l.socket.destroyed).map((l) => l.closed));
            assert.ok(refusedHow.every((h) => h === 'ECONNRESET'), `refused with RST: ${[...new Set(refusedHow)].join(',')}`);
            const report = d.daemon.statusReport();
            assert.equal(report.totals.connections, 16);
            assert.equal(report.totals.refused, 184);
            // others are served meanwhile, from other addresses
            for (const from of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) {
                const r = await exchange({ host: '127.0.0.1', port, localAddress: from }, Buffer.alloc(50_000, 1));
                assert.ok(r.ok, `${from}: ${r.problem}`);
            }
            // what the 200 cost: 16 client sockets and their 16 upstream connections, nothing more
            const fds = fdTable().size - fds0;
            assert.ok(fds <= 16 * 3 + 4, `${fds} more fds in this process for 16 admitted silent clients (and the 16 test sockets)`);
            assert.equal(d.lines.filter((l) => /refused connection from .*127\.0\.0\.7.*max_per_source = 16 reached/.test(l)).length, 1, 'one log line for the flood');
            for (const l of loris)
                l.socket.destroy();
            assert.ok(await waitFor(() => d.daemon.statusReport().totals.connections === 0, 3000));
        }
        finally {
            await d.stop();
        }
    });
});
//# sourceMappingURL=hostile-clients.test.js.map