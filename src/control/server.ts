// The daemon's control socket: a unix stream socket, owner-only (directory 0700 when we
// create it, socket 0600). The protocol is one answer per connection: on connect mrsocko
// writes the status report as one line of JSON and closes. Nothing is read from clients.
// A client that misbehaves (never reads, stays connected) is cut off after a few seconds,
// and only a few may be connected at once; the daemon never waits for one.
// Problems setting the socket up are logged as a warning: status is a convenience, never
// a reason to stop serving.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { LogEvent } from '../log/events.js';
import type { StatusReport } from './report.js';

const CLIENT_TIMEOUT_MS = 5_000;
const MAX_CLIENTS = 8;

export class ControlServer {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    readonly path: string,
    private readonly report: () => StatusReport,
    private readonly log: (event: LogEvent) => void,
  ) {}

  /** Never rejects: a problem is logged and the daemon goes on without a control socket. */
  async start(): Promise<void> {
    try {
      prepareDirectory(path.dirname(this.path));
      await removeStale(this.path);
      const server = net.createServer((socket) => this.answer(socket));
      server.maxConnections = MAX_CLIENTS;
      server.on('error', (err) => this.log({ kind: 'control-socket', path: this.path, problem: err.message }));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        // bind() happens synchronously inside listen(): the umask makes the socket file
        // owner-only from its creation; chmod below repeats it for file systems that ignore it.
        const umask = process.umask(0o177);
        try {
          server.listen({ path: this.path }, () => {
            server.off('error', reject);
            resolve();
          });
        } finally {
          process.umask(umask);
        }
      });
      fs.chmodSync(this.path, 0o600);
      server.unref();
      this.server = server;
      this.log({ kind: 'control-socket', path: this.path });
    } catch (err) {
      this.log({ kind: 'control-socket', path: this.path, problem: describe(err) });
    }
  }

  close(): void {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.close();
    for (const s of this.sockets) s.destroy();
    try {
      fs.unlinkSync(this.path);
    } catch {
      // already gone
    }
  }

  private answer(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.once('close', () => this.sockets.delete(socket));
    socket.setTimeout(CLIENT_TIMEOUT_MS, () => socket.destroy());
    let text: string;
    try {
      text = JSON.stringify(this.report()) + '\n';
    } catch (err) {
      text = JSON.stringify({ error: describe(err) }) + '\n';
    }
    socket.end(text);
  }
}

/** Creates the directory (0700) if missing; refuses one that others could write to. */
function prepareDirectory(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  const uid = process.getuid?.() ?? 0;
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  if (st.uid !== uid && st.uid !== 0) throw new Error(`${dir} belongs to uid ${st.uid}, not to us (uid ${uid})`);
  if ((st.mode & 0o022) !== 0) throw new Error(`${dir} is writable by others (mode ${(st.mode & 0o7777).toString(8)})`);
}

/** A socket file left by a crashed run is removed; one that answers belongs to a live instance. */
async function removeStale(file: string): Promise<void> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new Error('the path exists and is not a socket');
  const alive = await new Promise<boolean>((resolve) => {
    const probe = net.connect({ path: file }, () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new Error('another mrsocko answers there (two instances with the same name?)');
  fs.unlinkSync(file);
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EACCES') return `permission denied (${e.message})`;
  return err instanceof Error ? err.message : String(err);
}
