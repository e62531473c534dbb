// A cgroup of the exec backend's own: every process the backend starts lands in it and
// cannot leave it (that takes root), whatever it does with sessions and process groups —
// sshd's session processes call setsid(), a classic daemon double-forks. So the cgroup
// is how mrsocko finds all of them to stop them, how it tells whether a pid from a
// pidfile is the backend's, and how it freezes the backend.
//
// cgroup v2 (a pure v2 host, or the `unified` hierarchy of a hybrid one): a child of
// mrsocko's own cgroup; `cgroup.kill` kills everything in it at once, `cgroup.freeze`
// freezes it. Under systemd that needs `Delegate=yes` (the service's cgroup is then ours
// to divide). cgroup v1 (the `freezer` hierarchy): freeze, signal every pid in
// `cgroup.procs`, thaw — frozen processes cannot fork meanwhile, so none escapes.
//
// The child is put into the cgroup before it can fork: mrsocko moves itself in, spawns (a
// synchronous fork: no other code of mrsocko runs meanwhile) and moves itself back. The
// child inherits the cgroup at fork.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export type CgroupKind = 'v2' | 'v1-freezer';

/** How long to wait for a freeze to complete before signalling anyway. */
const FREEZE_WAIT_MS = 1000;
const FREEZE_POLL_MS = 5;

interface Mount {
  kind: CgroupKind;
  /** Where the hierarchy is mounted. */
  mountPoint: string;
  /** The cgroup root as seen at that mount (a bind mount of a subtree: not `/`). */
  mountRoot: string;
}

/** cgroup mounts from /proc/self/mountinfo. */
function mounts(): Mount[] {
  const found: Mount[] = [];
  let text: string;
  try {
    text = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return found;
  }
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    const f = left.split(' ');
    const [fstype, , superOptions] = right.split(' ');
    const root = unescapeMount(f[3] ?? '');
    const mountPoint = unescapeMount(f[4] ?? '');
    if (fstype === 'cgroup2') found.push({ kind: 'v2', mountPoint, mountRoot: root });
    if (fstype === 'cgroup' && (superOptions ?? '').split(',').includes('freezer')) {
      found.push({ kind: 'v1-freezer', mountPoint, mountRoot: root });
    }
  }
  return found;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** mrsocko's own cgroup in the hierarchy of `kind`, from /proc/self/cgroup. */
function ownCgroup(kind: CgroupKind): string | undefined {
  const text = fs.readFileSync('/proc/self/cgroup', 'utf8');
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (kind === 'v2' && m[1] === '0' && m[2] === '') return m[3];
    if (kind === 'v1-freezer' && (m[2] as string).split(',').includes('freezer')) return m[3];
  }
  return undefined;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPids(file: string): number[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
}

export class BackendCgroup {
  private constructor(
    readonly kind: CgroupKind,
    /** The backend's cgroup directory. */
    readonly dir: string,
    /** mrsocko's own cgroup directory, where it returns after a spawn. */
    private readonly home: string,
  ) {}

  /**
   * Makes a new cgroup for one backend, of the preferred kind (v2 first), or says why
   * there is none. Needs root (or a delegated, writable cgroup) and a mounted hierarchy.
   */
  static create(prefer: 'auto' | CgroupKind = 'auto'): { cgroup: BackendCgroup } | { problem: string } {
    const problems: string[] = [];
    const all = mounts();
    const kinds: CgroupKind[] = prefer === 'auto' ? ['v2', 'v1-freezer'] : [prefer];
    for (const kind of kinds) {
      const mount = all.find((m) => m.kind === kind);
      if (!mount) {
        problems.push(`no ${kind === 'v2' ? 'cgroup v2' : 'cgroup v1 freezer'} hierarchy mounted`);
        continue;
      }
      try {
        const home = homeCgroup(mount);
        sweep(home);
        // pid and a clock reading: unique among this process's cgroups (mkdir refuses a
        // taken name), without loading node:crypto into every daemon's start.
        const dir = path.posix.join(home, `mrsocko-backend-${process.pid}-${process.hrtime.bigint().toString(36)}`);
        fs.mkdirSync(dir, { mode: 0o755 });
        const cgroup = new BackendCgroup(kind, dir, home);
        if (kind === 'v2' && !fs.existsSync(path.join(dir, 'cgroup.kill'))) {
          cgroup.remove();
          throw new Error('the kernel has no cgroup.kill (Linux 5.14 or later)');
        }
        return { cgroup };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        problems.push(`${kind}: ${code ? `${code} (${(err as Error).message})` : (err as Error).message}`);
      }
    }
    return { problem: problems.join('; ') };
  }

  /** Runs `spawn` (which must fork synchronously) with mrsocko inside this cgroup. */
  spawnInside<T>(spawn: () => T): T {
    fs.writeFileSync(path.join(this.dir, 'cgroup.procs'), String(process.pid));
    try {
      return spawn();
    } finally {
      fs.writeFileSync(path.join(this.home, 'cgroup.procs'), String(process.pid));
    }
  }

  /** Every process in the cgroup (zombies are not listed). */
  pids(): number[] {
    try {
      return readPids(path.join(this.dir, 'cgroup.procs')).filter((pid) => pid !== process.pid);
    } catch {
      return [];
    }
  }

  /**
   * mrsocko itself is inside (only if moving back after a spawn failed): then the cgroup is
   * never frozen or killed as a whole, which would freeze or kill mrsocko too.
   */
  private holdsSelf(): boolean {
    try {
      return readPids(path.join(this.dir, 'cgroup.procs')).includes(process.pid);
    } catch {
      return false;
    }
  }

