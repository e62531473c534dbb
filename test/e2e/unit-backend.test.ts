// End to end under a real systemd (nspawn): mrsocko@demo.socket listens, the first client
// starts mrsocko@demo.service, which starts the `unit =` backend demo-backend.service with
// systemctl, proxies the request to it, and stops it again after 2 s without traffic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { prerequisite } from '../helpers/require.js';
import { freePort } from '../helpers/net.js';
import { repoRoot } from '../helpers/paths.js';
import {
  bootContainer,
  CONTAINER_REPO,
  nspawnAvailable,
  NSPAWN_REQUIREMENT,
  type Container,
} from '../helpers/nspawn.js';

const INSTANCE = 'demo';
const BACKEND = 'demo-backend.service';
// The container has the host's /usr; a Node.js installed elsewhere is bound in at the same path.
const NODE = process.execPath;
const NODE_PREFIX = path.dirname(path.dirname(NODE));
const NODE_IN_USR = NODE.startsWith('/usr/');
const EXEC_START = `ExecStart=${NODE} ${CONTAINER_REPO}/dist/src/cli/main.js run --instance %i`;

/** The shipped template with its single ExecStart= line pointed at the repository's build. */
function template(name: string): string {
  const text = readFileSync(path.join(repoRoot, 'units', name), 'utf8');
  const lines = text.split('\n');
  const execStarts = lines.filter((l) => l.startsWith('ExecStart='));
  if (name.endsWith('.service')) assert.equal(execStarts.length, 1, `${name}: expected one ExecStart= line`);
  return lines.map((l) => (l.startsWith('ExecStart=') ? EXEC_START : l)).join('\n');
}

/** GET http://127.0.0.1:PORT/ from the host; resolves with the status code. */
function get(port: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no response within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

test('unit backend: started on the first connection, stopped when idle, started again', async (t) => {
  if (!prerequisite(t, nspawnAvailable(), NSPAWN_REQUIREMENT)) return;
  const listenPort = await freePort();
  let backendPort = await freePort();
  while (backendPort === listenPort) backendPort = await freePort();

  const c: Container = await bootContainer({
    machine: `mrsocko-unit-${process.pid}`,
    binds: NODE_IN_USR ? [] : [{ host: NODE_PREFIX, container: NODE_PREFIX, readOnly: true }],
  });
  /** Everything worth seeing when an assertion fails. */
  const diag = async (): Promise<string> =>
    `\n--- journalctl -u mrsocko@${INSTANCE} -u ${BACKEND}\n` +
    (await c.journal([`mrsocko@${INSTANCE}`, BACKEND])) +
    `\n--- systemctl status\n` +
    (await c.exec(`systemctl status --no-pager mrsocko@${INSTANCE}.socket mrsocko@${INSTANCE}.service ${BACKEND}`))
      .stdout;
  const isActive = async (unit: string): Promise<string> => (await c.exec(`systemctl is-active ${unit}`)).stdout.trim();
  const request = async (what: string): Promise<void> => {
    const started = performance.now();
    let status: number | string;
    try {
      status = await get(listenPort, 30_000);
    } catch (err) {
      status = (err as Error).message;
    }
    assert.equal(status, 200, `${what}: GET http://127.0.0.1:${listenPort}/ gave ${status}${await diag()}`);
    console.log(`${what}: 200 in ${Math.round(performance.now() - started)} ms`);
  };

  try {
    await c.writeFile(
      `/etc/mrsocko/${INSTANCE}.conf`,
      [
        '[service]',
        `unit = ${BACKEND}`,
        'start_timeout = 20s',
        '[socket.web]',
        `listen = 127.0.0.1:${listenPort}`,
        `backend = 127.0.0.1:${backendPort}`,
        '[idle]',
        'timeout = 2s',
        '',
      ].join('\n'),
    );
    await c.writeFile(
      `/etc/systemd/system/${BACKEND}`,
      '[Unit]\nDescription=mrsocko e2e demo backend\n[Service]\nType=simple\n' +
        `ExecStart=/usr/bin/python3 -m http.server ${backendPort} --bind 127.0.0.1 --directory /tmp\n`,
    );
    await c.writeFile('/etc/systemd/system/mrsocko@.service', template('mrsocko@.service'));
    await c.writeFile('/etc/systemd/system/mrsocko@.socket', template('mrsocko@.socket'));
    await c.writeFile(
      `/etc/systemd/system/mrsocko@${INSTANCE}.socket.d/50-listen.conf`,
      `[Socket]\nListenStream=127.0.0.1:${listenPort}\nFileDescriptorName=web\n`,
    );
    const enable = await c.exec(`systemctl daemon-reload && systemctl enable --now mrsocko@${INSTANCE}.socket`);
    assert.equal(enable.status, 0, `enable failed: ${enable.stderr}${await diag()}`);

    assert.equal(await isActive(BACKEND), 'inactive', `backend running before any client${await diag()}`);

    await request('first request');
    assert.equal(await isActive(BACKEND), 'active', `backend not active right after the request${await diag()}`);

    const idle = await c.waitFor(`systemctl is-active ${BACKEND}`, (r) => r.stdout.trim() === 'inactive', 8_000, 200);
    assert.ok(idle.ok, `backend still ${idle.last.stdout.trim()} ${idle.elapsedMs} ms after the request (idle timeout 2s)${await diag()}`);
    console.log(`backend inactive ${idle.elapsedMs} ms after the first request`);

    await request('request after the idle stop');
    assert.equal(await isActive(BACKEND), 'active', `backend not active after the second request${await diag()}`);
  } finally {
    await c.poweroff();
  }
});
