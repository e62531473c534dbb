// Shared pieces of the end-to-end tests that install mrsocko's units into a real systemd
// (test/helpers/nspawn.ts): the Node.js binary inside the container, the CLI there, and
// small clients run from the host.
import net from 'node:net';
import http from 'node:http';
import path from 'node:path';
import { CONTAINER_REPO, shellQuote, type Bind, type Container } from './nspawn.js';

/** The container has the host's /usr; a Node.js installed elsewhere is bound in at the same path. */
export const NODE = process.execPath;
export function nodeBinds(): Bind[] {
  if (NODE.startsWith('/usr/')) return [];
  const prefix = path.dirname(path.dirname(NODE));
  return [{ host: prefix, container: prefix, readOnly: true }];
}

/** `mrsocko ARGS` inside the container, as a shell command line. */
export function mrsocko(...args: string[]): string {
  return [NODE, `${CONTAINER_REPO}/dist/mrsocko.cjs`, ...args].map(shellQuote).join(' ');
}

/** `systemd-analyze security UNIT`'s overall exposure level (0.0 best … 10.0). */
export async function exposure(c: Container, unit: string): Promise<{ level: number; output: string }> {
  const r = await c.exec(`systemd-analyze security --no-pager ${shellQuote(unit)}`);
  const m = /Overall exposure level for \S+: (\d+\.\d+)/.exec(r.stdout);
  if (!m) throw new Error(`no exposure level for ${unit}: ${r.stdout}\n${r.stderr}`);
  return { level: Number(m[1]), output: r.stdout };
}

/** `systemctl show -p PROP --value UNIT`. */
export async function show(c: Container, unit: string, prop: string): Promise<string> {
  return (await c.exec(`systemctl show -p ${prop} --value ${shellQuote(unit)}`)).stdout.trim();
}

/** GET http://127.0.0.1:PORT/ from the host; resolves with the status code. */
export function httpGet(port: number, timeoutMs: number): Promise<number> {
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

/** A TCP connection kept open to an echo service: say() sends a line and waits for it back. */
export interface EchoClient {
  say(text: string, timeoutMs?: number): Promise<string>;
  /** Resolves when the other side closes (or errors), with how. */
  readonly closed: Promise<string>;
  destroy(): void;
}

export function connectEcho(port: number, host = '127.0.0.1'): Promise<EchoClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let buffer = '';
    let waiter: (() => void) | undefined;
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      waiter?.();
    });
    const closed = new Promise<string>((done) => {
      socket.once('error', (err) => done(`error: ${err.message}`));
      socket.once('close', () => done('closed'));
    });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      resolve({
        closed,
        destroy: () => socket.destroy(),
        say(text, timeoutMs = 20_000) {
          const line = `${text}\n`;
          socket.write(line);
          return new Promise((done, fail) => {
            const timer = setTimeout(() => {
              waiter = undefined;
              fail(new Error(`no echo of ${JSON.stringify(text)} within ${timeoutMs} ms (got ${JSON.stringify(buffer)})`));
            }, timeoutMs);
            const check = (): void => {
              const at = buffer.indexOf(line);
              if (at < 0) return;
              buffer = buffer.slice(at + line.length);
              clearTimeout(timer);
              waiter = undefined;
              done(text);
            };
            waiter = check;
            check();
            void closed.then((how) => {
              if (waiter === check) {
                clearTimeout(timer);
                fail(new Error(`connection ${how} before the echo of ${JSON.stringify(text)}`));
              }
            });
          });
        },
      });
    });
  });
}

/**
 * Install an instance the way a user does: /etc/mrsocko/NAME.conf (and any extra units),
 * `mrsocko gen-unit NAME`, `systemctl daemon-reload`, `systemctl enable --now mrsocko@NAME.socket`.
 */
export async function installInstance(
  c: Container,
  o: { instance: string; config: string; units?: Record<string, string> },
): Promise<void> {
  await c.writeFile(`/etc/mrsocko/${o.instance}.conf`, o.config);
  for (const [name, text] of Object.entries(o.units ?? {})) await c.writeFile(`/etc/systemd/system/${name}`, text);
  const r = await c.exec(
    `${mrsocko('gen-unit', o.instance)} && systemctl daemon-reload && systemctl enable --now mrsocko@${o.instance}.socket`,
  );
  if (r.status !== 0) throw new Error(`installing mrsocko@${o.instance} failed (${r.status}): ${r.stdout}\n${r.stderr}`);
}
