// Resource hygiene for tests that must leave nothing behind: snapshots of fds, libuv
// handles and timers and processes, before and after. Every process a scenario starts
// carries MARK in its environment, and so does everything those processes start
// (backends, their children, stop commands, systemctl): a leaked process is found by
// that mark even after it was orphaned.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDaemon, tempDir } from './daemon.js';
import { startMrsocko } from './mrsocko-process.js';
/** Environment variable set for every process a scenario starts (see the top of this file). */
export const MARK_VAR = 'MRSOCKO_RESILIENCE';
export const MARK = `${MARK_VAR}=${process.pid}`;
export const markedEnv = (extra = {}) => ({
    PATH: process.env.PATH,
    [MARK_VAR]: String(process.pid),
    ...extra,
});
function procStat(pid) {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return { state: state ?? '?', ppid: Number(ppid) };
    }
    catch {
        return undefined;
    }
}
function commandOf(pid) {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 160);
    }
    catch {
        return '?';
    }
}
/** Every process (zombies included) carrying this test process's MARK, except ourselves. */
export function markedProcesses() {
    const found = [];
    const needle = Buffer.from(`\0${MARK}\0`);
    for (const name of fs.readdirSync('/proc')) {
        const pid = Number(name);
        if (!Number.isInteger(pid) || pid === process.pid)
            continue;
        let environ;
        try {
            environ = Buffer.concat([Buffer.from([0]), fs.readFileSync(`/proc/${pid}/environ`), Buffer.from([0])]);
        }
        catch {
            continue;
        }
        if (environ.indexOf(needle) < 0) {
            // a zombie's environ reads as empty: find ours by parentage instead
            const s = procStat(pid);
            if (s?.state !== 'Z' || s.ppid !== process.pid)
                continue;
        }
        const s = procStat(pid);
        if (s)
            found.push({ pid, state: s.state, command: commandOf(pid) });
    }
    return found;
}
/** fd number → what it points at, for `pid` (default: this process). */
export function fdTable(pid = 'self') {
    const table = new Map();
    const dir = `/proc/${pid}/fd`;
    for (const name of fs.readdirSync(dir)) {
        try {
            table.set(Number(name), fs.readlinkSync(`${dir}/${name}`));
        }
        catch {
            // closed while we looked (the readdir's own fd, for one)
        }
    }
    return table;
}
export function fdCount(pid) {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
}
/** Resident memory of `pid` in KiB. */
export function rssKiB(pid) {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
}
/** libuv handles and requests keeping the loop alive, by kind (Timeout, TCPSocketWrap, ...). */
export function activeResources() {
    const counts = new Map();
    for (const kind of process.getActiveResourcesInfo())
        counts.set(kind, (counts.get(kind) ?? 0) + 1);
    return counts;
}
export function snapshot() {
    return { fds: fdTable(), resources: activeResources() };
}
function leaksSince(before) {
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
export async function expectBaseline(before, what, timeoutMs = 5000) {
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
export async function hygienic(what, body) {
    await sleep(20); // let the previous test's closing handles go
    const before = snapshot();
    const result = await body();
    await expectBaseline(before, what);
    return result;
}
/** An in-process daemon whose backends carry MARK. */
export function startMarkedDaemon(text, dir = tempDir(), extra = {}) {
    return startDaemon(text, dir, { ...extra, env: markedEnv(extra.env) });
}
/** mrsocko as a process (./mrsocko-process.ts) whose environment is MARK and PATH only, with a raised fd limit. */
export function spawnMrsocko(configFile, opts = {}) {
    return startMrsocko({ configFile, env: markedEnv(opts.env), inheritEnv: false, nofile: opts.nofile ?? 65536, nodeArgs: opts.nodeArgs ?? [] });
}
//# sourceMappingURL=resources.js.map