// Processes the bench starts: every one in its own process group, remembered until it
// ends, and killed — group and all — when the bench ends, however it ends (normal exit,
// an exception, SIGINT/SIGTERM). Helpers to run a tool to completion and to wait for ports.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the first output line matching `pattern` (or rejects after timeoutMs / on exit). */
  waitForLine(pattern: RegExp, timeoutMs?: number, from?: number): Promise<string>;
  /** SIGTERM to its group, SIGKILL after graceMs; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
  readonly exited: Promise<number | null>;
}

const live = new Set<Proc>();
/**
 * Process groups started by children that may outlive them (mrsocko's exec backends, if
 * mrsocko had to be killed): killed at the end, but only while the group leader is still
 * the process we saw (`marker` in its command line), since pids are reused.
 */
const extraGroups = new Map<number, string>();

export function rememberGroup(pgid: number, marker: string): void {
  extraGroups.set(pgid, marker);
}

function killExtraGroups(signal: NodeJS.Signals): void {
  for (const [pgid, marker] of extraGroups) {
    let cmdline = '';
    try {
      cmdline = fs.readFileSync(`/proc/${pgid}/cmdline`, 'utf8');
    } catch {
      extraGroups.delete(pgid); // gone
      continue;
    }
    if (cmdline.includes(marker)) killGroup(pgid, signal);
    else extraGroups.delete(pgid);
  }
}

export function start(name: string, argv: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Proc {
  const child = spawn(argv[0] as string, argv.slice(1), {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: stop() reaches everything it forks
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${argv[0]}`);
  let out = '';
  const waiters = new Set<() => void>();
  const collect = (chunk: Buffer): void => {
    out += chunk.toString();
    if (out.length > 4_000_000) out = out.slice(-2_000_000);
    for (const w of [...waiters]) w();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let done = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      done = true;
      live.delete(proc);
      for (const w of [...waiters]) w();
      resolve(code ?? (signal ? 128 : null));
    }),
  );
  child.once('error', () => undefined);
  const pid = child.pid;
  const proc: Proc = {
    name,
    child,
    pid,
    exited,
    output: () => out,
    waitForLine(pattern, timeoutMs = 15_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const line = out.slice(from).split('\n').find((l) => pattern.test(l));
          if (line !== undefined) {
            finish();
            resolve(line);
          } else if (done) {
            finish();
            reject(new Error(`${name} exited before printing ${pattern}; output:\n${out.slice(-3000)}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`${name}: no line matching ${pattern} within ${timeoutMs} ms; output:\n${out.slice(-3000)}`));
        }, timeoutMs);
        const finish = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop(graceMs = 5000) {
      if (done) return;
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      killGroup(pid, 'SIGKILL'); // anything of its group left behind
    },
  };
  live.add(proc);
  return proc;
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // gone already
  }
}

/** Run a tool to completion; rejects on a non-zero exit unless `allowFailure`. */
export async function run(
  name: string,
  argv: readonly string[],
  options: { timeoutMs?: number; allowFailure?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; output: string }> {
  const p = start(name, argv, { env: options.env });
  const timer = setTimeout(() => void p.stop(1000), options.timeoutMs ?? 120_000);
  const code = await p.exited;
  clearTimeout(timer);
  // let the last output arrive
  await new Promise((r) => setImmediate(r));
  if (code !== 0 && !options.allowFailure) {
    throw new Error(`${name} (${argv.join(' ')}) exited with ${code}:\n${p.output().slice(-3000)}`);
  }
  return { code, output: p.output() };
}

/** Kill everything still running, synchronously (usable from 'exit'). */
export function killAll(): void {
  for (const p of live) {
    killGroup(p.pid, 'SIGTERM');
  }
  killExtraGroups('SIGTERM');
  if (live.size > 0 || extraGroups.size > 0) spawnSync('sleep', ['0.3']);
  for (const p of live) killGroup(p.pid, 'SIGKILL');
  killExtraGroups('SIGKILL');
}

/** Stop everything still running, politely first (mrsocko stops its own backend on SIGTERM). */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop(5000)));
  killExtraGroups('SIGKILL');
  extraGroups.clear();
}

