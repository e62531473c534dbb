// contrib/install.sh and contrib/uninstall.sh on a fresh systemd (nspawn, empty /etc),
// with an empty directory bound over /usr/local so that the host's is never touched.
// --no-build: the checkout (bound read-only) is already built; the build itself is
// `npm ci && npm run build`, which every test run has just done.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prerequisite } from '../helpers/require.js';
import { freePort } from '../helpers/net.js';
import { bootContainer, CONTAINER_REPO, nspawnAvailable, NSPAWN_REQUIREMENT, type Container } from '../helpers/nspawn.js';
import { httpGet, nodeBinds } from '../helpers/systemd-e2e.js';

test('install.sh: installs, is idempotent, the installed mrsocko serves an instance; uninstall.sh removes it', async (t) => {
  if (!prerequisite(t, nspawnAvailable(), NSPAWN_REQUIREMENT)) return;
  const [port, backendPort] = [await freePort(), await freePort()];
  const usrLocal = fs.mkdtempSync(path.join(os.tmpdir(), 'mrsocko-usr-local-'));
  const c: Container = await bootContainer({
    machine: `mrsocko-install-${process.pid}`,
    binds: [...nodeBinds(), { host: usrLocal, container: '/usr/local' }],
  });
  const run = async (cmd: string): Promise<string> => {
    const r = await c.exec(cmd, { timeoutMs: 60_000 });
    assert.equal(r.status, 0, `${cmd}: exit ${r.status}\n${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  try {
    const first = await run(`${CONTAINER_REPO}/contrib/install.sh --no-build`);
    assert.match(first, /wrote +\/etc\/systemd\/system\/mrsocko@\.service/);
    assert.match(await run('mrsocko --version'), /^mrsocko \d+\.\d+\.\d+/);
    assert.equal((await run('readlink -f /usr/local/bin/mrsocko')).trim(), '/usr/local/lib/mrsocko/dist/src/cli/main.js');
    assert.match(await run('cat /etc/systemd/system/mrsocko@.service'), /^ExecStart=\S+ --single-threaded \/usr\/local\/lib\/mrsocko\/dist\/src\/cli\/main\.js run --instance %i$/m);
    assert.equal((await run('stat -c %a /etc/mrsocko')).trim(), '755');
    assert.equal((await run('test -e /usr/local/lib/mrsocko/node_modules/typescript && echo dev || echo prod')).trim(), 'prod', 'development packages are pruned');

    const second = await run(`${CONTAINER_REPO}/contrib/install.sh --no-build`);
    assert.match(second, /same +\/etc\/systemd\/system\/mrsocko@\.service/, 'a second run leaves the templates alone');

    await c.writeFile('/etc/mrsocko/web.conf', [
      '[service]',
      `exec = /usr/bin/python3 -m http.server ${backendPort} --bind 127.0.0.1 --directory /tmp`,
      '[socket.web]',
      `listen = 127.0.0.1:${port}`,
      `backend = 127.0.0.1:${backendPort}`,
      '',
    ].join('\n'));
    await run('mrsocko gen-unit web && systemctl daemon-reload && systemctl enable --now mrsocko@web.socket');
    assert.equal(await httpGet(port, 20_000).catch((e: Error) => e.message), 200, await c.journal('mrsocko@web'));
    assert.match(await run('systemctl show -p ExecMainStatus -p MainPID mrsocko@web.service'), /MainPID=[1-9]/);
    // the native data path was installed with it (docs/native.md), and says so
    assert.match(await run('mrsocko check --instance web'), /^# TCP data path: native /m);
    assert.match(await c.journal('mrsocko@web'), /TCP data path: native /);

    await c.writeFile('/etc/systemd/system/mrsocko@web.service.d/60-local.conf', '[Service]\n');
    const removed = await run(`${CONTAINER_REPO}/contrib/uninstall.sh`);
    assert.match(removed, /stopped and disabled mrsocko@web/);
    assert.match(removed, /kept \/etc\/systemd\/system\/mrsocko@web\.service\.d \(drop-ins of your own\)/);
    const left = await run('find /usr/local /etc/systemd/system /etc/mrsocko -name "*mrsocko*" | sort');
    assert.deepEqual(left.trim().split('\n'), ['/etc/mrsocko', '/etc/systemd/system/mrsocko@web.service.d']);
    assert.equal((await c.exec('systemctl is-active mrsocko@web.socket')).stdout.trim(), 'inactive');

    await run(`${CONTAINER_REPO}/contrib/uninstall.sh --purge`);
    assert.equal((await run('find /usr/local /etc /var/log -name "*mrsocko*"')).trim(), '');
  } finally {
    await c.poweroff();
    fs.rmSync(usrLocal, { recursive: true, force: true });
  }
});
