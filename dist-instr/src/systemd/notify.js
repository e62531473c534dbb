// Service state notifications to the service manager, mirroring sd_notify(3) and
// sd_watchdog_enabled(3):
// https://www.freedesktop.org/software/systemd/man/latest/sd_notify.html
// https://www.freedesktop.org/software/systemd/man/latest/sd_watchdog_enabled.html
//
// Without NOTIFY_SOCKET (not run by systemd, or Type=simple) every notification is a no-op:
// that is normal, not an error. Node.js core cannot send AF_UNIX datagrams, so messages go
// through the optional `sd-notify` native addon (libsystemd's sd_notify), and when it is
// not installed through the `systemd-notify` binary. systemd attributes a message to the
// service by the sender's credentials: the binary's messages carry our pid only when we are
// root (the kernel lets CAP_SYS_ADMIN name another pid); otherwise they come from the
// short-lived systemd-notify process and systemd accepts them only with NotifyAccess=all.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
const NOTIFY_READY = 'READY=1';
const NOTIFY_RELOADING = 'RELOADING=1';
const NOTIFY_STOPPING = 'STOPPING=1';
const NOTIFY_WATCHDOG = 'WATCHDOG=1';
/** Followed by one line of free text. */
const NOTIFY_STATUS = 'STATUS=';
/** CLOCK_MONOTONIC in µs; required with RELOADING=1 by Type=notify-reload (systemd ≥ 253), ignored by older ones. */
export const NOTIFY_MONOTONIC_USEC = 'MONOTONIC_USEC=';
/** sd_watchdog_enabled(3), pure: WATCHDOG_USEC applies when WATCHDOG_PID is unset or is `pid`. */
export function readWatchdog(env, pid) {
    const usecText = env.WATCHDOG_USEC;
    if (usecText === undefined)
        return { intervalMs: 0 };
    const usec = Number(usecText);
    if (!/^[0-9]+$/.test(usecText) || usec <= 0 || !Number.isSafeInteger(usec)) {
        return { intervalMs: 0, ignored: `WATCHDOG_USEC=${JSON.stringify(usecText)} is not a positive number of microseconds; watchdog off` };
    }
    const watchdogPid = env.WATCHDOG_PID;
    if (watchdogPid !== undefined) {
        if (!/^[0-9]+$/.test(watchdogPid) || Number(watchdogPid) <= 0) {
            return { intervalMs: 0, ignored: `WATCHDOG_PID=${JSON.stringify(watchdogPid)} is not a process id; watchdog off` };
        }
        if (Number(watchdogPid) !== pid) {
            return { intervalMs: 0, ignored: `WATCHDOG_PID=${watchdogPid} is not our pid ${pid}; watchdog off` };
        }
    }
    return { intervalMs: usec / 1000 };
}
/** The sd_notify message for a status text: one line. */
export function statusMessage(text) {
    return NOTIFY_STATUS + text.replace(/[\r\n]+/g, ' ');
}
/** RELOADING=1 plus the monotonic timestamp systemd ≥ 253 wants (Node's hrtime is CLOCK_MONOTONIC on Linux). */
export function reloadingMessage(monotonicNs = process.hrtime.bigint()) {
    return `${NOTIFY_RELOADING}\n${NOTIFY_MONOTONIC_USEC}${monotonicNs / 1000n}`;
}
export function createNotifier(env, log, options = {}) {
    return guardNotifier(createUnguarded(env, log, options), log);
}
function createUnguarded(env, log, options) {
    const pid = options.pid ?? process.pid;
    const watchdog = readWatchdog(env, pid);
    if (watchdog.ignored !== undefined)
        log('warning', watchdog.ignored);
    const socket = env.NOTIFY_SOCKET;
    if (socket === undefined || socket === '') {
        log('debug', 'NOTIFY_SOCKET is not set: not notifying a service manager');
        return notifier('none', () => { }, watchdog.intervalMs, () => Promise.resolve());
    }
    const addon = (options.transport ?? 'auto') === 'auto' ? loadAddon() : 'disabled by the caller';
    if (typeof addon !== 'string' && process.env.NOTIFY_SOCKET === socket) {
        log('debug', `notifying ${socket} with the sd-notify addon`);
        return notifier('addon', (lines) => addon.sendState(`${lines.join('\n')}\n`), watchdog.intervalMs, () => Promise.resolve());
    }
    if (typeof addon !== 'string') {
        // libsystemd reads NOTIFY_SOCKET from the real environment, not from `env`.
        log('debug', 'NOTIFY_SOCKET differs from the process environment: the addon cannot use it; using systemd-notify');
    }
    else {
        log('warning', `the sd-notify addon is not available (${addon}); sending notifications with systemd-notify instead, ` +
            'which systemd accepts only with NotifyAccess=all unless mrsocko runs as root. ' +
            'Fix: install libsystemd-dev and run `npm rebuild sd-notify`');
    }
    return systemdNotifyBinary(env, socket, log, options.systemdNotify ?? 'systemd-notify', watchdog.intervalMs);
}
/** Why the sd-notify addon cannot be used here, or undefined when it can (for gen-unit's NotifyAccess=). */
export function notifyAddonProblem() {
    const addon = loadAddon();
    return typeof addon === 'string' ? addon : undefined;
}
/** The addon, or why it could not be loaded. */
function loadAddon() {
    try {
        const loaded = createRequire(import.meta.url)('sd-notify');
        if (typeof loaded.sendState !== 'function')
            return 'sd-notify has no sendState()';
        return loaded;
    }
    catch (err) {
        return firstLine(err instanceof Error ? err.message : String(err));
    }
}
/** One systemd-notify run per message, in order. Its own sender pid is our pid only when we are root (see top). */
function systemdNotifyBinary(env, socket, log, binary, watchdogMs) {
    const childEnv = { NOTIFY_SOCKET: socket };
    if (env.PATH !== undefined)
        childEnv.PATH = env.PATH;
    let queue = Promise.resolve();
    let warned = false;
    const send = (lines) => {
        // No --pid: it would add MAINPID=; systemd-notify already sends as its parent (us) when it may.
        queue = queue.then(() => new Promise((resolve) => {
            execFile(binary, lines, { env: childEnv, timeout: 10_000 }, (err, _stdout, stderr) => {
                if (err) {
                    const why = firstLine(stderr.trim() || err.message);
                    const msg = `${binary} ${lines.map((l) => l.split('=')[0]).join(' ')} failed: ${why}`;
                    log(warned ? 'debug' : 'warning', msg);
                    warned = true;
                }
                resolve();
            });
        }));
    };
    log('debug', `notifying ${socket} with ${binary}`);
    return notifier('systemd-notify', send, watchdogMs, () => queue);
}
/**
 * `notifier` with every call guarded: a notification that fails (the addon throwing, a
 * notifier of a caller's) is logged at warning level, never thrown into the caller, which
 * may be a shutdown. Notifications are advice to the service manager; losing one must
 * not lose the daemon's clients or its exit status.
 */
