// contrib/install.sh and contrib/uninstall.sh on a fresh systemd (nspawn, empty /etc),
// with an empty directory bound over /usr/local so that the host's is never touched.
// --no-build: the checkout (bound read-only) is already built; the build itself is
// `npm ci && npm run build`, which every test run has just done.
// And the npm package: `npm pack`, then `npm install -g` of the tarball into a throw-away
// prefix, exactly as the README says.
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { haveCommand, prerequisite } from '../helpers/require.js';
import { repoRoot } from '../helpers/paths.js';
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
    assert.equal((await run('readlink -f /usr/local/bin/mrsocko')).trim(), '/usr/local/lib/mrsocko/dist/mrsocko.cjs');
    assert.match(await run('cat /etc/systemd/system/mrsocko@.service'), /^ExecStart=\S+ --single-threaded \/usr\/local\/lib\/mrsocko\/dist\/mrsocko\.cjs run --instance %i$/m);
    assert.equal((await run('stat -c %a /etc/mrsocko')).trim(), '755');
    assert.equal((await run('stat -c %a /usr/local/share/man/man8/mrsocko.8 /usr/local/share/man/man5/mrsocko.conf.5')).trim(), '644\n644', 'the manuals are installed');
    assert.equal(await run('cat /usr/local/share/man/man8/mrsocko.8'), fs.readFileSync(path.join(repoRoot, 'man/mrsocko.8'), 'utf8'));
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

test('npm pack, then npm install -g --allow-scripts=mrsocko@file:TARBALL,sd-notify of the tarball: mrsocko, its manuals and the sd-notify addon', (t) => {
  const toolchain = haveCommand('npm') && haveCommand('g++') && haveCommand('make') && haveCommand('python3') &&
    fs.existsSync('/usr/include/systemd/sd-daemon.h');
  if (!prerequisite(t, toolchain, 'npm, and what node-gyp needs for sd-notify: g++, make, python3, libsystemd-dev')) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mrsocko-npm-'));
  const npm = (args: string[], cwd: string): string => {
    const r = spawnSync('npm', args, { cwd, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `npm ${args.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr}`);
    return r.stdout + r.stderr;
  };
  try {
    // The test run has just built dist/: no second build (prepack) while tests read it.
    const packed = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', dir], repoRoot)) as
      Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed[0]!.files.map((f) => f.path);
    for (const shipped of ['dist/mrsocko.cjs', 'dist/mrsocko-main.cjs', 'dist/mrsocko-main.cjs.cache', 'dist/src/cli/main.js', 'man/mrsocko.8', 'man/mrsocko.conf.5', 'units/mrsocko@.service',
      'units/mrsocko@.socket', 'docs/architecture.md', 'README.md', 'LICENSE']) {
      assert.ok(files.includes(shipped), `the package ships ${shipped}`);
    }
    assert.ok(!files.some((f) => f.startsWith('dist/test/')), 'the package has no tests');

    const prefix = path.join(dir, 'prefix');
    const tarball = path.join(dir, path.basename(packed[0]!.filename));
    const output = npm(['install', '--global', '--prefix', prefix, `--allow-scripts=mrsocko@file:${tarball},sd-notify`,
      '--no-audit', '--no-fund', '--prefer-offline', tarball], dir);
    assert.doesNotMatch(output, /install-scripts/, 'every install script the package needs is allowed');

    const version = spawnSync(path.join(prefix, 'bin/mrsocko'), ['--version'], { encoding: 'utf8' });
    assert.match(version.stdout, /^mrsocko \d+\.\d+\.\d+/, version.stderr);
    const installed = path.join(prefix, 'lib/node_modules/mrsocko');
    for (const [link, target] of [['share/man/man8/mrsocko.8', 'man/mrsocko.8'], ['share/man/man5/mrsocko.conf.5', 'man/mrsocko.conf.5']] as const) {
      assert.equal(fs.realpathSync(path.join(prefix, link)), fs.realpathSync(path.join(installed, target)), link);
    }
    // every source binding.gyp names was shipped: the install built the native addon
    assert.ok(fs.existsSync(path.join(installed, 'native/build/Release/splice.node')), `the native addon was built at install:\n${output}`);
    const addon = spawnSync(process.execPath, ['-e', 'require(process.argv[1]).sendStatus', path.join(installed, 'node_modules/sd-notify')], { encoding: 'utf8' });
    assert.equal(addon.status, 0, `the sd-notify addon loads: ${addon.stderr}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
