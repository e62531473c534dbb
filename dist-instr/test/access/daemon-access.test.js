// Access control and per-client accounting in an in-process daemon (standalone): SIGHUP-style
// reloads of [access] and keepalive, the control socket and `mrsocko status`, unix-socket peers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../helpers/paths.js';
import { startDaemon, tempDir, phaseReached } from '../helpers/daemon.js';
import { freePort, waitFor } from '../helpers/net.js';
import { attempt, connectClient, refused } from '../helpers/clients.js';
import { parseConfig } from '../../src/config/load.js';
import { main } from '../../src/cli/main.js';
const echo = path.join(repoRoot, 'test/fixtures/slow-echo.mjs');
/** `extra` lines go after [idle] timeout; an `[access]` header in them starts that section. */
function config(o) {
    return `[service]
exec = ${process.execPath} ${echo} 127.0.0.1:${o.backendPort} 0 ${path.join(o.dir, 'starts')}
stop_timeout = 2s
[socket.web]
listen = ${o.listen}
backend = 127.0.0.1:${o.backendPort}
[idle]
timeout = ${o.timeout ?? '1min'}
${o.extra ?? ''}
`;
}
async function status(args) {
    let out = '';
    let err = '';
    const code = await main(['status', ...args], { env: {}, out: (t) => (out += t), err: (t) => (err += t) });
    return { code, out, err };
}
test('reload: rules apply to new connections, admitted ones stay; keepalive is re-evaluated for everyone', async () => {
    const dir = tempDir();
    const [port, backendPort] = [await freePort(), await freePort()];
    const text = (extra) => config({ listen: `127.0.0.1:${port}`, backendPort, dir, extra });
    const d = await startDaemon(text('[access]\nallow = 127.0.0.1\n'), dir);
    try {
        const c = await connectClient({ host: '127.0.0.1', port });
        assert.equal((await c.echo('before')).toString(), 'before');
        assert.ok(await refused({ host: '127.0.0.1', port, from: '127.0.0.2' }), '127.0.0.2 is not allowed');
        const file = path.join(dir, 'test.conf');
        const summary = d.daemon.reload(parseConfig(text('keepalive = 127.0.0.2\n[access]\nallow = 127.0.0.2\n'), file));
        assert.match(summary, /access/);
        assert.equal((await c.echo('after')).toString(), 'after', 'the admitted connection is kept');
        assert.ok(await refused({ host: '127.0.0.1', port }), 'a new connection from 127.0.0.1 is refused');
        const c2 = await connectClient({ host: '127.0.0.1', port, from: '127.0.0.2' });
        assert.equal((await c2.echo('now')).toString(), 'now');
        const report = d.daemon.statusReport();
        const byAddress = new Map(report.clients.map((x) => [x.address, x]));
        assert.equal(byAddress.get('127.0.0.1')?.counted, false, 'keepalive re-evaluated for a connected client');
        assert.equal(byAddress.get('127.0.0.2')?.counted, true);
        assert.equal(report.totals.refused, 2);
        await c.close();
        await c2.close();
    }
    finally {
        await d.stop();
    }
});
test('status over the control socket: owner-only, exact bytes, JSON and text; a stuck status client does not block', async () => {
    const dir = tempDir();
    const [port, backendPort] = [await freePort('::'), await freePort()];
    const controlSocket = path.join(dir, 'run', 'web', 'control.sock');
    const d = await startDaemon(config({ listen: `${port}`, backendPort, dir, extra: 'keepalive = ::1\n' }), dir, { controlSocket, name: 'web' });
    try {
        assert.equal(fs.statSync(controlSocket).mode & 0o777, 0o600);
        assert.equal(fs.statSync(path.dirname(controlSocket)).mode & 0o777, 0o700);
        const a = await connectClient({ host: '127.0.0.1', port });
        const b = await connectClient({ host: '::1', port });
        await a.echo(Buffer.alloc(12_345, 1));
        await a.echo('more');
        await b.echo(Buffer.alloc(1000, 2));
        // A misbehaving status client: connects, sends junk, never reads.
        const stuck = net.connect({ path: controlSocket });
        stuck.on('error', () => undefined);
        stuck.write('garbage\n'.repeat(1000));
        stuck.pause();
        const { code, out } = await status(['--socket', controlSocket, '--json']);
        assert.equal(code, 0);
        const report = JSON.parse(out);
        assert.equal(report.version, 1);
        assert.equal(report.instance, 'web');
        assert.equal(report.backend.state, 'running');
        assert.equal(report.idle.state, 'counting');
        assert.ok(report.idle.stopInMs !== null && report.idle.stopInMs > 50_000);
        const v4 = report.clients.find((c) => c.address === '127.0.0.1');
        const v6 = report.clients.find((c) => c.address === '::1');
        assert.deepEqual([v4?.connections, v4?.bytesIn, v4?.bytesOut, v4?.counted], [1, 12_349, 12_349, false]);
        assert.deepEqual([v6?.connections, v6?.bytesIn, v6?.bytesOut, v6?.counted], [1, 1000, 1000, true]);
        assert.equal(report.totals.connections, 2);
        assert.equal(report.totals.clients, 2);
        assert.ok(Date.parse(v4.lastActivity) <= Date.now() && Date.parse(v4.firstSeen) <= Date.parse(v4.lastActivity));
        const text = await status(['--socket', controlSocket]);
        assert.equal(text.code, 0);
        assert.match(text.out, /^mrsocko@web \(pid \d+\)\nbackend: .* running for /);
        assert.match(text.out, /idle: +stops in (1min|\d+s) without traffic from keepalive clients \(timeout = 1min\)/);
        assert.match(text.out, /^ {2}127\.0\.0\.1 +1 +0 +12349 +12349 +\d+ms ago +no$/m);
        assert.match(text.out, /^ {2}::1 +1 +0 +1000 +1000 +\d+ms ago +yes$/m);
        // still serving clients, too
        assert.equal((await a.echo('still')).toString(), 'still');
        stuck.destroy();
        await a.close();
        await b.close();
        await waitFor(() => d.daemon.statusReport().totals.connections === 0, 2000);
        assert.equal(d.daemon.statusReport().clients.length, 2, 'clients that left are still shown');
    }
    finally {
        await d.stop();
    }
    assert.equal(fs.existsSync(controlSocket), false, 'the control socket is removed on stop');
    const missing = await status(['--socket', controlSocket]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no control socket at .*control\.sock; is mrsocko running\?/);
    const named = await main(['status', 'nosuchinstance'], { env: { MRSOCKO_RUNTIME_DIR: dir }, out: () => undefined, err: (t) => assert.match(t, /is mrsocko@nosuchinstance running\?/) });
    assert.equal(named, 1);
});
test('unix-socket peers are local: admitted by allow = localhost, refused by allow = 10.0.0.0/8', async () => {
    for (const [allow, admitted] of [['localhost', true], ['10.0.0.0/8', false]]) {
        const dir = tempDir();
        const sock = path.join(dir, 'front.sock');
        const d = await startDaemon(config({ listen: sock, backendPort: await freePort(), dir, extra: `[access]\nallow = ${allow}\n` }), dir);
        try {
            const how = await new Promise((resolve) => {
                const s = net.connect({ path: sock }, () => s.write('x'));
                s.once('data', () => (s.destroy(), resolve('echoed')));
                s.once('error', () => resolve('closed'));
                s.once('end', () => resolve('closed'));
            });
            assert.equal(how, admitted ? 'echoed' : 'closed', `allow = ${allow}`);
            if (!admitted)
                assert.equal(fs.existsSync(path.join(dir, 'starts')), false, 'a refused client never starts the backend');
            if (!admitted)
                assert.ok(d.lines.some((l) => /refused connection from local: not in allow/.test(l)), d.lines.join('\n'));
        }
        finally {
            await d.stop();
        }
    }
});
test('wake: a client that may not wake the backend is held while someone else already started it', async () => {
    const dir = tempDir();
    const [port, backendPort] = [await freePort(), await freePort()];
    const text = config({ listen: `127.0.0.1:${port}`, backendPort, dir, extra: '[access]\nwake = 127.0.0.2\n' })
        .replace(' 0 ', ' 500 '); // a slow start
    const d = await startDaemon(text, dir);
    try {
        assert.equal(await attempt({ host: '127.0.0.1', port }), 'reset', 'stopped backend: 127.0.0.1 may not wake it');
        const waker = connectClient({ host: '127.0.0.1', port, from: '127.0.0.2' });
        assert.ok(await phaseReached(d.daemon, 'starting', 2000));
        const rider = await connectClient({ host: '127.0.0.1', port });
        assert.equal((await rider.echo('held')).toString(), 'held', 'held during the start and then served');
        await (await waker).close();
        await rider.close();
        await sleep(10);
        assert.equal(d.daemon.backendStarts, 1);
    }
    finally {
        await d.stop();
    }
});
test('connections_count = yes with keepalive: only a counted client\'s open connection holds the countdown', async () => {
    const dir = tempDir();
    const [port, backendPort] = [await freePort(), await freePort()];
    const d = await startDaemon(config({ listen: `127.0.0.1:${port}`, backendPort, dir, timeout: '400ms', extra: 'keepalive = 127.0.0.2\nconnections_count = yes\n' }), dir);
    try {
        const silent = await connectClient({ host: '127.0.0.1', port });
        await silent.echo('hi');
        assert.ok(await phaseReached(d.daemon, 'stopped', 3000), 'an uncounted open connection does not hold it');
        const counted = await connectClient({ host: '127.0.0.1', port, from: '127.0.0.2' });
        await counted.echo('hi');
        await sleep(1000);
        assert.equal(d.daemon.backendPhase, 'running', 'a counted open connection holds it');
        const report = d.daemon.statusReport();
        assert.equal(report.idle.state, 'held-up');
        assert.match(report.idle.reason, /^held up by 1 open connection of keepalive clients \(connections_count = yes\)$/);
        assert.ok(d.notices.some((n) => /STATUS=Backend .* running; 1 connection from 1 client; idle stop held up by 1 open connection/.test(n)), d.notices.join('\n'));
        await counted.close();
        assert.ok(await phaseReached(d.daemon, 'stopped', 3000));
    }
    finally {
        await d.stop();
    }
});
test('UDP: a refused source\'s datagrams are dropped without starting the backend; admitted flows are accounted per client', async () => {
    const dgram = await import('node:dgram');
    const dir = tempDir();
    const [port, backendPort] = [await freePort(), await freePort()];
    // The backend: a UDP echo in this process; the exec'd "backend" only marks the start.
    const echoServer = dgram.createSocket('udp4');
    echoServer.on('message', (m, r) => echoServer.send(m, r.port, r.address));
    await new Promise((r) => echoServer.bind(backendPort, '127.0.0.1', r));
    const d = await startDaemon(`[service]
exec = /bin/sh -c 'echo started >> ${path.join(dir, 'starts')}; exec sleep 60'
stop_timeout = 2s
[socket.dns]
listen = 127.0.0.1:${port}
protocol = udp
backend = 127.0.0.1:${backendPort}
[access]
allow = 127.0.0.2
`, dir);
    const client = async (from, payload) => {
        const s = dgram.createSocket('udp4');
        await new Promise((r) => s.bind(0, from, r));
        const reply = new Promise((resolve) => {
            const timer = setTimeout(() => resolve(undefined), 1500);
            s.once('message', (m) => (clearTimeout(timer), resolve(m.toString())));
        });
        s.send(payload, port, '127.0.0.1');
        const got = await reply;
        s.close();
        return got;
    };
    try {
        assert.equal(await client('127.0.0.1', 'refused'), undefined);
        assert.equal(d.daemon.backendStarts, 0, 'a refused datagram never starts the backend');
        assert.ok(d.lines.some((l) => /dns: refused datagram from 127\.0\.0\.1:\d+: not in allow/.test(l)), d.lines.join('\n'));
        assert.equal(await client('127.0.0.2', 'hello'), 'hello');
        const me = d.daemon.statusReport().clients.find((c) => c.address === '127.0.0.2');
        assert.deepEqual([me?.flows, me?.bytesIn, me?.bytesOut], [1, 5, 5]);
        assert.equal(d.daemon.statusReport().totals.refused, 1);
    }
    finally {
        await d.stop();
        echoServer.close();
    }
});
//# sourceMappingURL=daemon-access.test.js.map