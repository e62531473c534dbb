// `exec =` backends: a command mrsocko runs itself, in its own session and process group
// so that stopping it reaches everything it spawned; no shell is involved (argv is already
// split). With `pidfile =` the command is a launcher for a forking daemon: the daemon is
// the pid in the file once the launcher is done, and its process group is stopped too.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BackendDriver } from './driver.js';
import { describeExit } from './driver.js';
import type { Credentials } from './credentials.js';
import { groupGone, isAlive, processGroupOf } from './procfs.js';
import { runStopCommand } from './stop-command.js';

export interface ExecOptions {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd?: string | undefined;
  credentials?: Credentials;
  /** A forking daemon: its pid is read from this file. */
  pidfile?: string | undefined;
  /** Run instead of SIGTERM; SIGKILL still follows at stop_timeout. */
  stopCommand?: readonly string[] | undefined;
  stopTimeoutMs: number;
  /** Receives each line the backend (or its stop command) writes. */
  output: (stream: 'stdout' | 'stderr' | 'stop', line: string, pid: number) => void;
}

/** How often to look whether a stopping backend is gone (only while stopping). */
const STOP_POLL_MS = 20;
/** How often to look for a pidfile while starting. */
const PIDFILE_POLL_MS = 20;
/** A forking daemon is not our child, so no exit event: look whether it lives, this often. */
const DAEMON_WATCH_MS = 1000;
/** After SIGKILL, how long to wait for the kernel before complaining. */
const AFTER_KILL_MS = 2000;

export class ExecBackend implements BackendDriver {
  readonly description: string;
  onUnexpectedExit?: (status: string) => void;
  onReport?: (level: 'info' | 'warning', message: string) => void;
  private launcher: ChildProcess | undefined;
  private launcherExited: Promise<void> = Promise.resolve();
  /** The backend's pid: the launched process, or the daemon from the pidfile. */
  private mainPid: number | undefined;
  /** Process groups to signal when stopping. */
  private readonly groups = new Set<number>();
  private watch: NodeJS.Timeout | undefined;
  private stopRequested = false;

  constructor(private readonly options: ExecOptions) {
    this.description = describeArgv(options.argv);
  }

  get pid(): number | undefined {
    return this.mainPid;
  }

  async start(signal: AbortSignal): Promise<void> {
    this.stopRequested = false;
    this.groups.clear();
    this.mainPid = undefined;
    const { pidfile } = this.options;
    if (pidfile !== undefined) {
      const running = readPidfile(pidfile);
      if (running !== undefined && isAlive(running)) {
        this.onReport?.('info', `pidfile ${pidfile} names running pid ${running}; using it as the backend`);
        this.track(running);
        return;
      }
      fs.rmSync(pidfile, { force: true }); // stale: the new daemon writes a fresh one
    }
    const launcher = await this.launch(signal);
    if (pidfile === undefined) {
      this.mainPid = launcher.pid;
      return;
    }
    this.track(await this.waitForPidfile(pidfile, launcher, signal));
  }

  private launch(signal: AbortSignal): Promise<ChildProcess> {
    const { argv, env, cwd, credentials, output } = this.options;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const child = spawn(argv[0] as string, argv.slice(1), {
        env,
        cwd,
        uid: credentials?.uid,
        gid: credentials?.gid,
        detached: true, // setsid(): own session and process group, pgid = pid
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.launcher = child;
      this.launcherExited = new Promise((done) => child.once('exit', () => done()));
      child.once('error', (err: NodeJS.ErrnoException) => {
        reject(new Error(`cannot run ${argv[0]}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`));
      });
      child.once('spawn', () => {
        const pid = child.pid as number;
        this.groups.add(pid);
        for (const stream of ['stdout', 'stderr'] as const) {
          createInterface({ input: child[stream]!, crlfDelay: Infinity }).on('line', (line) => output(stream, line, pid));
        }
        child.once('exit', (code, sig) => {
          // A forking daemon's launcher is expected to exit; the daemon is watched instead.
          if (this.options.pidfile === undefined && !this.stopRequested) this.onUnexpectedExit?.(describeExit(code, sig));
        });
        resolve(child);
      });
    });
  }

  private async waitForPidfile(pidfile: string, launcher: ChildProcess, signal: AbortSignal): Promise<number> {
    for (;;) {
      signal.throwIfAborted();
      const pid = readPidfile(pidfile);
      if (pid !== undefined && isAlive(pid)) return pid;
      if (launcher.exitCode !== null && launcher.exitCode !== 0) {
        throw new Error(`${this.description} exited with status ${launcher.exitCode} before writing ${pidfile}`);
      }
      if (launcher.signalCode !== null) {
        throw new Error(`${this.description} was killed by ${launcher.signalCode} before writing ${pidfile}`);
      }
      await sleep(PIDFILE_POLL_MS, undefined, { signal });
    }
  }

