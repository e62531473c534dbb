// A real systemd 252 for end-to-end tests: systemd-nspawn boots the host's own /usr in a
// throw-away container (`--volatile=yes`: `/` is a fresh tmpfs, /etc starts almost empty),
// sharing the host's network, so a socket unit listening on 127.0.0.1:P inside is reached
// from the test at 127.0.0.1:P. Commands run inside through `nsenter` into the container's
// PID 1. See shared/NOTES.md, "Real systemd for tests, without booting the host".
//
// What booting here needs, and why:
// - `--register=no --keep-unit`: there is no machined (nor a host systemd) to register
//   with or to create a scope through; without either flag nspawn stops at
//   "Failed to open system bus".
// - `--volatile=yes -D /`: never boot the host's root writable.
// - a fixed /etc/machine-id, bind-mounted: otherwise the empty /etc makes it a "first boot",
//   and systemd runs `preset-all`, which enables (and starts, on the host's shared network)
//   every service the host has installed (postgresql, apt timers, ...), and
//   systemd-firstboot.service fails. With the bind, systemd-machine-id-commit.service fails
//   instead ("not on a temporary file system"), so it is masked on systemd's command line.
//   Result: `is-system-running` says `running`, with nothing enabled but what a test enables.
// - `systemd.unit=basic.target`, and boot is over once that target is active: the default
//   target would also start what the host has enabled under multi-user.target (nginx,
//   postgresql, ssh, chrony), on the shared network, where they clash with the host's own
//   and can keep the system `starting` until the boot timeout. Tests start what they need.
// - `--console=pipe`: no tty under the test runner; the console goes to a pipe we keep the
//   tail of for error messages.
// Enter a container only through exec(), never with `nsenter -t $(pgrep -n ...)`: that finds
// whichever container started last (maybe another test's), and an nsenter still running
// when a container shuts down freezes its shutdown (see shutdown()).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { haveCommand, isRoot } from './require.js';
import { repoRoot } from './paths.js';
/** Where the repository is bind-mounted (read-only) inside every container. */
export const CONTAINER_REPO = '/opt/mrsocko';
/** Everything a container needs on this machine: root, systemd-nspawn, nsenter, and a
 *  systemd in /usr to boot. */
