// `[service] ready =`, `ready_delay =` and `[socket.NAME] ready_check =` with real
// backends: a server that accepts before it is ready (as PostgreSQL does during WAL
// replay) must not get clients before its check passes, and the probe's own early
// connection is not handed to a client then.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import dgram from 'node:dgram';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../helpers/paths.js';
import { startDaemon, tempDir } from '../helpers/daemon.js';
import { freePort, readAll, waitFor } from '../helpers/net.js';
import { execCheck, httpCheck, ReadyWait } from '../../src/backend/ready-check.js';
import { parseBackend } from '../../src/config/address.js';
import { isRoot, prerequisite } from '../helpers/require.js';
const warming = path.join(repoRoot, 'test/fixtures/warming-server.mjs');
function config(o) {
    return `[service]
exec = ${process.execPath} ${warming} ${o.backend} ${o.warmMs} ${o.marker} ${o.mode ?? 'TCP'}
start_timeout = 10s
stop_timeout = 2s
${o.ready !== undefined ? `ready = ${o.ready}\n` : ''}${o.extra ?? ''}
[socket.main]
listen = 127.0.0.1:${o.listen}
backend = 127.0.0.1:${o.backend}
[idle]
timeout = 1min
`;
}
test('ready = connect (the default) hands the probe connection to the first client: it lands in the warm-up', async () => {
    const dir = tempDir();
    const [listen, backend] = [await freePort(), await freePort()];
    const d = await startDaemon(config({ listen, backend, marker: path.join(dir, 'ready'), warmMs: 800 }), dir);
    try {
        // what issue 14 saw with PostgreSQL: the first client gets the "starting up" answer
        assert.equal(await readAll(listen), 'starting');
    }
    finally {
        await d.stop();
    }
});
test('ready = exec: clients are released only once the command exits 0, never on the early probe connection', async () => {
    const dir = tempDir();
    const [listen, backend] = [await freePort(), await freePort()];
    const marker = path.join(dir, 'ready');
    const d = await startDaemon(config({ listen, backend, marker, warmMs: 800, ready: `exec /usr/bin/test -e ${marker}` }), dir);
    try {
        const began = performance.now();
        const first = readAll(listen);
        // while it warms up, status says what it waits for
        assert.ok(await waitFor(() => /exec \/usr\/bin\/test -e .* \(last: exit status 1\)/.test(d.daemon.statusReport().backend.waitingFor ?? ''), 5_000), 'timed out waiting');
        assert.ok(await waitFor(() => d.notices.some((n) => /^STATUS=Starting .*; waiting for exec \/usr\/bin\/test/.test(n)), 2_000), 'timed out waiting');
        const answers = await Promise.all([first, ...Array.from({ length: 9 }, () => readAll(listen))]);
        assert.deepEqual(answers, Array(10).fill('ok'));
        assert.ok(performance.now() - began >= 700, 'released before the warm-up ended');
        assert.equal(d.daemon.statusReport().backend.waitingFor, null);
    }
    finally {
        await d.stop();
    }
});
test('ready = http://…: 503 while warming, released on 200; ready_delay waits after that', async () => {
    const dir = tempDir();
    const [listen, backend] = [await freePort(), await freePort()];
    const marker = path.join(dir, 'ready');
    const d = await startDaemon(config({
        listen, backend, marker, warmMs: 600, mode: 'HTTP', ready: `http://127.0.0.1:${backend}/health`, extra: 'ready_delay = 700ms\n',
    }), dir);
    try {
        const began = performance.now();
        const answer = (async () => {
            const socket = net.connect({ host: '127.0.0.1', port: listen });
            socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
            let text = '';
            for await (const c of socket)
                text += c.toString();
            return text;
        })();
        assert.ok(await waitFor(() => /^http:\/\/127\.0\.0\.1:\d+\/health \(last: 503\)$/.test(d.daemon.statusReport().backend.waitingFor ?? ''), 5_000), 'timed out waiting');
        assert.ok(await waitFor(() => d.daemon.statusReport().backend.waitingFor === 'ready_delay 700ms', 5_000), 'timed out waiting');
        assert.match(await answer, /^HTTP\/1\.1 200 /);
        const ms = performance.now() - began;
        assert.ok(ms >= 600 + 700 - 50, `released after ${Math.round(ms)} ms: before warm-up + ready_delay`);
        assert.ok(d.lines.some((l) => /ready after \d+ ms/.test(l) || /backend.*ready/.test(l)), d.lines.join('\n'));
    }
    finally {
        await d.stop();
    }
});
test('ready = exec runs as the backend user', async (t) => {
    if (!prerequisite(t, isRoot, 'needs root to run the check as another user'))
        return;
    const dir = tempDir();
    fs.chmodSync(dir, 0o777); // the backend, as nobody, writes its marker there
    const [listen, backend] = [await freePort(), await freePort()];
    const marker = path.join(dir, 'ready');
    const d = await startDaemon(config({
        listen, backend, marker, warmMs: 0, extra: 'user = nobody\n',
        ready: `exec /bin/sh -c "[ \\"$(id -un)\\" = nobody ] && [ \\"$HOME\\" != /root ]"`,
    }), dir);
    try {
        assert.equal(await readAll(listen), 'ok');
    }
    finally {
        await d.stop();
    }
    // the same check run as root would fail: the test can fail
    const asRoot = await execCheck(['/bin/sh', '-c', '[ "$(id -un)" = nobody ]'], { env: { PATH: process.env.PATH } }, AbortSignal.timeout(5_000));
    assert.equal(asRoot.ok, false);
});
test('a mixed TCP+UDP instance whose UDP backend binds late: the error names the UDP socket; ready_check = no leaves it out', async () => {
    const dir = tempDir();
    const [listen, backend, udpListen] = [await freePort(), await freePort(), await freePort()];
    const marker = path.join(dir, 'ready');
    const text = (udpCheck) => `[service]
exec = ${process.execPath} ${warming} ${backend} 0 ${marker} TCP
start_timeout = 1500ms
stop_timeout = 2s
[socket.control]
listen = 127.0.0.1:${listen}
backend = 127.0.0.1:${backend}
[socket.data]
listen = 127.0.0.1:${udpListen}
protocol = udp
backend = 127.0.0.1:${backend}
${udpCheck}
`;
    const failing = await startDaemon(text(''), dir);
    try {
        await assert.rejects(readAll(listen));
        assert.ok(await waitFor(() => failing.lines.some((l) => /failed to start/.test(l)), 5_000), 'timed out waiting');
        const line = failing.lines.find((l) => /failed to start/.test(l)) ?? '';
        assert.match(line, /still waiting for \[socket\.data\] udp 127\.0\.0\.1:\d+ to stop refusing datagrams/);
        assert.doesNotMatch(line, /socket\.control/);
    }
    finally {
        await failing.stop();
    }
    const d = await startDaemon(text('ready_check = no'), tempDir());
    try {
        assert.equal(await readAll(listen), 'ok');
        // a datagram to the socket whose backend port is not bound (yet) is refused: no sign
        // that the backend is gone, so no restart
        const udp = dgram.createSocket('udp4');
        await new Promise((r) => udp.send('x', udpListen, '127.0.0.1', () => r()));
        assert.ok(await waitFor(() => d.lines.some((l) => /connect-failed|refus/i.test(l) && /data/.test(l)), 3_000), d.lines.join('\n'));
        udp.send('y', udpListen, '127.0.0.1');
        await sleep(300);
        udp.close();
        assert.equal(d.daemon.backendPhase, 'running');
        assert.equal(d.daemon.backendStarts, 1, d.lines.join('\n'));
        assert.equal(await readAll(listen), 'ok');
    }
    finally {
        await d.stop();
    }
});
test('httpCheck: 2xx and 3xx pass, others and garbage do not, and a huge answer is not read whole', async () => {
    const answers = ['HTTP/1.1 204 No Content\r\n\r\n', 'HTTP/1.0 302 Found\r\n\r\n', 'HTTP/1.1 404 Not Found\r\n\r\n',
        'SSH-2.0-OpenSSH\r\n', 'x'.repeat(1 << 20)];
    const server = net.createServer((s) => {
        s.on('error', () => undefined);
        s.once('data', () => s.end(answers.shift() ?? ''));
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const port = server.address().port;
    const check = { kind: 'http', host: '127.0.0.1', port, path: '/', url: `http://127.0.0.1:${port}/` };
    try {
        const results = [];
        for (let i = 0; i < 5; i++)
            results.push(await httpCheck(check, AbortSignal.timeout(5_000)));
        assert.deepEqual(results.map((r) => r.ok), [true, true, false, false, false]);
        assert.equal(results[2].detail, '404');
        assert.match(results[4].detail, /no status line/);
    }
    finally {
        server.close();
    }
});
test('execCheck: output bounded and made printable; a hanging check is killed when aborted', async () => {
    const env = { PATH: process.env.PATH };
    const loud = await execCheck(['/bin/sh', '-c', 'printf "a\\033[31mb\\n"; head -c 100000 /dev/zero | tr "\\0" x; exit 3'], { env }, AbortSignal.timeout(5_000));
    assert.equal(loud.ok, false);
    assert.ok(loud.detail.startsWith('exit status 3: a?[31mb x'), loud.detail);
    assert.ok(loud.detail.length < 1200, `${loud.detail.length} characters kept`);
    const began = performance.now();
    const hung = await execCheck(['/bin/sleep', '60'], { env }, AbortSignal.timeout(200));
    assert.equal(hung.ok, false);
    assert.ok(performance.now() - began < 2_000);
});
test('ReadyWait: waitingFor names the sockets still waited for, and rejects on abort', async () => {
    const port = await freePort();
    const wait = new ReadyWait({
        targets: [{ sockets: ['a', 'b'], protocol: 'tcp', backend: parseBackend(`127.0.0.1:${port}`) }],
        check: { kind: 'connect' },
        delayMs: 0,
        process: { env: {} },
    });
    const abort = new AbortController();
    const done = wait.wait(abort.signal);
    await sleep(50);
    assert.equal(wait.waitingFor, `[socket.a] [socket.b] tcp 127.0.0.1:${port} to accept`);
    abort.abort(new Error('start_timeout'));
    await assert.rejects(done);
});
//# sourceMappingURL=ready-check.test.js.map