// Installing an mrsocko instance into an nspawn container the way a user would: the
// shipped templates (ExecStart= pointed at this checkout's build), a socket drop-in, and
// /etc/mrsocko/NAME.conf; then `systemctl enable --now mrsocko@NAME.socket`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { repoRoot } from './paths.js';
import { CONTAINER_REPO, type Container } from './nspawn.js';

const NODE = process.execPath;
/** The container has the host's /usr; a Node.js installed elsewhere must be bound in. */
export const nodeBinds = NODE.startsWith('/usr/')
  ? []
  : [{ host: path.dirname(path.dirname(NODE)), container: path.dirname(path.dirname(NODE)), readOnly: true }];

export function template(name: string): string {
  const text = readFileSync(path.join(repoRoot, 'units', name), 'utf8');
  const exec = `ExecStart=${NODE} ${CONTAINER_REPO}/dist/src/cli/main.js run --instance %i`;
  return text
    .split('\n')
    .map((l) => (l.startsWith('ExecStart=') ? exec : l))
    .join('\n');
}

export async function installInstance(
  c: Container,
  o: { instance: string; config: string; listen: string[]; units?: Record<string, string> },
): Promise<void> {
  await c.writeFile(`/etc/mrsocko/${o.instance}.conf`, o.config);
  for (const [name, text] of Object.entries(o.units ?? {})) await c.writeFile(`/etc/systemd/system/${name}`, text);
  await c.writeFile('/etc/systemd/system/mrsocko@.service', template('mrsocko@.service'));
  await c.writeFile('/etc/systemd/system/mrsocko@.socket', template('mrsocko@.socket'));
  await c.writeFile(`/etc/systemd/system/mrsocko@${o.instance}.socket.d/50-listen.conf`, `[Socket]\n${o.listen.join('\n')}\n`);
  const r = await c.exec(`systemctl daemon-reload && systemctl enable --now mrsocko@${o.instance}.socket`);
  assert.equal(r.status, 0, `enable failed: ${r.stderr}`);
}

/** GET http://127.0.0.1:PORT/ from the host: the status code, or the error's message. */
export function httpGet(port: number, timeoutMs = 30_000): Promise<number | string> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', (err) => resolve(err.message));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no response within ${timeoutMs} ms`)));
    req.on('error', (err) => resolve(err.message));
  });
}
