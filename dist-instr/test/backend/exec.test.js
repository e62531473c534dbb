// The exec driver against real processes: forking daemons with a pidfile, backends that
// ignore SIGTERM, another user, custom stop commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/daemon.js';
import { freePort, waitFor, echoRoundTrip } from '../helpers/net.js';
import { isRoot, prerequisite } from '../helpers/require.js';
import { ExecBackend } from '../../src/backend/exec.js';
import { waitUntilAccepting } from '../../src/backend/readiness.js';
import { isAlive, liveGroupMembers, processGroupOf } from '../../src/backend/procfs.js';
import { resolveCredentials } from '../../src/backend/credentials.js';
const fixture = (name) => path.join(repoRoot, 'test/fixtures', name);
function backend(options) {
    const lines = [];
    const reports = [];
    const exits = [];
    const driver = new ExecBackend({
        env: { PATH: process.env.PATH },
        stopTimeoutMs: 2000,
        output: (stream, line) => lines.push(`${stream}: ${line}`),
        ...options,
    });
    driver.onReport = (level, message) => reports.push(`${level}: ${message}`);
    driver.onUnexpectedExit = (status) => exits.push(status);
    return { driver, lines, reports, exits };
}
/** Every live (non-zombie) process whose pid, parent or process group is in `pids`. */
function survivors(pids) {
    const found = [];
    for (const name of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(name))
            continue;
        let stat;
        try {
            stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
        }
        catch {
            continue;
        }
        const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (state === 'Z')
            continue;
        if (pids.includes(Number(name)) || pids.includes(Number(ppid)) || pids.includes(Number(pgrp)))
            found.push(stat.slice(0, 80));
    }
    return found;
}
test('a double-forking daemon with a pidfile: started, served, stopped, nothing of it left', async () => {
    const dir = tempDir();
    const port = await freePort();
    const pidfile = path.join(dir, 'daemon.pid');
    const { driver, exits } = backend({ argv: ['python3', fixture('forking-daemon.py'), String(port), pidfile, '0.3'], pidfile });
    await driver.start(AbortSignal.timeout(10_000));
    const pid = driver.pid;
    assert.equal(Number(fs.readFileSync(pidfile, 'utf8')), pid, 'the backend is the pid in the pidfile');
    await waitUntilAccepting({ kind: 'inet', host: '127.0.0.1', port, text: '' }, AbortSignal.timeout(10_000));
    assert.deepEqual(await echoRoundTrip({ host: '127.0.0.1', port }, Buffer.from('hi daemon')), Buffer.from('hi daemon'));
    const pgid = processGroupOf(pid);
    const members = liveGroupMembers(pgid);
    assert.ok(members.length >= 2, `daemon and its helper child: ${members.join(',')}`);
    await driver.stop();
    assert.deepEqual(survivors([pid, pgid, ...members]), []);
    assert.deepEqual(exits, [], 'the launcher exiting is not a crash');
});
test('a forking daemon that dies on its own is reported', async () => {
    const dir = tempDir();
    const port = await freePort();
    const pidfile = path.join(dir, 'daemon.pid');
    const { driver, exits } = backend({ argv: ['python3', fixture('forking-daemon.py'), String(port), pidfile], pidfile });
    await driver.start(AbortSignal.timeout(10_000));
    process.kill(processGroupOf(driver.pid) * -1, 'SIGKILL');
    assert.ok(await waitFor(() => exits.length > 0, 3000), 'death noticed within 3 s');
    assert.match(exits[0], /daemon pid \d+ is gone/);
    await driver.stop();
});
test('a backend that ignores SIGTERM is killed at stop_timeout, children included', async () => {
    const port = await freePort();
    const { driver, reports } = backend({ argv: [process.execPath, fixture('stubborn.mjs'), String(port)], stopTimeoutMs: 1000 });
    await driver.start(AbortSignal.timeout(10_000));
    await waitUntilAccepting({ kind: 'inet', host: '127.0.0.1', port, text: '' }, AbortSignal.timeout(10_000));
    const pid = driver.pid;
    const members = liveGroupMembers(pid);
    assert.equal(members.length, 2, 'the backend and its stubborn child');
    const t0 = Date.now();
    await driver.stop();
    const ms = Date.now() - t0;
    assert.ok(ms < 2000, `gone after ${ms} ms (stop_timeout 1 s + 1 s)`);
    assert.deepEqual(survivors([pid, ...members]), []);
    assert.ok(reports.some((r) => r.startsWith('warning:') && r.includes('SIGKILL')), reports.join('\n'));
});
test('user = nobody: the backend runs with nobody\'s uid and gid and no supplementary groups', async (t) => {
    if (!prerequisite(t, isRoot, 'needs root to switch users'))
        return;
    const credentials = resolveCredentials('nobody', undefined, 0);
    const port = await freePort();
    const { driver } = backend({
        argv: ['python3', '-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', '/'],
        credentials,
        cwd: '/',
    });
    await driver.start(AbortSignal.timeout(10_000));
    try {
        const status = fs.readFileSync(`/proc/${driver.pid}/status`, 'utf8');
        const field = (name) => new RegExp(`^${name}:[ \\t]*(.*)$`, "m").exec(status)?.[1]?.trim() ?? "?";
        assert.deepEqual(field('Uid').split(/\s+/), Array(4).fill(String(credentials.uid)));
        assert.deepEqual(field('Gid').split(/\s+/), Array(4).fill(String(credentials.gid)));
        assert.equal(field('Groups'), '', 'no supplementary groups');
    }
    finally {
        await driver.stop();
    }
});
test('user = without root, and unknown users, are clear errors', () => {
    assert.throws(() => resolveCredentials('nobody', undefined, 1000), /user = nobody needs mrsocko to run as root \(it runs as uid 1000\)/);
    assert.throws(() => resolveCredentials('no-such-user-xyz', undefined, 0), /user = no-such-user-xyz: no such user/);
    assert.throws(() => resolveCredentials(undefined, 'no-such-group-xyz', 0), /group = no-such-group-xyz: no such group/);
});
test('stop = a command with arguments, given $MAINPID; its output and status are reported', async () => {
    const dir = tempDir();
    const port = await freePort();
    const file = path.join(dir, 'stopped');
    const { driver, reports, lines } = backend({
        argv: [process.execPath, fixture('slow-echo.mjs'), String(port), '0'],
        stopCommand: ['/bin/sh', '-c', `echo bye >> ${file}; echo stopping $MAINPID; kill $MAINPID`],
    });
    await driver.start(AbortSignal.timeout(10_000));
    const pid = driver.pid;
    await driver.stop();
    assert.equal(fs.readFileSync(file, 'utf8'), 'bye\n');
    assert.ok(lines.includes(`stop: stopping ${pid}`), lines.join('\n'));
    assert.ok(reports.includes('info: stop command sh: exit status 0'), reports.join('\n'));
    assert.equal(isAlive(pid), false);
});
test('a failing stop command is reported, and escalation still stops the backend', async () => {
    const port = await freePort();
    const { driver, reports } = backend({
        argv: [process.execPath, fixture('stubborn.mjs'), String(port)],
        stopCommand: ['/bin/sh', '-c', 'echo cannot stop >&2; exit 3'],
        stopTimeoutMs: 800,
    });
    await driver.start(AbortSignal.timeout(10_000));
    const pid = driver.pid;
    const t0 = Date.now();
    await driver.stop();
    assert.ok(Date.now() - t0 < 1800);
    assert.deepEqual(survivors([pid]), []);
    assert.ok(reports.includes('warning: stop command sh: exit status 3'), reports.join('\n'));
    assert.ok(reports.some((r) => r.includes('SIGKILL')), reports.join('\n'));
});
test('a stop command that hangs is killed at stop_timeout, then the backend is killed', async () => {
    const port = await freePort();
    const { driver, reports } = backend({
        argv: [process.execPath, fixture('slow-echo.mjs'), String(port), '0'],
        stopCommand: ['sleep', '60'],
        stopTimeoutMs: 500,
    });
    await driver.start(AbortSignal.timeout(10_000));
    const pid = driver.pid;
    const t0 = Date.now();
    await driver.stop();
    assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
    assert.equal(isAlive(pid), false);
    assert.ok(reports.some((r) => r.includes('timed out after 500 ms')), reports.join('\n'));
});
test('backends get short names in logs', async () => {
    const { describeArgv } = await import('../../src/backend/describe-argv.js');
    assert.equal(describeArgv(['/usr/bin/jellyfin', '--x']), 'jellyfin');
    assert.equal(describeArgv(['node', 'demo/backend.mjs', '18081']), 'backend.mjs');
    assert.equal(describeArgv(['python3', '-m', 'http.server', '8000']), 'http.server');
    assert.equal(describeArgv(['python3', '-c', 'import x; x.run()']), 'python3');
    assert.equal(describeArgv(['/bin/sh', '-c', 'exec foo']), 'sh');
});
//# sourceMappingURL=exec.test.js.map