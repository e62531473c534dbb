// What status and STATUS= say while a backend starts: what readiness waits for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatStatus } from '../../src/status/status-line.js';
import { renderStatus } from '../../src/control/report.js';
import { phaseReached, startDaemon, tempDir } from '../helpers/daemon.js';
import { freePort } from '../helpers/net.js';
test('STATUS= while starting names what is awaited; nothing when unknown', () => {
    const facts = { backend: 'jellyfin.service', phase: 'starting', held: 2, open: 0, clients: 1, idleTimeoutMs: 60_000, keepalive: false, holdingConnections: 0 };
    assert.equal(formatStatus({ ...facts, waitingFor: 'http://127.0.0.1:8096/health (last: 503)' }), 'Starting jellyfin.service for 2 clients; waiting for http://127.0.0.1:8096/health (last: 503)');
    assert.equal(formatStatus(facts), 'Starting jellyfin.service for 2 clients');
});
test('mrsocko status shows waitingFor while starting, and the JSON has it (null otherwise)', async () => {
    const [listen, backend] = [await freePort(), await freePort()];
    // a backend that never binds: readiness waits for its address until start_timeout
    const d = await startDaemon(`[service]\nexec = /bin/sleep 30\nstart_timeout = 20s\nstop_timeout = 1s\n` +
        `[socket.web]\nlisten = 127.0.0.1:${listen}\nbackend = 127.0.0.1:${backend}\n`, tempDir());
    try {
        const idle = d.daemon.statusReport();
        assert.equal(idle.backend.waitingFor, null);
        assert.doesNotMatch(renderStatus(idle), /waiting for/);
        const net = await import('node:net');
        const client = net.connect({ host: '127.0.0.1', port: listen });
        client.on('error', () => undefined);
        for (let i = 0; i < 100 && d.daemon.backendPhase !== 'starting'; i++)
            await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, 100));
        const starting = d.daemon.statusReport();
        assert.equal(starting.backend.waitingFor, `[socket.web] tcp 127.0.0.1:${backend} to accept`);
        assert.match(renderStatus(starting), new RegExp(`^ +waiting for \\[socket\\.web\\] tcp 127\\.0\\.0\\.1:${backend} to accept$`, 'm'));
        client.destroy();
    }
    finally {
        await d.stop();
    }
});
test('a back-off is shown as what it is: STATUS= and mrsocko status say the wait and the failures, not "starting"', async () => {
    const [listen, backend] = [await freePort(), await freePort()];
    // a backend that exits at once: two failed starts in a row, then the third waits 1 s
    const d = await startDaemon(`[service]\nexec = /bin/false\nstart_timeout = 20s\nstop_timeout = 1s\n` +
        `[socket.web]\nlisten = 127.0.0.1:${listen}\nbackend = 127.0.0.1:${backend}\n`, tempDir());
    const net = await import('node:net');
    const knock = async () => {
        const client = net.connect({ host: '127.0.0.1', port: listen });
        client.on('error', () => undefined);
        await new Promise((r) => client.once('close', r));
    };
    try {
        await knock();
        assert.ok(await phaseReached(d.daemon, 'stopped', 5000));
        await knock();
        assert.ok(await phaseReached(d.daemon, 'stopped', 5000));
        const client = net.connect({ host: '127.0.0.1', port: listen });
        client.on('error', () => undefined);
        assert.ok(await phaseReached(d.daemon, 'starting', 5000));
        const report = d.daemon.statusReport();
        assert.equal(report.backend.state, 'starting');
        assert.equal(report.backend.retry?.failures, 2);
        assert.ok((report.backend.retry?.inMs ?? 0) > 0 && (report.backend.retry?.inMs ?? 0) <= 1000, JSON.stringify(report.backend.retry));
        assert.match(renderStatus(report), /waiting to retry: next start in \d+ms, after 2 failed starts in a row/);
        await new Promise((r) => setTimeout(r, 300)); // STATUS= is sent on the next turn
        assert.ok(d.notices.some((n) => /^STATUS=Waiting \d+ms to retry false after 2 failed starts; 1 client waiting$/.test(n)), d.notices.join('\n'));
        client.destroy();
    }
    finally {
        await d.stop();
    }
});
test('STATUS= shows a hold and a block as they are given, and drops them at release', async () => {
    const { askControl } = await import('../../src/control/client.js');
    const [listen, backend] = [await freePort(), await freePort()];
    const dir = tempDir();
    const controlSocket = `${dir}/control.sock`;
    const d = await startDaemon(`[service]\nexec = /bin/sleep 30\nstart_timeout = 20s\nstop_timeout = 1s\n` +
        `[socket.web]\nlisten = 127.0.0.1:${listen}\nbackend = 127.0.0.1:${backend}\n`, dir, { controlSocket });
    const ask = (request) => askControl(controlSocket, 'test', request);
    const last = () => d.notices.filter((n) => n.startsWith('STATUS=')).at(-1) ?? '';
    const settled = () => new Promise((r) => setTimeout(r, 50));
    try {
        assert.match(await ask({ command: 'hold', forMs: 600_000, client: { pid: 1, uid: 0 } }), /"ok":true/);
        await settled();
        assert.match(last(), /^STATUS=Backend sleep stopped; waiting for clients; held by mrsocko hold for 10min more$/);
        assert.match(await ask({ command: 'stop', forMs: 60_000 }), /"ok":true/);
        await settled();
        assert.match(last(), /; held by mrsocko hold for \S+ more; blocked by mrsocko stop --for for \S+ more; clients refused$/);
        assert.match(await ask({ command: 'release' }), /hold and block released/);
        await settled();
        assert.equal(last(), 'STATUS=Backend sleep stopped; waiting for clients');
        assert.ok(d.lines.some((l) => /control: hold for 600000 ms \(asked by pid 1, uid 0\)/.test(l)));
        assert.ok(d.lines.some((l) => /control: stop for 60000 ms \(asked by a client that did not say who it is\)/.test(l)));
    }
    finally {
        await d.stop();
    }
});
test('STATUS= while frozen and thawing', () => {
    const facts = { backend: 'jellyfin.service', held: 1, open: 0, clients: 0, idleTimeoutMs: 3_600_000, keepalive: false, holdingConnections: 0 };
    assert.equal(formatStatus({ ...facts, phase: 'frozen' }), 'Backend jellyfin.service frozen; the next client thaws it; stopped after 1h without traffic');
    assert.equal(formatStatus({ ...facts, phase: 'frozen', idleTimeoutMs: Infinity }), 'Backend jellyfin.service frozen; the next client thaws it');
    assert.equal(formatStatus({ ...facts, phase: 'thawing' }), 'Thawing jellyfin.service for 1 client');
});
//# sourceMappingURL=status-line.test.js.map