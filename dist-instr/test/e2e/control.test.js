// mrsocko start/stop/hold/release end to end: the real daemon (standalone, its control
// socket under MRSOCKO_RUNTIME_DIR) and the real CLI, in front of the slow-echo backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cliPath, fixture } from '../helpers/paths.js';
import { tempDir } from '../helpers/daemon.js';
import { freePort, waitFor } from '../helpers/net.js';
import { readStarts, startMrsocko } from '../helpers/mrsocko-process.js';
import { attempt } from '../helpers/clients.js';
import { controlStatus } from '../helpers/control.js';
function rawRequest(socket, bytes) {
    return new Promise((resolve, reject) => {
        const c = net.connect({ path: socket }, () => c.write(bytes));
        let text = '';
        c.on('data', (d) => (text += d.toString()));
        c.once('close', () => resolve(text));
        c.once('error', (err) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    });
}
async function setup(name, o = {}) {
    const dir = tempDir();
    const [port, backendPort] = [await freePort(), await freePort()];
    const starts = path.join(dir, 'starts');
    const file = path.join(dir, `${name}.conf`);
    const exec = o.exec ?? `${process.execPath} ${fixture('slow-echo.mjs')} 127.0.0.1:${backendPort} 100 ${starts}`;
    fs.writeFileSync(file, `[service]\nexec = ${exec}\nstart_timeout = 10s\nstop_timeout = 3s\n` +
        `[socket.web]\nlisten = 127.0.0.1:${port}\nbackend = 127.0.0.1:${backendPort}\n[idle]\n${o.idle ?? 'timeout = 1min'}\n`);
    const env = { MRSOCKO_RUNTIME_DIR: o.runtime ?? path.join(dir, 'run') };
    const m = startMrsocko({ configFile: file, env });
    await m.waitForLine(/ready: 1 socket/);
    const cli = (...args) => new Promise((resolve) => {
        const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ...env, SUDO_USER: 'alice' } });
        let out = '';
        let err = '';
        child.stdout.on('data', (c) => (out += c.toString()));
        child.stderr.on('data', (c) => (err += c.toString()));
        child.once('close', (code) => resolve({ code, out, err }));
    });
    return {
        m, port, file, starts, env, cli,
        async status() {
            const r = await cli('status', name, '--json');
            assert.equal(r.code, 0, r.err);
            return JSON.parse(r.out);
        },
    };
}
test('start: exit 0 once the backend is ready (logged with who asked); again: running already; stop: exit 0 once stopped', async () => {
    const s = await setup('ctl-start');
    try {
        const started = await s.cli('start', 'ctl-start');
        assert.equal(started.code, 0, started.err);
        assert.match(started.out, /^mrsocko@ctl-start: slow-echo\.mjs is ready\n$/);
        assert.equal((await s.status()).backend.state, 'running', 'ready when start returned');
        assert.equal(readStarts(s.starts).length, 1);
        assert.match(s.m.output(), /control: start \(asked by pid \d+, uid \d+ \(alice\)\)/);
        assert.match(s.m.output(), /starting backend .* \(for mrsocko start \(pid \d+, uid \d+ \(alice\)\)\)/);
        const again = await s.cli('start', 'ctl-start');
        assert.equal(again.code, 0);
        assert.match(again.out, /running already/);
        const stopped = await s.cli('stop', 'ctl-start');
        assert.equal(stopped.code, 0, stopped.err);
        assert.match(stopped.out, /stopped\n$/);
        assert.equal((await s.status()).backend.state, 'stopped', 'stopped when stop returned');
        assert.match(s.m.output(), /stopping backend .*: stopped by mrsocko stop \(pid \d+/);
        // not blocked: the next client starts it
        assert.equal(await attempt({ host: '127.0.0.1', port: s.port }), 'echoed');
        assert.equal(readStarts(s.starts).length, 2);
    }
    finally {
        assert.equal(await s.m.stop(), 0, s.m.output());
    }
});
test('start of a backend that fails: exit 1 with the reason', async () => {
    const s = await setup('ctl-fail', { exec: '/bin/sh -c "echo broken >&2; exit 3"' });
    try {
        const r = await s.cli('start', 'ctl-fail');
        assert.equal(r.code, 1, r.out);
        assert.match(r.err, /^mrsocko@ctl-fail: .* failed to start: .*(exit|status) .*3/m);
    }
    finally {
        assert.equal(await s.m.stop(), 0, s.m.output());
    }
});
test('stop --for: a client is refused (a refusal of its own), start too, until the span is over; then a client is served', async () => {
    const s = await setup('ctl-block');
    try {
        assert.equal((await s.cli('start', 'ctl-block')).code, 0);
        // long enough for the checks below on a loaded machine
        const r = await s.cli('stop', 'ctl-block', '--for', '6s');
        assert.equal(r.code, 0, r.err);
        assert.match(r.out, /stopped; nothing starts it for 6s/);
        const until = Date.now() + 6000;
        assert.equal(await attempt({ host: '127.0.0.1', port: s.port }), 'reset');
        await s.m.waitForLine(/refused connection from 127\.0\.0\.1:\d+: blocked by mrsocko stop \(pid \d+, uid \d+ \(alice\)\) \(mrsocko stop --for\) until /);
        const start = await s.cli('start', 'ctl-block');
        assert.equal(start.code, 1);
        assert.match(start.err, /not started: blocked by .*; mrsocko release ends it/);
        const report = await s.status();
        assert.equal(report.control?.block?.by.startsWith('mrsocko stop (pid '), true);
        assert.ok(report.totals.refused >= 1);
        const text = await s.cli('status', 'ctl-block');
        assert.match(text.out, /^block: +until \S+ \(\d+s left\), by mrsocko stop .*; clients are refused$/m);
        assert.equal(readStarts(s.starts).length, 1, 'nothing started it');
        await sleep(Math.max(0, until - Date.now()) + 200);
        assert.equal(await attempt({ host: '127.0.0.1', port: s.port }), 'echoed');
        assert.match(s.m.output(), /block by mrsocko stop .* ended: clients may start it again/);
        assert.equal(readStarts(s.starts).length, 2);
        // release ends a block early
        assert.equal((await s.cli('stop', 'ctl-block', '--for', '1h')).code, 0);
        assert.equal(await attempt({ host: '127.0.0.1', port: s.port }), 'reset');
        const released = await s.cli('release', 'ctl-block');
        assert.equal(released.code, 0);
        assert.match(released.out, /block released/);
        assert.equal(await attempt({ host: '127.0.0.1', port: s.port }), 'echoed');
    }
    finally {
        assert.equal(await s.m.stop(), 0, s.m.output());
    }
});
test('exit = yes: mrsocko stays while a stop --for block lasts (its exit would end it), and exits once it is over', async () => {
    const s = await setup('ctl-exit', { idle: 'timeout = 1min\nexit = yes' });
    try {
        assert.equal((await s.cli('start', 'ctl-exit')).code, 0);
        assert.equal((await s.cli('stop', 'ctl-exit', '--for', '2s')).code, 0);
        await sleep(1000);
        assert.doesNotMatch(s.m.output(), /exiting \(\[idle\] exit = yes\)/);
        assert.equal(await attempt({ host: '127.0.0.1', port: s.port }), 'reset');
        assert.equal(await Promise.race([s.m.exited, sleep(5000).then(() => 'still running')]), 0);
        assert.match(s.m.output(), /block by .* ended: clients may start it again/);
        assert.match(s.m.output(), /exiting \(\[idle\] exit = yes\)/);
    }
    finally {
        await s.m.stop();
    }
});
test('hold: the idle timeout passes and the backend stays; --for expires and it stops; a hold survives SIGHUP; release lets it stop', async () => {
    const s = await setup('ctl-hold', { idle: 'timeout = 1s' });
    try {
        assert.equal((await s.cli('start', 'ctl-hold')).code, 0);
        // long enough that a slow CLI (a loaded machine) still reads the status while it lasts
        const held = await s.cli('hold', 'ctl-hold', '--for', '6s');
        assert.equal(held.code, 0, held.err);
        assert.match(held.out, /held for 6s: no idle stop meanwhile/);
        await sleep(2000);
        const during = await s.status();
        assert.equal(during.backend.state, 'running', 'held past the 1 s timeout');
        assert.equal(during.idle.state, 'held-up');
        assert.match(during.idle.reason, /^held up by mrsocko hold .* for \S+ more; then /);
        assert.ok(await waitFor(async () => (await s.status()).backend.state === 'stopped', 10_000), 'stops once the hold is over');
        assert.match(s.m.output(), /hold by mrsocko hold .* ended: the idle rules apply again/);
        // until release, across a reload
        assert.equal((await s.cli('start', 'ctl-hold')).code, 0);
        assert.equal((await s.cli('hold', 'ctl-hold')).code, 0);
        process.kill(s.m.pid, 'SIGHUP');
        await s.m.waitForLine(/configuration reloaded/);
        await sleep(2000);
        const after = await s.status();
        assert.equal(after.backend.state, 'running');
        assert.equal(after.control?.hold?.until, null, 'until release');
        const text = await s.cli('status', 'ctl-hold');
        assert.match(text.out, /^hold: +until mrsocko release, by mrsocko hold \(pid \d+, uid \d+ \(alice\)\)$/m);
        const released = await s.cli('release', 'ctl-hold');
        assert.match(released.out, /hold released/);
        assert.ok(await waitFor(async () => (await s.status()).backend.state === 'stopped', 6000), 'the idle stop after release');
    }
    finally {
        assert.equal(await s.m.stop(), 0, s.m.output());
    }
});
test('the CLI: usage errors exit 2; an instance that is not running exits 1; a client that sends nothing still gets the report', async () => {
    const s = await setup('ctl-cli');
    try {
        assert.equal((await s.cli('stop')).code, 2);
        assert.equal((await s.cli('hold', 'ctl-cli', '--for', 'soon')).code, 2);
        assert.equal((await s.cli('release', 'ctl-cli', '--for', '1s')).code, 2);
        assert.equal((await s.cli('stop', 'ctl-cli', '--for', 'infinity')).code, 2);
        const gone = await s.cli('start', 'nosuch');
        assert.equal(gone.code, 1);
        assert.match(gone.err, /is mrsocko@nosuch running\?/);
        const help = await s.cli('stop', '--help');
        assert.match(help.out, /survive a reload \(SIGHUP/);
        const socket = path.join(s.env.MRSOCKO_RUNTIME_DIR, 'ctl-cli', 'control.sock');
        // version 1: connect, send nothing, read the report
        assert.equal((await controlStatus(socket)).backend.state, 'stopped');
        // a request past the bound is answered with an error, not read further
        const big = await rawRequest(socket, Buffer.alloc(10_000, 0x61));
        assert.match(big, /"ok":false,"message":"the request is longer than 4096 bytes"/);
        assert.match(await rawRequest(socket, Buffer.from('{"command":"explode"}\n')), /unknown command/);
    }
    finally {
        assert.equal(await s.m.stop(), 0, s.m.output());
    }
});
test('status without NAME: one line per instance, running ones with backend, clients and countdown; a dead socket; --json', async () => {
    const runtime = tempDir();
    const a = await setup('alpha', { runtime });
    const b = await setup('beta', { runtime, idle: 'timeout = 5min' });
    // a standalone run that crashed: its socket file is left, nobody answers
    const dead = path.join(runtime, 'gone\x1b[31m');
    fs.mkdirSync(dead);
    try {
        // a socket file nobody listens on: bound elsewhere, moved into place, closed (close unlinks only the old name)
        const stale = net.createServer().listen(path.join(runtime, 'tmp.sock'));
        await new Promise((r) => stale.once('listening', r));
        fs.renameSync(path.join(runtime, 'tmp.sock'), path.join(dead, 'control.sock'));
        await new Promise((r) => stale.close(r));
        assert.ok(fs.lstatSync(path.join(dead, 'control.sock')).isSocket());
        assert.equal((await b.cli('start', 'beta')).code, 0);
        assert.equal((await b.cli('hold', 'beta', '--for', '1h')).code, 0);
        const text = await a.cli('status');
        assert.equal(text.code, 0, text.err);
        const lines = text.out.trimEnd().split('\n');
        assert.equal(lines.length, 3, text.out);
        assert.match(lines[0], /^alpha +running +backend slow-echo\.mjs stopped for \S+; 0 clients \(0 open\); nothing to count down: the backend is stopped$/);
        assert.match(lines[1], /^beta +running +backend slow-echo\.mjs running for \S+; 0 clients \(0 open\); held up by mrsocko hold .* for \S+ more; then stops in /);
        assert.match(lines[2], /^gone\\x1b\[31m +not-answering +no control socket at /, 'the name is shown escaped');
        assert.doesNotMatch(text.out, /\x1b/);
        const json = await a.cli('status', '--json');
        assert.equal(json.code, 0, json.err);
        const list = JSON.parse(json.out);
        assert.equal(list.version, 1);
        assert.deepEqual(list.instances.map((i) => [i.name, i.state]), [['alpha', 'running'], ['beta', 'running'], ['gone\x1b[31m', 'not-answering']]);
        assert.equal(list.instances[1].report?.control?.hold?.by.startsWith('mrsocko hold'), true);
        assert.doesNotMatch(json.out, /\x1b/, 'JSON escapes it too');
    }
    finally {
        assert.equal(await a.m.stop(), 0, a.m.output());
        assert.equal(await b.m.stop(), 0, b.m.output());
    }
    const none = await a.cli('status');
    assert.deepEqual(none.out.trimEnd().split('\n').map((l) => l.split(/ +/).slice(0, 2).join(' ')), ['gone\\x1b[31m not-answering']);
});
//# sourceMappingURL=control.test.js.map