// The exec backend's cgroup against real processes, on cgroup v2 (the `unified` hierarchy
// here) and on the v1 freezer: children that call setsid() (as sshd's sessions do) are
// found and stopped, one of them ignoring SIGTERM; freeze() and thaw() keep the pids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../helpers/paths.js';
import { freePort, waitFor, echoRoundTrip } from '../helpers/net.js';
import { isRoot, prerequisite } from '../helpers/require.js';
import { ExecBackend } from '../../src/backend/exec.js';
import { BackendCgroup, warmCgroupMoves, type CgroupKind } from '../../src/backend/cgroup.js';
import { waitUntilAccepting } from '../../src/backend/readiness.js';
import { resolveCredentials } from '../../src/backend/credentials.js';
import { startDaemon } from '../helpers/daemon.js';
import { marked } from '../helpers/processes.js';

const fixture = (name: string): string => path.join(repoRoot, 'test/fixtures', name);
const KINDS: CgroupKind[] = ['v2', 'v1-freezer'];

/** How many of the fixture's `sleep 100N.MARK` processes run. */
function sleepers(mark: string): number {
  return marked(mark).filter((pid) => {
    try {
      return /^sleep\x00100[012]\./.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
    } catch {
      return false;
    }
  }).length;
}

function available(kind: CgroupKind): string | undefined {
  if (!isRoot) return 'needs root to make cgroups';
  const made = BackendCgroup.create(kind);
  if ('problem' in made) return made.problem;
  made.cgroup.remove();
  return undefined;
}

for (const kind of KINDS) {
  for (const user of [undefined, 'nobody']) {
    test(`${kind}${user ? `, user = ${user}` : ''}: children that call setsid() are all stopped within stop_timeout + 1 s`, async (t) => {
      const problem = available(kind);
      if (!prerequisite(t, problem === undefined, `cgroup ${kind}: ${problem}`)) return;
      const mark = `${process.pid}${Math.floor(Math.random() * 1e6)}`;
      const reports: string[] = [];
      const driver = new ExecBackend({
        argv: ['sh', fixture('setsid-children.sh'), mark],
        env: { PATH: process.env.PATH },
        cwd: '/',
        credentials: user ? resolveCredentials(user, undefined, 0) : {},
        stopTimeoutMs: 1000,
        output: () => undefined,
        cgroup: kind,
      });
      driver.onReport = (level, message) => reports.push(`${level}: ${message}`);
      await driver.start(AbortSignal.timeout(10_000));
      try {
        // the three sleeps exist only once their shells are set up (the trap of the one
        // ignoring SIGTERM included): counting the shells alone raced the trap under load
        assert.ok(await waitFor(() => sleepers(mark) === 3, 5000), `3 sleeps: ${marked(mark).join(',')}`);
        const procs = fs.readFileSync(path.join(driver.cgroupInfo!.dir, 'cgroup.procs'), 'utf8');
        for (const pid of marked(mark)) assert.ok(procs.split('\n').includes(String(pid)), `${pid} in the cgroup:\n${procs}`);
      } finally {
        const t0 = Date.now();
        await driver.stop();
        const ms = Date.now() - t0;
        const left = marked(mark);
        for (const pid of left) process.kill(pid, 'SIGKILL');
        assert.deepEqual(left, [], 'no process of the backend is left');
        assert.ok(ms < 2000, `stopped in ${ms} ms (stop_timeout 1 s)`);
      }
      assert.ok(reports.some((r) => r.includes('SIGKILL')), `the one ignoring SIGTERM got SIGKILL:\n${reports.join('\n')}`);
      assert.equal(driver.cgroupInfo, undefined, 'the empty cgroup is removed after the stop');
    });
  }

  test(`${kind}: freeze() stops the backend in place, thaw() resumes it with the same pids`, async (t) => {
    const problem = available(kind);
    if (!prerequisite(t, problem === undefined, `cgroup ${kind}: ${problem}`)) return;
    const port = await freePort();
    const driver = new ExecBackend({
      argv: [process.execPath, fixture('slow-echo.mjs'), `127.0.0.1:${port}`, '0'],
      env: { PATH: process.env.PATH },
      stopTimeoutMs: 2000,
      output: () => undefined,
      cgroup: kind,
    });
    await driver.start(AbortSignal.timeout(10_000));
    try {
      await waitUntilAccepting({ kind: 'inet', host: '127.0.0.1', port, text: '' }, AbortSignal.timeout(10_000));
      const pid = driver.pid as number;
      assert.match(await driver.freeze(), /^cgroup freezer/);
      if (kind === 'v1-freezer') {
        const state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
        assert.equal(state, 'D', 'v1 frozen tasks show as D');
      } else {
        assert.match(fs.readFileSync(path.join(driver.cgroupInfo!.dir, 'cgroup.events'), 'utf8'), /^frozen 1$/m);
      }
      // Frozen: the kernel still accepts the connection (the backlog), nobody answers.
      const answer = await new Promise<string>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => s.write('ping'));
        s.on('data', () => resolve('answered'));
        s.on('error', () => resolve('error'));
        setTimeout(() => {
          resolve('silent');
          s.destroy();
        }, 300);
      });
      assert.equal(answer, 'silent');
      await driver.thaw();
      await sleep(20);
      assert.deepEqual(await echoRoundTrip({ host: '127.0.0.1', port }, Buffer.from('after thaw'), 5000), Buffer.from('after thaw'));
      assert.equal(driver.pid, pid);
      assert.equal(fs.existsSync(`/proc/${pid}`), true);
      // A stop while frozen still stops it.
      assert.match(await driver.freeze(), /^cgroup freezer/);
    } finally {
      const t0 = Date.now();
      await driver.stop();
      assert.ok(Date.now() - t0 < 1000, `stopped while frozen in ${Date.now() - t0} ms`);
    }
  });
}

