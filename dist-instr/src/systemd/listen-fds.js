// Sockets passed by systemd (socket activation), mirroring sd_listen_fds_with_names(3):
// https://www.freedesktop.org/software/systemd/man/latest/sd_listen_fds.html
//
// Pure over an injected environment and pid. "Not started by socket activation" is a
// normal result (no fds), not an error; malformed variables are errors naming the variable.
import { MrsockoError } from '../errors.js';
/** The first passed file descriptor; the rest follow in order (SD_LISTEN_FDS_START). */
export const SD_LISTEN_FDS_START = 3;
/**
 * The name sd_listen_fds_with_names() reports for every fd when LISTEN_FDNAMES is not set
 * (systemd-socket-activate without --fdname). Callers treat it as "no name". Note that a
 * real socket unit without FileDescriptorName= names its fds after the unit ("x.socket"),
 * and that fds of several socket units do not come in Sockets= order: match by name.
 */
export const UNKNOWN_FD_NAME = 'unknown';
/** Variables systemd sets for socket activation. */
export const LISTEN_ENV_VARS = ['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES'];
/** Variables systemd sets for sd_notify and the watchdog (see notify.ts). */
export const NOTIFY_ENV_VARS = ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID'];
const DECIMAL = /^[0-9]+$/;
/**
 * The sockets passed to process `pid`, with their names, as sd_listen_fds_with_names(3) reads
 * them. Throws MrsockoError('MRSOCKO_SOCKET') naming the variable when one is malformed.
 */
export function readListenFds(env, pid) {
    const listenPid = env.LISTEN_PID;
    const listenFdsText = env.LISTEN_FDS;
    if (listenPid === undefined) {
        return listenFdsText === undefined
            ? { fds: [] }
            : { fds: [], ignored: `LISTEN_FDS=${listenFdsText} is set but LISTEN_PID is not; ignoring the passed sockets` };
    }
    if (!DECIMAL.test(listenPid) || Number(listenPid) <= 0 || !Number.isSafeInteger(Number(listenPid))) {
        throw new MrsockoError('MRSOCKO_SOCKET', `LISTEN_PID=${quote(listenPid)} is not a process id`);
    }
    if (Number(listenPid) !== pid) {
        return {
            fds: [],
            ignored: `LISTEN_PID=${listenPid} is not our pid ${pid}: the sockets were passed to another process; ignoring LISTEN_FDS=${listenFdsText ?? ''}`,
        };
    }
    if (listenFdsText === undefined) {
        return { fds: [], ignored: `LISTEN_PID=${listenPid} is our pid but LISTEN_FDS is not set` };
    }
    const count = Number(listenFdsText);
    // systemd rejects 0 and negative counts (-EINVAL); it never sets LISTEN_FDS=0 itself.
    if (!DECIMAL.test(listenFdsText) || count <= 0 || count > 0x7fff_ffff - SD_LISTEN_FDS_START) {
        throw new MrsockoError('MRSOCKO_SOCKET', `LISTEN_FDS=${quote(listenFdsText)} is not a positive number of file descriptors`);
    }
    const names = splitNames(env.LISTEN_FDNAMES);
    if (names.length > 0 && names.length !== count) {
        throw new MrsockoError('MRSOCKO_SOCKET', `LISTEN_FDNAMES=${quote(env.LISTEN_FDNAMES ?? '')} has ${names.length} name(s) but LISTEN_FDS=${count}`);
    }
    const fds = [];
    for (let i = 0; i < count; i++) {
        fds.push({ fd: SD_LISTEN_FDS_START + i, name: names[i] ?? UNKNOWN_FD_NAME });
    }
    return { fds };
}
/** A copy of `env` without LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES: for a backend's environment. */
export function withoutListenEnv(env) {
    return without(env, LISTEN_ENV_VARS);
}
/** A copy of `env` without NOTIFY_SOCKET/WATCHDOG_USEC/WATCHDOG_PID: for a backend's environment. */
export function withoutNotifyEnv(env) {
    return without(env, NOTIFY_ENV_VARS);
}
// systemd splits on every ':' without coalescing ("a::b" has an empty middle name) and an
// empty value means "no names".
function splitNames(value) {
    if (value === undefined || value === '')
        return [];
    return value.split(':');
}
function without(env, names) {
    const out = {};
    for (const [key, value] of Object.entries(env)) {
        if (value !== undefined && !names.includes(key))
            out[key] = value;
    }
    return out;
}
function quote(value) {
    return JSON.stringify(value);
}
//# sourceMappingURL=listen-fds.js.map