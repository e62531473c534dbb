// Shared by the real-service matrix (test/e2e/services/*.test.ts): each test runs a real
// Debian service behind an in-process mrsocko (a real Daemon, real sockets, the exec
// backend as the service's own user) and drives it with the service's own client. Each
// prints one line of figures: cold start, errors in a cold burst, idle stop, restart,
// processes left after the stop.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, parseStat } from '../../src/backend/procfs.js';
import { phaseReached } from './daemon.js';
/** Runs a client (no shell); never rejects: a failure is in the result. */
export function run(argv, opts = {}) {
    const began = performance.now();
    return new Promise((resolve) => {
        const child = spawn(argv[0], argv.slice(1), {
            uid: opts.uid,
            gid: opts.gid,
            env: opts.env ?? { PATH: process.env.PATH, LANG: 'C' },
            stdio: ['ignore', 'pipe', 'pipe'],
            timeout: opts.timeoutMs ?? 60_000,
            killSignal: 'SIGKILL',
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c) => (stdout += c.toString()));
        child.stderr.on('data', (c) => (stderr += c.toString()));
        child.once('error', (err) => resolve({ status: null, stdout, stderr: stderr + err.message, ms: performance.now() - began }));
        child.once('close', (status) => resolve({ status, stdout, stderr, ms: performance.now() - began }));
    });
}
/** `root` and every process descended from it, as /proc shows them now. */
export function processTree(root) {
    const children = new Map();
    for (const name of fs.readdirSync('/proc')) {
        const pid = Number(name);
        if (!Number.isInteger(pid))
            continue;
        let text;
        try {
            text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        }
        catch {
            continue;
        }
        const s = parseStat(text);
        if (s === undefined)
            continue;
        children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
    }
    const tree = [];
    const walk = (pid) => {
        tree.push(pid);
        for (const child of children.get(pid) ?? [])
            walk(child);
    };
    walk(root);
    return tree;
}
export function liveCount(pids) {
    return pids.filter((pid) => isAlive(pid)).length;
}
export function report(service, f) {
    console.log(`# matrix ${service}: cold start ${Math.round(f.coldStartMs)} ms, ${f.burstErrors} errors in a cold burst of ${f.burst}, ` +
        `idle stop ${f.idleStop ? 'seen' : 'NOT seen'}, restart ${f.restart ? 'ok' : 'FAILED'}, processes left ${f.processesLeft}`);
}
/** The uid and gid of a system user (the service's own: postgres, redis). */
export function account(user) {
    const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
    if (line === undefined)
        return undefined;
    const [, , uid, gid] = line.split(':');
    return { uid: Number(uid), gid: Number(gid) };
}
/**
 * A Redis dataset: `keys` keys of 100 bytes each, uncompressed (`rdbcompression no`: the
 * file is as big as the data, some tens of MB), made by a redis-server of our own on
 * `port` and saved as DIR/dump.rdb. Returns the file's size in MB.
 */
export async function makeRedisDataset(dir, port, keys, as) {
    const cli = (...args) => run(['redis-cli', '-h', '127.0.0.1', '-p', String(port), ...args]);
    const server = run(['/usr/bin/redis-server', '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--dbfilename', 'dump.rdb',
        '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--rdbcompression', 'no', '--enable-debug-command', 'local'], as);
    for (let i = 0; i < 200 && (await cli('ping')).stdout.trim() !== 'PONG'; i++)
        await sleep(50);
    const populate = await cli('debug', 'populate', String(keys), 'key', '100');
    if (populate.stdout.trim() !== 'OK')
        throw new Error(`DEBUG POPULATE: ${populate.stdout}${populate.stderr}`);
    const save = await cli('save');
    if (save.stdout.trim() !== 'OK')
        throw new Error(`SAVE: ${save.stdout}${save.stderr}`);
    await cli('shutdown', 'nosave');
    await server;
    return fs.statSync(`${dir}/dump.rdb`).size / 1e6;
}
/**
 * The cgroup mrsocko made for an exec backend, as /proc/PID/cgroup names it (the line
 * of the hierarchy it is in: `0::/…/mrsocko-backend-…` or `N:freezer:/…`), or undefined
 * when the backend has none.
 */
export function backendCgroup(pid) {
    try {
        return fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => /\/mrsocko-backend-[^/]+$/.test(l));
    }
    catch {
        return undefined;
    }
}
/** Live (non-zombie) processes in the cgroup `line` names (from backendCgroup), by a scan of /proc. */
export function cgroupMembers(line) {
    const found = [];
    for (const name of fs.readdirSync('/proc')) {
        const pid = Number(name);
        if (!Number.isInteger(pid))
            continue;
        try {
            if (!fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').includes(line))
                continue;
            if (parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))?.state !== 'Z')
                found.push(pid);
        }
        catch {
            // gone
        }
    }
    return found;
}
/**
 * Waits for the idle stop to begin (the backend leaves `running`) and then until
 * `stop_timeout` + 1 s after that: the moment by which no process of the backend may be
 * left. Resolves whether the backend was `stopped` by then.
 */
export async function idleStopDone(daemon, idleWithinMs, stopTimeoutMs) {
    if (daemon.backendPhase === 'running' && !(await phaseReached(daemon, 'stopping', idleWithinMs)) && daemon.backendPhase === 'running')
        return false;
    await sleep(stopTimeoutMs + 1000);
    return daemon.backendPhase === 'stopped';
}
//# sourceMappingURL=services.js.map