export function guardNotifier(inner, log) {
    const guard = (name, call) => (...args) => {
        try {
            call(...args);
        }
        catch (err) {
            log('warning', `notification ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
        }
    };
    return {
        transport: inner.transport,
        ready: guard('READY=1', () => inner.ready()),
        status: guard('STATUS=', (text) => inner.status(text)),
        stopping: guard('STOPPING=1', () => inner.stopping()),
        reloading: guard('RELOADING=1', () => inner.reloading()),
        watchdog: guard('WATCHDOG=1', () => inner.watchdog()),
        watchdogIntervalMs: () => {
            try {
                return inner.watchdogIntervalMs();
            }
            catch {
                return 0;
            }
        },
        flush: () => Promise.resolve().then(() => inner.flush()).catch((err) => {
            log('warning', `flushing notifications failed: ${err instanceof Error ? err.message : String(err)}`);
        }),
    };
}
function notifier(transport, send, watchdogMs, flush) {
    return {
        transport,
        ready: () => send([NOTIFY_READY]),
        status: (text) => send([statusMessage(text)]),
        stopping: () => send([NOTIFY_STOPPING]),
        reloading: () => send(reloadingMessage().split('\n')),
        watchdog: () => send([NOTIFY_WATCHDOG]),
        watchdogIntervalMs: () => watchdogMs,
        flush,
    };
}
function firstLine(text) {
    return text.split('\n')[0] ?? text;
}
//# sourceMappingURL=notify.js.map