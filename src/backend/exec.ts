// `exec =` backends: a command mrsocko runs itself, in its own session and process group,
// and — where mrsocko can make one (root, a cgroup hierarchy) — in a cgroup of its own
// (./cgroup.ts): stopping it reaches everything it spawned, sessions of its own included.
// No shell is involved (argv is already split). With `pidfile =` the command is a launcher
// for a forking daemon: the daemon is the pid in the file once the launcher is done —
// accepted only if it is the backend's (see `belongs`), never anything else.
//
// Without a cgroup, the backend's processes are its process groups (the launcher's and the
// daemon's): a process that calls setsid() itself leaves them and is not found. And since
// kill(-pgid) from root reaches every member whoever owns it, a backend with `user =` gets
// its groups' members signalled one by one, only those running as that user.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BackendDriver } from './driver.js';
import { describeExit } from './driver.js';
import type { Credentials } from './credentials.js';
import { BackendCgroup, warmCgroupMoves, type CgroupKind } from './cgroup.js';
import { readLines } from './line-reader.js';
import { NotifyListener } from './notify-socket.js';
import { isStale, readPidfile, writableBy, type PidfileFacts, type Stale } from './pidfile.js';
import { describeArgv } from './describe-argv.js';
import { describePid, groupGone, groupMembersRunningAs, isAlive, processGroupOf, runsAs } from './procfs.js';
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
  /**
   * A cgroup of the backend's own: `auto` (the default) uses cgroup v2 where it can, else
   * the v1 freezer, else none; `none` never makes one.
   */
  cgroup?: 'auto' | CgroupKind | 'none';
  /** `ready = notify`: each start gets a notify socket of its own (./notify-socket.ts) in $NOTIFY_SOCKET. */
  notify?: { readonly base?: string | undefined; readonly debug: (message: string) => void } | undefined;
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
  /** Process groups to signal when stopping (without a cgroup). */
  private readonly groups = new Set<number>();
  private watch: NodeJS.Timeout | undefined;
  private stopRequested = false;
  private cgroup: BackendCgroup | undefined;
  /** Why there is no cgroup, once said (said once, not at every start). */
  private noCgroupSaid = false;
  private notifyListener: NotifyListener | undefined;

  constructor(private readonly options: ExecOptions) {
    this.description = describeArgv(options.argv);
  }

  get pid(): number | undefined {
    return this.mainPid;
  }

  /** The backend's cgroup directory and kind, when it has one (for status and tests). */
  get cgroupInfo(): { kind: CgroupKind; dir: string } | undefined {
    return this.cgroup ? { kind: this.cgroup.kind, dir: this.cgroup.dir } : undefined;
  }

  /** The current start's notify socket (`ready = notify`). */
  get notify(): NotifyListener | undefined {
    return this.notifyListener;
  }

  /** The uid the backend runs as. */
  private get uid(): number {
    return this.options.credentials?.uid ?? process.getuid?.() ?? 0;
  }

  private get gid(): number {
    return this.options.credentials?.gid ?? process.getgid?.() ?? 0;
  }

  /** The first launch's move into its cgroup (spawnInside) need not wait for the kernel. */
  prepare(): void {
    if (this.options.cgroup !== 'none') warmCgroupMoves();
  }

  async start(signal: AbortSignal): Promise<void> {
    this.stopRequested = false;
    this.groups.clear();
    this.mainPid = undefined;
    this.makeCgroup();
    this.openNotify();
    const { pidfile } = this.options;
    let stale: Stale | undefined;
    if (pidfile !== undefined) {
      // A pidfile left from before is never adopted: mrsocko only follows what it started.
      // Nor is it removed (it may be a live daemon's lock file, postgres's postmaster.pid)
      // or its pid signalled; the daemon launched now writes over it.
      const before = readPidfile(pidfile);
      if (before.kind === 'refused') throw this.refuse(`pidfile ${pidfile}: ${before.reason}`);
      if (before.kind === 'pid') {
        stale = { pid: before.pid, ino: before.facts.ino, mtimeMs: before.facts.mtimeMs };
        if (isAlive(before.pid)) {
          this.onReport?.('warning', `pidfile ${pidfile} names ${describePid(before.pid)}, which mrsocko did not start: ` +
            'not adopted, not signalled, the file left in place; launching the backend');
        }
      }
    }
    const launcher = await this.launch(signal);
    if (pidfile === undefined) {
      this.mainPid = launcher.pid;
      return;
    }
    this.track(await this.waitForPidfile(pidfile, launcher, stale, signal));
  }

  private makeCgroup(): void {
    if (this.cgroup !== undefined || this.options.cgroup === 'none') return;
    const made = BackendCgroup.create(this.options.cgroup ?? 'auto');
    if ('cgroup' in made) {
      this.cgroup = made.cgroup;
      this.onReport?.('info', `cgroup of its own: ${made.cgroup.dir} (${made.cgroup.kind})`);
    } else if (!this.noCgroupSaid) {
      this.noCgroupSaid = true;
      this.onReport?.('info', `no cgroup of its own (${made.problem}): processes that leave the backend's ` +
        'process groups (setsid()) are not found at the stop');
    }
  }

  /** A fresh socket per start: nothing said to an earlier one counts. */
  private openNotify(): void {
    this.closeNotify();
    const { notify } = this.options;
    if (notify === undefined) return;
    this.notifyListener = NotifyListener.open({
      uid: this.uid,
      base: notify.base,
      debug: notify.debug,
      // the kernel's word on the sender: in the backend's cgroup, else running as its user
      belongs: (pid, uid) => {
        if (this.cgroup) return this.cgroup.contains(pid) ? undefined : `not in the backend's cgroup ${this.cgroup.dir}`;
        return uid === this.uid ? undefined : `not the backend's user (uid ${this.uid})`;
      },
    });
  }

  private closeNotify(): void {
    this.notifyListener?.close();
    this.notifyListener = undefined;
  }

  private refuse(message: string): Error {
    this.onReport?.('warning', message);
    return new Error(message);
  }

  private launch(signal: AbortSignal): Promise<ChildProcess> {
    const { argv, cwd, credentials, output } = this.options;
    const notify = this.notifyListener;
    const env = notify ? { ...this.options.env, NOTIFY_SOCKET: notify.path } : this.options.env;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const run = (): ChildProcess =>
        spawn(argv[0] as string, argv.slice(1), {
          env,
          cwd,
          uid: credentials?.uid,
          gid: credentials?.gid,
          detached: true, // setsid(): own session and process group, pgid = pid
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      let child: ChildProcess;
      try {
        child = this.cgroup ? this.cgroup.spawnInside(run) : run();
      } catch (err) {
        return reject(new Error(`cannot run ${argv[0]} in ${this.cgroup?.dir}: ${(err as Error).message}`));
      }
      this.launcher = child;
      this.launcherExited = new Promise((done) => child.once('exit', () => done()));
      child.once('error', (err: NodeJS.ErrnoException) => {
        reject(new Error(`cannot run ${argv[0]}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`));
      });
      child.once('spawn', () => {
        const pid = child.pid as number;
        this.groups.add(pid);
        for (const stream of ['stdout', 'stderr'] as const) {
          readLines(child[stream]!, (line) => output(stream, line, pid));
        }
        child.once('exit', (code, sig) => {
          // A forking daemon's launcher is expected to exit; the daemon is watched instead.
          if (this.options.pidfile === undefined && !this.stopRequested) this.onUnexpectedExit?.(describeExit(code, sig));
        });
        resolve(child);
      });
    });
  }

  private async waitForPidfile(pidfile: string, launcher: ChildProcess, stale: Stale | undefined, signal: AbortSignal): Promise<number> {
    for (;;) {
      signal.throwIfAborted();
      const read = readPidfile(pidfile);
      if (read.kind === 'refused') throw this.refuse(`pidfile ${pidfile}: ${read.reason}`);
      if (read.kind === 'pid' && !isStale(read.pid, read.facts, stale) && isAlive(read.pid)) {
        const refusal = this.belongs(read.pid, read.facts);
        if (refusal !== undefined) throw this.refuse(`pidfile ${pidfile}: not accepting ${describePid(read.pid)}: ${refusal}`);
        return read.pid;
      }
      if (launcher.exitCode !== null && launcher.exitCode !== 0) {
        throw new Error(`${this.description} exited with status ${launcher.exitCode} before writing ${pidfile}`);
      }
      if (launcher.signalCode !== null) {
        throw new Error(`${this.description} was killed by ${launcher.signalCode} before writing ${pidfile}`);
      }
      await sleep(PIDFILE_POLL_MS, undefined, { signal });
    }
  }

  /**
   * Why `pid`, read from a pidfile, is not the backend's — or undefined when it is: in
   * the backend's cgroup where it has one; otherwise a process running as the backend's
   * user (what that user could signal itself), or any process when the pidfile is
   * root's, reached without unsafe symlinks and not writable by that user (systemd's
   * rule). A backend running as root is trusted with any pid, as it could kill any.
   */
  private belongs(pid: number, facts: PidfileFacts): string | undefined {
    if (pid === process.pid || pid === 1) return 'that is mrsocko itself or PID 1';
    if (this.cgroup) return this.cgroup.contains(pid) ? undefined : `it is not in the backend's cgroup ${this.cgroup.dir}`;
    const uid = this.uid;
    if (uid === 0 || runsAs(pid, uid)) return undefined;
    if (facts.uid === 0 && facts.safeChain && !writableBy(facts, uid, this.gid)) return undefined;
    return `it does not run as the backend's user (uid ${uid}), and the backend's user could have written ${facts.resolved}`;
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

  /**
   * Freezes the backend: every process of its cgroup by the freezer where it has one (no
   * process escapes by forking meanwhile), else SIGSTOP to its process groups and main pid.
   */
  async freeze(): Promise<string> {
    if (this.gone()) throw new Error('the backend has no process left');
    if (this.cgroup) {
      if (await this.cgroup.freeze()) return `cgroup freezer (${this.cgroup.kind}, ${this.cgroup.dir})`;
      await this.cgroup.thaw();
      throw new Error(`the cgroup freezer did not freeze ${this.cgroup.dir} in time`);
    }
    // mrsocko itself is never stopped (its watchdog pings and the thaw are its own work)
    const own = processGroupOf(process.pid);
    if (own !== undefined && this.groups.has(own)) throw new Error(`the backend shares mrsocko's process group ${own}`);
    await this.signalAll('SIGSTOP');
    return 'SIGSTOP to every process of the backend (no cgroup of its own)';
  }

  /** Thaws the cgroup, or SIGCONT where there is none (harmless if it was not stopped). */
  async thaw(): Promise<void> {
    if (this.cgroup) await this.cgroup.thaw();
    else await this.signalAll('SIGCONT');
  }

  async stop(): Promise<void> {
    if (this.mainPid === undefined && this.groups.size === 0 && (this.cgroup === undefined || this.cgroup.empty())) {
      this.removeCgroup();
      this.closeNotify();
      return;
    }
    this.stopRequested = true;
    this.stopWatching();
    const { stopCommand, stopTimeoutMs } = this.options;
    const deadline = Date.now() + stopTimeoutMs;
    if (stopCommand !== undefined) {
      if (this.cgroup?.frozen()) await this.cgroup.thaw();
      await this.runStopCommand(stopCommand, stopTimeoutMs);
    } else {
      await this.signalAll('SIGTERM');
    }
    if (!(await this.waitUntilGone(deadline))) {
      const what = this.cgroup ? `cgroup ${this.cgroup.dir}` : `process group ${[...this.groups].join(', ')}`;
      this.onReport?.('warning', `still running ${stopTimeoutMs} ms after ${stopCommand ? 'the stop command' : 'SIGTERM'}; sending SIGKILL to ${what}`);
      await this.signalAll('SIGKILL');
      if (!(await this.waitUntilGone(Date.now() + AFTER_KILL_MS))) {
        this.onReport?.('warning', `${what} still has live processes ${AFTER_KILL_MS} ms after SIGKILL`);
      }
    }
    this.launcher = undefined;
    this.mainPid = undefined;
    this.groups.clear();
    this.removeCgroup();
    this.closeNotify();
  }

  /** A new cgroup for the next start: nothing of this one's history carries over. */
  private removeCgroup(): void {
    if (!this.cgroup || !this.cgroup.empty()) return;
    const problem = this.cgroup.remove();
    if (problem !== undefined) this.onReport?.('warning', problem);
    else this.cgroup = undefined;
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
    if (!this.launcherDone()) return false;
    if (this.cgroup) return this.cgroup.empty();
    return (this.mainPid === undefined || !isAlive(this.mainPid)) && [...this.groups].every(groupGone);
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

  private async signalAll(signal: NodeJS.Signals): Promise<void> {
    if (this.cgroup) {
      await this.cgroup.signal(signal);
      return;
    }
    const uid = this.uid;
    const targets = new Set<number>();
    for (const pgid of this.groups) {
      if (uid === 0) {
        try {
          process.kill(-pgid, signal);
        } catch {
          // ESRCH: that group is already gone
        }
      } else {
        for (const pid of groupMembersRunningAs(pgid, uid)) targets.add(pid);
      }
    }
    const main = this.mainPid;
    if (main !== undefined && isAlive(main) && (uid === 0 || runsAs(main, uid))) targets.add(main);
    for (const pid of targets) {
      try {
        process.kill(pid, signal);
      } catch {
        // gone meanwhile
      }
    }
  }
}
