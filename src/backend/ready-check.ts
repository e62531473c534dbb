// When a started backend is ready for clients (`[service] ready =`, `ready_delay =`, and
// `[socket.NAME] ready_check =`). A port that accepts is not always a service that
// answers: PostgreSQL accepts while it replays its WAL and answers "the database system
// is starting up", Redis answers LOADING while it reads its dataset. So after every
// checked backend address accepts (./readiness.ts), an application check may have to
// pass as well: a GET answering 2xx or 3xx, or a command exiting 0. Or, with `ready = notify`,
// the backend says so itself (READY=1 on its notify socket, ./notify-socket.ts) before its
// addresses are checked — once, to confirm. Then `ready_delay`.
// Every stage is retried at the probe interval of ./readiness.ts until it passes or the
// lifecycle's start_timeout aborts it; `waitingFor` says what it waits for meanwhile
// (`mrsocko status`, STATUS=, and the start-failed message).
import net from 'node:net';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BackendAddress, Protocol, ReadyCheck } from '../config/types.js';
import { formatTimespan } from '../config/timespan.js';
import { describeExit } from './driver.js';
import { probeIntervalMs, waitUntilAccepting, waitUntilUdpBound } from './readiness.js';
import { monotonicMs } from '../util/clock.js';

/** One backend address to wait for, and the sockets that forward to it. */
export interface ReadyTarget {
  readonly sockets: readonly string[];
  readonly protocol: Protocol;
  readonly backend: BackendAddress;
}

/** How a `ready = exec` command runs: as the backend does (user, group, directory, environment). */
export interface CheckProcess {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string | undefined;
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
}

export interface ReadyWaitOptions {
  readonly targets: readonly ReadyTarget[];
  readonly check: ReadyCheck;
  readonly delayMs: number;
  readonly process: CheckProcess;
  /** connect only: may take a TCP probe's connection (see ./readiness.ts). */
  readonly keep?: ((target: ReadyTarget) => (connection: net.Socket) => boolean) | undefined;
  /**
   * How a TCP probe's connection that is not taken is closed (default: destroyed at once),
   * e.g. with a PROXY protocol header first, so that the backend does not log it as broken.
   */
  readonly closeProbe?: ((target: ReadyTarget) => ((connection: net.Socket) => void) | undefined) | undefined;
  /** `waitingFor` changed. */
  readonly changed?: (() => void) | undefined;
  /** notify only: what the current start's backend said on its notify socket. */
  readonly notify?: (() => NotifyState | undefined) | undefined;
}

/** What a backend said on its notify socket so far (./notify-socket.ts's NotifyListener). */
export interface NotifyState {
  readonly ready: boolean;
  readonly status: string | undefined;
  /** Calls `changed` on every change; returns how to stop. */
  watch(changed: () => void): () => void;
}

/** One check attempt may hang (a backend that accepts and never answers): bound each. */
const CHECK_ATTEMPT_TIMEOUT_MS = 5_000;
/** What is kept of an exec check's output, or read of an HTTP answer (the status line is all we need). */
const CHECK_OUTPUT_BYTES = 1024;
const HTTP_HEAD_BYTES = 4096;

/** A probe's connection that got through: taken by `take`, else closed by `close`, else destroyed (undefined). */
function probeHandler(
  take: ((connection: net.Socket) => boolean) | undefined,
  close: ((connection: net.Socket) => void) | undefined,
): ((connection: net.Socket) => boolean) | undefined {
  if (close === undefined) return take;
  return (connection) => {
    if (take?.(connection) !== true) close(connection);
    return true;
  };
}

export function describeTarget(t: ReadyTarget): string {
  const names = t.sockets.map((s) => `[socket.${s}]`).join(' ');
  const what = t.protocol === 'udp' ? 'to stop refusing datagrams' : 'to accept';
  return `${names} ${t.protocol} ${t.backend.text} ${what}`;
}

function describeCheck(check: ReadyCheck): string {
  switch (check.kind) {
    case 'connect':
      return 'connect';
    case 'http':
      return check.url;
    case 'exec':
      return `exec ${check.argv.join(' ')}`;
    case 'notify':
      return 'READY=1';
  }
}

/** One wait for readiness, for one launch. */
export class ReadyWait {
  private pending: ReadyTarget[];
  private stage: 'addresses' | 'check' | 'delay' | 'ready' = 'addresses';
  private last: string | undefined;
  private notifying: NotifyState | undefined;

  constructor(private readonly options: ReadyWaitOptions) {
    this.pending = [...options.targets];
  }

  /** What it is waiting for now, in words; undefined once ready. */
  get waitingFor(): string | undefined {
    switch (this.stage) {
      case 'addresses':
        // all accepted, the next stage not entered yet: a moment with nothing to name
        return this.pending.length > 0 ? this.pending.map(describeTarget).join(', ') : undefined;
      case 'check': {
        if (this.options.check.kind === 'notify') {
          const status = this.notifying?.status;
          return status === undefined ? 'READY=1' : `READY=1 (status: ${status})`;
        }
        const last = this.last === undefined ? '' : ` (last: ${this.last})`;
        return `${describeCheck(this.options.check)}${last}`;
      }
      case 'delay':
        return `ready_delay ${formatTimespan(this.options.delayMs)}`;
      case 'ready':
        return undefined;
    }
  }

  /** The sockets whose backend address did not accept (yet), for the start-failed message. */
  get pendingTargets(): readonly ReadyTarget[] {
    return this.stage === 'addresses' ? this.pending : [];
  }

