// Resource hygiene for tests that must leave nothing behind: snapshots of fds, libuv
// handles and timers and processes, before and after. Every process a scenario starts
// carries MARK in its environment, and so does everything those processes start
// (backends, their children, stop commands, systemctl): a leaked process is found by
// that mark even after it was orphaned.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDaemon, tempDir, type TestDaemon } from './daemon.js';
import { startMrsocko, type MrsockoProcess } from './mrsocko-process.js';

/** Environment variable set for every process a scenario starts (see the top of this file). */
export const MARK_VAR = 'MRSOCKO_RESILIENCE';
export const MARK = `${MARK_VAR}=${process.pid}`;
export const markedEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  [MARK_VAR]: String(process.pid),
  ...extra,
});

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

/** This process's open pipes and sockets (what the native addon opens). */
export function pipesAndSockets(): { pipes: number; sockets: number } {
  let pipes = 0;
  let sockets = 0;
  for (const target of fdTable().values()) {
    if (target.startsWith('pipe:')) pipes++;
    else if (target.startsWith('socket:')) sockets++;
  }
  return { pipes, sockets };
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

/** mrsocko as a process (./mrsocko-process.ts) whose environment is MARK and PATH only, with a raised fd limit. */
export function spawnMrsocko(configFile: string, opts: { nofile?: number; env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {}): MrsockoProcess {
  return startMrsocko({ configFile, env: markedEnv(opts.env), inheritEnv: false, nofile: opts.nofile ?? 65536, nodeArgs: opts.nodeArgs ?? [] });
}
