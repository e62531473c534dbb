// Stop policies and crash handling, in process with real backends: max_runtime,
// min_runtime, connections_count, exit = yes, crash loops and crashes mid-run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from './helpers/paths.js';
import { startDaemon, tempDir, phaseReached } from './helpers/daemon.js';
import { echoRoundTrip, freePort, waitFor } from './helpers/net.js';
const fixture = (name) => path.join(repoRoot, 'test/fixtures', name);
const lineCount = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').length : 0);
async function echoDaemon(idle, dir = tempDir(), extra = {}) {
    const [port, backendPort] = [await freePort(), await freePort()];
    const text = `[service]
exec = ${process.execPath} ${fixture('slow-echo.mjs')} ${backendPort} 0 ${path.join(dir, 'starts')}
stop_timeout = 2s
[socket.main]
listen = 127.0.0.1:${port}
backend = 127.0.0.1:${backendPort}
[idle]
${idle}
`;
    return { d: await startDaemon(text, dir, extra), port, starts: path.join(dir, 'starts') };
}
function stoppedAt(d) {
    return d.lines.find((l) => l.includes('stopping backend'));
}
test('max_runtime stops a busy backend at its time, whatever the traffic', async () => {
    const { d, port } = await echoDaemon('timeout = 10min\nmax_runtime = 2s');
    try {
        const socket = net.connect({ host: '127.0.0.1', port });
        socket.on('error', () => undefined);
        socket.on('data', () => undefined);
        const t0 = Date.now();
        const closed = new Promise((resolve) => socket.once('close', () => resolve(Date.now() - t0)));
        const busy = setInterval(() => socket.write('busy'), 50);
        const ms = await closed;
        clearInterval(busy);
        assert.ok(ms >= 1900 && ms < 2800, `stopped ${ms} ms after the first byte`);
        assert.match(stoppedAt(d) ?? '', /max_runtime \(2s\) reached/);
    }
    finally {
        await d.stop();
    }
});
test('min_runtime keeps the backend up past the idle timeout', async () => {
    const { d, port } = await echoDaemon('timeout = 200ms\nmin_runtime = 1500ms');
    try {
        const t0 = Date.now();
        await echoRoundTrip({ host: '127.0.0.1', port }, Buffer.from('x'));
        await sleep(800);
        assert.equal(d.daemon.backendPhase, 'running', 'held up by min_runtime');
        assert.ok(await phaseReached(d.daemon, 'stopped', 3000));
        const ms = Date.now() - t0;
        assert.ok(ms >= 1500 && ms < 2500, `stopped after ${ms} ms`);
    }
    finally {
        await d.stop();
    }
});
for (const count of [true, false]) {
    test(`connections_count = ${count ? 'yes: a silent open connection keeps' : 'no: a silent open connection does not keep'} the backend up`, async () => {
        const { d, port } = await echoDaemon(`timeout = 300ms\nconnections_count = ${count ? 'yes' : 'no'}`);
        try {
            const socket = net.connect({ host: '127.0.0.1', port });
            socket.on('error', () => undefined);
            socket.write('hello');
            await new Promise((r) => socket.once('data', r));
            await sleep(900);
            assert.equal(d.daemon.backendPhase, count ? 'running' : 'stopped');
            assert.equal(socket.destroyed || socket.readableEnded, !count);
            socket.destroy();
            if (count)
                assert.ok(await phaseReached(d.daemon, 'stopped', 2000), 'stops once the connection is gone');
        }
        finally {
            await d.stop();
        }
    });
}
test('a backend that crashes on every start is retried with growing delays, not in a hot loop', async () => {
    const dir = tempDir();
    const [port, backendPort] = [await freePort(), await freePort()];
    const starts = path.join(dir, 'starts');
    const d = await startDaemon(`[service]\nexec = ${process.execPath} ${fixture('crasher.mjs')} ${backendPort} now 0 ${starts}\n` +
        `[socket.main]\nlisten = 127.0.0.1:${port}\nbackend = 127.0.0.1:${backendPort}\n`, dir);
    try {
        const deadline = Date.now() + 3000;
        let attempts = 0;
        while (Date.now() < deadline) {
            attempts += 1;
            await echoRoundTrip({ host: '127.0.0.1', port }, Buffer.from('x'), 5000).catch(() => undefined);
        }
        const launched = lineCount(starts);
        assert.ok(launched <= 4, `${launched} starts for ${attempts} clients in 3 s`);
        assert.ok(d.lines.some((l) => /failed [23] times in a row; next start in [12] s/.test(l)), d.lines.join('\n'));
        assert.ok(d.lines.some((l) => l.includes('crasher: cannot start (on purpose)')), 'backend stderr is logged');
        assert.ok(d.lines.some((l) => l.includes('error') && l.includes('exited while starting (exit status 3)')));
    }
    finally {
        await d.stop();
    }
});
test('a backend crashing mid-run: warning with its status, clients closed, the next client restarts it', async () => {
    const dir = tempDir();
    const [port, backendPort] = [await freePort(), await freePort()];
    const starts = path.join(dir, 'starts');
    const d = await startDaemon(`[service]\nexec = ${process.execPath} ${fixture('crasher.mjs')} ${backendPort} later 600 ${starts}\n` +
        `[socket.main]\nlisten = 127.0.0.1:${port}\nbackend = 127.0.0.1:${backendPort}\n`, dir);
    try {
        const socket = net.connect({ host: '127.0.0.1', port });
        socket.on('error', () => undefined);
        socket.write('hello');
        await new Promise((r) => socket.once('data', r));
        await new Promise((r) => socket.once('close', r));
        // the client may see the backend's RST before mrsocko sees the exit: wait for the line
        const logged = await waitFor(() => d.lines.some((l) => /warning .*exited on its own \(killed by SIGKILL\)/.test(l)), 2000);
        assert.ok(logged, d.lines.join('\n'));
        assert.deepEqual(await echoRoundTrip({ host: '127.0.0.1', port }, Buffer.from('again')), Buffer.from('again'));
        assert.equal(lineCount(starts), 2);
    }
    finally {
        await d.stop();
    }
});
test('exit = yes: once the backend is stopped and nobody is connected, the daemon asks to exit', async () => {
    let asked = 0;
    const { d, port } = await echoDaemon('timeout = 300ms\nexit = yes', tempDir(), { onExitRequest: () => asked++ });
    try {
        await sleep(400);
        assert.equal(asked, 0, 'not before any client was served');
        await echoRoundTrip({ host: '127.0.0.1', port }, Buffer.from('x'));
        assert.ok(await waitFor(() => asked === 1, 3000));
        assert.ok(d.lines.some((l) => l.includes('exiting ([idle] exit = yes)')));
    }
    finally {
        await d.stop();
    }
});
test('a client arriving while the backend is stopping is held and served after the restart', async () => {
    const dir = tempDir();
    const [port, backendPort] = [await freePort(), await freePort()];
    const starts = path.join(dir, 'starts');
    const d = await startDaemon(`[service]\nexec = ${process.execPath} ${fixture('slow-echo.mjs')} ${backendPort} 0 ${starts}\n` +
        `stop = /bin/sh -c "sleep 0.6; kill $MAINPID"\n` +
        `[socket.main]\nlisten = 127.0.0.1:${port}\nbackend = 127.0.0.1:${backendPort}\n[idle]\ntimeout = 300ms\n`, dir);
    try {
        await echoRoundTrip({ host: '127.0.0.1', port }, Buffer.from('first'));
        assert.ok(await phaseReached(d.daemon, 'stopping', 2000));
        const payload = Buffer.from('arrived while stopping');
        assert.deepEqual(await echoRoundTrip({ host: '127.0.0.1', port }, payload), payload);
        assert.equal(lineCount(starts), 2);
        assert.ok(d.lines.some((l) => l.includes('clients that arrived while stopping')), d.lines.join('\n'));
    }
    finally {
        await d.stop();
    }
});
//# sourceMappingURL=daemon-policies.test.js.map