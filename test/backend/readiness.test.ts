// The readiness probe: how often it looks, and that it finds a backend within milliseconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  MAX_PROBE_INTERVAL_MS, MIN_PROBE_INTERVAL_MS, probeIntervalMs, waitUntilAccepting,
} from '../../src/backend/readiness.js';

test('probe interval: 2 ms locally (10 ms remote) at first, 1/400 of the wait later, at most 50 ms', () => {
  assert.equal(probeIntervalMs(0, true), MIN_PROBE_INTERVAL_MS.local);
  assert.equal(probeIntervalMs(0, false), MIN_PROBE_INTERVAL_MS.remote);
  assert.equal(probeIntervalMs(500, true), 2);
  assert.equal(probeIntervalMs(2000, true), 5);
  assert.equal(probeIntervalMs(2000, false), 10);
  assert.equal(probeIntervalMs(10_000, true), 25);
  assert.equal(probeIntervalMs(60_000, true), MAX_PROBE_INTERVAL_MS);
  assert.equal(probeIntervalMs(3_600_000, false), MAX_PROBE_INTERVAL_MS);
});

test('a backend that starts listening is found within a few milliseconds', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = s.address() as net.AddressInfo;
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
  } finally {
    server.close();
  }
});

test('waitUntilAccepting rejects promptly when aborted (start_timeout)', async () => {
  const started = performance.now();
  await assert.rejects(
    waitUntilAccepting({ kind: 'inet', host: '127.0.0.1', port: 1, text: '127.0.0.1:1' }, AbortSignal.timeout(100)),
  );
  assert.ok(performance.now() - started < 1000);
});
