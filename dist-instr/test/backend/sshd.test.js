// Real OpenSSH by `exec =` under the real daemon as root: a login session (sshd's session
// processes call setsid(), so the backend's process groups do not hold them) is cut at
// the idle stop and leaves no process behind — neither sshd's nor the session's command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startDaemon, tempDir } from '../helpers/daemon.js';
import { freePort, waitFor } from '../helpers/net.js';
import { isRoot, prerequisite } from '../helpers/require.js';
import { marked } from '../helpers/processes.js';
import { haveOpenssh, OPENSSH_REQUIREMENT, sshdFixture, sshdPids } from '../helpers/sshd.js';
test('real sshd: a login session is cut at the idle stop, and no process of it is left', async (t) => {
    if (!prerequisite(t, isRoot && haveOpenssh(), OPENSSH_REQUIREMENT))
        return;
    const dir = tempDir();
    const [listenPort, backendPort] = [await freePort(), await freePort()];
    const sshd = sshdFixture(dir, backendPort);
    const before = sshdPids();
    const d = await startDaemon(`[service]
exec = ${sshd.exec}
stop_timeout = 2s
[socket.ssh]
listen = 127.0.0.1:${listenPort}
backend = 127.0.0.1:${backendPort}
[idle]
timeout = 3s
`, dir);
    const mark = `${process.pid}${Math.floor(Math.random() * 1e6)}`;
    const client = spawn('ssh', [
        ...sshd.clientOptions, '-p', String(listenPort), 'root@127.0.0.1', `echo logged in; exec sleep 1000.${mark}`,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    client.stdout.on('data', (c) => (out += c.toString()));
    client.stderr.on('data', (c) => (out += c.toString()));
    const closed = new Promise((resolve) => client.once('close', resolve));
    try {
        assert.ok(await waitFor(() => out.includes('logged in'), 20_000), `ssh: ${out}\n${d.lines.join('\n')}`);
        assert.ok(await waitFor(() => marked(mark).length >= 1, 5000), `the session runs its command:\n${out}\n${d.lines.join('\n')}`);
        // A silent session is not activity: the idle stop comes 3 s later; stop_timeout + 1 s at most after that.
        assert.ok(await waitFor(() => d.daemon.backendPhase === 'stopped', 10_000), d.lines.join('\n'));
        const left = [...marked(mark), ...sshdPids().filter((p) => !before.includes(p))];
        assert.deepEqual(left, [], `left after the stop:\n${d.lines.join('\n')}`);
        assert.notEqual(await Promise.race([closed, new Promise((r) => setTimeout(() => r('open'), 3000))]), 'open', 'the ssh client was disconnected');
    }
    finally {
        client.kill();
        await d.stop();
        for (const pid of [...marked(mark), ...sshdPids().filter((p) => !before.includes(p))]) {
            try {
                process.kill(pid, 'SIGKILL');
            }
            catch {
                // gone since the scan: the cleanup must not hide the test's own result
            }
        }
    }
});
//# sourceMappingURL=sshd.test.js.map