  /** Resolves once ready; rejects when `signal` aborts (start_timeout, stop). */
  async wait(signal: AbortSignal): Promise<void> {
    const { targets, check, delayMs, keep } = this.options;
    if (check.kind === 'notify') {
      this.enter('check');
      await this.notified(signal);
      this.enter('addresses');
    }
    await Promise.all(targets.map(async (t) => {
      if (t.protocol === 'udp') await waitUntilUdpBound(t.backend, signal);
      else await waitUntilAccepting(t.backend, signal, probeHandler(check.kind === 'connect' ? keep?.(t) : undefined, this.options.closeProbe?.(t)));
      this.pending = this.pending.filter((p) => p !== t);
      this.options.changed?.();
    }));
    if (check.kind === 'http' || check.kind === 'exec') {
      this.enter('check');
      const began = monotonicMs();
      for (;;) {
        signal.throwIfAborted();
        const result = check.kind === 'http' ? await httpCheck(check, signal) : await execCheck(check.argv, this.options.process, signal);
        if (result.ok) break;
        if (result.detail !== this.last) {
          this.last = result.detail;
          this.options.changed?.();
        }
        // not a loopback connect: a check costs more (a process, a request), so at least 10 ms apart
        await sleep(probeIntervalMs(monotonicMs() - began, false), undefined, { signal });
      }
    }
    if (delayMs > 0) {
      this.enter('delay');
      await sleep(Math.min(delayMs, 2 ** 31 - 1), undefined, { signal });
    }
    this.enter('ready');
  }

  /** Resolves on READY=1 (perhaps said already, before this wait began). */
  private notified(signal: AbortSignal): Promise<void> {
    const state = this.options.notify?.();
    if (state === undefined) return Promise.reject(new Error('ready = notify: this backend was given no notify socket'));
    this.notifying = state;
    return new Promise((resolve, reject) => {
      const done = (): void => {
        unwatch();
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        done();
        reject(signal.reason);
      };
      const unwatch = state.watch(() => {
        this.options.changed?.();
        if (!state.ready) return;
        done();
        resolve();
      });
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      if (state.ready) {
        done();
        resolve();
      }
    });
  }

  private enter(stage: ReadyWait['stage']): void {
    this.stage = stage;
    this.last = undefined;
    this.options.changed?.();
  }
}

export interface CheckResult {
  ok: boolean;
  /** Why not, in words: "503", "connection refused", "exit status 2: no response". */
  detail: string;
}

/** One GET; ok on a 2xx or 3xx status line. Reads at most the head of the answer. */
export function httpCheck(check: ReadyCheck & { kind: 'http' }, signal: AbortSignal): Promise<CheckResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: check.host, port: check.port });
    let head = Buffer.alloc(0);
    let settled = false;
    const finish = (ok: boolean, detail: string): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve({ ok, detail });
    };
    const onAbort = (): void => finish(false, 'aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    socket.setTimeout(CHECK_ATTEMPT_TIMEOUT_MS, () => finish(false, `no answer within ${CHECK_ATTEMPT_TIMEOUT_MS} ms`));
    socket.on('error', (err: NodeJS.ErrnoException) => finish(false, err.code === 'ECONNREFUSED' ? 'connection refused' : err.message));
    socket.once('connect', () => {
      const host = net.isIPv6(check.host) ? `[${check.host}]` : check.host;
      socket.write(`GET ${check.path} HTTP/1.1\r\nHost: ${host}:${check.port}\r\nUser-Agent: mrsocko-ready-check\r\n` +
        'Accept: */*\r\nConnection: close\r\n\r\n');
    });
    socket.on('data', (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]).subarray(0, HTTP_HEAD_BYTES);
      const end = head.indexOf('\r\n');
      if (end < 0) {
        if (head.length >= HTTP_HEAD_BYTES) finish(false, 'not an HTTP answer (no status line)');
        return;
      }
      const status = /^HTTP\/\d(?:\.\d)? (\d{3})\b/.exec(head.subarray(0, end).toString('latin1'))?.[1];
      if (status === undefined) return finish(false, 'not an HTTP answer');
      const code = Number(status);
      finish(code >= 200 && code < 400, status);
    });
    socket.once('end', () => finish(false, 'closed without an answer'));
  });
}

/** Runs the command once; ok on exit status 0. Killed (its whole process group) after the attempt timeout. */
export function execCheck(argv: readonly string[], how: CheckProcess, signal: AbortSignal): Promise<CheckResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0] as string, argv.slice(1), {
      env: how.env,
      cwd: how.cwd,
      uid: how.uid,
      gid: how.gid,
      detached: true, // own process group: a timeout kills what it started too
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let timedOut = false;
    const kill = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, CHECK_ATTEMPT_TIMEOUT_MS);
    const onAbort = (): void => kill();
    signal.addEventListener('abort', onAbort, { once: true });
    const collect = (chunk: Buffer): void => {
      if (output.length < CHECK_OUTPUT_BYTES) output += chunk.toString('utf8').slice(0, CHECK_OUTPUT_BYTES - output.length);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const done = (result: CheckResult): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      done({ ok: false, detail: `cannot run ${argv[0]}: ${err.code === 'ENOENT' ? 'no such file' : err.message}` });
    });
    child.once('close', (code, sig) => {
      // one line, printable: it goes into STATUS= and the log
      const said = output.replace(/\s+/g, ' ').replace(/[\x00-\x1f\x7f]/g, '?').trim();
      const status = timedOut ? `timed out after ${CHECK_ATTEMPT_TIMEOUT_MS} ms` : describeExit(code, sig);
      done({ ok: code === 0 && !timedOut, detail: said === '' ? status : `${status}: ${said}` });
    });
  });
}
