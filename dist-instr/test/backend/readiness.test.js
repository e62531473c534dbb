// The readiness probe: how often it looks, and that it finds a backend within milliseconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { MAX_PROBE_INTERVAL_MS, MIN_PROBE_INTERVAL_MS, probeIntervalMs, waitUntilAccepting, } from '../../src/backend/readiness.js';
test('probe interval: 1 ms locally (10 ms remote) at first, 1/400 of the wait later, at most 50 ms', () => {
    assert.equal(probeIntervalMs(0, true), MIN_PROBE_INTERVAL_MS.local);
    assert.equal(probeIntervalMs(0, false), MIN_PROBE_INTERVAL_MS.remote);
    assert.equal(probeIntervalMs(200, true), 1);
    assert.equal(probeIntervalMs(800, true), 2);
    assert.equal(probeIntervalMs(2000, true), 5);
    assert.equal(probeIntervalMs(2000, false), 10);
    assert.equal(probeIntervalMs(10_000, true), 25);
    assert.equal(probeIntervalMs(60_000, true), MAX_PROBE_INTERVAL_MS);
    assert.equal(probeIntervalMs(3_600_000, false), MAX_PROBE_INTERVAL_MS);
});
test('a backend that starts listening is found within a few milliseconds', async () => {
    const port = await new Promise((resolve) => {
        const s = net.createServer().listen(0, '127.0.0.1', () => {
            const { port: p } = s.address();
            s.close(() => resolve(p));
        });
    });
    const server = net.createServer((c) => c.destroy());
    let listeningAt = 0;
    setTimeout(() => server.listen(port, '127.0.0.1', () => (listeningAt = performance.now())), 300);
    try {
        await waitUntilAccepting({ kind: 'inet', host: '127.0.0.1', port, text: `127.0.0.1:${port}` }, AbortSignal.timeout(10_000));
        const late = performance.now() - listeningAt;
        assert.ok(listeningAt > 0 && late < 50, `found ${late.toFixed(1)} ms after it listened`);
    }
    finally {
        server.close();
    }
});
test('waitUntilAccepting rejects promptly when aborted (start_timeout)', async () => {
    const started = performance.now();
    await assert.rejects(waitUntilAccepting({ kind: 'inet', host: '127.0.0.1', port: 1, text: '127.0.0.1:1' }, AbortSignal.timeout(100)));
    assert.ok(performance.now() - started < 1000);
});
test('the probe connection that got through can be kept and used; one not kept is closed', async () => {
    const received = [];
    let closedUnused = 0;
    const server = net.createServer((c) => {
        let got = '';
        c.on('data', (d) => (got += d.toString()));
        c.on('close', () => (got === '' ? closedUnused++ : received.push(got)));
    });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address();
    const address = { kind: 'inet', host: '127.0.0.1', port, text: `127.0.0.1:${port}` };
    try {
        let kept;
        await waitUntilAccepting(address, AbortSignal.timeout(10_000), (connection) => {
            kept = connection;
            return true;
        });
        assert.ok(kept !== undefined && !kept.destroyed, 'the kept connection was closed');
        assert.equal(kept.listenerCount('error') + kept.listenerCount('timeout') + kept.listenerCount('connect'), 0, 'the probe left listeners behind');
        kept.end('through the probe');
        await waitUntilAccepting(address, AbortSignal.timeout(10_000), () => false);
        for (let i = 0; i < 200 && (received.length < 1 || closedUnused < 1); i++)
            await new Promise((r) => setTimeout(r, 10));
        assert.deepEqual(received, ['through the probe']);
        assert.equal(closedUnused, 1);
    }
    finally {
        server.close();
    }
});
//# sourceMappingURL=readiness.test.js.map