  /** Follow a daemon that is not our child. */
  private track(pid: number): void {
    this.mainPid = pid;
    const pgid = processGroupOf(pid);
    if (pgid !== undefined && pgid > 1) this.groups.add(pgid);
    this.watch = setInterval(() => {
      if (!isAlive(pid) && !this.stopRequested) {
        this.stopWatching();
        this.onUnexpectedExit?.(`daemon pid ${pid} is gone`);
      }
    }, DAEMON_WATCH_MS);
    this.watch.unref();
  }

  private stopWatching(): void {
    if (this.watch) clearInterval(this.watch);
    this.watch = undefined;
  }

  async stop(): Promise<void> {
    if (this.mainPid === undefined && this.groups.size === 0) return;
    this.stopRequested = true;
    this.stopWatching();
    const { stopCommand, stopTimeoutMs } = this.options;
    const deadline = Date.now() + stopTimeoutMs;
    if (stopCommand !== undefined) {
      await this.runStopCommand(stopCommand, stopTimeoutMs);
    } else {
      this.signalAll('SIGTERM');
    }
    if (!(await this.waitUntilGone(deadline))) {
      const groups = [...this.groups].join(', ');
      this.onReport?.('warning', `still running ${stopTimeoutMs} ms after ${stopCommand ? 'the stop command' : 'SIGTERM'}; sending SIGKILL to process group ${groups}`);
      this.signalAll('SIGKILL');
      if (!(await this.waitUntilGone(Date.now() + AFTER_KILL_MS))) {
        this.onReport?.('warning', `process group ${groups} still has live processes ${AFTER_KILL_MS} ms after SIGKILL`);
      }
    }
    this.launcher = undefined;
    this.mainPid = undefined;
    this.groups.clear();
  }

  private async runStopCommand(argv: readonly string[], timeoutMs: number): Promise<void> {
    const { env, cwd, credentials, output } = this.options;
    const mainPid = this.mainPid ?? 0;
    const result = await runStopCommand(argv, {
      env: { ...env, MAINPID: String(mainPid) },
      cwd,
      uid: credentials?.uid,
      gid: credentials?.gid,
      timeoutMs,
      output: (line) => output('stop', line, mainPid),
    });
    this.onReport?.(result.ok ? 'info' : 'warning', `stop command ${path.basename(argv[0] as string)}: ${result.status}`);
  }

  private launcherDone(): boolean {
    const launcher = this.launcher;
    return launcher === undefined || launcher.exitCode !== null || launcher.signalCode !== null;
  }

  private gone(): boolean {
    return this.launcherDone() && (this.mainPid === undefined || !isAlive(this.mainPid)) && [...this.groups].every(groupGone);
  }

  /** Polls only while a stop is in progress; wakes at once when the launcher exits. */
  private async waitUntilGone(deadline: number): Promise<boolean> {
    while (!this.gone()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      const tick = sleep(Math.min(STOP_POLL_MS, left));
      await (this.launcherDone() ? tick : Promise.race([this.launcherExited, tick]));
    }
    return true;
  }

  private signalAll(signal: NodeJS.Signals): void {
    for (const pgid of this.groups) {
      try {
        process.kill(-pgid, signal);
      } catch {
        // ESRCH: that group is already gone
      }
    }
    if (this.mainPid !== undefined && isAlive(this.mainPid)) {
      try {
        process.kill(this.mainPid, signal);
      } catch {
        // gone meanwhile
      }
    }
  }
}

function readPidfile(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

const INTERPRETERS = /^(node|nodejs|python[0-9.]*|sh|bash|dash|env|java|perl|ruby|php)$/;

/**
 * A short name for logs: "/usr/bin/jellyfin" → "jellyfin", "node server.js" → "server.js",
 * "python3 -m http.server 8000" → "http.server", "python3 -c CODE" → "python3".
 */
export function describeArgv(argv: readonly string[]): string {
  const program = path.basename(argv[0] ?? 'backend');
  if (!INTERPRETERS.test(program)) return program;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-c' || arg === '-e' || arg === '--eval') return program; // inline code: no name
    if (arg === '-m') return argv[i + 1] ?? program;
    if (!arg.startsWith('-')) return path.basename(arg);
  }
  return program;
}
