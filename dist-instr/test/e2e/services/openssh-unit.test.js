// OpenSSH in unit mode under a real systemd (nspawn): `unit =` a Type=notify service as
// Debian's ssh.service is (RuntimeDirectory=sshd), running `sshd -D -e -f CONFIG` from the
// throw-away fixture of test/helpers/sshd.ts (bind-mounted read-only at its own path).
// From the host: a cold ssh login running a command, scp both ways (byte-exact), a cold
// burst of ssh, then the idle stop with a session open: systemd's stop of the unit's
// cgroup must take the session (setsid()) and its command too — nothing is left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../helpers/daemon.js';
import { freePort, waitFor } from '../../helpers/net.js';
import { marked } from '../../helpers/processes.js';
import { prerequisite } from '../../helpers/require.js';
import { haveOpenssh, OPENSSH_REQUIREMENT, sshdFixture } from '../../helpers/sshd.js';
import { bootContainer, nspawnAvailable, NSPAWN_REQUIREMENT } from '../../helpers/nspawn.js';
import { mrsocko, nodeBinds } from '../../helpers/systemd-e2e.js';
import { report, run } from '../../helpers/services.js';
const INSTANCE = 'ssh';
const BACKEND = 'mrsocko-test-sshd.service';
const BURST = 20;
test('OpenSSH by unit = under systemd: cold login, scp both ways, a cold burst of ssh, idle stop with a session open leaves nothing', async (t) => {
    if (!prerequisite(t, nspawnAvailable(), NSPAWN_REQUIREMENT))
        return;
    if (!prerequisite(t, haveOpenssh(), OPENSSH_REQUIREMENT))
        return;
    const dir = tempDir('mrsocko-sshd-unit-');
    const [listen, backend] = [await freePort(), await freePort()];
    const sshd = sshdFixture(dir, backend);
    const c = await bootContainer({
        machine: `mrsocko-ssh-${process.pid}`,
        binds: [...nodeBinds(), { host: dir, container: dir, readOnly: true }],
    });
    const diag = async () => `\n--- journal\n${await c.journal([`mrsocko@${INSTANCE}`, BACKEND])}`;
    const ssh = (command) => run(['ssh', ...sshd.clientOptions, '-o', 'ConnectTimeout=30', '-p', String(listen), 'root@127.0.0.1', command]);
    const scp = (from, to) => run(['scp', ...sshd.clientOptions, '-q', '-P', String(listen), from, to]);
    // the container runs no sshd but the test's (its /etc is empty: ssh.service is not enabled there)
    const sshdCount = async () => Number((await c.exec('pgrep -c -x sshd')).stdout.trim() || '0');
    const inactive = () => c.waitFor(`systemctl is-active ${BACKEND}`, (r) => ['inactive', 'failed'].includes(r.stdout.trim()), 20_000, 100);
    const mark = `${process.pid}${Math.floor(Math.random() * 1e6)}`;
    let session;
    try {
        // the container's /etc is fresh: sshd's privilege separation user, as openssh-server's postinst makes it,
        // and root's account not locked (no password: sshd refuses a locked account even by key)
        const setup = await c.exec("useradd --system --no-create-home --home-dir /run/sshd --shell /usr/sbin/nologin sshd && usermod -p '*' root && mkdir -p /root");
        assert.equal(setup.status, 0, setup.stdout + setup.stderr);
        await c.writeFile(`/etc/systemd/system/${BACKEND}`, `[Unit]
Description=OpenSSH for the mrsocko service matrix
[Service]
Type=notify
ExecStart=${sshd.exec}
RuntimeDirectory=sshd
RuntimeDirectoryMode=0755
TimeoutStopSec=5s
`);
        await c.writeFile(`/etc/mrsocko/${INSTANCE}.conf`, `[service]
unit = ${BACKEND}
start_timeout = 30s
[socket.ssh]
listen = 127.0.0.1:${listen}
backend = 127.0.0.1:${backend}
[idle]
timeout = 3s
`);
        const gen = await c.exec(mrsocko('gen-unit', INSTANCE));
        assert.equal(gen.status, 0, `gen-unit: ${gen.stdout}${gen.stderr}`);
        const enable = await c.exec(`systemctl daemon-reload && systemctl enable --now mrsocko@${INSTANCE}.socket`);
        assert.equal(enable.status, 0, `enable: ${enable.stderr}${await diag()}`);
        const first = await ssh('echo cold; id -un');
        assert.equal(first.stdout, 'cold\nroot\n', `${first.stderr}${await diag()}`);
        const coldStartMs = first.ms;
        // scp up into the container's own (tmpfs) /root, checked there, and back down
        const data = randomBytes(1 << 20);
        fs.writeFileSync(path.join(dir, 'local.bin'), data);
        const up = await scp(path.join(dir, 'local.bin'), 'root@127.0.0.1:/root/remote.bin');
        assert.equal(up.status, 0, up.stderr);
        const sum = await c.exec('sha256sum /root/remote.bin');
        assert.equal(sum.stdout.split(' ')[0], createHash('sha256').update(data).digest('hex'), 'scp upload is not byte-exact');
        const down = await scp('root@127.0.0.1:/root/remote.bin', path.join(dir, 'back.bin'));
        assert.equal(down.status, 0, down.stderr);
        assert.ok(fs.readFileSync(path.join(dir, 'back.bin')).equals(data), 'scp download is not byte-exact');
        assert.ok((await inactive()).ok, `no idle stop after the first clients${await diag()}`);
        session = spawn('ssh', [...sshd.clientOptions, '-p', String(listen), 'root@127.0.0.1', `echo open; exec sleep 1000.${mark}`], { stdio: ['ignore', 'pipe', 'pipe'] });
        const remote = () => marked(mark).filter((p) => p !== session?.pid);
        let sessionOut = '';
        session.stdout?.on('data', (chunk) => (sessionOut += chunk.toString()));
        session.stderr?.on('data', (chunk) => (sessionOut += chunk.toString()));
        const sessionClosed = new Promise((resolve) => session?.once('close', () => resolve()));
        const [burst, opened] = await Promise.all([
            Promise.all(Array.from({ length: BURST }, (_, i) => ssh(`echo ok-${i}`))),
            waitFor(() => sessionOut.includes('open'), 30_000),
        ]);
        const errors = burst.filter((r, i) => r.status !== 0 || r.stdout !== `ok-${i}\n`);
        assert.ok(opened && remote().length === 1, `the open session: ${sessionOut}`);
        assert.ok((await sshdCount()) >= 2, 'the listener and the session are not seen: the count of processes left would mean nothing');
        const idle = await inactive();
        await new Promise((r) => setTimeout(r, 1000));
        const processesLeft = (await sshdCount()) + remote().length;
        const cut = await Promise.race([sessionClosed.then(() => true), new Promise((r) => setTimeout(() => r(false), 3000))]);
        const again = await ssh('echo again');
        const restart = again.stdout === 'again\n';
        report('openssh unit', { coldStartMs, burst: BURST, burstErrors: errors.length, idleStop: idle.ok, restart, processesLeft });
        assert.deepEqual(errors.map((r) => r.stdout + r.stderr), [], `errors in the cold burst${await diag()}`);
        assert.ok(idle.ok, `no idle stop${await diag()}`);
        assert.equal(processesLeft, 0, 'sshd or the session\'s command left after the idle stop');
        assert.ok(cut, 'the open ssh session was not disconnected');
        assert.ok(restart, `restart: ${again.stdout}${again.stderr}${await diag()}`);
    }
    finally {
        session?.kill();
        await c.poweroff();
        for (const pid of marked(mark))
            process.kill(pid, 'SIGKILL');
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
//# sourceMappingURL=openssh-unit.test.js.map