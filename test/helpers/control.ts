// `mrsocko status --json` without the CLI: one JSON line from the control socket.
import net from 'node:net';

/** `mrsocko status --json` without the CLI: the control socket answers one JSON line. */
export function controlStatus(socketPath: string, timeoutMs = 5000): Promise<StatusJson> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ path: socketPath });
    let text = '';
    const timer = setTimeout(() => socket.destroy(new Error(`no status from ${socketPath} in ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', (c: Buffer) => (text += c.toString()));
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('end', () => {
      clearTimeout(timer);
      socket.destroy();
      try {
        resolve(JSON.parse(text) as StatusJson);
      } catch (err) {
        reject(err);
      }
    });
  });
}

/** The fields of the status report these tests read. */
export interface StatusJson {
  backend: { state: string; starts: number; pid: number | null };
  idle: { state: string; timeoutMs: number | null };
  totals: { clients: number; connections: number; held: number; refused: number };
}
