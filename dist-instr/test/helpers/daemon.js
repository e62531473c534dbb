// In-process daemons for tests: a real Daemon with a real exec backend, a logger writing
// into memory, and a notifier that records what it was asked to send.
import { PassThrough } from 'node:stream';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log/logger.js';
import { Daemon } from '../../src/daemon.js';
export function tempDir(prefix = 'mrsocko-test-') {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
export function recordingNotifier(into) {
    return {
        transport: 'none',
        ready: () => into.push('READY=1'),
        status: (text) => into.push(`STATUS=${text}`),
        stopping: () => into.push('STOPPING=1'),
        reloading: () => into.push('RELOADING=1'),
        watchdog: () => into.push('WATCHDOG=1'),
        watchdogIntervalMs: () => 0,
        flush: async () => undefined,
    };
}
/** Starts a daemon from config text; `env` has no LISTEN_* so it binds (standalone). */
export async function startDaemon(configText, dir = tempDir(), extra = {}) {
    const file = path.join(dir, 'test.conf');
    fs.writeFileSync(file, configText);
    const config = parseConfig(configText, file);
    const stream = new PassThrough();
    const lines = [];
    stream.on('data', (c) => lines.push(...c.toString().split('\n').filter(Boolean)));
    const logger = createLogger({}, { stream, level: 'debug', journal: false });
    await logger.configure(config.log);
    const notices = [];
    const daemon = new Daemon({ config, logger, notifier: recordingNotifier(notices), ...extra, env: extra.env ?? { PATH: process.env.PATH } });
    await daemon.start();
    return { daemon, lines, notices, dir, stop: () => daemon.stop() };
}
/**
 * Resolves true once `daemon`'s backend is in `phase` (at once if it is), false after
 * `timeoutMs`: waits on the daemon's `phase` event instead of polling backendPhase.
 */
export function phaseReached(daemon, phase, timeoutMs) {
    if (daemon.backendPhase === phase)
        return Promise.resolve(true);
    return new Promise((resolve) => {
        const done = (ok) => {
            clearTimeout(timer);
            daemon.events.off('phase', onPhase);
            resolve(ok);
        };
        const onPhase = (p) => {
            if (p === phase)
                done(true);
        };
        const timer = setTimeout(() => done(false), timeoutMs);
        daemon.events.on('phase', onPhase);
    });
}
//# sourceMappingURL=daemon.js.map