// Which files and directories root may believe. mrsocko runs as root: a config (or a key
// file it names) that another user can change is a way to run commands as root, and a
// directory another user can write is a place where that user can swap a file root is
// about to read, or plant a symlink where root is about to write.
//
// The rules are sshd's StrictModes and systemd's "unsafe transition" (chase() with
// CHASE_SAFE): the path is walked one component at a time from `/`, following symlinks by
// hand, and everything met on the way must be root's. A directory on the way may be
// writable by others only with the sticky bit (as /tmp is: nobody can rename or remove
// root's entries there); a symlink must be owned by root (in a sticky directory its owner
// could replace it); the file itself must be root's and writable by nobody else. Group
// write counts as "someone else" whatever the group: members of group root are not root.
// A directory root writes into (a log directory, gen-unit's output) must be writable by
// root alone, sticky or not: in a sticky directory others still create names of their own.
// ACLs need no separate look: with an ACL the mode's group bits are its mask, so a named
// user's write permission shows as group write.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
/** systemd's and the kernel's limit of symlinks followed in one lookup. */
const MAX_SYMLINKS = 40;
const GROUP_OR_OTHER_WRITE = 0o022;
const STICKY = 0o1000;
const owner = (st) => (st.uid === 0 ? 'root' : `uid ${st.uid}`);
const octal = (st) => (st.mode & 0o7777).toString(8).padStart(4, '0');
/** Why a directory on the way to something root reads makes the path unsafe, or undefined. */
function unsafeDirectory(dir, st) {
    if (!st.isDirectory())
        return `${dir} is not a directory`;
    if (st.uid !== 0)
        return `the directory ${dir} is owned by ${owner(st)}, not root`;
    if ((st.mode & GROUP_OR_OTHER_WRITE) !== 0 && (st.mode & STICKY) === 0) {
        return `the directory ${dir} (mode ${octal(st)}) can be written by group or others, without the sticky bit`;
    }
    return undefined;
}
/** Walks `target` from `/` as described at the top; every directory passed is checked. */
function walk(target) {
    const root = fs.statSync('/');
    const rootProblem = unsafeDirectory('/', root);
    if (rootProblem !== undefined)
        return { problem: rootProblem };
    let current = '/';
    let currentStat = root;
    let todo = path.resolve(target).split('/').filter((c) => c !== '');
    let symlinks = 0;
    while (todo.length > 0) {
        const component = todo.shift();
        if (component === '.')
            continue;
        if (component === '..') {
            // `current` is a real path (symlinks already resolved), so its parent is the physical
            // one, and was checked on the way down.
            current = path.dirname(current);
            currentStat = fs.statSync(current);
            continue;
        }
        const next = path.join(current, component);
        let st;
        try {
            st = fs.lstatSync(next);
        }
        catch (err) {
            const code = err.code;
            if (code === 'ENOENT')
                return { lastDirectory: current, lastDirectoryStat: currentStat };
            return { problem: `cannot look at ${next}: ${code ?? String(err)}` };
        }
        if (st.isSymbolicLink()) {
            if (st.uid !== 0)
                return { problem: `${next} is a symlink owned by ${owner(st)}, not root` };
            if (++symlinks > MAX_SYMLINKS)
                return { problem: `more than ${MAX_SYMLINKS} symlinks on the way to ${target}` };
            const link = fs.readlinkSync(next);
            if (path.isAbsolute(link)) {
                current = '/';
                currentStat = root;
            }
            todo = [...link.split('/').filter((c) => c !== ''), ...todo];
            continue;
        }
        if (todo.length === 0)
            return { real: next, stat: st, lastDirectory: current, lastDirectoryStat: currentStat };
        const problem = unsafeDirectory(next, st);
        if (problem !== undefined)
            return { problem };
        current = next;
        currentStat = st;
    }
    // `target` is `/` itself
    return { real: '/', stat: root, lastDirectory: '/', lastDirectoryStat: root };
}
/**
 * Why root must not read `file` (a config or key file), or undefined when it may. A file
 * that does not exist is no trust problem: reading it fails with its own message.
 */
export function untrustedFileReason(file) {
    const walked = walk(file);
    if ('problem' in walked)
        return walked.problem;
    const { real, stat } = walked;
    if (real === undefined || stat === undefined)
        return undefined;
    const shown = real === path.resolve(file) ? '' : ` (${real})`;
    if (stat.isDirectory())
        return undefined; // reading it fails with its own message
    if (!stat.isFile())
        return `it${shown} is not a regular file`;
    if (stat.uid !== 0)
        return `it${shown} is owned by ${owner(stat)}, not root`;
    if ((stat.mode & GROUP_OR_OTHER_WRITE) !== 0)
        return `it${shown} (mode ${octal(stat)}) can be written by group or others`;
    return undefined;
}
/**
 * Why root must not create or write files in `dir`, or undefined. A directory that does
 * not exist yet is judged by the one it would be created in (mkdir -p creates the rest
 * root's own): that one must be writable by root alone, like `dir` itself.
 */
export function untrustedDirectoryReason(dir) {
    const walked = walk(dir);
    if ('problem' in walked)
        return walked.problem;
    const found = walked.real !== undefined && walked.stat !== undefined
        ? { dir: walked.real, stat: walked.stat, missing: false }
        : { dir: walked.lastDirectory, stat: walked.lastDirectoryStat, missing: true };
    const what = found.missing ? `${found.dir}, where ${dir} would be created,` : found.dir === path.resolve(dir) ? dir : `${dir} (${found.dir})`;
    if (!found.stat.isDirectory())
        return undefined; // creating files there fails with its own message
    if (found.stat.uid !== 0)
        return `${what} is owned by ${owner(found.stat)}, not root`;
    if ((found.stat.mode & GROUP_OR_OTHER_WRITE) !== 0) {
        const sticky = (found.stat.mode & STICKY) !== 0 ? ' (the sticky bit does not stop them from planting names there)' : '';
        return `${what} (mode ${octal(found.stat)}) can be written by group or others${sticky}`;
    }
    return undefined;
}
/** Whether mrsocko runs as root, the only case where these checks apply. */
export function runningAsRoot() {
    return process.getuid?.() === 0;
}
/**
 * Refuses, as a ConfigError, a file root is about to read as `what` ("the config", "[knock]
 * key", ...) that someone else could have written. Only as root: a user's own files are
 * that user's business. `where` is the config line that names the file (default: the file).
 */
export function checkTrustedFile(file, what, where, asRoot = runningAsRoot()) {
    if (!asRoot)
        return;
    const reason = untrustedFileReason(file);
    if (reason === undefined)
        return;
    throw new ConfigError(where ?? { file, line: 0 }, `${where === undefined ? '' : `${file}: `}not trusted as ${what}: ${reason}. mrsocko runs as root, and whoever can ` +
        'change this file could make it act as root: the file and every directory above it must be root\'s and ' +
        'writable only by root (chown root: FILE; chmod go-w FILE)');
}
//# sourceMappingURL=trust.js.map