// `pidfile =`: reading the number a forking daemon wrote, as root, from a file its (lesser)
// user may control — by systemd's rules for PIDFile=. The directories on the way are
// resolved one component at a time, and a step from a directory owned by one non-root
// user into anything owned by another user (a symlink planted in someone's directory, or
// that user's directory holding root's files) is unsafe, as systemd's CHASE_SAFE has it.
// The file itself is opened without following a symlink (a final symlink is refused), and
// without blocking (a FIFO must not stall root's event loop), it must be a regular file,
// and only its first line is read, at most a few bytes of it (PostgreSQL's
// postmaster.pid has the pid on its first line and more lines after it; `/dev/zero` is
// never read from).
//
// Whether the pid read is the backend's is decided by the caller (exec.ts): the facts here
// are who owns the file and whether the backend's user could have written it.
import fs from 'node:fs';
import path from 'node:path';
/** Bytes read at most: a pid and a newline, with room to spare. */
const PIDFILE_READ_BYTES = 64;
/** Symlinks followed at most while resolving the directories (as the kernel's limit). */
const MAX_SYMLINKS = 40;
/** systemd's rule: leaving a directory of a non-root user for a thing of another user is unsafe. */
function unsafeStep(from, to) {
    return from.uid !== 0 && from.uid !== to.uid;
}
/**
 * `file`'s directory resolved component by component with lstat, symlinks expanded.
 * Returns the resolved directory and the stats along the way, or why it cannot be used.
 */
function resolveDirectory(dir) {
    const rootStat = fs.lstatSync('/');
    let current = '/';
    /** The directory the next component is looked up in. */
    let parent = rootStat;
    const chain = [rootStat];
    let safe = true;
    const todo = dir.split('/').filter((c) => c !== '' && c !== '.');
    let symlinks = 0;
    while (todo.length > 0) {
        const name = todo.shift();
        const next = name === '..' ? path.posix.dirname(current) : path.posix.join(current, name);
        const st = fs.lstatSync(next);
        if (unsafeStep(parent, st))
            safe = false;
        if (st.isSymbolicLink()) {
            if (++symlinks > MAX_SYMLINKS)
                return { refused: `too many symlinks on the way to ${dir}` };
            const target = fs.readlinkSync(next);
            todo.unshift(...target.split('/').filter((c) => c !== '' && c !== '.'));
            if (target.startsWith('/')) {
                current = '/';
                parent = rootStat;
            }
            continue;
        }
        if (!st.isDirectory())
            return { refused: `${next} is not a directory` };
        current = next;
        parent = st;
        chain.push(st);
    }
    return { dir: current, chain, safe };
}
/** The first line of `bytes`, or undefined when no line ends within them and they fill the read. */
function firstLine(bytes, full) {
    const nl = bytes.indexOf(0x0a);
    if (nl < 0)
        return full ? undefined : bytes.toString('latin1');
    return bytes.subarray(0, nl).toString('latin1');
}
/** Reads the pid in `file` by the rules in the head comment. Never throws, never blocks. */
export function readPidfile(file) {
    let resolved;
    try {
        resolved = resolveDirectory(path.posix.dirname(file));
    }
    catch (err) {
        const code = err.code;
        if (code === 'ENOENT')
            return { kind: 'missing' };
        return { kind: 'refused', reason: `cannot resolve the directory of ${file}: ${code ?? String(err)}` };
    }
    if ('refused' in resolved)
        return { kind: 'refused', reason: resolved.refused };
    const target = path.posix.join(resolved.dir, path.posix.basename(file));
    let fd;
    try {
        // O_NONBLOCK: opening a FIFO for reading would wait for a writer.
        fd = fs.openSync(target, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
    }
    catch (err) {
        const code = err.code;
        if (code === 'ENOENT')
            return { kind: 'missing' };
        if (code === 'ELOOP')
            return { kind: 'refused', reason: `${target} is a symlink (a pidfile must be a regular file)` };
        return { kind: 'refused', reason: `cannot open ${target}: ${code ?? String(err)}` };
    }
    try {
        const st = fs.fstatSync(fd);
        if (!st.isFile())
            return { kind: 'refused', reason: `${target} is not a regular file (${kindOf(st)})` };
        // The directories cannot have been swapped for symlinks meanwhile: the open file is at the resolved path.
        let opened;
        try {
            opened = fs.readlinkSync(`/proc/self/fd/${fd}`);
        }
        catch {
            opened = target;
        }
        if (opened !== target)
            return { kind: 'refused', reason: `${file} moved while it was opened (now ${opened})` };
        const parentStat = resolved.chain[resolved.chain.length - 1];
        const facts = {
            resolved: target,
            uid: st.uid,
            ino: st.ino,
            mtimeMs: st.mtimeMs,
            safeChain: resolved.safe && !unsafeStep(parentStat, st),
            chain: [...resolved.chain, st],
        };
        const buf = Buffer.alloc(PIDFILE_READ_BYTES);
        const n = fs.readSync(fd, buf, 0, buf.length, 0);
        const line = firstLine(buf.subarray(0, n), n === buf.length);
        if (line === undefined)
            return { kind: 'refused', reason: `${target}: no pid in its first ${PIDFILE_READ_BYTES} bytes` };
        const text = line.trim();
        if (!/^[0-9]{1,10}$/.test(text))
            return { kind: 'no-pid', text, facts };
        const pid = Number(text);
        if (pid < 1 || pid > 2 ** 22)
            return { kind: 'refused', reason: `${target}: ${text} is not a process id` };
        return { kind: 'pid', pid, facts };
    }
    catch (err) {
        return { kind: 'refused', reason: `cannot read ${target}: ${err.code ?? String(err)}` };
    }
    finally {
        fs.closeSync(fd);
    }
}
function kindOf(st) {
    if (st.isFIFO())
        return 'a FIFO';
    if (st.isSocket())
        return 'a socket';
    if (st.isCharacterDevice())
        return 'a character device';
    if (st.isBlockDevice())
        return 'a block device';
    if (st.isDirectory())
        return 'a directory';
    return 'not a file';
}
/**
 * Whether a process running as uid/gid (no supplementary groups: mrsocko starts backends
 * without them) could have written the file or put another in its place: it owns or may
 * write the file, or may write a directory on the way (a sticky directory only protects
 * what it does not own).
 */
export function writableBy(facts, uid, gid) {
    const may = (st) => {
        if (st.uid === uid)
            return true; // its owner may chmod it
        if (st.gid === gid)
            return (st.mode & 0o020) !== 0;
        return (st.mode & 0o002) !== 0;
    };
    const { chain } = facts;
    const file = chain[chain.length - 1];
    if (file.uid === uid || may(file))
        return true;
    for (let i = 0; i < chain.length - 1; i++) {
        const dir = chain[i];
        if (!may(dir))
            continue;
        const sticky = (dir.mode & 0o1000) !== 0;
        const below = chain[i + 1];
        if (!sticky || below.uid === uid)
            return true;
    }
    return false;
}
/** Whether `pid` read with `facts` is what the pidfile said before the launch (not the new daemon). */
export function isStale(pid, facts, stale) {
    return stale !== undefined && stale.pid === pid && stale.ino === facts.ino && stale.mtimeMs === facts.mtimeMs;
}
//# sourceMappingURL=pidfile.js.map