let installed = false;
/** Make sure nothing the bench started survives it. */
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}: stopping everything it started\n`);
      killAll();
      process.exit(130);
    });
  }
}

/**
 * Free loopback TCP ports, below the kernel's ephemeral range (net.ipv4.ip_local_port_range,
 * 32768–60999 by default), so that no outgoing connection — the load tools open thousands —
 * takes one between now and when a proxy listens on it.
 */
export async function freePorts(n: number): Promise<number[]> {
  let low = 32768;
  try {
    low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // keep the default
  }
  const from = Math.max(1024, Math.min(20000, low - 4000));
  const to = Math.max(from + 1000, low);
  const ports: number[] = [];
  for (let attempt = 0; ports.length < n; attempt++) {
    if (attempt > 1000) throw new Error(`no ${n} free ports in ${from}–${to}`);
    const port = from + Math.floor(Math.random() * (to - from));
    if (ports.includes(port)) continue;
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) ports.push(port);
  }
  return ports;
}

/** Resolves once 127.0.0.1:port accepts a connection. */
export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing accepts on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resident set size in bytes (VmRSS), or NaN when the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** utime+stime of the whole process in clock ticks (/proc/PID/stat, fields 14 and 15). */
export function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** utime+stime+cutime+cstime in clock ticks: the process and its children that ended (socat's per-connection processes). */
export function cpuTicksWithChildren(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
}

/**
 * CPU ticks of every process in process group `pgid` (as cpuTicksWithChildren: reaped
 * children included), for a proxy that forks per connection (socat).
 */
export function groupCpuTicks(pgid: number): number {
  let total = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === pgid) total += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** CPU time of all the process's threads in ns (/proc/PID/task/TID/schedstat, first field). */
export function cpuNs(pid: number): number {
  let total = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // thread ended
    }
  }
  return total;
}

/** Clock ticks per second (USER_HZ); 100 on every Linux this runs on. */
export function clockTicks(): number {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
}

/** The columns of every /proc/net/tcp{,6} row: [sl, local, remote, st, ...]. */
function procNetTcpRows(): string[][] {
  const rows: string[][] = [];
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) rows.push(line.trim().split(/\s+/));
  }
  return rows;
}

const hexPort = (port: number): string => `:${port.toString(16).toUpperCase().padStart(4, '0')}`;

/** Established TCP connections whose remote port is `port` (from /proc/net/tcp{,6}). */
export function establishedTo(port: number): number {
  const hex = hexPort(port);
  return procNetTcpRows().filter((cols) => cols[3] === '01' && cols[2]?.endsWith(hex)).length;
}

/** Resolves once something listens on TCP `port` (from /proc/net/tcp{,6}), without connecting to it. */
export async function waitListening(port: number, timeoutMs = 15_000): Promise<void> {
  const hex = hexPort(port);
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (procNetTcpRows().some((cols) => cols[3] === '0A' && cols[1]?.endsWith(hex))) return;
    if (Date.now() > until) throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    await sleep(10);
  }
}

/**
 * One client: connects to 127.0.0.1:port, sends `payload` once connected, and closes at the
 * first byte back — or, with `toEnd`, reads on until the other side ends (a whole
 * connect → request → response → close); `sent` is called once the payload is written.
 * Resolves with when it began connecting and when the first byte came, both
 * process.hrtime.bigint() (CLOCK_MONOTONIC, the clock bench/cold-backend.ts reports in).
 */
export function firstByte(
  port: number,
  payload: string,
  o: { toEnd?: boolean; timeoutMs?: number; sent?: () => void } = {},
): Promise<{ start: bigint; first: bigint }> {
  const timeoutMs = o.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    let first: bigint | undefined;
    const s = net.connect({ host: '127.0.0.1', port });
    s.setTimeout(timeoutMs, () => s.destroy(new Error(`no answer on port ${port} within ${timeoutMs} ms`)));
    s.once('connect', () => s.write(payload, () => o.sent?.()));
    s.on('data', () => {
      if (first !== undefined) return;
      first = process.hrtime.bigint();
      if (o.toEnd) return;
      s.destroy();
      resolve({ start, first });
    });
    s.once('end', () => {
      s.destroy();
      if (first === undefined) reject(new Error(`port ${port} closed without an answer`));
      else resolve({ start, first });
    });
    s.once('error', reject);
  });
}