export function nspawnAvailable() {
    return isRoot && haveCommand('systemd-nspawn') && haveCommand('nsenter') && existsSync('/usr/lib/systemd/systemd');
}
/** Why nspawnAvailable() is false, for prerequisite() messages. */
export const NSPAWN_REQUIREMENT = 'root, systemd-nspawn (Debian: systemd-container), nsenter (util-linux) and /usr/lib/systemd/systemd';
/** Quotes one word for /bin/sh. */
export function shellQuote(word) {
    return `'${word.replaceAll("'", `'\\''`)}'`;
}
const CONTAINER_ENV = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/root',
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    SYSTEMD_PAGER: '',
    SYSTEMD_COLORS: '0',
};
const MACHINE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const CONSOLE_KEEP = 64 * 1024;
const DEFAULT_BOOT_TIMEOUT_MS = 30_000;
const DEFAULT_EXEC_TIMEOUT_MS = 30_000;
const POWEROFF_GRACE_MS = 6_000;
const KILL_GRACE_MS = 1_500;
/** systemd.mask= for units that cannot work in this container (see the top of this file). */
const MASKED_UNITS = ['systemd-machine-id-commit.service'];
/** What containers boot to (see the header): enough for systemctl, sockets and services. */
const BOOT_TARGET = 'basic.target';
/** How long after BOOT_TARGET is active `is-system-running` may still say `starting`. */
const SETTLE_MS = 2_000;
/** Containers not yet powered off: killed if the test process exits without doing it. */
const live = new Set();
let exitHookInstalled = false;
function installExitHook() {
    if (exitHookInstalled)
        return;
    exitHookInstalled = true;
    process.once('exit', () => {
        for (const c of live)
            c.killNow();
    });
}
/** nspawn's --bind= syntax separates with ':'; a ':' in a path is escaped as '\:'. */
function bindArg(b) {
    const esc = (p) => p.replaceAll('\\', '\\\\').replaceAll(':', '\\:');
    if (!path.isAbsolute(b.host) || !path.isAbsolute(b.container)) {
        throw new Error(`bind paths must be absolute: ${b.host} -> ${b.container}`);
    }
    return `--bind${b.readOnly ? '-ro' : ''}=${esc(b.host)}:${esc(b.container)}`;
}
export async function bootContainer(options) {
    const { machine } = options;
    if (!MACHINE_NAME.test(machine))
        throw new Error(`invalid machine name ${JSON.stringify(machine)}`);
    const tmp = mkdtempSync(path.join(os.tmpdir(), `nspawn-${machine}-`));
    const machineIdFile = path.join(tmp, 'machine-id');
    writeFileSync(machineIdFile, `${randomBytes(16).toString('hex')}\n`);
    const binds = [{ host: machineIdFile, container: '/etc/machine-id', readOnly: true }];
    if (options.bindRepo ?? true)
        binds.push({ host: repoRoot, container: CONTAINER_REPO, readOnly: true });
    binds.push(...(options.binds ?? []));
    const args = [
        '--register=no',
        '--keep-unit',
        '--volatile=yes',
        '--directory=/',
        `--machine=${machine}`,
        '--console=pipe',
        ...binds.map(bindArg),
        '--boot',
        '--',
        `systemd.unit=${BOOT_TARGET}`,
        ...MASKED_UNITS.map((u) => `systemd.mask=${u}`),
    ];
    const started = performance.now();
    const child = spawn('systemd-nspawn', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const container = new NspawnContainer(machine, child, tmp);
    live.add(container);
    installExitHook();
    try {
        await container.boot(options.bootTimeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS, started);
    }
    catch (err) {
        await container.poweroff();
        throw err;
    }
    return container;
}
class NspawnContainer {
    machine;
    tmpDir;
    nspawnPid;
    leaderPid = 0;
    bootMs = 0;
    bootState = '';
    console = '';
    /** The container's PID namespace (`pid:[inode]`), read once it is up. */
    pidNs = '';
    /** Commands running through exec(), each the leader of its own process group. */
    running = new Set();
    exited;
    exitStatus;
    stopping;
    constructor(machine, child, tmpDir) {
        this.machine = machine;
        this.tmpDir = tmpDir;
        this.nspawnPid = child.pid ?? 0; // 0: it could not be spawned; 'error' follows
        const keep = (chunk) => {
            this.console = (this.console + chunk.toString()).slice(-CONSOLE_KEEP);
        };
        child.stdout?.on('data', keep);
        child.stderr?.on('data', keep);
        this.exited = new Promise((resolve) => {
            child.once('error', (err) => {
                this.exitStatus = `cannot run systemd-nspawn: ${err.message}`;
                resolve();
            });
            child.once('exit', (code, signal) => {
                this.exitStatus = signal ? `killed by ${signal}` : `exit status ${code}`;
                resolve();
            });
        });
    }
    consoleOutput() {
        return this.console;
    }
    async boot(timeoutMs, started) {
        const deadline = started + timeoutMs;
        let state = 'no container systemd yet';
        while (performance.now() < deadline) {
            if (this.exitStatus !== undefined) {
                throw new Error(`systemd-nspawn ended while booting ${this.machine} (${this.exitStatus}):\n${this.console}`);
            }
            if (!this.leaderPid && this.nspawnPid)
                this.leaderPid = findChild(this.nspawnPid, 'systemd') ?? 0;
            if (this.leaderPid) {
                // basic.target, not the whole system: see BOOT_TARGET
                const r = await this.exec(`systemctl is-active ${BOOT_TARGET}`, { timeoutMs: 5000 });
                state = `${BOOT_TARGET} ${(r.stdout.trim() || r.stderr.trim()) || `status ${r.status}`}`;
                if (r.stdout.trim() === 'active') {
                    this.pidNs = pidNamespace(this.leaderPid) ?? '';
                    this.bootMs = Math.round(performance.now() - started);
                    this.bootState = await this.systemState(Math.min(deadline, performance.now() + SETTLE_MS));
                    return;
                }
            }
            await sleep(50);
        }
        const failed = this.leaderPid ? (await this.exec('systemctl --failed --no-legend')).stdout : '';
        throw new Error(`${this.machine} not up after ${timeoutMs} ms (last state: ${state})` +
            (failed ? `\nfailed units:\n${failed}` : '') +
            `\nconsole:\n${this.console}`);
    }
    /**
     * `is-system-running` once the boot target is reached: `running`, or `degraded` if a unit
     * failed. The job queue empties just after the target is active, so `starting` is asked
     * again until `until`, then reported as it is (the caller decides whether that matters).
     */
    async systemState(until) {
        for (;;) {
            const r = await this.exec('systemctl is-system-running', { timeoutMs: 5000 });
            const state = (r.stdout.trim() || r.stderr.trim()) || `status ${r.status}`;
            if (state !== 'starting' || performance.now() >= until)
                return state;
            await sleep(50);
        }
    }
    exec(cmd, options = {}) {
        if (!this.leaderPid)
            return Promise.reject(new Error(`${this.machine}: container systemd not found`));
        const timeoutMs = options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
        return new Promise((resolve, reject) => {
            // nsenter forks into the container's PID namespace; its own process group lets a
            // timeout kill the command and whatever it started, not only nsenter.
            const proc = spawn('nsenter', ['-t', String(this.leaderPid), '-a', '/bin/sh', '-c', cmd], {
                env: CONTAINER_ENV,
                stdio: ['pipe', 'pipe', 'pipe'],
                detached: true,
            });
            const pgid = proc.pid ?? 0;
            if (pgid)
                this.running.add(pgid);
            let stdout = '';
            let stderr = '';
            proc.stdout.on('data', (c) => (stdout += c.toString()));
            proc.stderr.on('data', (c) => (stderr += c.toString()));
            const timer = setTimeout(() => {
                stderr += `\n[harness: killed after ${timeoutMs} ms]`;
                signalGroup(pgid, 'SIGKILL');
            }, timeoutMs);
            proc.once('error', (err) => {
                clearTimeout(timer);
                this.running.delete(pgid);
                reject(err);
            });
            proc.once('close', (code) => {
                clearTimeout(timer);
                this.running.delete(pgid);
                resolve({ status: code, stdout, stderr });
            });
            proc.stdin.on('error', () => { }); // EPIPE when the command does not read its input
            proc.stdin.end(options.input ?? '');
        });
    }
    async writeFile(containerPath, content, mode = 0o644) {
        if (!path.isAbsolute(containerPath))
            throw new Error(`writeFile needs an absolute path: ${containerPath}`);
        const p = shellQuote(containerPath);
        const dir = shellQuote(path.posix.dirname(containerPath));
        const octal = mode.toString(8);
        const r = await this.exec(`mkdir -p ${dir} && cat > ${p} && chmod ${octal} ${p}`, { input: content });
        if (r.status !== 0)
            throw new Error(`${this.machine}: cannot write ${containerPath}: ${r.stderr.trim()}`);
    }
    async waitFor(cmd, predicate, timeoutMs, intervalMs = 100) {
        const started = performance.now();
        for (;;) {
            const last = await this.exec(cmd);
            const elapsedMs = Math.round(performance.now() - started);
            if (predicate(last))
                return { ok: true, last, elapsedMs };
            if (elapsedMs + intervalMs > timeoutMs)
                return { ok: false, last, elapsedMs };
            await sleep(intervalMs);
        }
    }
    async journal(unit, extraArgs = []) {
        const units = typeof unit === 'string' ? [unit] : unit;
        const words = ['journalctl', '--no-pager', ...units.flatMap((u) => ['-u', u]), ...extraArgs];
        const r = await this.exec(words.map(shellQuote).join(' '));
        return r.stdout + (r.stderr.trim() ? `\n[journalctl stderr] ${r.stderr.trim()}` : '');
    }
    poweroff() {
        this.stopping ??= this.shutdown();
        return this.stopping;
    }
    async shutdown() {
        // A command entered with nsenter still running at shutdown deadlocks it: systemd-shutdown
        // SIGSTOPs every process, nsenter (outside, waiting for its child with WUNTRACED) stops
        // itself in turn and never reaps, and the container's PID 1 waits for that forever.
        for (const pgid of this.running)
            signalGroup(pgid, 'SIGKILL');
        // With --boot, SIGTERM makes nspawn send SIGRTMIN+3 to the container's systemd: an
        // orderly shutdown, which does not depend on the container still answering nsenter.
        if (this.exitStatus === undefined)
            signal(this.nspawnPid, 'SIGTERM');
        if (!(await this.waitExit(POWEROFF_GRACE_MS))) {
            // Someone else's nsenter may be stuck as above (see releaseStoppedEnterers).
            this.releaseStoppedEnterers();
            // SIGKILL to the container's PID 1 takes its whole PID namespace with it; nspawn
            // then sees its child gone and cleans up after itself.
            signal(this.leaderPid, 'SIGKILL');
            if (!(await this.waitExit(KILL_GRACE_MS))) {
                signal(this.nspawnPid, 'SIGKILL');
                await this.waitExit(KILL_GRACE_MS);
            }
        }
        const gone = await waitGone(this.leaderPid, KILL_GRACE_MS);
        if (this.exitStatus === undefined || !gone) {
            console.error(`# nspawn harness: ${this.machine} (nspawn pid ${this.nspawnPid}, systemd pid ${this.leaderPid}) still there after SIGKILL`);
        }
        live.delete(this);
        rmSync(this.tmpDir, { recursive: true, force: true });
    }
    /** A process outside the container with a dead (zombie) child inside it, stopped: an
     *  nsenter from another test or person, frozen by systemd-shutdown's SIGSTOP. Until it
     *  reaps, the container's PID 1 cannot exit. SIGCONT lets it reap and go on; nothing
     *  is killed. */
    releaseStoppedEnterers() {
        if (!this.pidNs)
            return;
        for (const pid of listPids()) {
            if (pidNamespace(pid) !== this.pidNs || processState(pid) !== 'Z')
                continue;
            const parent = parentOf(pid);
            if (!parent || pidNamespace(parent) === this.pidNs || processState(parent) !== 'T')
                continue;
            console.error(`# nspawn harness: ${this.machine}: SIGCONT to stopped pid ${parent} (${readComm(parent)}) holding dead pid ${pid}`);
            signal(parent, 'SIGCONT');
        }
    }
    /** Last resort, synchronous so that it can run in a process 'exit' hook. */
    killNow() {
        signal(this.leaderPid, 'SIGKILL');
        signal(this.nspawnPid, 'SIGKILL');
        rmSync(this.tmpDir, { recursive: true, force: true });
    }
    async waitExit(ms) {
        if (this.exitStatus !== undefined)
            return true;
        let timer;
        const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve(false), ms)));
        const done = await Promise.race([this.exited.then(() => true), timeout]);
        clearTimeout(timer);
        return done;
    }
}
function signalGroup(pgid, sig) {
    if (pgid > 1)
        signal(-pgid, sig);
}
function signal(pid, sig) {
    if (pid === 0 || pid === 1 || pid === -1)
        return; // never our own group, everything or init
    try {
        process.kill(pid, sig);
    }
    catch {
        // ESRCH: already gone
    }
}
/** The child of `parent` whose command name is `comm` (this nspawn's own container, even
 *  when several run at once). */
