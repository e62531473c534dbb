// mrsocko under systemd-socket-activate, which passes sockets exactly as systemd does and,
// like a .socket unit, launches mrsocko on the first connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { haveCommand, prerequisite } from '../helpers/require.js';
import { tempDir } from '../helpers/daemon.js';
import { concurrentEchoes, echoRoundTrip, freePort, waitFor } from '../helpers/net.js';
import { readStarts, startMrsocko } from '../helpers/mrsocko-process.js';
import { groupGone } from '../../src/backend/procfs.js';
const echo = path.join(repoRoot, 'test/fixtures/slow-echo.mjs');
function writeConfig(dir, socketSection, backend, delayMs, timeout) {
    const starts = path.join(dir, 'starts');
    const file = path.join(dir, 'mrsocko.conf');
    fs.writeFileSync(file, `[service]
exec = ${process.execPath} ${echo} ${backend} ${delayMs} ${starts}
start_timeout = 20s
stop_timeout = 5s
${socketSection}
backend = ${backend}
[idle]
timeout = ${timeout}
[access]
; 100 clients from 127.0.0.1 at once, above the default of 64 per source
max_per_source = 200
[log]
level = debug
`);
    return { file, starts };
}
test('100 clients during a 1 s cold start each get their own 1 MiB back; backend started once; idle stop within 3 s; restart', async (t) => {
    if (!prerequisite(t, haveCommand('systemd-socket-activate'), 'systemd-socket-activate not installed'))
        return;
    const dir = tempDir();
    const [port, backendPort] = [await freePort(), await freePort()];
    const { file, starts } = writeConfig(dir, `[socket.web]\nlisten = 127.0.0.1:${port}`, `127.0.0.1:${backendPort}`, 1000, '2s');
    const m = startMrsocko({ configFile: file, activate: ['-l', `127.0.0.1:${port}`, '--fdname=web'] });
    try {
        await m.waitForLine(/Listening on 127\.0\.0\.1/);
        const t0 = Date.now();
        const { exact, failures } = await concurrentEchoes({ host: '127.0.0.1', port }, 100, 1024 * 1024, 60_000);
        const lastByte = Date.now();
        assert.deepEqual(failures, [], m.output());
        assert.equal(exact, 100);
        assert.ok(lastByte - t0 >= 1000, 'the backend needed at least 1 s, so every client was held');
        const started = readStarts(starts);
        assert.equal(started.length, 1, `backend started ${started.length} times`);
        assert.equal(started[0]?.leaked, 'none', 'LISTEN_*/NOTIFY_* must not reach the backend');
        assert.match(m.output(), /adopted from systemd on 127\.0\.0\.1:\d+/);
        const pgid = started[0].pid;
        assert.ok(await waitFor(() => groupGone(pgid), 5000, 10), 'backend process group still alive');
        const goneAfter = Date.now() - lastByte;
        assert.ok(goneAfter < 3000, `backend gone ${goneAfter} ms after the last byte (timeout 2s)`);
        // The clients see their last byte a little after it went through mrsocko (100 MiB in
        // kernel buffers on a busy machine), so only a gross early stop is detectable here.
        assert.ok(goneAfter >= 1000, `backend stopped too early: ${goneAfter} ms`);
        const again = Buffer.from('after the idle stop');
        assert.deepEqual(await echoRoundTrip({ host: '127.0.0.1', port }, again), again);
        assert.equal(readStarts(starts).length, 2);
    }
    finally {
        assert.equal(await m.stop(), 0, m.output());
    }
    assert.match(m.output(), /SIGTERM: shutting down/);
    const all = readStarts(starts);
    assert.ok(all.every((s) => groupGone(s.pid)), 'SIGTERM stops the backend');
});
test('dual-stack [::] socket adopted from systemd (bare PORT in the config) serves IPv4 and IPv6 clients', async (t) => {
    if (!prerequisite(t, haveCommand('systemd-socket-activate'), 'systemd-socket-activate not installed'))
        return;
    const dir = tempDir();
    const [port, backendPort] = [await freePort('::'), await freePort()];
    const { file } = writeConfig(dir, `[socket.web]\nlisten = ${port}`, `127.0.0.1:${backendPort}`, 100, '1min');
    const m = startMrsocko({ configFile: file, activate: ['-l', `[::]:${port}`, '--fdname=web'] });
    try {
        await m.waitForLine(/Listening on/);
        for (const host of ['127.0.0.1', '::1']) {
            const payload = Buffer.from(`via ${host}`);
            assert.deepEqual(await echoRoundTrip({ host, port }, payload), payload, m.output());
        }
        assert.match(m.output(), /adopted from systemd on \[::\]:\d+/);
        assert.match(m.output(), /::ffff:127\.0\.0\.1/, 'IPv4 clients appear as IPv4-mapped addresses');
    }
    finally {
        assert.equal(await m.stop(), 0, m.output());
    }
});
test('unix stream socket adopted from systemd, unnamed fd matched to the only section', async (t) => {
    if (!prerequisite(t, haveCommand('systemd-socket-activate'), 'systemd-socket-activate not installed'))
        return;
    const dir = tempDir();
    const sock = path.join(dir, 'front.sock');
    const backendPort = await freePort();
    const { file } = writeConfig(dir, `[socket.local]\nlisten = ${sock}`, `127.0.0.1:${backendPort}`, 100, '1min');
    const m = startMrsocko({ configFile: file, activate: ['-l', sock] });
    try {
        await m.waitForLine(/Listening on/);
        const payload = Buffer.alloc(2 * 1024 * 1024, 0x5a);
        assert.deepEqual(await echoRoundTrip({ path: sock }, payload), payload, m.output());
        assert.match(m.output(), new RegExp(`adopted from systemd on ${sock.replace(/[.]/g, '\\.')}`));
    }
    finally {
        assert.equal(await m.stop(), 0, m.output());
    }
});
test('a datagram socket where the config says tcp is refused with a config error naming the section', async (t) => {
    if (!prerequisite(t, haveCommand('systemd-socket-activate'), 'systemd-socket-activate not installed'))
        return;
    const dir = tempDir();
    const [port, backendPort] = [await freePort(), await freePort()];
    const { file } = writeConfig(dir, `[socket.web]\nlisten = 127.0.0.1:${port}`, `127.0.0.1:${backendPort}`, 0, '1min');
    const m = startMrsocko({ configFile: file, activate: ['-d', '-l', `127.0.0.1:${port}`, '--fdname=web'] });
    await m.waitForLine(/Listening on/);
    const { default: dgram } = await import('node:dgram');
    const client = dgram.createSocket('udp4');
    client.send('wake up', port, '127.0.0.1');
    const code = await new Promise((resolve) => m.child.once('exit', resolve));
    client.close();
    assert.equal(code, 78, m.output());
    assert.ok(m.output().includes(`${file}:5: [socket.web] protocol: tcp needs a stream socket, but systemd passed a dgram socket`), m.output());
    assert.doesNotMatch(m.output(), /\n\s+at /, 'no stack trace');
});
//# sourceMappingURL=socket-activate.test.js.map