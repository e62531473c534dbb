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
import type { Env } from './listen-fds.js';

const NOTIFY_READY = 'READY=1';
const NOTIFY_RELOADING = 'RELOADING=1';
const NOTIFY_STOPPING = 'STOPPING=1';
const NOTIFY_WATCHDOG = 'WATCHDOG=1';
/** Followed by one line of free text. */
const NOTIFY_STATUS = 'STATUS=';
/** CLOCK_MONOTONIC in µs; required with RELOADING=1 by Type=notify-reload (systemd ≥ 253), ignored by older ones. */
export const NOTIFY_MONOTONIC_USEC = 'MONOTONIC_USEC=';

/** How notifications leave the process. */
export type NotifyTransport = 'none' | 'addon' | 'systemd-notify';

export type NotifyLog = (level: 'debug' | 'warning', msg: string) => void;

export interface Notifier {
  readonly transport: NotifyTransport;
  /** READY=1: start-up (or a reload) is complete. */
  ready(): void;
  /** STATUS=text; line breaks become spaces. */
  status(text: string): void;
  /** STOPPING=1. */
  stopping(): void;
  /** RELOADING=1 with MONOTONIC_USEC=; follow with ready() when done. */
  reloading(): void;
  /** WATCHDOG=1. */
  watchdog(): void;
  /**
   * WATCHDOG_USEC in ms (the timeout after which systemd kills us; ping at half of it),
   * or 0 when the watchdog is off or not for us.
   */
  watchdogIntervalMs(): number;
  /** Resolves once every notification sent so far has left the process (await before exiting). */
  flush(): Promise<void>;
}

export interface NotifierOptions {
  /** Our pid, for WATCHDOG_PID. Default process.pid. */
  readonly pid?: number;
  /**
   * 'auto' (default): the addon when it loads, else systemd-notify. 'systemd-notify' behaves
   * as if the addon were missing (tests, or a broken addon).
   */
  readonly transport?: 'auto' | 'systemd-notify';
  /** The systemd-notify binary. Default "systemd-notify" from PATH. */
  readonly systemdNotify?: string;
}

export interface WatchdogSetting {
  /** WATCHDOG_USEC in ms, 0 when off. */
  readonly intervalMs: number;
  /** Why WATCHDOG_USEC was present but ignored, for a log line. */
  readonly ignored?: string;
}

