// Process facts from /proc (Linux). Zombies count as gone: a double-forked daemon's
// remains are reparented to PID 1, which reaps them whenever it likes (in some
// containers, never), but they hold no ports, files or memory.
import fs from 'node:fs';
/** Fields of /proc/PID/stat; the command name may contain spaces and parentheses. */
export function parseStat(text) {
    const close = text.lastIndexOf(')');
    if (close < 0)
        return undefined;
    const fields = text.slice(close + 2).split(' ');
    const [state, ppid, pgrp] = [fields[0], Number(fields[1]), Number(fields[2])];
    if (state === undefined || !Number.isInteger(ppid) || !Number.isInteger(pgrp))
        return undefined;
    return { state, ppid, pgrp };
}
function stat(pid) {
    try {
        return parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
    }
    catch {
        return undefined;
    }
}
function signalable(target) {
    try {
        process.kill(target, 0);
        return true;
    }
    catch (err) {
        return err.code !== 'ESRCH';
    }
}
/**
 * The process exists and is not a zombie. A process that exists but whose /proc entry is
 * hidden (systemd's ProtectProc=invisible hides other users' processes) counts as alive.
 */
export function isAlive(pid) {
    if (!signalable(pid))
        return false;
    const s = stat(pid);
    return s === undefined || (s.state !== 'Z' && s.state !== 'X');
}
export function processGroupOf(pid) {
    return stat(pid)?.pgrp;
}
/** Processes of group `pgid` visible in /proc, and which of them are live (not zombies). */
function scanGroup(pgid) {
    const live = [];
    let seen = 0;
    for (const name of fs.readdirSync('/proc')) {
        const pid = Number(name);
        if (!Number.isInteger(pid))
            continue;
        const s = stat(pid);
        if (!s || s.pgrp !== pgid)
            continue;
        seen += 1;
        if (s.state !== 'Z' && s.state !== 'X')
            live.push(pid);
    }
    return { seen, live };
}
/** Live (non-zombie) processes in process group `pgid`. Reads /proc: only for stopping. */
export function liveGroupMembers(pgid) {
    return scanGroup(pgid).live;
}
/**
 * No live process is left in the group. The kernel says whether the group has members;
 * /proc tells zombies apart — unless it hides them all, and then they count as live.
 */
export function groupGone(pgid) {
    if (!signalable(-pgid))
        return true;
    const { seen, live } = scanGroup(pgid);
    return seen > 0 && live.length === 0;
}
/** Real, effective, saved and filesystem uid (/proc/PID/status `Uid:`); undefined when hidden or gone. */
function uidsOf(pid) {
    try {
        const line = /^Uid:\s*(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
        const uids = line?.trim().split(/\s+/).map(Number);
        return uids && uids.length === 4 && uids.every(Number.isInteger) ? uids : undefined;
    }
    catch {
        return undefined;
    }
}
/** A process's name and owner for a log line, e.g. "pid 812 (sleep, uid 0)". */
export function describePid(pid) {
    let comm = '?';
    try {
        comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    }
    catch {
        // hidden or gone
    }
    const uid = uidsOf(pid)?.[0];
    return `pid ${pid} (${comm}${uid === undefined ? '' : `, uid ${uid}`})`;
}
/**
 * The process runs entirely as `uid` (real, effective and saved): one that user could
 * signal itself, and never a process that gained root. Hidden or gone: false.
 */
export function runsAs(pid, uid) {
    const uids = uidsOf(pid);
    return uids !== undefined && uids.slice(0, 3).every((u) => u === uid);
}
/** Live processes of group `pgid` that run entirely as `uid` (see runsAs). */
export function groupMembersRunningAs(pgid, uid) {
    return scanGroup(pgid).live.filter((pid) => runsAs(pid, uid));
}
//# sourceMappingURL=procfs.js.map