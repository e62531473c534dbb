// A notification that fails never breaks the daemon: start, status updates and shutdown
// go on, the failure is logged, and `run` still exits 0 on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log/logger.js';
import { Daemon } from '../../src/daemon.js';
import { guardNotifier } from '../../src/systemd/notify.js';
import { freePort } from '../helpers/net.js';
const throwing = () => {
    const fail = () => { throw new Error('sd_notify: Connection refused'); };
    return { transport: 'addon', ready: fail, status: fail, stopping: fail, reloading: fail, watchdog: fail, watchdogIntervalMs: fail, flush: () => Promise.reject(new Error('gone')) };
};
test('a notifier that throws on every call: the daemon starts, serves and shuts down; each failure is logged', async () => {
    const port = await freePort();
    const config = parseConfig(`[service]\nexec = /bin/sleep 60\n[socket.web]\nlisten = 127.0.0.1:${port}\nbackend = 127.0.0.1:1\n`, '/tmp/guard.conf');
    const stream = new PassThrough();
    const lines = [];
    stream.on('data', (c) => lines.push(...c.toString().split('\n').filter(Boolean)));
    const logger = createLogger({}, { stream, journal: true, level: 'debug' });
    const daemon = new Daemon({ config, logger, notifier: throwing(), env: { PATH: process.env.PATH } });
    await daemon.start();
    await daemon.stop(); // before the fix: rejected with the notifier's error, and `run` exited 1
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(lines.some((l) => /^<4>notification READY=1 failed: sd_notify: Connection refused$/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^<4>notification STOPPING=1 failed/.test(l)), lines.join('\n'));
    await logger.close();
});
test('guardNotifier: every call guarded, flush never rejects, a failing watchdog interval reads as off', async () => {
    const logged = [];
    const n = guardNotifier(throwing(), (level, msg) => logged.push(`${level}: ${msg}`));
    n.ready();
    n.status('x');
    n.stopping();
    n.reloading();
    n.watchdog();
    assert.equal(n.watchdogIntervalMs(), 0);
    await n.flush();
    assert.equal(logged.length, 6, logged.join('\n'));
    assert.ok(logged.every((l) => l.startsWith('warning: ')));
});
//# sourceMappingURL=notify-guard.test.js.map