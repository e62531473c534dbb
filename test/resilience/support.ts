// What the resilience suite shares: resource snapshots (fds, libuv handles and timers,
// processes), a seeded PRNG, mrsocko as a real process with a raised fd limit, and its
// control socket. Every process a scenario starts carries MARK in its environment, and
// so does everything those processes start (backends, their children, stop commands,
// systemctl): a leaked process is found by that mark even after it was orphaned.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cliPath, repoRoot } from '../helpers/paths.js';
import { startDaemon, tempDir, type TestDaemon } from '../helpers/daemon.js';

export const fixture = (name: string): string => path.join(repoRoot, 'test/fixtures', name);

/** Environment variable set for every process a scenario starts (see the top of this file). */
export const MARK_VAR = 'MRSOCKO_RESILIENCE';
export const MARK = `${MARK_VAR}=${process.pid}`;
export const markedEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  [MARK_VAR]: String(process.pid),
  ...extra,
});

// ---------------------------------------------------------------- processes and fds

export interface ProcessInfo {
  pid: number;
  state: string;
  command: string;
}

function procStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: state ?? '?', ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 160);
  } catch {
    return '?';
  }
}

/** Every process (zombies included) carrying this test process's MARK, except ourselves. */
export function markedProcesses(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  const needle = Buffer.from(`\0${MARK}\0`);
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let environ: Buffer;
    try {
      environ = Buffer.concat([Buffer.from([0]), fs.readFileSync(`/proc/${pid}/environ`), Buffer.from([0])]);
    } catch {
      continue;
    }
    if (environ.indexOf(needle) < 0) {
      // a zombie's environ reads as empty: find ours by parentage instead
      const s = procStat(pid);
      if (s?.state !== 'Z' || s.ppid !== process.pid) continue;
    }
    const s = procStat(pid);
    if (s) found.push({ pid, state: s.state, command: commandOf(pid) });
  }
  return found;
}

/** fd number → what it points at, for `pid` (default: this process). */
export function fdTable(pid: number | 'self' = 'self'): Map<number, string> {
  const table = new Map<number, string>();
  const dir = `/proc/${pid}/fd`;
  for (const name of fs.readdirSync(dir)) {
    try {
      table.set(Number(name), fs.readlinkSync(`${dir}/${name}`));
    } catch {
      // closed while we looked (the readdir's own fd, for one)
    }
  }
  return table;
}

export function fdCount(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

/** Resident memory of `pid` in KiB. */
export function rssKiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
}

/** libuv handles and requests keeping the loop alive, by kind (Timeout, TCPSocketWrap, ...). */
export function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

export interface Snapshot {
  fds: Map<number, string>;
  resources: Map<string, number>;
}

export function snapshot(): Snapshot {
  return { fds: fdTable(), resources: activeResources() };
}

interface Leaks {
  fds: string[];
  resources: string[];
  processes: string[];
}

function leaksSince(before: Snapshot): Leaks {
  const fds = [...fdTable()].filter(([fd, target]) => before.fds.get(fd) !== target).map(([fd, target]) => `fd ${fd} → ${target}`);
  const resources = [...activeResources()]
    .filter(([kind, n]) => n > (before.resources.get(kind) ?? 0))
    .map(([kind, n]) => `${kind}: ${before.resources.get(kind) ?? 0} → ${n}`);
  const processes = markedProcesses().map((p) => `pid ${p.pid} (${p.state}) ${p.command}`);
  return { fds, resources, processes };
}

/**
 * Waits (up to `timeoutMs`) until this process has no fd, handle or timer that it did not
 * have in `before`, and no marked process is left; fails naming each leak otherwise.
 */
export async function expectBaseline(before: Snapshot, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let leaks = leaksSince(before);
  while (leaks.fds.length + leaks.resources.length + leaks.processes.length > 0 && Date.now() < deadline) {
    await sleep(50);
    leaks = leaksSince(before);
  }
  assert.deepEqual(leaks, { fds: [], resources: [], processes: [] }, `${what}: resources not back to baseline after ${timeoutMs} ms`);
}

