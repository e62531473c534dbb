// [idle] freeze with real exec backends: through the cgroup freezer in a real daemon
// (thaw vs cold start measured on the same backend), and by SIGSTOP without a cgroup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { startDaemon, phaseReached } from '../helpers/daemon.js';
import { freePort, waitFor } from '../helpers/net.js';
import { prerequisite, isRoot } from '../helpers/require.js';
import { ExecBackend } from '../../src/backend/exec.js';
import { BackendLifecycle } from '../../src/backend/lifecycle-runner.js';
import { waitUntilAccepting } from '../../src/backend/readiness.js';
const fixture = (name) => path.join(repoRoot, 'test/fixtures', name);
/** The state letter in /proc/PID/stat (R, S, T, D, ...). */
function procState(pid) {
    try {
        return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    }
    catch {
        return undefined;
    }
}
/** Whether `pid` is frozen: stopped (T), v1-frozen (D), or in a cgroup v2 that says `frozen 1`. */
function isFrozen(pid) {
    const state = procState(pid);
    if (state === 'T' || state === 'D')
        return true;
    const v2 = /^0::(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'))?.[1];
    for (const root of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
        try {
            if (v2 !== undefined && /^frozen 1$/m.test(fs.readFileSync(path.join(root, v2, 'cgroup.events'), 'utf8')))
                return true;
        }
        catch {
            // not that mount
        }
    }
    return false;
}
/** Milliseconds from connect() to the first echoed byte. */
function firstByteMs(port) {
    return new Promise((resolve, reject) => {
        const t0 = performance.now();
        const s = net.connect(port, '127.0.0.1', () => s.write('x'));
        s.once('data', () => {
            resolve(performance.now() - t0);
            s.destroy();
        });
        s.once('error', reject);
        setTimeout(() => reject(new Error('no answer within 10 s')), 10_000).unref();
    });
}
test('an exec backend is frozen after `freeze` idle, thawed in place by the next client, and `timeout` still stops it', async (t) => {
    if (!prerequisite(t, isRoot, 'root (the backend gets a cgroup of its own)'))
        return;
    const [port, backendPort] = [await freePort(), await freePort()];
    // a backend with a 600 ms cold start, so that a thaw and a start tell apart
    const d = await startDaemon(`[service]
exec = ${process.execPath} ${fixture('slow-echo.mjs')} ${backendPort} 600
stop_timeout = 2s
[socket.main]
listen = 127.0.0.1:${port}
backend = 127.0.0.1:${backendPort}
[idle]
timeout = 2500ms
freeze = 300ms
`);
    try {
        const cold = await firstByteMs(port);
        const pid = d.daemon.backendPid;
        assert.ok(await phaseReached(d.daemon, 'frozen', 3000), 'frozen after 300 ms without traffic');
        assert.ok(await waitFor(() => isFrozen(pid), 2000), `process ${pid} frozen (state ${procState(pid)})`);
        const how = d.lines.find((l) => l.includes('frozen ('));
        assert.match(how ?? '', /frozen \((cgroup freezer|SIGSTOP)/, d.lines.join('\n'));
        assert.ok(d.notices.some((n) => /^STATUS=Backend .* frozen; the next client thaws it/.test(n)), d.notices.join('\n'));
        assert.equal(d.daemon.statusReport().backend.state, 'frozen');
        assert.match(d.daemon.statusReport().idle.reason, /^frozen \(freeze = 300ms\): the next client thaws it; stopped in/);
        const thawed = await firstByteMs(port);
        assert.equal(d.daemon.backendPhase, 'running');
        assert.equal(d.daemon.backendPid, pid, 'the same process, thawed');
        assert.equal(d.daemon.backendStarts, 1, 'no second start');
        assert.ok(!isFrozen(pid), `running again (state ${procState(pid)})`);
        assert.ok(thawed < cold, `thaw ${thawed.toFixed(1)} ms, cold start ${cold.toFixed(1)} ms`);
        t.diagnostic(`connect to first byte: cold start ${cold.toFixed(1)} ms, through a thaw ${thawed.toFixed(1)} ms (${how})`);
        // frozen again; then `timeout` after the last activity stops it, thawing it first
        assert.ok(await phaseReached(d.daemon, 'frozen', 3000));
        const t0 = Date.now();
        assert.ok(await phaseReached(d.daemon, 'stopped', 5000), 'timeout stops a frozen backend');
        assert.ok(Date.now() - t0 < 2500, `stopped ${Date.now() - t0} ms after the freeze (no stop_timeout wait)`);
        assert.ok(await waitFor(() => procState(pid) === undefined, 2000), `process ${pid} is gone`);
        assert.ok(!d.lines.some((l) => l.includes('SIGKILL')), 'SIGTERM was enough: it was thawed first');
    }
    finally {
        await d.stop();
    }
});
test('without a cgroup: SIGSTOP to the backend (state T, same pid), SIGCONT on the thaw, and a stop of a stopped backend thaws it first', async () => {
    const port = await freePort();
    const driver = new ExecBackend({
        argv: [process.execPath, fixture('slow-echo.mjs'), `127.0.0.1:${port}`, '0'],
        env: { PATH: process.env.PATH },
        stopTimeoutMs: 5000,
        output: () => undefined,
        cgroup: 'none',
    });
    const reports = [];
    const lifecycle = new BackendLifecycle(driver, {
        startTimeoutMs: 10_000,
        probe: (signal) => waitUntilAccepting({ kind: 'inet', host: '127.0.0.1', port, text: '' }, signal),
        clients: { releaseHeld: () => 0, failHeld: () => 0, closeClients: () => 0 },
        log: (e) => {
            if (e.kind === 'backend-report')
                reports.push(e.message);
        },
    });
    lifecycle.demand('test');
    try {
        assert.ok(await waitFor(() => lifecycle.phase === 'running', 10_000));
        const pid = driver.pid;
        lifecycle.freeze('test');
        assert.ok(await waitFor(() => reports.some((r) => r.startsWith('frozen (SIGSTOP')), 2000), reports.join('\n'));
        assert.equal(procState(pid), 'T');
        lifecycle.demand('a client');
        assert.ok(await waitFor(() => lifecycle.phase === 'running', 2000));
        assert.ok(await waitFor(() => procState(pid) !== 'T', 1000), `running again (${procState(pid)})`);
        assert.equal(driver.pid, pid);
        assert.ok((await firstByteMs(port)) < 1000);
        lifecycle.freeze('again');
        assert.ok(await waitFor(() => procState(pid) === 'T', 2000));
        const t0 = Date.now();
        lifecycle.idle('timeout');
        assert.ok(await waitFor(() => lifecycle.phase === 'stopped', 7000));
        assert.ok(Date.now() - t0 < 2000, `stopped in ${Date.now() - t0} ms: SIGTERM acted on (thawed first), not SIGKILL after stop_timeout`);
        assert.equal(procState(pid), undefined);
    }
    finally {
        await lifecycle.shutdown();
    }
});
test('UDP: a datagram to a frozen backend thaws it, and the answer comes from the same process', async (t) => {
    if (!prerequisite(t, isRoot, 'root (the backend gets a cgroup of its own)'))
        return;
    const dgram = await import('node:dgram');
    const { freeUdpPort } = await import('../helpers/net.js');
    const [port, backendPort] = [await freeUdpPort(), await freeUdpPort()];
    const d = await startDaemon(`[service]
exec = ${process.execPath} ${fixture('slow-udp-echo.mjs')} 127.0.0.1:${backendPort} 0
stop_timeout = 2s
[socket.echo]
listen = 127.0.0.1:${port}
protocol = udp
backend = 127.0.0.1:${backendPort}
[idle]
timeout = 5s
freeze = 300ms
`);
    const client = dgram.createSocket('udp4');
    const answer = (payload) => new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to ${payload}`)), 10_000);
        client.once('message', (m) => {
            clearTimeout(timer);
            resolve(m.toString());
        });
        client.send(payload, port, '127.0.0.1');
    });
    try {
        assert.equal(await answer('one'), 'one');
        const pid = d.daemon.backendPid;
        assert.ok(await phaseReached(d.daemon, 'frozen', 3000));
        assert.ok(await waitFor(() => isFrozen(pid), 2000), `state ${procState(pid)}`);
        assert.equal(await answer('two'), 'two', 'the same flow: the datagram thaws it');
        assert.equal(d.daemon.backendPid, pid);
        assert.equal(d.daemon.backendStarts, 1);
    }
    finally {
        client.close();
        await d.stop();
    }
});
//# sourceMappingURL=freeze.test.js.map