/** sd_watchdog_enabled(3), pure: WATCHDOG_USEC applies when WATCHDOG_PID is unset or is `pid`. */
export function readWatchdog(env: Env, pid: number): WatchdogSetting {
  const usecText = env.WATCHDOG_USEC;
  if (usecText === undefined) return { intervalMs: 0 };
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
export function statusMessage(text: string): string {
  return NOTIFY_STATUS + text.replace(/[\r\n]+/g, ' ');
}

/** RELOADING=1 plus the monotonic timestamp systemd ≥ 253 wants (Node's hrtime is CLOCK_MONOTONIC on Linux). */
export function reloadingMessage(monotonicNs: bigint = process.hrtime.bigint()): string {
  return `${NOTIFY_RELOADING}\n${NOTIFY_MONOTONIC_USEC}${monotonicNs / 1000n}`;
}

export function createNotifier(env: Env, log: NotifyLog, options: NotifierOptions = {}): Notifier {
  return guardNotifier(onFirstUse(() => createUnguarded(env, log, options)), log);
}

/** The notifier made when first used: the first message (READY=1) goes out once the sockets
 *  listen, so loading the addon (libsystemd, ~4 ms) is not on a socket-activated first
 *  client's way to its backend. */
function onFirstUse(make: () => Notifier): Notifier {
  let made: Notifier | undefined;
  const inner = (): Notifier => (made ??= make());
  return {
    get transport() {
      return inner().transport;
    },
    ready: () => inner().ready(),
    status: (text) => inner().status(text),
    stopping: () => inner().stopping(),
    reloading: () => inner().reloading(),
    watchdog: () => inner().watchdog(),
    watchdogIntervalMs: () => inner().watchdogIntervalMs(),
    flush: () => (made === undefined ? Promise.resolve() : made.flush()),
  };
}

function createUnguarded(env: Env, log: NotifyLog, options: NotifierOptions): Notifier {
  const pid = options.pid ?? process.pid;
  const watchdog = readWatchdog(env, pid);
  if (watchdog.ignored !== undefined) log('warning', watchdog.ignored);

  const socket = env.NOTIFY_SOCKET;
  if (socket === undefined || socket === '') {
    log('debug', 'NOTIFY_SOCKET is not set: not notifying a service manager');
    return notifier('none', () => {}, watchdog.intervalMs, () => Promise.resolve());
  }

  const addon = (options.transport ?? 'auto') === 'auto' ? loadAddon() : 'disabled by the caller';
  if (typeof addon !== 'string' && process.env.NOTIFY_SOCKET === socket) {
    log('debug', `notifying ${socket} with the sd-notify addon`);
    return notifier('addon', (lines) => addon.sendState(`${lines.join('\n')}\n`), watchdog.intervalMs, () => Promise.resolve());
  }
  if (typeof addon !== 'string') {
    // libsystemd reads NOTIFY_SOCKET from the real environment, not from `env`.
    log('debug', 'NOTIFY_SOCKET differs from the process environment: the addon cannot use it; using systemd-notify');
  } else {
    log(
      'warning',
      `the sd-notify addon is not available (${addon}); sending notifications with systemd-notify instead, ` +
        'which systemd accepts only with NotifyAccess=all unless mrsocko runs as root. ' +
        'Fix: install libsystemd-dev and run `npm rebuild sd-notify`',
    );
  }
  return systemdNotifyBinary(env, socket, log, options.systemdNotify ?? 'systemd-notify', watchdog.intervalMs);
}

// ---- internals ----

interface SdNotifyAddon {
  sendState(state: string): void;
}

/** Why the sd-notify addon cannot be used here, or undefined when it can (for gen-unit's NotifyAccess=). */
export function notifyAddonProblem(): string | undefined {
  const addon = loadAddon();
  return typeof addon === 'string' ? addon : undefined;
}

/** The addon, or why it could not be loaded. */
function loadAddon(): SdNotifyAddon | string {
  try {
    const loaded = createRequire(import.meta.url)('sd-notify') as Partial<SdNotifyAddon>;
    if (typeof loaded.sendState !== 'function') return 'sd-notify has no sendState()';
    return loaded as SdNotifyAddon;
  } catch (err) {
    return firstLine(err instanceof Error ? err.message : String(err));
  }
}

/** One systemd-notify run per message, in order. Its own sender pid is our pid only when we are root (see top). */
function systemdNotifyBinary(env: Env, socket: string, log: NotifyLog, binary: string, watchdogMs: number): Notifier {
  const childEnv: Record<string, string> = { NOTIFY_SOCKET: socket };
  if (env.PATH !== undefined) childEnv.PATH = env.PATH;
  let queue = Promise.resolve();
  let warned = false;
  const send = (lines: string[]): void => {
    // No --pid: it would add MAINPID=; systemd-notify already sends as its parent (us) when it may.
    queue = queue.then(() => new Promise<void>((resolve) => {
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
export function guardNotifier(inner: Notifier, log: NotifyLog): Notifier {
  const guard = <A extends unknown[]>(name: string, call: (...args: A) => void) => (...args: A): void => {
    try {
      call(...args);
    } catch (err) {
      log('warning', `notification ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return {
    get transport() {
      return inner.transport;
    },
    ready: guard('READY=1', () => inner.ready()),
    status: guard('STATUS=', (text: string) => inner.status(text)),
    stopping: guard('STOPPING=1', () => inner.stopping()),
    reloading: guard('RELOADING=1', () => inner.reloading()),
    watchdog: guard('WATCHDOG=1', () => inner.watchdog()),
    watchdogIntervalMs: () => {
      try {
        return inner.watchdogIntervalMs();
      } catch {
        return 0;
      }
    },
    flush: () => Promise.resolve().then(() => inner.flush()).catch((err: unknown) => {
      log('warning', `flushing notifications failed: ${err instanceof Error ? err.message : String(err)}`);
    }),
  };
}

function notifier(transport: NotifyTransport, send: (lines: string[]) => void, watchdogMs: number, flush: () => Promise<void>): Notifier {
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

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