/**
 * Runs `body` between two snapshots: everything it opened (fds, sockets, timers, child
 * processes and their descendants) must be gone once it returns.
 */
export async function hygienic<T>(what: string, body: () => Promise<T>): Promise<T> {
  await sleep(20); // let the previous test's closing handles go
  const before = snapshot();
  const result = await body();
  await expectBaseline(before, what);
  return result;
}

/** An in-process daemon whose backends carry MARK. */
export function startMarkedDaemon(
  text: string,
  dir = tempDir(),
  extra: Parameters<typeof startDaemon>[2] = {},
): Promise<TestDaemon> {
  return startDaemon(text, dir, { ...extra, env: markedEnv(extra.env) });
}

// ---------------------------------------------------------------- seeded randomness

/** mulberry32: small, fast, good enough to drive tests; the same seed gives the same run. */
export class Prng {
  private state: number;
  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i += 4) {
      const v = (this.next() * 4294967296) >>> 0;
      b[i] = v & 0xff;
      if (i + 1 < n) b[i + 1] = (v >>> 8) & 0xff;
      if (i + 2 < n) b[i + 2] = (v >>> 16) & 0xff;
      if (i + 3 < n) b[i + 3] = v >>> 24;
    }
    return b;
  }
}

/** The seed for this run: $RESILIENCE_SEED to replay one, else a fresh one (printed). */
export function seedFor(what: string): number {
  const given = process.env.RESILIENCE_SEED;
  const seed = given !== undefined && given !== '' ? Number(given) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
  console.log(`# ${what}: seed ${seed} (replay with RESILIENCE_SEED=${seed})`);
  return seed;
}

/** A number from the environment (durations, counts), else the default. */
export function envNumber(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return process.env[name] !== undefined && process.env[name] !== '' && Number.isFinite(v) && v > 0 ? v : fallback;
}

// ---------------------------------------------------------------- mrsocko as a process

export interface Mrsocko {
  child: ChildProcess;
  /** mrsocko's own pid (the shell wrapper exec()s it). */
  pid: number;
  output(): string;
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the matching lines once there are at least `n`. */
  waitForCount(pattern: RegExp, n: number, timeoutMs?: number): Promise<string[]>;
  /** Lines matching `pattern` so far. */
  count(pattern: RegExp): number;
  /** SIGTERM and wait for the exit code (SIGKILL after 15 s). */
  stop(): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

/**
 * `mrsocko run --config FILE` standalone, with RLIMIT_NOFILE raised to `nofile` first
 * (`ulimit -n` is per process: the test runner's limit says nothing about mrsocko's) and
 * MARK in its environment.
 */
export function spawnMrsocko(configFile: string, opts: { nofile?: number; env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {}): Mrsocko {
  const nofile = opts.nofile ?? 65536;
  const child = spawn(
    '/bin/sh',
    [
      '-c',
      // raise the hard limit if allowed (CAP_SYS_RESOURCE), then the soft one as far as it goes
      `ulimit -Hn ${nofile} 2>/dev/null; h=$(ulimit -Hn); ` +
        `if [ "$h" = unlimited ] || [ "$h" -ge ${nofile} ]; then h=${nofile}; fi; ulimit -n "$h" && exec "$0" "$@"`,
      process.execPath, ...(opts.nodeArgs ?? []), cliPath, 'run', '--config', configFile,
    ],
    { env: markedEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const waiters = new Set<() => void>();
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
    for (const w of [...waiters]) w();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = (pattern: RegExp): string[] => output.split('\n').filter((l) => pattern.test(l));
  return {
    child,
    pid: child.pid as number,
    exited,
    output: () => output,
    count: (pattern) => lines(pattern).length,
    waitForLine(pattern, timeoutMs = 15_000) {
      return this.waitForCount(pattern, 1, timeoutMs).then((found) => found[0] as string);
    },
    waitForCount(pattern, n, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = lines(pattern);
          if (found.length < n) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`not ${n} lines matching ${pattern} within ${timeoutMs} ms; output:\n${output.slice(-4000)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return exited;
    },
  };
}

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

export { tempDir };
