// `exec =` backends: a command mrsocko runs itself, in its own process group so that
// stopping it reaches everything it spawned. No shell is involved: argv is already split.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BackendDriver } from './driver.js';
import { describeExit } from './driver.js';

export interface ExecOptions {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd?: string | undefined;
  stopTimeoutMs: number;
  /** Receives each line the backend writes. */
  output: (stream: 'stdout' | 'stderr', line: string, pid: number) => void;
}

/** How often to look whether a stopped process group is gone (only while stopping). */
const GROUP_POLL_MS = 20;
/** After SIGKILL, how long to wait for the kernel to clear the group before complaining. */
const AFTER_KILL_MS = 2000;

export class ExecBackend implements BackendDriver {
  readonly description: string;
  onUnexpectedExit?: (status: string) => void;
  onStopProblem?: (problem: string) => void;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stopRequested = false;

  constructor(private readonly options: ExecOptions) {
    this.description = describeArgv(options.argv);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(signal: AbortSignal): Promise<void> {
    const { argv, env, cwd, output } = this.options;
    this.stopRequested = false;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const child = spawn(argv[0] as string, argv.slice(1), {
        env,
        cwd,
        detached: true, // setsid(): own session and process group, pgid = pid
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.child = child;
      this.exited = new Promise((done) => child.once('close', () => done()));
      child.once('error', (err: NodeJS.ErrnoException) => {
        reject(new Error(`cannot run ${argv[0]}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`));
      });
      child.once('spawn', () => {
        const pid = child.pid as number;
        for (const stream of ['stdout', 'stderr'] as const) {
          createInterface({ input: child[stream]!, crlfDelay: Infinity }).on('line', (line) => output(stream, line, pid));
        }
        child.once('exit', (code, sig) => {
          if (!this.stopRequested) this.onUnexpectedExit?.(describeExit(code, sig));
        });
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    this.stopRequested = true;
    const pgid = child.pid;
    const gone = (): boolean => hasExited(child) && groupGone(pgid);
    signalGroup(pgid, 'SIGTERM');
    if (!(await this.waitUntil(gone, this.options.stopTimeoutMs))) {
      this.onStopProblem?.(
        `still running ${this.options.stopTimeoutMs} ms after SIGTERM; sending SIGKILL to process group ${pgid}`,
      );
      signalGroup(pgid, 'SIGKILL');
      if (!(await this.waitUntil(gone, AFTER_KILL_MS))) {
        this.onStopProblem?.(`process group ${pgid} still exists ${AFTER_KILL_MS} ms after SIGKILL`);
      }
    }
    this.child = undefined;
  }

  /** Polls only while a stop is in progress; wakes at once when the main process exits. */
  private async waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      const tick = sleep(Math.min(GROUP_POLL_MS, left));
      await (hasExited(this.child) ? tick : Promise.race([this.exited, tick]));
    }
    return true;
  }
}

function hasExited(child: ChildProcess | undefined): boolean {
  return child === undefined || child.exitCode !== null || child.signalCode !== null;
}

const INTERPRETERS = /^(node|nodejs|python[0-9.]*|sh|bash|dash|env|java|perl|ruby|php)$/;

/** "python3 -m http.server 8000" → "http.server"; "/usr/bin/jellyfin" → "jellyfin". */
export function describeArgv(argv: readonly string[]): string {
  const program = path.basename(argv[0] ?? 'backend');
  if (!INTERPRETERS.test(program)) return program;
  const script = argv.slice(1).find((a) => !a.startsWith('-'));
  return script === undefined ? program : path.basename(script);
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone
  }
}

/** True when no process is left in the group (kill(-pgid, 0) fails with ESRCH). */
export function groupGone(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
