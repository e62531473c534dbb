// wrk, the HTTP load tool of the bench: one run against 127.0.0.1:PORT/small.txt (the
// 100-byte file nginx serves), parsed into its rate, latency percentiles and errors.
import { run } from './procs.js';
import { parseDurationMs } from './stats.js';

export interface WrkResult {
  rps: number;
  requests: number;
  /** ms */
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export interface WrkOptions {
  seconds: number;
  connections: number;
  threads: number;
  /** A new connection per request (`Connection: close`: nginx closes, wrk reconnects). */
  close: boolean;
}

export async function wrk(port: number, o: WrkOptions): Promise<WrkResult> {
  const argv = [
    'wrk', `-t${o.threads}`, `-c${o.connections}`, `-d${o.seconds}s`, '--latency', '--timeout', '5s',
    ...(o.close ? ['-H', 'Connection: close'] : []),
    `http://127.0.0.1:${port}/small.txt`,
  ];
  const { output } = await run('wrk', argv, { timeoutMs: (o.seconds + 30) * 1000 });
  const pct = (p: string): number => {
    const m = new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(output);
    return m ? parseDurationMs(m[1] as string) : NaN;
  };
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? NaN);
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const errors = se ? se.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? NaN);
  return { rps, requests, p50: pct('50'), p99: pct('99'), errors, non2xx };
}
