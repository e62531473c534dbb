// OpenSSH (Debian's openssh-server) by `exec =`: `sshd -D -e -f CONFIG` from a throw-away
// config (test/helpers/sshd.ts), root login by key. A cold `ssh` login running a command,
// `scp` both ways (byte-exact), a cold burst of ssh clients, and the idle stop with one
// session still open: sshd's session processes call setsid(), so only the backend's own
// cgroup holds them all. stop_timeout + 1 s after the stop begins, a scan of /proc finds
// nothing of the test's sshd: not in the backend's cgroup, no new sshd process, not the
// session's command, none of the processes seen while it ran.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, tempDir } from '../../helpers/daemon.js';
import { freePort, waitFor } from '../../helpers/net.js';
import { isRoot, prerequisite } from '../../helpers/require.js';
import { marked } from '../../helpers/processes.js';
import { haveOpenssh, OPENSSH_REQUIREMENT, sshdFixture, sshdPids } from '../../helpers/sshd.js';
import { backendCgroup, cgroupMembers, idleStopDone, liveCount, processTree, report, run } from '../../helpers/services.js';
import { phaseReached } from '../../helpers/daemon.js';
const BURST = 20;
const STOP_TIMEOUT_MS = 1000;
test('OpenSSH by exec =: cold ssh login, scp both ways, a cold burst of ssh, idle stop with a session open leaves nothing', async (t) => {
    if (!prerequisite(t, isRoot && haveOpenssh(), OPENSSH_REQUIREMENT))
        return;
    const dir = tempDir('mrsocko-sshd-');
    const [listen, backend] = [await freePort(), await freePort()];
    const sshd = sshdFixture(dir, backend);
    const before = sshdPids();
    const d = await startDaemon(`[service]
exec = ${sshd.exec}
start_timeout = 30s
stop_timeout = ${STOP_TIMEOUT_MS / 1000}s
[socket.ssh]
listen = 127.0.0.1:${listen}
backend = 127.0.0.1:${backend}
[idle]
timeout = 3s
`, tempDir());
    const ssh = (command) => run(['ssh', ...sshd.clientOptions, '-o', 'ConnectTimeout=30', '-p', String(listen), 'root@127.0.0.1', command]);
    const scp = (from, to) => run(['scp', ...sshd.clientOptions, '-q', '-P', String(listen), from, to]);
    const mark = `${process.pid}${Math.floor(Math.random() * 1e6)}`;
    let session;
    try {
        const first = await ssh('echo cold; id -un');
        assert.equal(first.stdout, 'cold\nroot\n', `${first.stderr}\n${d.lines.join('\n')}`);
        const coldStartMs = first.ms;
        // scp (the SFTP protocol, OpenSSH 9's default) up and back down, through mrsocko
        const data = randomBytes(1 << 20);
        fs.writeFileSync(path.join(dir, 'local.bin'), data);
        const up = await scp(path.join(dir, 'local.bin'), `root@127.0.0.1:${dir}/remote.bin`);
        assert.equal(up.status, 0, up.stderr);
        assert.ok(fs.readFileSync(path.join(dir, 'remote.bin')).equals(data), 'scp upload is not byte-exact');
        const down = await scp(`root@127.0.0.1:${dir}/remote.bin`, path.join(dir, 'back.bin'));
        assert.equal(down.status, 0, down.stderr);
        assert.ok(fs.readFileSync(path.join(dir, 'back.bin')).equals(data), 'scp download is not byte-exact');
        assert.ok(await phaseReached(d.daemon, 'stopped', 15_000), 'no idle stop after the first clients');
        // cold: the burst and one session that stays open (silent: no activity) wake sshd
        session = spawn('ssh', [...sshd.clientOptions, '-p', String(listen), 'root@127.0.0.1', `echo open; exec sleep 1000.${mark}`], { stdio: ['ignore', 'pipe', 'pipe'] });
        // the session's command on the server side (the client's own command line has the mark too)
        const remote = () => marked(mark).filter((p) => p !== session?.pid);
        let sessionOut = '';
        session.stdout?.on('data', (c) => (sessionOut += c.toString()));
        session.stderr?.on('data', (c) => (sessionOut += c.toString()));
        const sessionClosed = new Promise((resolve) => session?.once('close', () => resolve()));
        const [burst, opened] = await Promise.all([
            Promise.all(Array.from({ length: BURST }, (_, i) => ssh(`echo ok-${i}`))),
            waitFor(() => sessionOut.includes('open'), 30_000),
        ]);
        const errors = burst.filter((r, i) => r.status !== 0 || r.stdout !== `ok-${i}\n`);
        // at once: the idle stop comes IDLE after the burst's last byte
        assert.ok(opened && remote().length === 1, `the open session: ${sessionOut}`);
        const cgroup = backendCgroup(d.daemon.backendPid ?? 0);
        assert.ok(cgroup !== undefined, 'the backend has no cgroup of its own: the scan of it would find nothing');
        const seen = [...new Set([...processTree(d.daemon.backendPid ?? 0), ...cgroupMembers(cgroup)])];
        // the listener, the session's sshd (root's: no unprivileged child) and its command, each in a session of its own
        assert.ok(seen.length >= 3 && remote().every((p) => seen.includes(p)), `the session is not seen: ${seen.join(' ')}`);
        const idleStop = await idleStopDone(d.daemon, 15_000, STOP_TIMEOUT_MS);
        // new sshd processes anywhere, except those in another backend's cgroup (another test's sshd)
        const newSshd = sshdPids().filter((p) => !before.includes(p) && [undefined, cgroup].includes(backendCgroup(p)));
        const left = [...new Set([...cgroupMembers(cgroup), ...newSshd, ...remote()])];
        const processesLeft = Math.max(left.length, liveCount(seen));
        const cut = await Promise.race([sessionClosed.then(() => true), new Promise((r) => setTimeout(() => r(false), 3000))]);
        const again = await ssh('echo again');
        const restart = again.stdout === 'again\n';
        report('openssh exec', { coldStartMs, burst: BURST, burstErrors: errors.length, idleStop, restart, processesLeft });
        assert.deepEqual(errors.map((r) => r.stdout + r.stderr), [], 'errors in the cold burst');
        assert.ok(idleStop, `no idle stop within stop_timeout + 1 s\n${d.lines.join('\n')}`);
        assert.deepEqual(left, [], `left stop_timeout + 1 s after the stop (seen while running: ${seen.join(' ')})`);
        assert.equal(liveCount(seen), 0, `processes seen while it ran are left: ${seen.join(' ')}`);
        assert.ok(cut, 'the open ssh session was not disconnected');
        assert.ok(restart, `restart: ${again.stdout}${again.stderr}`);
    }
    finally {
        session?.kill();
        await d.stop();
        for (const pid of [...marked(mark), ...sshdPids().filter((p) => !before.includes(p))])
            process.kill(pid, 'SIGKILL');
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
//# sourceMappingURL=openssh.test.js.map