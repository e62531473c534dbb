// scripts/bundle.mjs: dist/mrsocko.cjs, the bin the units run, and the bundle it runs from a
// V8 code cache. A socket-activated mrsocko starts while its first client waits, so what a
// start loads is pinned here: the bundle (compiled from the cache) and the addons, not
// winston (only for [log] file), ipaddr.js's own file (bundled), node:crypto (only for
// [knock]), node:module (the ES module loader with it) nor perf_hooks (`performance`);
// and the cache is made from a
// real start (scripts/train-code-cache.mjs), so that a start's functions are in it.
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
    const unexpected = ours.filter((f) => f !== cliPath && !f.endsWith('.node'));
    assert.deepEqual(unexpected, [], 'files loaded besides the bundle and the addons (ipaddr.js is in the bundle)');
    assert.ok(ours.includes(cliPath), ours.join('\n'));
    assert.ok(!loaded.builtins.includes('crypto'), 'node:crypto is loaded without [knock]');
    assert.ok(!loaded.builtins.includes('module'), 'node:module is loaded (createRequire is the bundle\'s own require)');
    assert.ok(!loaded.builtins.includes('perf_hooks'), 'perf_hooks is loaded (util/clock.ts: monotonicMs(), not performance.now())');
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

test('the code cache is trained on a real start: it holds more than `run --help` compiles, and V8 takes it', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const copy = path.join(dir, 'dist');
  fs.mkdirSync(copy);
  for (const f of ['mrsocko.cjs', 'mrsocko-main.cjs']) fs.copyFileSync(path.join(repoRoot, 'dist', f), path.join(copy, f));
  // found from the copy as from dist/: the package root (package.json) and the addon beside it
  fs.copyFileSync(path.join(repoRoot, 'package.json'), path.join(dir, 'package.json'));
  fs.symlinkSync(path.join(repoRoot, 'native'), path.join(dir, 'native'));
  const bin = path.join(copy, 'mrsocko.cjs');
  const cache = path.join(copy, 'mrsocko-main.cjs.cache');
  const help = spawnSync(process.execPath, [...NODE_FLAGS, bin, 'run', '--help'], { env: { ...process.env, MRSOCKO_WRITE_CODE_CACHE: cache } });
  assert.equal(help.status, 0);
  const helpSize = fs.statSync(cache).size;
  const { trainCodeCache } = await import(path.join(repoRoot, 'scripts', 'train-code-cache.mjs')) as {
    trainCodeCache(o: { node: string; flags: readonly string[]; bin: string; cache: string }): Promise<string | undefined>;
  };
  assert.equal(await trainCodeCache({ node: process.execPath, flags: NODE_FLAGS, bin, cache }), undefined);
  const trainedSize = fs.statSync(cache).size;
  assert.ok(trainedSize > helpSize * 1.3, `trained cache ${trainedSize} bytes, from run --help ${helpSize}`);
  const used = spawnSync(process.execPath, [...NODE_FLAGS, bin, '--version'], { env: { ...process.env, NODE_DEBUG: 'mrsocko' }, encoding: 'utf8' });
  assert.match(used.stderr, /code cache .*: used$/m);
  // the build's own cache is a trained one too
  assert.ok(fs.statSync(path.join(repoRoot, 'dist', 'mrsocko-main.cjs.cache')).size > helpSize * 1.3, 'dist/ has an untrained cache');
});

test('src/ keeps one clock: no `performance` outside util/clock.ts (its times would not compare with monotonicMs(), and it loads perf_hooks)', () => {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (file.endsWith('.ts') && !file.endsWith(path.join('util', 'clock.ts'))) {
        fs.readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
          if (/\bperformance\.|perf_hooks/.test(line.replace(/\/\/.*$|^\s*\*.*$/, ''))) found.push(`${path.relative(repoRoot, file)}:${i + 1}: ${line.trim()}`);
        });
      }
    }
  };
  walk(path.join(repoRoot, 'src'));
  assert.deepEqual(found, []);
});
