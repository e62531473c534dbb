// What status and STATUS= say while a backend starts: what readiness waits for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatStatus } from '../src/status-line.js';
import { renderStatus, type StatusReport } from '../src/control/report.js';
import { startDaemon, tempDir } from './helpers/daemon.js';
import { freePort } from './helpers/net.js';

test('STATUS= while starting names what is awaited; nothing when unknown', () => {
  const facts = { backend: 'jellyfin.service', phase: 'starting' as const, held: 2, open: 0, clients: 1, idleTimeoutMs: 60_000, keepalive: false, holdingConnections: 0 };
  assert.equal(formatStatus({ ...facts, waitingFor: 'http://127.0.0.1:8096/health (last: 503)' }),
    'Starting jellyfin.service for 2 clients; waiting for http://127.0.0.1:8096/health (last: 503)');
  assert.equal(formatStatus(facts), 'Starting jellyfin.service for 2 clients');
});

test('mrsocko status shows waitingFor while starting, and the JSON has it (null otherwise)', async () => {
  const [listen, backend] = [await freePort(), await freePort()];
  // a backend that never binds: readiness waits for its address until start_timeout
  const d = await startDaemon(`[service]\nexec = /bin/sleep 30\nstart_timeout = 20s\nstop_timeout = 1s\n` +
    `[socket.web]\nlisten = 127.0.0.1:${listen}\nbackend = 127.0.0.1:${backend}\n`, tempDir());
  try {
    const idle: StatusReport = d.daemon.statusReport();
    assert.equal(idle.backend.waitingFor, null);
    assert.doesNotMatch(renderStatus(idle), /waiting for/);
    const net = await import('node:net');
    const client = net.connect({ host: '127.0.0.1', port: listen });
    client.on('error', () => undefined);
    for (let i = 0; i < 100 && d.daemon.backendPhase !== 'starting'; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    const starting = d.daemon.statusReport();
    assert.equal(starting.backend.waitingFor, `[socket.web] tcp 127.0.0.1:${backend} to accept`);
    assert.match(renderStatus(starting), new RegExp(`^ +waiting for \\[socket\\.web\\] tcp 127\\.0\\.0\\.1:${backend} to accept$`, 'm'));
    client.destroy();
  } finally {
    await d.stop();
  }
});
