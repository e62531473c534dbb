// The daemon in standalone mode, in process: holding clients during a slow start, proxying
// byte-exact with half-close, idle stop and restart, start failures, shutdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from './helpers/paths.js';
import { startDaemon, tempDir, phaseReached } from './helpers/daemon.js';
import { concurrentEchoes, echoRoundTrip, freePort, waitFor } from './helpers/net.js';
import { groupGone } from '../src/backend/procfs.js';
const echo = path.join(repoRoot, 'test/fixtures/slow-echo.mjs');
const starts = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').length : 0);
function echoConfig(o) {
    return `[service]
exec = ${process.execPath} ${echo} ${o.backend} ${o.delayMs} ${o.startsFile}
start_timeout = ${o.startTimeout ?? '10s'}
stop_timeout = 2s
[socket.main]
listen = ${o.listen}
backend = ${o.backend}
[idle]
timeout = ${o.timeout ?? '1min'}
`;
}
test('clients arriving during a slow start are held and echoed byte-exact; one start', async () => {
    const dir = tempDir();
    const [listenPort, backendPort] = [await freePort(), await freePort()];
    const startsFile = path.join(dir, 'starts');
    const d = await startDaemon(echoConfig({ listen: `127.0.0.1:${listenPort}`, backend: `127.0.0.1:${backendPort}`, delayMs: 500, startsFile }), dir);
    try {
        assert.equal(d.daemon.backendPhase, 'stopped');
        const { exact, failures } = await concurrentEchoes({ host: '127.0.0.1', port: listenPort }, 30, 256 * 1024);
        assert.deepEqual(failures, []);
        assert.equal(exact, 30);
        assert.equal(starts(startsFile), 1);
        assert.equal(d.daemon.backendStarts, 1);
        assert.ok(d.notices.includes('READY=1'));
        assert.ok(d.notices.some((n) => n.startsWith('STATUS=Backend') && n.includes('running')), d.notices.join('\n'));
    }
    finally {
        await d.stop();
    }
});
for (const [label, listen, connect] of [
    ['IPv6 [::1]:PORT', (p) => `[::1]:${p}`, (p) => [{ host: '::1', port: p }]],
    ['bare PORT (dual-stack)', (p) => `${p}`, (p) => [{ host: '127.0.0.1', port: p }, { host: '::1', port: p }]],
]) {
    test(`standalone ${label}`, async () => {
        const dir = tempDir();
        const [listenPort, backendPort] = [await freePort('::'), await freePort()];
        const startsFile = path.join(dir, 'starts');
        const d = await startDaemon(echoConfig({ listen: listen(listenPort), backend: `127.0.0.1:${backendPort}`, delayMs: 50, startsFile }), dir);
        try {
            for (const target of connect(listenPort)) {
                const payload = Buffer.from(`hello over ${target.host}`);
                assert.deepEqual(await echoRoundTrip(target, payload), payload);
            }
        }
        finally {
            await d.stop();
        }
    });
}
test('the readiness probe that got through is the first held client\'s connection: the backend sees no empty one', async () => {
    const dir = tempDir();
    const [listenPort, backendPort] = [await freePort(), await freePort()];
    const startsFile = path.join(dir, 'starts');
    const connectionsFile = path.join(dir, 'connections');
    const config = echoConfig({ listen: `127.0.0.1:${listenPort}`, backend: `127.0.0.1:${backendPort}`, delayMs: 300, startsFile })
        .replace(startsFile, `${startsFile} ${connectionsFile}`);
    const d = await startDaemon(config, dir);
    const seen = () => (fs.existsSync(connectionsFile) ? fs.readFileSync(connectionsFile, 'utf8').trim().split('\n') : []);
    try {
        const payload = Buffer.from('hello through the probe');
        const back = await echoRoundTrip({ host: '127.0.0.1', port: listenPort }, payload);
        assert.ok(back.equals(payload));
        await waitFor(() => seen().length >= 1, 5000);
        await sleep(100);
        assert.deepEqual(seen(), [`bytes=${payload.length}`], 'the backend saw other connections than the client\'s');
        assert.equal(starts(startsFile), 1);
    }
    finally {
        await d.stop();
    }
});
test('standalone unix stream socket, to a unix-socket backend; a stale socket file is replaced', async () => {
    const dir = tempDir();
    const listenPath = path.join(dir, 'front.sock');
    const backendPath = path.join(dir, 'back.sock');
    // a socket file nobody listens on, as a crashed run leaves behind
    spawnSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', listenPath]);
    assert.ok(fs.lstatSync(listenPath).isSocket());
    const d = await startDaemon(echoConfig({ listen: listenPath, backend: backendPath, delayMs: 50, startsFile: path.join(dir, 's') }), dir);
    try {
        const payload = Buffer.alloc(300_000, 7);
        assert.deepEqual(await echoRoundTrip({ path: listenPath }, payload), payload);
    }
    finally {
        await d.stop();
    }
    assert.equal(fs.existsSync(listenPath), false, 'the listening socket file is removed on stop');
});
test('idle timeout stops the backend and its process group; the next client restarts it', async () => {
    const dir = tempDir();
    const [listenPort, backendPort] = [await freePort(), await freePort()];
    const startsFile = path.join(dir, 'starts');
    const d = await startDaemon(echoConfig({ listen: `127.0.0.1:${listenPort}`, backend: `127.0.0.1:${backendPort}`, delayMs: 20, startsFile, timeout: '500ms' }), dir);
    try {
        await echoRoundTrip({ host: '127.0.0.1', port: listenPort }, Buffer.from('one'));
        const lastByte = Date.now();
        const pgid = d.daemon.backendPid;
        assert.ok(pgid > 0);
        assert.ok(await waitFor(() => groupGone(pgid), 3000), 'backend group still alive');
        const goneAfter = Date.now() - lastByte;
        assert.ok(goneAfter >= 450 && goneAfter < 1500, `backend gone ${goneAfter} ms after the last byte`);
        // the group is gone a poll interval before the lifecycle has recorded the stop
        assert.ok(await phaseReached(d.daemon, 'stopped', 1000), d.daemon.backendPhase);
        assert.deepEqual(await echoRoundTrip({ host: '127.0.0.1', port: listenPort }, Buffer.from('two')), Buffer.from('two'));
        assert.equal(starts(startsFile), 2);
    }
    finally {
        await d.stop();
    }
});
test('traffic keeps the backend up past the idle timeout', async () => {
    const dir = tempDir();
    const [listenPort, backendPort] = [await freePort(), await freePort()];
    const d = await startDaemon(echoConfig({ listen: `127.0.0.1:${listenPort}`, backend: `127.0.0.1:${backendPort}`, delayMs: 0, startsFile: path.join(dir, 's'), timeout: '300ms' }), dir);
    try {
        const socket = net.connect({ host: '127.0.0.1', port: listenPort });
        let received = 0;
        socket.on('data', (c) => (received += c.length));
        for (let i = 0; i < 10; i++) {
            socket.write('ping');
            await sleep(100);
        }
        assert.equal(received, 40);
        assert.equal(d.daemon.backendPhase, 'running');
        socket.destroy();
    }
    finally {
        await d.stop();
    }
});
test('a backend that never listens: held clients are closed at start_timeout, and logged', async () => {
    const dir = tempDir();
    const [listenPort, backendPort] = [await freePort(), await freePort()];
    const d = await startDaemon(echoConfig({ listen: `127.0.0.1:${listenPort}`, backend: `127.0.0.1:${backendPort}`, delayMs: 60_000, startsFile: path.join(dir, 's'), startTimeout: '700ms' }), dir);
    try {
        const t0 = Date.now();
        await assert.rejects(echoRoundTrip({ host: '127.0.0.1', port: listenPort }, Buffer.from('x'), 5000));
        const ms = Date.now() - t0;
        assert.ok(ms >= 650 && ms < 3000, `closed after ${ms} ms`);
        assert.ok(d.lines.some((l) => l.includes('error') && l.includes('failed to start') && l.includes('start_timeout')), d.lines.join('\n'));
        assert.ok(await phaseReached(d.daemon, 'stopped', 3000));
    }
    finally {
        await d.stop();
    }
});
test('a backend command that does not exist fails the held client at once', async () => {
    const dir = tempDir();
    const listenPort = await freePort();
    const text = `[service]\nexec = /nonexistent/backend --flag\n[socket.main]\nlisten = 127.0.0.1:${listenPort}\nbackend = 127.0.0.1:1\n`;
    const d = await startDaemon(text, dir);
    try {
        const t0 = Date.now();
        await assert.rejects(echoRoundTrip({ host: '127.0.0.1', port: listenPort }, Buffer.from('x'), 5000));
        assert.ok(Date.now() - t0 < 1000);
        assert.ok(d.lines.some((l) => l.includes('/nonexistent/backend') && l.includes('no such file')), d.lines.join('\n'));
    }
    finally {
        await d.stop();
    }
});
test('stop() closes clients, stops the backend it started, and two daemons coexist', async () => {
    const dir = tempDir();
    const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
    const a = await startDaemon(echoConfig({ listen: `127.0.0.1:${ports[0]}`, backend: `127.0.0.1:${ports[1]}`, delayMs: 0, startsFile: path.join(dir, 'a') }), tempDir());
    const b = await startDaemon(echoConfig({ listen: `127.0.0.1:${ports[2]}`, backend: `127.0.0.1:${ports[3]}`, delayMs: 0, startsFile: path.join(dir, 'b') }), tempDir());
    const open = net.connect({ host: '127.0.0.1', port: ports[0] });
    const closed = new Promise((r) => open.once('close', r));
    open.on('error', () => undefined);
    open.write('hold me');
    await new Promise((r) => open.once('data', r));
    const pid = a.daemon.backendPid;
    assert.deepEqual(await echoRoundTrip({ host: '127.0.0.1', port: ports[2] }, Buffer.from('b')), Buffer.from('b'));
    await a.stop();
    await closed;
    assert.ok(groupGone(pid));
    assert.ok(a.notices.includes('STOPPING=1'));
    assert.deepEqual(await echoRoundTrip({ host: '127.0.0.1', port: ports[2] }, Buffer.from('still')), Buffer.from('still'));
    await b.stop();
});
//# sourceMappingURL=daemon.test.js.map