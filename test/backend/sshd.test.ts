// Real OpenSSH by `exec =` under the real daemon as root: a login session (sshd's session
// processes call setsid(), so the backend's process groups do not hold them) is cut at
// the idle stop and leaves no process behind — neither sshd's nor the session's command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, tempDir } from '../helpers/daemon.js';
import { freePort, waitFor } from '../helpers/net.js';
import { isRoot, prerequisite } from '../helpers/require.js';
import { marked } from '../helpers/processes.js';

const SSHD = '/usr/sbin/sshd';

/** Live sshd processes (a zombie waiting for its parent to reap it is none). */
function sshdPids(): number[] {
  const found: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.includes(' (sshd) ') && stat.split(') ')[1]?.[0] !== 'Z') found.push(Number(name));
    } catch {
      // gone
    }
  }
  return found;
}

test('real sshd: a login session is cut at the idle stop, and no process of it is left', async (t) => {
  if (!prerequisite(t, isRoot, 'needs root to run sshd')) return;
  if (!prerequisite(t, fs.existsSync(SSHD) && fs.existsSync('/usr/bin/ssh'), 'needs openssh-server and openssh-client')) return;
  // sshd's privilege separation directory (the ssh service's RuntimeDirectory=).
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = tempDir();
  fs.chmodSync(dir, 0o700);
  for (const [file, type] of [['hostkey', 'ed25519'], ['key', 'ed25519']] as const) {
    const r = spawnSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', path.join(dir, file)]);
    assert.equal(r.status, 0, String(r.stderr));
  }
  fs.copyFileSync(path.join(dir, 'key.pub'), path.join(dir, 'authorized_keys'));
  const [listenPort, backendPort] = [await freePort(), await freePort()];
  const before = sshdPids();
  const d = await startDaemon(`[service]
exec = ${SSHD} -D -e -f /dev/null -h ${dir}/hostkey -o ListenAddress=127.0.0.1:${backendPort} -o AuthorizedKeysFile=${dir}/authorized_keys -o StrictModes=no -o UsePAM=no -o PidFile=none -o PermitRootLogin=prohibit-password
stop_timeout = 2s
[socket.ssh]
listen = 127.0.0.1:${listenPort}
backend = 127.0.0.1:${backendPort}
[idle]
timeout = 3s
`, dir);
  const mark = `${process.pid}${Math.floor(Math.random() * 1e6)}`;
  const client = spawn('ssh', [
    '-F', '/dev/null', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes',
    '-i', path.join(dir, 'key'), '-p', String(listenPort), 'root@127.0.0.1', `echo logged in; exec sleep 1000.${mark}`,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  client.stdout.on('data', (c: Buffer) => (out += c.toString()));
  client.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const closed = new Promise<number | null>((resolve) => client.once('close', resolve));
  try {
    assert.ok(await waitFor(() => out.includes('logged in'), 20_000), `ssh: ${out}\n${d.lines.join('\n')}`);
    assert.ok(await waitFor(() => marked(mark).length >= 1, 5000), `the session runs its command:\n${out}\n${d.lines.join('\n')}`);
    // A silent session is not activity: the idle stop comes 3 s later; stop_timeout + 1 s at most after that.
    assert.ok(await waitFor(() => d.daemon.backendPhase === 'stopped', 10_000), d.lines.join('\n'));
    const left = [...marked(mark), ...sshdPids().filter((p) => !before.includes(p))];
    assert.deepEqual(left, [], `left after the stop:\n${d.lines.join('\n')}`);
    assert.notEqual(await Promise.race([closed, new Promise((r) => setTimeout(() => r('open'), 3000))]), 'open', 'the ssh client was disconnected');
  } finally {
    client.kill();
    await d.stop();
    for (const pid of [...marked(mark), ...sshdPids().filter((p) => !before.includes(p))]) process.kill(pid, 'SIGKILL');
  }
});
