// mrsocko as a real process (the built CLI): standalone, or under systemd-socket-activate,
// optionally with RLIMIT_NOFILE raised first (`ulimit -n` is per process: the test
// runner's limit says nothing about mrsocko's).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { cliPath } from './paths.js';

export interface MrsockoProcess {
  child: ChildProcess;
  /** mrsocko's own pid (a shell wrapper exec()s it). */
  pid: number;
  output(): string;
  /** Resolves with the output line matching `pattern`, or rejects after `timeoutMs`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the matching lines once there are at least `n`. */
  waitForCount(pattern: RegExp, n: number, timeoutMs?: number): Promise<string[]>;
  /** Lines matching `pattern` so far. */
  count(pattern: RegExp): number;
  /** SIGTERM, then wait; resolves with the exit code (SIGKILL after `killAfterMs`, 15 s). */
  stop(killAfterMs?: number): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

export interface MrsockoOptions {
  configFile: string;
  /** systemd-socket-activate's arguments (`-l`, `--fdname`, …): run under it. */
  activate?: string[];
  /** Added to the test runner's environment, or the whole environment with `inheritEnv: false`. */
  env?: NodeJS.ProcessEnv;
  inheritEnv?: boolean;
  /** Raise RLIMIT_NOFILE to this (as far as allowed) before exec. */
  nofile?: number;
  nodeArgs?: string[];
}

export function startMrsocko(opts: MrsockoOptions): MrsockoProcess {
  const mrsocko = [process.execPath, ...(opts.nodeArgs ?? []), cliPath, 'run', '--config', opts.configFile];
  let argv = opts.activate ? ['systemd-socket-activate', ...opts.activate, ...mrsocko] : mrsocko;
  if (opts.nofile !== undefined) {
    // raise the hard limit if allowed (CAP_SYS_RESOURCE), then the soft one as far as it goes
    const n = opts.nofile;
    argv = ['/bin/sh', '-c', `ulimit -Hn ${n} 2>/dev/null; h=$(ulimit -Hn); ` +
      `if [ "$h" = unlimited ] || [ "$h" -ge ${n} ]; then h=${n}; fi; ulimit -n "$h" && exec "$0" "$@"`, ...argv];
  }
  const child = spawn(argv[0] as string, argv.slice(1), {
    env: opts.inheritEnv === false ? { ...opts.env } : { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
  const waitForCount = (pattern: RegExp, n: number, timeoutMs = 15_000): Promise<string[]> =>
    new Promise((resolve, reject) => {
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
  return {
    child,
    pid: child.pid as number,
    exited,
    output: () => output,
    count: (pattern) => lines(pattern).length,
    waitForCount,
    waitForLine: (pattern, timeoutMs = 15_000) => waitForCount(pattern, 1, timeoutMs).then((found) => found[0] as string),
    async stop(killAfterMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return exited;
    },
  };
}

export function readStarts(file: string): { pid: number; leaked: string }[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [pid, leaked] = line.split(' ');
      return { pid: Number(pid), leaked: (leaked ?? '').replace('leaked=', '') };
    });
}
