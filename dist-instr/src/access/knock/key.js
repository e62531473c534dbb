// The single-packet knock's secret: the key file's whole content, any bytes, at least
// MIN_KEY_LENGTH. Read by the daemon (and `check`) with the config's trust rules when
// running as root; read by `mrsocko knock` without them (a user's own file on a laptop).
import fs from 'node:fs';
import { MIN_KEY_LENGTH } from './packet.js';
import { ConfigError } from '../../errors.js';
import { untrustedFileReason } from '../../config/trust.js';
/** Nothing sensible is longer; a larger file is a wrong path (a log, a disk image). */
const MAX_KEY_LENGTH = 64 * 1024;
/** A key file problem, in words for a ConfigError or a usage error. */
export class KeyFileError extends Error {
}
/**
 * Why `file` may not hold a root daemon's secret, or undefined when it may: the config's
 * trust rules (../../config/trust.ts: root's, reached through root's directories only),
 * plus "not readable by group or others", as it is a secret.
 */
function keyTrustProblem(file, stat) {
    const reason = untrustedFileReason(file);
    if (reason !== undefined)
        return `${file}: ${reason}`;
    if ((stat.mode & 0o077) !== 0) {
        return `${file} is accessible to group or others (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}); chmod 600 it`;
    }
    return undefined;
}
/** Reads a key file. `trusted`: apply keyTrustProblem (the daemon, as root). Throws KeyFileError. */
export function readKeyFile(file, trusted) {
    let fd;
    try {
        // No final symlink, no blocking on a FIFO.
        fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    }
    catch (err) {
        const code = err.code;
        throw new KeyFileError(code === 'ENOENT' ? `${file}: no such file (mrsocko knock --new-key ${file} makes one)`
            : code === 'ELOOP' ? `${file} is a symbolic link; name the file itself`
                : code === 'EACCES' ? `${file}: permission denied`
                    : `${file}: ${err.message}`);
    }
    try {
        const stat = fs.fstatSync(fd);
        if (!stat.isFile())
            throw new KeyFileError(`${file} is not a regular file`);
        if (trusted) {
            const problem = keyTrustProblem(file, stat);
            if (problem !== undefined)
                throw new KeyFileError(problem);
        }
        if (stat.size > MAX_KEY_LENGTH)
            throw new KeyFileError(`${file} is ${stat.size} bytes; a key is at most ${MAX_KEY_LENGTH}`);
        const buffer = Buffer.alloc(MAX_KEY_LENGTH + 1);
        let length = 0;
        for (;;) {
            const n = fs.readSync(fd, buffer, length, buffer.length - length, null);
            if (n === 0)
                break;
            length += n;
            if (length > MAX_KEY_LENGTH)
                throw new KeyFileError(`${file} is longer than ${MAX_KEY_LENGTH} bytes`);
        }
        if (length < MIN_KEY_LENGTH) {
            throw new KeyFileError(`${file} holds ${length} bytes; a key needs at least ${MIN_KEY_LENGTH} (head -c 32 /dev/urandom > ${file})`);
        }
        return Buffer.from(buffer.subarray(0, length));
    }
    finally {
        fs.closeSync(fd);
    }
}
/** `mrsocko knock --new-key FILE`: 32 random bytes, mode 0600, never over an existing file. */
export function writeNewKey(file, random) {
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    try {
        fs.fchmodSync(fd, 0o600); // whatever the umask
        fs.writeSync(fd, random);
    }
    finally {
        fs.closeSync(fd);
    }
}
/** The key of `[knock] key`, read as the config's trust rules demand; a ConfigError names the key's line. */
export function loadKnockKey(config, trusted) {
    const knock = config.knock;
    if (knock?.key === undefined)
        return undefined;
    try {
        return readKeyFile(knock.key, trusted);
    }
    catch (err) {
        if (!(err instanceof KeyFileError))
            throw err;
        throw new ConfigError({ file: config.file, line: knock.keyLine, section: 'knock', key: 'key' }, err.message);
    }
}
/** Running as root, key files are held to the config's trust rules. */
export const runningAsRoot = () => process.getuid?.() === 0;
//# sourceMappingURL=key.js.map