test('the real daemon as root: a backend whose children call setsid() leaves no process after the stop', async (t) => {
  const problem = available('v2') === undefined ? undefined : available('v1-freezer');
  if (!prerequisite(t, problem === undefined, `a cgroup: ${problem}`)) return;
  const mark = `${process.pid}${Math.floor(Math.random() * 1e6)}`;
  const [listenPort, backendPort] = [await freePort(), await freePort()];
  const d = await startDaemon(`[service]
exec = ${fixture('setsid-children.sh')} ${mark} ${process.execPath} ${fixture('slow-echo.mjs')} 127.0.0.1:${backendPort} 0
user = nobody
directory = /
stop_timeout = 1s
[socket.main]
listen = 127.0.0.1:${listenPort}
backend = 127.0.0.1:${backendPort}
[idle]
timeout = 1s
`);
  try {
    const payload = Buffer.from('through the daemon');
    assert.deepEqual(await echoRoundTrip({ host: '127.0.0.1', port: listenPort }, payload), payload);
    assert.ok(await waitFor(() => marked(mark).length >= 2, 5000), `the setsid() children: ${marked(mark).join(',')}`);
    // The idle stop (1 s without traffic), then stop_timeout + 1 s at most.
    assert.ok(await waitFor(() => d.daemon.backendPhase === 'stopped', 6000), d.lines.join('\n'));
    const left = marked(mark);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    assert.deepEqual(left, [], `no process of the backend is left:\n${d.lines.join('\n')}`);
    assert.ok(d.lines.some((l) => l.includes('cgroup of its own')), d.lines.join('\n'));
  } finally {
    await d.stop();
    for (const pid of marked(mark)) process.kill(pid, 'SIGKILL');
  }
});

test('warmCgroupMoves (as `mrsocko run` begins): mrsocko stays in the cgroup it is in, and a move into a backend\'s cgroup still works after it', async (t) => {
  const problem = available('v2');
  if (!prerequisite(t, problem === undefined, `cgroup v2: ${problem}`)) return;
  const before = fs.readFileSync('/proc/self/cgroup', 'utf8');
  warmCgroupMoves();
  // the move runs in the thread pool: give it time to end
  await sleep(200);
  assert.equal(fs.readFileSync('/proc/self/cgroup', 'utf8'), before);
  const made = BackendCgroup.create('v2');
  assert.ok('cgroup' in made);
  warmCgroupMoves();
  const cgroup = made.cgroup;
  try {
    const inside = cgroup.spawnInside(() => fs.readFileSync('/proc/self/cgroup', 'utf8'));
    assert.match(inside, new RegExp(`^0::.*/${path.basename(cgroup.dir)}$`, 'm'));
    assert.equal(fs.readFileSync('/proc/self/cgroup', 'utf8'), before);
  } finally {
    cgroup.remove();
  }
});
