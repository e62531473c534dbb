// Runs the real CLI: `mrsocko gen-unit` into a temporary --output directory. What systemd
// makes of the files is in test/e2e/systemd-units.test.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliPath } from '../helpers/paths.js';

let dir: string;
before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mrsocko-gen-unit-')); });
after(() => { fs.rmSync(dir, { recursive: true, force: true }); });

interface Run { status: number | null; stdout: string; stderr: string }

function genUnit(args: string[], configDir = path.join(dir, 'etc')): Run {
  const r = spawnSync(process.execPath, [cliPath, 'gen-unit', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, MRSOCKO_CONFIG_DIR: configDir },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function fresh(name: string): { out: string; conf: string } {
  const out = path.join(dir, name, 'units');
  const conf = path.join(dir, name, 'demo.conf');
  fs.mkdirSync(path.dirname(conf), { recursive: true });
  fs.writeFileSync(conf, '[service]\nexec = /usr/bin/python3 -m http.server 18080\n[socket.web]\nlisten = 8080\nbackend = 127.0.0.1:18080\n');
  return { out, conf };
}

const FILES = ['mrsocko@.service', 'mrsocko@.socket', 'mrsocko@demo.socket.d/50-listen.conf', 'mrsocko@demo.service.d/50-sandbox.conf'];

test('writes the templates and both drop-ins, then prints the next commands', () => {
  const { out, conf } = fresh('writes');
  const r = genUnit(['demo', '--config', conf, '--output', out]);
  assert.equal(r.status, 0, r.stderr);
  for (const f of FILES) assert.ok(fs.existsSync(path.join(out, f)), `${f} missing; stdout:\n${r.stdout}`);
  assert.match(r.stdout, /systemctl daemon-reload && systemctl enable --now mrsocko@demo\.socket/);
  assert.match(r.stdout, /journalctl -u mrsocko@demo/);
  assert.match(r.stdout, /systemctl status mrsocko@demo/);
  const service = fs.readFileSync(path.join(out, 'mrsocko@.service'), 'utf8');
  assert.match(service, new RegExp(`^ExecStart=${fs.realpathSync(process.execPath).replaceAll('/', '\\/')} --single-threaded /\\S+/dist/mrsocko\\.cjs run --instance %i$`, 'm'));
  assert.equal(fs.readFileSync(path.join(out, 'mrsocko@demo.socket.d/50-listen.conf'), 'utf8').match(/^ListenStream=8080$/m)?.length, 1);
});

test('a second run changes nothing; a changed config updates the unchanged drop-in and says how to rebind', () => {
  const { out, conf } = fresh('again');
  assert.equal(genUnit(['demo', '--config', conf, '--output', out]).status, 0);
  const again = genUnit(['demo', '--config', conf, '--output', out]);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.stdout.match(/^same /gm)?.length, 4, again.stdout);

  fs.writeFileSync(conf, fs.readFileSync(conf, 'utf8').replace('listen = 8080', 'listen = 8081'));
  const changed = genUnit(['demo', '--config', conf, '--output', out]);
  assert.equal(changed.status, 0, changed.stderr);
  assert.match(changed.stdout, /^updated .*50-listen\.conf$/m);
  assert.match(changed.stdout, /systemctl stop mrsocko@demo\.service mrsocko@demo\.socket && systemctl start mrsocko@demo\.socket/);
  assert.match(fs.readFileSync(path.join(out, 'mrsocko@demo.socket.d/50-listen.conf'), 'utf8'), /^ListenStream=8081$/m);
});

test('a hand-edited drop-in is refused (nothing written) unless --force; an edited template is kept', () => {
  const { out, conf } = fresh('edited');
  assert.equal(genUnit(['demo', '--config', conf, '--output', out]).status, 0);
  const listen = path.join(out, 'mrsocko@demo.socket.d/50-listen.conf');
  const template = path.join(out, 'mrsocko@.service');
  fs.appendFileSync(listen, 'Backlog=16\n');
  fs.appendFileSync(template, '# mine\n');
  fs.writeFileSync(conf, fs.readFileSync(conf, 'utf8').replace('listen = 8080', 'listen = 8082'));
  const sandboxBefore = fs.readFileSync(path.join(out, 'mrsocko@demo.service.d/50-sandbox.conf'), 'utf8');

  const refused = genUnit(['demo', '--config', conf, '--output', out]);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /50-listen\.conf \(edited since gen-unit wrote it\): nothing written.*--force/);
  assert.match(fs.readFileSync(listen, 'utf8'), /Backlog=16/);
  assert.equal(fs.readFileSync(path.join(out, 'mrsocko@demo.service.d/50-sandbox.conf'), 'utf8'), sandboxBefore);

  const forced = genUnit(['demo', '--config', conf, '--output', out, '--force']);
  assert.equal(forced.status, 0, forced.stderr);
  assert.doesNotMatch(fs.readFileSync(listen, 'utf8'), /Backlog=16/);
  assert.match(fs.readFileSync(listen, 'utf8'), /^ListenStream=8082$/m);
  // --force overwrites the template too; without it, an edited template is only kept.
  assert.doesNotMatch(fs.readFileSync(template, 'utf8'), /# mine/);
  fs.appendFileSync(template, '# mine\n');
  const kept = genUnit(['demo', '--config', conf, '--output', out]);
  assert.equal(kept.status, 0, kept.stderr);
  assert.match(kept.stdout, /^kept .*mrsocko@\.service \(edited since gen-unit wrote it; --force replaces it\)$/m);
  assert.match(fs.readFileSync(template, 'utf8'), /# mine/);
});

test('a file not written by gen-unit is refused too', () => {
  const { out, conf } = fresh('foreign');
  fs.mkdirSync(path.join(out, 'mrsocko@demo.socket.d'), { recursive: true });
  fs.writeFileSync(path.join(out, 'mrsocko@demo.socket.d/50-listen.conf'), '[Socket]\nListenStream=8080\n');
  const r = genUnit(['demo', '--config', conf, '--output', out]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /not written by gen-unit/);
  assert.equal(fs.existsSync(path.join(out, 'mrsocko@.service')), false, 'nothing is written when one file is refused');
});

test('--stdout prints every file with its path and writes nothing', () => {
  const { out, conf } = fresh('stdout');
  const r = genUnit(['demo', '--config', conf, '--output', out, '--stdout']);
  assert.equal(r.status, 0, r.stderr);
  for (const f of FILES) assert.ok(r.stdout.includes(`# ${path.join(out, f)}\n`), f);
  assert.match(r.stdout, /^ListenStream=8080$/m);
  assert.equal(fs.existsSync(out), false);
});

test('--templates writes only the templates', () => {
  const out = path.join(dir, 'templates');
  const r = genUnit(['--templates', '--output', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(fs.readdirSync(out).sort(), ['mrsocko@.service', 'mrsocko@.socket']);
});

test('a starter config from --exec/--listen/--backend, when the instance has none', () => {
  const configDir = path.join(dir, 'starter-etc');
  const out = path.join(dir, 'starter-units');
  const r = genUnit(
    ['web', '--exec', 'python3 -m http.server 18080', '--listen', '8080', '--backend', '127.0.0.1:18080',
      '--listen', '7359/udp', '--backend', '127.0.0.1:17359', '--output', out],
    configDir,
  );
  assert.equal(r.status, 0, r.stderr);
  const conf = fs.readFileSync(path.join(configDir, 'web.conf'), 'utf8');
  assert.match(conf, /^exec = python3 -m http\.server 18080$/m);
  assert.match(conf, /\[socket\.main2\]\nlisten = 7359\nprotocol = udp\nbackend = 127\.0\.0\.1:17359/);
  const listen = fs.readFileSync(path.join(out, 'mrsocko@web.socket.d/50-listen.conf'), 'utf8');
  assert.match(listen, /^ListenStream=8080$/m);
  assert.match(listen, /^ListenDatagram=7359$/m);

  const again = genUnit(['web', '--unit', 'x.service', '--listen', '8080', '--backend', '127.0.0.1:1', '--output', out], configDir);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /exists already/);
});

test('usage and config errors', () => {
  assert.equal(genUnit([]).status, 2);
  assert.match(genUnit(['my app']).stderr, /cannot be a systemd instance name/);
  assert.equal(genUnit(['a', 'b']).status, 2);
  assert.equal(genUnit(['--templates', 'demo']).status, 2);
  assert.equal(genUnit(['demo', '--exec', 'x', '--listen', '1']).status, 2);
  const missing = genUnit(['nosuch', '--output', path.join(dir, 'x')]);
  assert.equal(missing.status, 78);
  assert.match(missing.stderr, /nosuch\.conf: cannot read the config/);
  const bad = path.join(dir, 'bad.conf');
  fs.writeFileSync(bad, '[service]\nunit = x.service\n[socket.web]\nlisten = 80\n');
  const invalid = genUnit(['demo', '--config', bad, '--output', path.join(dir, 'x')]);
  assert.equal(invalid.status, 78);
  assert.match(invalid.stderr, /bad\.conf:\d+: \[socket\.web\]/);
});
