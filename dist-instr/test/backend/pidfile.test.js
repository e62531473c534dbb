// `pidfile =` as an attacker would use it, against the real exec driver as root with a
// backend running as `nobody`: a pid of someone else's process, a stale file, a FIFO, a
// symlink to /dev/zero, PostgreSQL's multi-line postmaster.pid, a double-forking daemon.
// Each case runs with the backend's own cgroup and without one (the fallback), where it
// makes a difference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/daemon.js';
import { freePort, waitFor } from '../helpers/net.js';
import { isRoot, prerequisite } from '../helpers/require.js';
import { ExecBackend } from '../../src/backend/exec.js';
import { readPidfile, writableBy } from '../../src/backend/pidfile.js';
import { isAlive, liveGroupMembers, processGroupOf } from '../../src/backend/procfs.js';
import { resolveCredentials } from '../../src/backend/credentials.js';
const fixture = (name) => path.join(repoRoot, 'test/fixtures', name);
const MODES = ['auto', 'none'];
function backend(options) {
    const reports = [];
    const driver = new ExecBackend({
        env: { PATH: process.env.PATH },
        stopTimeoutMs: 2000,
        output: () => undefined,
        cwd: '/',
        ...options,
    });
    driver.onReport = (level, message) => reports.push(`${level}: ${message}`);
    return { driver, reports };
}
/** A directory `nobody` owns (as a backend's runtime directory is), inside a root-only temp dir. */
function nobodyDir() {
    const credentials = resolveCredentials('nobody', undefined, 0);
    const parent = tempDir('mrsocko-pidfile-');
    fs.chmodSync(parent, 0o755);
    const dir = path.join(parent, 'run');
    fs.mkdirSync(dir);
    fs.chownSync(dir, credentials.uid, credentials.gid);
    return { dir, uid: credentials.uid, gid: credentials.gid };
}
/** An unrelated root process, as a root service would be. */
function rootSleeper() {
    return spawn('sleep', ['600'], { stdio: 'ignore', detached: true });
}
function kill(child) {
    try {
        process.kill(child.pid, 'SIGKILL');
    }
    catch {
        // gone
    }
}
for (const cgroup of MODES) {
    test(`cgroup=${cgroup}: a backend running as nobody names a root process in its pidfile: refused, warned, never signalled`, async (t) => {
        if (!prerequisite(t, isRoot, 'needs root to run a backend as nobody'))
            return;
        const { dir } = nobodyDir();
        const victim = rootSleeper();
        const pidfile = path.join(dir, 'evil.pid');
        const { driver, reports } = backend({
            argv: ['sh', '-c', `echo ${victim.pid} > ${pidfile}; exec sleep 600`],
            credentials: resolveCredentials('nobody', undefined, 0),
            pidfile,
            cgroup,
        });
        try {
            await assert.rejects(driver.start(AbortSignal.timeout(10_000)), /not accepting pid \d+ \(sleep, uid 0\)/);
            assert.ok(reports.some((r) => r.startsWith('warning:') && r.includes(`pid ${victim.pid}`)), reports.join('\n'));
            await driver.stop(); // what the lifecycle does after a failed start
            assert.equal(isAlive(victim.pid), true, 'the root process was not signalled');
            assert.equal(driver.pid, undefined);
        }
        finally {
            await driver.stop();
            kill(victim);
        }
    });
    test(`cgroup=${cgroup}: a stale pidfile naming an unrelated live process is not adopted; the real backend is launched`, async (t) => {
        if (!prerequisite(t, isRoot, 'needs root'))
            return;
        const dir = tempDir();
        const victim = rootSleeper();
        const pidfile = path.join(dir, 'daemon.pid');
        fs.writeFileSync(pidfile, `${victim.pid}\n`); // root's own file: even systemd's rule would take it
        const port = await freePort();
        const { driver, reports } = backend({ argv: ['python3', fixture('forking-daemon.py'), String(port), pidfile, '0.2'], pidfile, cgroup });
        try {
            await driver.start(AbortSignal.timeout(10_000));
            assert.notEqual(driver.pid, victim.pid);
            assert.equal(Number(fs.readFileSync(pidfile, 'utf8')), driver.pid, 'the daemon launched now is the backend');
            assert.ok(reports.some((r) => r.startsWith('warning:') && r.includes(`names pid ${victim.pid}`) && r.includes('not adopted')), reports.join('\n'));
            await driver.stop();
            assert.equal(isAlive(victim.pid), true, 'the unrelated process was not stopped');
        }
        finally {
            await driver.stop();
            kill(victim);
        }
    });
}
test('who could have written a pidfile: its owner, the owner of a directory on the way; not a sticky directory\'s other users', async (t) => {
    if (!prerequisite(t, isRoot, 'needs root'))
        return;
    // The fallback's rule, checked on the facts: nobody can write its own file; a root file in a
    // 1777 directory it cannot replace; a root file in a directory it owns it can.
    const { dir, uid, gid } = nobodyDir();
    const own = path.join(dir, 'own.pid');
    fs.writeFileSync(own, '123\n');
    const rootFile = path.join(dir, 'root.pid');
    fs.writeFileSync(rootFile, '123\n');
    fs.chownSync(own, uid, gid);
    const sticky = tempDir();
    fs.chmodSync(sticky, 0o1777);
    const rootInSticky = path.join(sticky, 'root.pid');
    fs.writeFileSync(rootInSticky, '123\n');
    const facts = (file) => {
        const r = readPidfile(file);
        assert.equal(r.kind, 'pid', JSON.stringify(r));
        return r.facts;
    };
    assert.equal(writableBy(facts(own), uid, gid), true);
    assert.equal(writableBy(facts(rootFile), uid, gid), true, 'root\'s file in nobody\'s directory can be replaced');
    assert.equal(facts(rootFile).safeChain, false, 'a root file below a directory of nobody is an unsafe step');
    assert.equal(writableBy(facts(rootInSticky), uid, gid), false, 'a sticky directory protects root\'s file');
    assert.equal(facts(rootInSticky).safeChain, true);
});
test('a directory symlink nobody planted in its directory: followed, and root\'s file behind it counts as one nobody controls', async (t) => {
    if (!prerequisite(t, isRoot, 'needs root'))
        return;
    const { dir, uid, gid } = nobodyDir();
    const rootDir = tempDir();
    fs.writeFileSync(path.join(rootDir, 'x.pid'), '1234\n');
    fs.symlinkSync(rootDir, path.join(dir, 'link'));
    fs.lchownSync(path.join(dir, 'link'), uid, gid);
    const r = readPidfile(path.join(dir, 'link', 'x.pid'));
    assert.equal(r.kind, 'pid');
    if (r.kind !== 'pid')
        return;
    assert.equal(r.facts.resolved, path.join(rootDir, 'x.pid'));
    // systemd's CHASE_SAFE calls this chain safe (nobody's symlink in nobody's directory, then
    // root's directories): the file being root's would make systemd take any pid from it.
    // nobody chose which root file it is, so here it counts as nobody's.
    assert.equal(r.facts.safeChain, true);
    assert.equal(writableBy(r.facts, uid, gid), true);
});
// The FIFO and /dev/zero cases block or flood whatever reads them: run them in a child
// process, so that a blocked event loop shows as a timeout here instead of hanging the test.
function inChild(script) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000, cwd: repoRoot });
    return { status: r.status, out: r.stdout, err: r.stderr };
}
const CHILD_PRELUDE = `
import fs from 'node:fs';
import { ExecBackend } from ${JSON.stringify(path.join(repoRoot, 'dist/src/backend/exec.js'))};
import { resolveCredentials } from ${JSON.stringify(path.join(repoRoot, 'dist/src/backend/credentials.js'))};
const ticks = { n: 0 };
setInterval(() => ticks.n++, 10).unref();
const rchar = () => Number(/^rchar: (\\d+)$/m.exec(fs.readFileSync('/proc/self/io', 'utf8'))[1]);
async function run(argv, pidfile, nobody) {
  const reports = [];
  const driver = new ExecBackend({ argv, pidfile, env: { PATH: process.env.PATH }, cwd: '/', stopTimeoutMs: 1000, output: () => {},
    credentials: nobody ? resolveCredentials('nobody', undefined, 0) : {} });
  driver.onReport = (l, m) => reports.push(l + ': ' + m);
  const t0 = Date.now(); const ticks0 = ticks.n; const read0 = rchar();
  let error = null;
  try { await driver.start(AbortSignal.timeout(5000)); } catch (e) { error = e.message; }
  const result = { error, reports, ms: Date.now() - t0, ticks: ticks.n - ticks0, readBytes: rchar() - read0 };
  await driver.stop();
  return result;
}
`;
test('a FIFO at the pidfile path, planted before the start or by the backend: the start fails with a warning, the event loop runs on', async (t) => {
    if (!prerequisite(t, isRoot, 'needs root to run a backend as nobody'))
        return;
    const { dir } = nobodyDir();
    const before = path.join(dir, 'before.pid');
    spawnSync('mkfifo', [before]);
    const during = path.join(dir, 'during.pid');
    const r = inChild(`${CHILD_PRELUDE}
    const a = await run(['sleep', '30'], ${JSON.stringify(before)}, true);
    const b = await run(['sh', '-c', 'sleep 0.3; mkfifo ${during}; exec sleep 30'], ${JSON.stringify(during)}, true);
    console.log(JSON.stringify([a, b]));
    process.exit(0);`);
    assert.equal(r.status, 0, `the child did not finish (blocked?): status ${r.status}\n${r.err}`);
    const [a, b] = JSON.parse(r.out);
    for (const x of [a, b]) {
        assert.match(x.error, /is not a regular file \(a FIFO\)/);
        assert.ok(x.reports.some((l) => l.startsWith('warning:') && l.includes('a FIFO')), x.reports.join('\n'));
    }
    assert.ok(b.ticks >= 10, `a 10 ms timer fired ${b.ticks} times in ${b.ms} ms while waiting for the pidfile`);
});
test('a symlink to /dev/zero at the pidfile path: refused, nothing read from it', async (t) => {
    if (!prerequisite(t, isRoot, 'needs root to run a backend as nobody'))
        return;
    const { dir } = nobodyDir();
    const pidfile = path.join(dir, 'zero.pid');
    const r = inChild(`${CHILD_PRELUDE}
    const a = await run(['sh', '-c', 'ln -s /dev/zero ${pidfile}; exec sleep 30'], ${JSON.stringify(pidfile)}, true);
    console.log(JSON.stringify(a));
    process.exit(0);`);
    assert.equal(r.status, 0, `the child did not finish: status ${r.status}\n${r.err.slice(0, 2000)}`);
    const a = JSON.parse(r.out);
    assert.match(a.error, /is a symlink/);
    assert.ok(a.reports.some((l) => l.startsWith('warning:') && l.includes('symlink')), a.reports.join('\n'));
    assert.ok(a.readBytes < 1_000_000, `read ${a.readBytes} bytes meanwhile`);
});
test('postmaster.pid style: the pid is the first line; a live lock file is never removed', async (t) => {
    if (!prerequisite(t, isRoot, 'needs root to run a backend as nobody'))
        return;
    const { dir } = nobodyDir();
    const port = await freePort();
    const pidfile = path.join(dir, 'postmaster.pid');
    const argv = ['python3', fixture('forking-daemon.py'), String(port), pidfile, '0', 'postmaster'];
    const credentials = resolveCredentials('nobody', undefined, 0);
    const first = backend({ argv, pidfile, credentials });
    await first.driver.start(AbortSignal.timeout(10_000));
    try {
        const text = fs.readFileSync(pidfile, 'utf8');
        assert.ok(text.split('\n').length > 3, text);
        assert.equal(first.driver.pid, Number(text.split('\n')[0]));
        // Another start from the same config (mrsocko restarted, say) while the daemon runs: its
        // lock file is left alone, and so is the daemon; the second launch fails on its own.
        const second = backend({ argv, pidfile, credentials });
        await assert.rejects(second.driver.start(AbortSignal.timeout(1500)));
        await second.driver.stop();
        assert.equal(fs.readFileSync(pidfile, 'utf8'), text, 'the live lock file is untouched');
        assert.equal(isAlive(first.driver.pid), true);
        assert.ok(second.reports.some((r) => r.startsWith('warning:') && r.includes('not adopted')), second.reports.join('\n'));
    }
    finally {
        await first.driver.stop();
    }
    assert.ok(fs.existsSync(pidfile), 'mrsocko never deletes a pidfile');
});
for (const cgroup of MODES) {
    test(`cgroup=${cgroup}: a double-forking setsid() daemon running as nobody is accepted, with its helper child, and stopped`, async (t) => {
        if (!prerequisite(t, isRoot, 'needs root to run a backend as nobody'))
            return;
        const { dir } = nobodyDir();
        const port = await freePort();
        const pidfile = path.join(dir, 'daemon.pid');
        const { driver, reports } = backend({
            argv: ['python3', fixture('forking-daemon.py'), String(port), pidfile, '0.2'],
            pidfile,
            credentials: resolveCredentials('nobody', undefined, 0),
            cgroup,
        });
        await driver.start(AbortSignal.timeout(10_000));
        const pid = driver.pid;
        const members = liveGroupMembers(processGroupOf(pid));
        try {
            assert.equal(Number(fs.readFileSync(pidfile, 'utf8')), pid);
            assert.ok(members.length >= 2, `daemon and its helper: ${members.join(',')}`);
            if (cgroup === 'auto') {
                const info = driver.cgroupInfo;
                assert.ok(info, reports.join('\n'));
                const inside = fs.readFileSync(path.join(info.dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
                for (const m of members)
                    assert.ok(inside.includes(m), `${m} in ${info.dir}: ${inside.join(',')}`);
            }
        }
        finally {
            await driver.stop();
        }
        assert.ok(await waitFor(() => members.every((m) => !isAlive(m)), 1000), `left: ${members.filter(isAlive).join(',')}`);
    });
}
//# sourceMappingURL=pidfile.test.js.map