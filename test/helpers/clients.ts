// Test clients that keep a connection open and exchange bytes with an echo backend through
// mrsocko, from a chosen source address (127.0.0.1, 127.0.0.2, ::1: distinct clients, all
// on this machine), and a check that a connection is refused (closed unread, nothing back).
import net from 'node:net';

export interface EchoClient {
  socket: net.Socket;
  /** Sends `payload` and resolves once as many bytes came back. */
  echo(payload: Buffer | string): Promise<Buffer>;
  sent: number;
  received: number;
  close(): Promise<void>;
}

export interface Target {
  host: string;
  port: number;
  /** Source address of the client. */
  from?: string;
}

export function connectClient(t: Target, timeoutMs = 10_000): Promise<EchoClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: t.host, port: t.port, ...(t.from ? { localAddress: t.from } : {}) });
    let buffered: Buffer[] = [];
    let waiting: { want: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
    const client: EchoClient = {
      socket,
      sent: 0,
      received: 0,
      echo(payload) {
        const data = Buffer.from(payload);
        if (closed) return Promise.reject(new Error('the connection is closed'));
        client.sent += data.length;
        return new Promise<Buffer>((res, rej) => {
          const timer = setTimeout(() => rej(new Error(`no echo of ${data.length} bytes within ${timeoutMs} ms`)), timeoutMs);
          waiting = {
            want: data.length,
            resolve: (b) => {
              clearTimeout(timer);
              res(b);
            },
            reject: (e) => {
              clearTimeout(timer);
              rej(e);
            },
          };
          socket.write(data);
          check();
        });
      },
      close() {
        return new Promise((res) => {
          if (socket.destroyed) return res();
          socket.once('close', () => res());
          socket.end();
        });
      },
    };
    const check = (): void => {
      const total = buffered.reduce((n, b) => n + b.length, 0);
      if (waiting && total >= waiting.want) {
        const all = Buffer.concat(buffered);
        buffered = [all.subarray(waiting.want)].filter((b) => b.length > 0);
        const w = waiting;
        waiting = undefined;
        w.resolve(all.subarray(0, w.want));
      }
    };
    socket.on('data', (c: Buffer) => {
      client.received += c.length;
      buffered.push(c);
      check();
    });
    let closed = false;
    const gone = (): void => {
      closed = true;
      waiting?.reject(new Error('connection closed while waiting for an echo'));
    };
    socket.on('end', gone);
    socket.on('close', gone);
    socket.once('connect', () => resolve(client));
    socket.once('error', (err) => {
      waiting?.reject(err);
      reject(err);
    });
  });
}

/**
 * Connects, sends a byte, and resolves with how the connection ended, once it did:
 * 'reset' (RST, what a refusal looks like), 'closed' (FIN, nothing echoed) or 'echoed'.
 */
export function attempt(t: Target, timeoutMs = 10_000): Promise<'reset' | 'closed' | 'echoed' | 'timeout'> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: t.host, port: t.port, ...(t.from ? { localAddress: t.from } : {}) });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('timeout');
    }, timeoutMs);
    const done = (how: 'reset' | 'closed' | 'echoed'): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(how);
    };
    socket.once('connect', () => socket.write('x'));
    socket.once('data', () => done('echoed'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'reset' : 'closed'));
    socket.once('end', () => done('closed'));
  });
}

/** Refused = closed by mrsocko without an answer (an RST, or a FIN if it raced the write). */
export async function refused(t: Target, timeoutMs?: number): Promise<boolean> {
  const how = await attempt(t, timeoutMs);
  return how === 'reset' || how === 'closed';
}
