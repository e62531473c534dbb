// scripts/bundle.mjs: dist/mrsocko.cjs, the bin the units run, and the bundle it runs from a
// V8 code cache. A socket-activated mrsocko starts while its first client waits, so what a
// start loads is pinned here: the bundle (compiled from the cache) and the addons, not
// winston (only for [log] file) nor node:crypto (only for [knock]).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { cliPath, repoRoot } from '../helpers/paths.js';
import { spawnSync } from 'node:child_process';
import { startMrsocko } from '../helpers/mrsocko-process.js';
import { NODE_FLAGS } from '../../src/systemd/units.js';
import { tempDir } from '../helpers/daemon.js';
import { freePort, waitFor } from '../helpers/net.js';

interface Loaded {
  builtins: string[];
  files: string[];
}

test('the bin is the bundle, one file: tsc output and node_modules are not loaded by `mrsocko run`', { timeout: 30_000 }, async () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  assert.equal(path.join(repoRoot, pkg.bin.mrsocko as string), cliPath);
  const dir = tempDir();
  const [port, backendPort] = [await freePort(), await freePort()];
  const configFile = path.join(dir, 'bundle.conf');
  fs.writeFileSync(configFile, [
    '[service]',
    `exec = ${process.execPath} -e "require('net').createServer((s) => s.end('hi')).listen(${backendPort}, '127.0.0.1')"`,
    '[socket.web]',
    `listen = 127.0.0.1:${port}`,
    `backend = 127.0.0.1:${backendPort}`,
    '',
  ].join('\n'));
  const loadedFile = path.join(dir, 'loaded.json');
  const mrsocko = startMrsocko({
    configFile,
    nodeArgs: ['--require', path.join(repoRoot, 'test/fixtures/loaded-modules.cjs')],
    env: { LOADED_MODULES_FILE: loadedFile, MRSOCKO_RUNTIME_DIR: path.join(dir, 'run'), NOTIFY_SOCKET: '' },
  });
  try {
    await mrsocko.waitForLine(/ready: 1 socket/);
    const answer = await new Promise<string>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port });
      let got = '';
      s.on('data', (d) => (got += d.toString()));
      s.on('end', () => resolve(got));
      s.on('error', reject);
    });
    assert.equal(answer, 'hi');
    process.kill(mrsocko.pid, 'SIGUSR2');
    assert.ok(await waitFor(() => fs.existsSync(loadedFile), 5000), 'no list of loaded modules');
    const loaded = JSON.parse(fs.readFileSync(loadedFile, 'utf8')) as Loaded;
    const ours = loaded.files.filter((f) => !f.endsWith('loaded-modules.cjs'));
    const unexpected = ours.filter((f) => f !== cliPath && !f.endsWith('.node') && !f.endsWith(`${path.sep}ipaddr.js${path.sep}lib${path.sep}ipaddr.js`));
    assert.deepEqual(unexpected, [], 'files loaded besides the bundle, the addons and ipaddr.js');
    assert.ok(ours.includes(cliPath), ours.join('\n'));
    assert.ok(!loaded.builtins.includes('crypto'), 'node:crypto is loaded without [knock]');
  } finally {
    await mrsocko.stop();
  }
});

test('the bundle runs from the code cache the build made, under the flags the units give node; without them, from source', () => {
  const run = (flags: readonly string[]): string =>
    spawnSync(process.execPath, [...flags, cliPath, '--version'], { env: { ...process.env, NODE_DEBUG: 'mrsocko' }, encoding: 'utf8' }).stderr;
  assert.match(run(NODE_FLAGS), /code cache .*mrsocko-main\.cjs\.cache: used$/m);
  // other V8 flags: V8 refuses the cache and mrsocko compiles the bundle as usual
  assert.match(run([...NODE_FLAGS, '--no-opt']), /code cache .*: rejected$/m);
  const version = spawnSync(process.execPath, [...NODE_FLAGS, '--no-opt', cliPath, '--version'], { encoding: 'utf8' });
  assert.match(version.stdout, /^mrsocko \d+\.\d+\.\d+/);
});