function findChild(parent, comm) {
    let listed = [];
    try {
        listed = readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
    }
    catch {
        // no CONFIG_PROC_CHILDREN
    }
    const found = listed.find((pid) => readComm(pid) === comm);
    if (found !== undefined)
        return found;
    // children of another thread are not in that list: scan every process's parent
    return listPids().find((pid) => parentOf(pid) === parent && readComm(pid) === comm);
}
/** Waits until `pid` no longer exists or is a zombie (dead, not yet reaped). */
async function waitGone(pid, ms) {
    if (!pid)
        return true;
    const deadline = performance.now() + ms;
    for (;;) {
        const state = processState(pid);
        if (state === undefined || state === 'Z' || state === 'X')
            return true;
        if (performance.now() > deadline)
            return false;
        await sleep(20);
    }
}
function readComm(pid) {
    try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    }
    catch {
        return undefined;
    }
}
/** Fields after "pid (comm) " in /proc/PID/stat (comm may hold spaces and parentheses):
 *  [0] is the state, [1] the parent's pid. */
function statFields(pid) {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    }
    catch {
        return undefined;
    }
}
function parentOf(pid) {
    const ppid = statFields(pid)?.[1];
    return ppid === undefined ? undefined : Number(ppid);
}
function processState(pid) {
    return statFields(pid)?.[0];
}
function pidNamespace(pid) {
    try {
        return readlinkSync(`/proc/${pid}/ns/pid`);
    }
    catch {
        return undefined;
    }
}
function listPids() {
    return readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .map(Number);
}
//# sourceMappingURL=nspawn.js.map