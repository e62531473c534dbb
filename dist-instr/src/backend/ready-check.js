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
import { formatTimespan } from '../config/timespan.js';
import { describeExit } from './driver.js';
import { probeIntervalMs, waitUntilAccepting, waitUntilUdpBound } from './readiness.js';
/** One check attempt may hang (a backend that accepts and never answers): bound each. */
const CHECK_ATTEMPT_TIMEOUT_MS = 5_000;
/** What is kept of an exec check's output, or read of an HTTP answer (the status line is all we need). */
const CHECK_OUTPUT_BYTES = 1024;
const HTTP_HEAD_BYTES = 4096;
/** A probe's connection that got through: taken by `take`, else closed by `close`, else destroyed (undefined). */
function probeHandler(take, close) {
    if (close === undefined)
        return take;
    return (connection) => {
        if (take?.(connection) !== true)
            close(connection);
        return true;
    };
}
export function describeTarget(t) {
    const names = t.sockets.map((s) => `[socket.${s}]`).join(' ');
    const what = t.protocol === 'udp' ? 'to stop refusing datagrams' : 'to accept';
    return `${names} ${t.protocol} ${t.backend.text} ${what}`;
}
function describeCheck(check) {
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
    options;
    pending;
    stage = 'addresses';
    last;
    notifying;
    constructor(options) {
        this.options = options;
        this.pending = [...options.targets];
    }
    /** What it is waiting for now, in words; undefined once ready. */
    get waitingFor() {
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
    get pendingTargets() {
        return this.stage === 'addresses' ? this.pending : [];
    }
    /** Resolves once ready; rejects when `signal` aborts (start_timeout, stop). */
    async wait(signal) {
        const { targets, check, delayMs, keep } = this.options;
        if (check.kind === 'notify') {
            this.enter('check');
            await this.notified(signal);
            this.enter('addresses');
        }
        await Promise.all(targets.map(async (t) => {
            if (t.protocol === 'udp')
                await waitUntilUdpBound(t.backend, signal);
            else
                await waitUntilAccepting(t.backend, signal, probeHandler(check.kind === 'connect' ? keep?.(t) : undefined, this.options.closeProbe?.(t)));
            this.pending = this.pending.filter((p) => p !== t);
            this.options.changed?.();
        }));
        if (check.kind === 'http' || check.kind === 'exec') {
            this.enter('check');
            const began = performance.now();
            for (;;) {
                signal.throwIfAborted();
                const result = check.kind === 'http' ? await httpCheck(check, signal) : await execCheck(check.argv, this.options.process, signal);
                if (result.ok)
                    break;
                if (result.detail !== this.last) {
                    this.last = result.detail;
                    this.options.changed?.();
                }
                // not a loopback connect: a check costs more (a process, a request), so at least 10 ms apart
                await sleep(probeIntervalMs(performance.now() - began, false), undefined, { signal });
            }
        }
        if (delayMs > 0) {
            this.enter('delay');
            await sleep(Math.min(delayMs, 2 ** 31 - 1), undefined, { signal });
        }
        this.enter('ready');
    }
    /** Resolves on READY=1 (perhaps said already, before this wait began). */
    notified(signal) {
        const state = this.options.notify?.();
        if (state === undefined)
            return Promise.reject(new Error('ready = notify: this backend was given no notify socket'));
        this.notifying = state;
        return new Promise((resolve, reject) => {
            const done = () => {
                unwatch();
                signal.removeEventListener('abort', onAbort);
            };
            const onAbort = () => {
                done();
                reject(signal.reason);
            };
            const unwatch = state.watch(() => {
                this.options.changed?.();
                if (!state.ready)
                    return;
                done();
                resolve();
            });
            if (signal.aborted)
                return onAbort();
            signal.addEventListener('abort', onAbort, { once: true });
            if (state.ready) {
                done();
                resolve();
            }
        });
    }
    enter(stage) {
        this.stage = stage;
        this.last = undefined;
        this.options.changed?.();
    }
}
/** One GET; ok on a 2xx or 3xx status line. Reads at most the head of the answer. */
export function httpCheck(check, signal) {
    return new Promise((resolve) => {
        const socket = net.connect({ host: check.host, port: check.port });
        let head = Buffer.alloc(0);
        let settled = false;
        const finish = (ok, detail) => {
            if (settled)
                return;
            settled = true;
            signal.removeEventListener('abort', onAbort);
            socket.destroy();
            resolve({ ok, detail });
        };
        const onAbort = () => finish(false, 'aborted');
        signal.addEventListener('abort', onAbort, { once: true });
        socket.setTimeout(CHECK_ATTEMPT_TIMEOUT_MS, () => finish(false, `no answer within ${CHECK_ATTEMPT_TIMEOUT_MS} ms`));
        socket.on('error', (err) => finish(false, err.code === 'ECONNREFUSED' ? 'connection refused' : err.message));
        socket.once('connect', () => {
            const host = net.isIPv6(check.host) ? `[${check.host}]` : check.host;
            socket.write(`GET ${check.path} HTTP/1.1\r\nHost: ${host}:${check.port}\r\nUser-Agent: mrsocko-ready-check\r\n` +
                'Accept: */*\r\nConnection: close\r\n\r\n');
        });
        socket.on('data', (chunk) => {
            head = Buffer.concat([head, chunk]).subarray(0, HTTP_HEAD_BYTES);
            const end = head.indexOf('\r\n');
            if (end < 0) {
                if (head.length >= HTTP_HEAD_BYTES)
                    finish(false, 'not an HTTP answer (no status line)');
                return;
            }
            const status = /^HTTP\/\d(?:\.\d)? (\d{3})\b/.exec(head.subarray(0, end).toString('latin1'))?.[1];
            if (status === undefined)
                return finish(false, 'not an HTTP answer');
            const code = Number(status);
            finish(code >= 200 && code < 400, status);
        });
        socket.once('end', () => finish(false, 'closed without an answer'));
    });
}
/** Runs the command once; ok on exit status 0. Killed (its whole process group) after the attempt timeout. */
export function execCheck(argv, how, signal) {
    return new Promise((resolve) => {
        const child = spawn(argv[0], argv.slice(1), {
            env: how.env,
            cwd: how.cwd,
            uid: how.uid,
            gid: how.gid,
            detached: true, // own process group: a timeout kills what it started too
            stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        let timedOut = false;
        const kill = () => {
            try {
                if (child.pid !== undefined)
                    process.kill(-child.pid, 'SIGKILL');
            }
            catch {
                // gone already
            }
        };
        const timer = setTimeout(() => {
            timedOut = true;
            kill();
        }, CHECK_ATTEMPT_TIMEOUT_MS);
        const onAbort = () => kill();
        signal.addEventListener('abort', onAbort, { once: true });
        const collect = (chunk) => {
            if (output.length < CHECK_OUTPUT_BYTES)
                output += chunk.toString('utf8').slice(0, CHECK_OUTPUT_BYTES - output.length);
        };
        child.stdout.on('data', collect);
        child.stderr.on('data', collect);
        const done = (result) => {
            clearTimeout(timer);
            signal.removeEventListener('abort', onAbort);
            resolve(result);
        };
        child.once('error', (err) => {
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
//# sourceMappingURL=ready-check.js.map