  contains(pid: number): boolean {
    return this.pids().includes(pid);
  }

  empty(): boolean {
    return this.pids().length === 0;
  }

  /** Freezes every process of the backend (state T or D in ps); they keep their pids. */
  async freeze(): Promise<boolean> {
    if (this.holdsSelf()) return false;
    if (this.kind === 'v2') {
      fs.writeFileSync(path.join(this.dir, 'cgroup.freeze'), '1');
    } else {
      fs.writeFileSync(path.join(this.dir, 'freezer.state'), 'FROZEN');
    }
    const deadline = Date.now() + FREEZE_WAIT_MS;
    while (!this.frozen()) {
      if (Date.now() > deadline) return false;
      await sleep(FREEZE_POLL_MS);
    }
    return true;
  }

  async thaw(): Promise<void> {
    if (this.kind === 'v2') fs.writeFileSync(path.join(this.dir, 'cgroup.freeze'), '0');
    else fs.writeFileSync(path.join(this.dir, 'freezer.state'), 'THAWED');
  }

  frozen(): boolean {
    try {
      if (this.kind === 'v2') return /^frozen 1$/m.test(fs.readFileSync(path.join(this.dir, 'cgroup.events'), 'utf8'));
      return fs.readFileSync(path.join(this.dir, 'freezer.state'), 'utf8').trim() === 'FROZEN';
    } catch {
      return false;
    }
  }

  /**
   * Sends `signal` to every process in the cgroup, none missed by a fork meanwhile:
   * SIGKILL on v2 is the kernel's cgroup.kill; otherwise the cgroup is frozen, each pid
   * signalled, and thawed (a frozen process cannot exit, so no pid is reused meanwhile).
   * Returns how many processes were signalled (v2 SIGKILL: how many there were).
   */
  async signal(signal: NodeJS.Signals): Promise<number> {
    const self = this.holdsSelf();
    if (this.kind === 'v2' && signal === 'SIGKILL' && !self) {
      const n = this.pids().length;
      fs.writeFileSync(path.join(this.dir, 'cgroup.kill'), '1');
      return n;
    }
    const wasFrozen = this.frozen();
    if (!wasFrozen && !self) await this.freeze().catch(() => false);
    let n = 0;
    for (const pid of this.pids()) {
      try {
        process.kill(pid, signal);
        n += 1;
      } catch {
        // gone already
      }
    }
    // A frozen process acts on its signals once thawed. (A backend frozen on purpose is
    // thawed to let it stop.)
    await this.thaw();
    return n;
  }

  /** Removes the (empty) cgroup; a cgroup with processes left stays, and that is said. */
  remove(): string | undefined {
    try {
      fs.rmdirSync(this.dir);
      return undefined;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return code === 'ENOENT' ? undefined : `cannot remove ${this.dir}: ${code ?? String(err)}`;
    }
  }
}

/** mrsocko's own cgroup directory under `mount`, where it returns after a spawn. */
function homeCgroup(mount: Mount): string {
  const own = ownCgroup(mount.kind);
  if (own === undefined) throw new Error('mrsocko is in no cgroup of that hierarchy');
  const relative = path.posix.relative(mount.mountRoot, own);
  if (relative.startsWith('..')) throw new Error(`mrsocko's cgroup ${own} is outside the mounted ${mount.mountRoot}`);
  return path.posix.join(mount.mountPoint, relative);
}

/**
 * Makes the next move into a cgroup quick, in the background: mrsocko moves itself to the
 * cgroup it is in (which changes nothing). Every move takes the kernel's one lock over all
 * processes' cgroups, and the first after a quiet spell waits for an RCU grace period
 * first (5–20 ms on a small VM); a move within about a grace period after another does
 * not wait. The first launch usually follows the daemon's start at once (a socket-activated
 * mrsocko was started by a client): called as `mrsocko run` begins (../cli/run.ts), the wait
 * passes while mrsocko reads its config and opens its sockets, and called again as the
 * daemon begins to serve (ExecBackend.prepare) it keeps that window open for the launch's
 * own move (spawnInside), or at least starts the wait a few ms before it. Errors are
 * ignored (not root, no hierarchy): a launch without a usable cgroup says why.
 */
export function warmCgroupMoves(): void {
  // the lock is the same for every hierarchy
  const mount = mounts()[0];
  if (mount === undefined) return;
  let fd: number;
  try {
    fd = fs.openSync(path.join(homeCgroup(mount), 'cgroup.procs'), 'w');
  } catch {
    return;
  }
  // One write in the thread pool: the wait starts now, not when the event loop next turns.
  fs.write(fd, String(process.pid), () => fs.close(fd, () => undefined));
}

/** Removes empty backend cgroups left by an mrsocko that is gone (crashed before removing them). */
function sweep(home: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(home);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^mrsocko-backend-(\d+)-[0-9a-z]+$/.exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    // Frozen ([idle] freeze) when its mrsocko died: on the v1 freezer even SIGKILL waits
    // for a thaw, so the leftovers of a killed mrsocko could never end. Thawed, they act
    // on the signals they got (or run on, found by nobody, as without a freeze).
    for (const [file, value] of [['freezer.state', 'THAWED'], ['cgroup.freeze', '0']]) {
      try {
        fs.writeFileSync(path.join(home, name, file as string), value as string);
      } catch {
        // not that kind, or gone
      }
    }
    try {
      fs.rmdirSync(path.join(home, name)); // fails (EBUSY) while it still holds processes
    } catch {
      // kept
    }
  }
}
