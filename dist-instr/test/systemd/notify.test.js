import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NOTIFY_MONOTONIC_USEC, createNotifier, readWatchdog, reloadingMessage, statusMessage, } from '../../src/systemd/notify.js';
import { haveCommand, isRoot, prerequisite } from '../helpers/require.js';
import { repoRoot } from '../helpers/paths.js';
const PID = 4242;
describe('pure parts', () => {
    test('readWatchdog follows sd_watchdog_enabled', () => {
        assert.deepEqual(readWatchdog({}, PID), { intervalMs: 0 });
        assert.deepEqual(readWatchdog({ WATCHDOG_USEC: '20000000' }, PID), { intervalMs: 20_000 });
        assert.deepEqual(readWatchdog({ WATCHDOG_USEC: '1500', WATCHDOG_PID: String(PID) }, PID), { intervalMs: 1.5 });
        const other = readWatchdog({ WATCHDOG_USEC: '20000000', WATCHDOG_PID: '17' }, PID);
        assert.equal(other.intervalMs, 0);
        assert.match(other.ignored ?? '', /WATCHDOG_PID=17 is not our pid 4242/);
        for (const bad of ['', '0', 'x', '-5', '1e6']) {
            const r = readWatchdog({ WATCHDOG_USEC: bad }, PID);
            assert.equal(r.intervalMs, 0, bad);
            assert.match(r.ignored ?? '', /WATCHDOG_USEC=/, bad);
        }
        assert.match(readWatchdog({ WATCHDOG_USEC: '1000', WATCHDOG_PID: 'me' }, PID).ignored ?? '', /WATCHDOG_PID=/);
    });
    test('messages: STATUS= is one line, RELOADING=1 carries MONOTONIC_USEC=', () => {
        assert.equal(statusMessage('backend running\nclients: 2\r\n'), 'STATUS=backend running clients: 2 ');
        assert.equal(reloadingMessage(123456789n), 'RELOADING=1\nMONOTONIC_USEC=123456');
        const now = BigInt(reloadingMessage().split(NOTIFY_MONOTONIC_USEC)[1] ?? '0');
        assert.ok(now > 0n);
    });
    test('without NOTIFY_SOCKET: a no-op notifier, no warning', async () => {
        const logs = [];
        const n = createNotifier({ WATCHDOG_USEC: '4000000' }, (level, msg) => logs.push([level, msg]), { pid: PID });
        assert.equal(n.transport, 'none');
        n.ready();
        n.status('x');
        n.reloading();
        n.watchdog();
        n.stopping();
        await n.flush();
        assert.equal(n.watchdogIntervalMs(), 4000);
        assert.deepEqual(logs.filter(([level]) => level !== 'debug'), []);
    });
});
// ---- a real NOTIFY_SOCKET ----
let seq = 0;
function socketPath() {
    return `/tmp/mrsocko-notify-${process.pid}-${++seq}.sock`;
}
/** An AF_UNIX datagram receiver (Node core cannot make one): socat prints every datagram to stdout, back to back. */
async function socatReceiver(sockPath) {
    rmSync(sockPath, { force: true });
    const child = spawn('socat', ['-u', `UNIX-RECV:${sockPath}`, '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await waitForPath(sockPath, child);
    return {
        async stop() {
            await sleep(100); // let the last datagrams through socat's buffer
            child.kill();
            await new Promise((r) => child.once('close', r));
            rmSync(sockPath, { force: true });
            return out;
        },
    };
}
async function waitForPath(p, child) {
    for (let i = 0; i < 200 && !existsSync(p); i++) {
        if (child.exitCode !== null)
            throw new Error(`receiver exited ${child.exitCode}`);
        await sleep(10);
    }
    assert.ok(existsSync(p), `${p} not created`);
}
/** Asserts that `parts` occur in `text` in this order. */
function assertInOrder(text, parts) {
    let from = 0;
    for (const part of parts) {
        const rest = text.slice(from);
        const m = typeof part === 'string' ? (rest.includes(part) ? { index: rest.indexOf(part), len: part.length } : undefined)
            : ((x) => (x ? { index: x.index, len: x[0].length } : undefined))(part.exec(rest));
        assert.ok(m, `${String(part)} not found in order in ${JSON.stringify(text)}`);
        from += m.index + m.len;
    }
}
const SEQUENCE = [
    'STATUS=starting up',
    'READY=1',
    /RELOADING=1\nMONOTONIC_USEC=\d+/,
    'READY=1',
    'WATCHDOG=1',
    'STOPPING=1',
];
/** Runs test/fixtures/notify-send.mjs with NOTIFY_SOCKET in its real environment. */
function runSender(sockPath, transport) {
    const fixture = path.join(repoRoot, 'test/fixtures/notify-send.mjs');
    const child = spawn(process.execPath, [fixture, transport], {
        env: { ...process.env, NOTIFY_SOCKET: sockPath },
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    return new Promise((resolve, reject) => {
        child.on('close', (code) => {
            if (code !== 0)
                return reject(new Error(`sender exit ${code}: ${err}`));
            resolve(JSON.parse(out));
        });
    });
}
function addonLoads() {
    try {
        createRequire(import.meta.url)('sd-notify');
        return true;
    }
    catch {
        return false;
    }
}
describe('notifications through a real NOTIFY_SOCKET', () => {
    test('the sd-notify addon delivers READY=1, STATUS=, RELOADING=1, WATCHDOG=1, STOPPING=1 in order', async (t) => {
        if (!prerequisite(t, haveCommand('socat'), 'socat not installed'))
            return;
        if (!prerequisite(t, addonLoads(), 'sd-notify addon not built (needs libsystemd-dev; npm rebuild sd-notify)'))
            return;
        const sockPath = socketPath();
        const rx = await socatReceiver(sockPath);
        const r = await runSender(sockPath, 'auto');
        const got = await rx.stop();
        assert.equal(r.transport, 'addon');
        assert.deepEqual(r.logs.filter((l) => l.level === 'warning'), []);
        assertInOrder(got, SEQUENCE);
    });
    // systemd-notify ends each message with BARRIER=1 carrying a pipe fd and waits (5 s) until the
    // receiver closes it. systemd does; socat keeps received fds open, so these tests use a
    // receiver that closes them.
    test('the systemd-notify fallback delivers the same, with one warning saying how to fix it', async (t) => {
        if (!prerequisite(t, haveCommand('python3'), 'python3 not installed'))
            return;
        if (!prerequisite(t, haveCommand('systemd-notify'), 'systemd-notify not installed'))
            return;
        const sockPath = socketPath();
        const rx = await credentialReceiver(sockPath);
        const started = Date.now();
        const r = await runSender(sockPath, 'systemd-notify');
        const elapsed = Date.now() - started;
        const got = (await rx.stop()).map((m) => m.msg).join('\n');
        assert.equal(r.transport, 'systemd-notify');
        const warnings = r.logs.filter((l) => l.level === 'warning');
        assert.equal(warnings.length, 1, JSON.stringify(r.logs));
        assert.match(warnings[0]?.msg ?? '', /NotifyAccess=all/);
        assert.match(warnings[0]?.msg ?? '', /libsystemd-dev.*npm rebuild sd-notify/);
        assertInOrder(got, SEQUENCE);
        assert.doesNotMatch(got, /MAINPID=/, 'no --pid: it would add MAINPID=');
        assert.ok(elapsed < 4000, `6 notifications took ${elapsed} ms: a barrier waited`);
    });
    test('an injected env whose NOTIFY_SOCKET the process env lacks is served by systemd-notify', async (t) => {
        if (!prerequisite(t, haveCommand('python3'), 'python3 not installed'))
            return;
        if (!prerequisite(t, haveCommand('systemd-notify'), 'systemd-notify not installed'))
            return;
        const sockPath = socketPath();
        const rx = await credentialReceiver(sockPath);
        const logs = [];
        const n = createNotifier({ NOTIFY_SOCKET: sockPath, PATH: process.env.PATH }, (level, msg) => logs.push([level, msg]));
        n.ready();
        n.status('hello');
        await n.flush();
        const got = (await rx.stop()).map((m) => m.msg).join('\n');
        assert.equal(n.transport, 'systemd-notify');
        if (addonLoads())
            assert.deepEqual(logs.filter(([level]) => level === 'warning'), []);
        assertInOrder(got, ['READY=1', 'STATUS=hello']);
    });
    test('systemd-notify failures: one warning, then debug', async (t) => {
        if (!prerequisite(t, haveCommand('systemd-notify'), 'systemd-notify not installed'))
            return;
        const logs = [];
        const log = (level, msg) => logs.push([level, msg]);
        const n = createNotifier({ NOTIFY_SOCKET: '/nonexistent/notify', PATH: process.env.PATH }, log, { transport: 'systemd-notify' });
        n.ready();
        n.watchdog();
        await n.flush();
        const failures = logs.filter(([, msg]) => msg.includes('failed'));
        assert.deepEqual(failures.map(([level]) => level), ['warning', 'debug'], JSON.stringify(logs));
        assert.match(failures[0]?.[1] ?? '', /systemd-notify READY failed: /);
    });
    test('sender credentials: the addon sends as our pid; systemd-notify does only as root', async (t) => {
        if (!prerequisite(t, haveCommand('python3'), 'python3 not installed'))
            return;
        if (!prerequisite(t, haveCommand('systemd-notify'), 'systemd-notify not installed'))
            return;
        if (!prerequisite(t, addonLoads(), 'sd-notify addon not built'))
            return;
        for (const transport of ['auto', 'systemd-notify']) {
            const sockPath = socketPath();
            const rx = await credentialReceiver(sockPath);
            const r = await runSender(sockPath, transport);
            const got = await rx.stop();
            const ready = got.filter((m) => m.msg.includes('READY=1'));
            assert.equal(ready.length, 2, JSON.stringify(got));
            for (const m of ready) {
                if (transport === 'auto' || isRoot)
                    assert.equal(m.pid, r.pid, `${transport}: ${JSON.stringify(m)}`);
                else
                    assert.notEqual(m.pid, r.pid);
            }
        }
    });
});
const CREDENTIAL_RECEIVER = `
import os, socket, struct, sys, json
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
print("ready", flush=True)
while True:
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12) + socket.CMSG_SPACE(64))
    pid = None
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack('iII', data[:12])[0]
        elif level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            for i in range(len(data) // 4):
                os.close(struct.unpack_from('i', data, 4 * i)[0])  # ends systemd-notify's BARRIER=1 wait
    print(json.dumps({"msg": msg.decode(), "pid": pid}), flush=True)
`;
/**
 * An AF_UNIX datagram receiver that, like systemd, closes fds passed with a message and reports
 * the SCM_CREDENTIALS pid systemd would attribute each message to.
 */
async function credentialReceiver(sockPath) {
    rmSync(sockPath, { force: true });
    const child = spawn('python3', ['-c', CREDENTIAL_RECEIVER, sockPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    // SO_PASSCRED is set after bind(): wait for the receiver to say so, not just for the path
    for (let i = 0; i < 300 && !out.startsWith('ready\n'); i++) {
        if (child.exitCode !== null)
            throw new Error(`receiver exited ${child.exitCode}`);
        await sleep(10);
    }
    assert.ok(out.startsWith('ready\n'), 'credential receiver not ready');
    return {
        async stop() {
            await sleep(100);
            child.kill();
            await new Promise((r) => child.once('close', r));
            rmSync(sockPath, { force: true });
            return out.trim().split('\n').slice(1).map((l) => JSON.parse(l));
        },
    };
}
//# sourceMappingURL=notify.test.js.map