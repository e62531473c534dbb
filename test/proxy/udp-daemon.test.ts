// UDP through the whole daemon, in process, standalone, with a real exec backend (a UDP
// echo that starts slowly): datagrams held and queued during the cold start, idle stop
// after UDP silence and restart, flow expiry, dual-stack sockets, queue overflow,
// start failure, and access rules per datagram source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../helpers/paths.js';
import { startDaemon, tempDir, phaseReached } from '../helpers/daemon.js';
import { waitFor } from '../helpers/net.js';
import { groupGone } from '../../src/backend/procfs.js';
import { DATA_PATH_ENV } from '../../src/proxy/data-path.js';

const echo = path.join(repoRoot, 'test/fixtures/slow-udp-echo.mjs');

function udpEchoConfig(o: {
  listen: string;
  backendPort: number;
  delayMs: number;
  startsFile: string;
  timeout?: string;
  flowTimeout?: string;
  startTimeout?: string;
  extra?: string;
}): string {
  return `[service]
exec = ${process.execPath} ${echo} 127.0.0.1:${o.backendPort} ${o.delayMs} ${o.startsFile}
start_timeout = ${o.startTimeout ?? '10s'}
stop_timeout = 2s
[socket.echo]
listen = ${o.listen}
protocol = udp
backend = 127.0.0.1:${o.backendPort}
flow_timeout = ${o.flowTimeout ?? '1min'}
[idle]
timeout = ${o.timeout ?? '1min'}
[log]
level = debug
${o.extra ?? ''}`;
}

/** A free UDP port (bound then released). */
async function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  s.bind(0, host);
  await once(s, 'listening');
  const { port } = s.address();
  s.close();
  return port;
}

interface Client {
  socket: dgram.Socket;
  got: string[];
  send(text: string): void;
  close(): void;
}

async function udpClient(host: string, port: number): Promise<Client> {
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const got: string[] = [];
  socket.on('message', (m) => got.push(m.toString()));
  socket.on('error', () => undefined);
  socket.bind(0);
  await once(socket, 'listening');
  return { socket, got, send: (text) => socket.send(text, port, host), close: () => socket.close() };
}

/** The lines the echo fixture appended: starts and, per stop, what it received. */
function echoLog(file: string): { starts: number; received: number[]; empty: number[] } {
  const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : [];
  const stops = lines.map((l) => /received=(\d+) empty=(\d+)/.exec(l)).filter((m) => m !== null);
  return {
    starts: lines.filter((l) => l.endsWith(' start')).length,
    received: stops.map((m) => Number(m[1])),
    empty: stops.map((m) => Number(m[2])),
  };
}

test('20 clients sending during a 500 ms cold start: every datagram echoed, in order, to its own client; one start; one probe datagram', async () => {
  const dir = tempDir();
  const [port, backendPort] = [await freeUdpPort(), await freeUdpPort()];
  const startsFile = path.join(dir, 'starts');
  const d = await startDaemon(udpEchoConfig({ listen: `127.0.0.1:${port}`, backendPort, delayMs: 500, startsFile }), dir);
  const clients = await Promise.all(Array.from({ length: 20 }, () => udpClient('127.0.0.1', port)));
  try {
    const t0 = performance.now();
    for (let n = 0; n < 10; n++) {
      clients.forEach((c, i) => c.send(`client ${i} datagram ${n}`));
      await sleep(20);
    }
    assert.equal(d.daemon.backendPhase, 'starting', 'all sent during the cold start');
    assert.ok(await waitFor(() => clients.every((c) => c.got.length === 10), 10_000), d.lines.join('\n'));
    console.log(`200 datagrams from 20 clients through a cold start: all echoed after ${Math.round(performance.now() - t0)} ms`);
    clients.forEach((c, i) => assert.deepEqual(c.got, Array.from({ length: 10 }, (_, n) => `client ${i} datagram ${n}`)));
    assert.equal(d.daemon.backendStarts, 1);
    assert.equal(d.daemon.udpStats.dropped, 0);
    assert.ok(d.lines.some((l) => /ready after \d+ ms; releasing 20 held clients/.test(l)), d.lines.join('\n'));
    // the start-up log names the path UDP flows move on (docs/native.md)
    const udpPath = process.env[DATA_PATH_ENV] === 'js' ? 'js (a Node.js socket per flow): MRSOCKO_DATA_PATH=js' : 'native (recvmmsg/sendmmsg batches in the addon)';
    assert.ok(d.lines.some((l) => l.includes(`UDP data path: ${udpPath}`)), d.lines.join('\n'));
  } finally {
    for (const c of clients) c.close();
    await d.stop();
  }
  const log = echoLog(startsFile);
  assert.equal(log.starts, 1);
  assert.deepEqual(log.empty, [1], 'exactly one empty probe datagram reached the backend');
  assert.deepEqual(log.received, [201]);
});

test('flows expire after flow_timeout; the backend stops after [idle] timeout of UDP silence and restarts on the next datagram', async () => {
  const dir = tempDir();
  const [port, backendPort] = [await freeUdpPort(), await freeUdpPort()];
  const startsFile = path.join(dir, 'starts');
  const d = await startDaemon(
    udpEchoConfig({ listen: `127.0.0.1:${port}`, backendPort, delayMs: 50, startsFile, timeout: '1s', flowTimeout: '300ms' }),
    dir,
  );
  const c = await udpClient('127.0.0.1', port);
  try {
    // traffic keeps it up past the idle timeout
    for (let n = 0; n < 8; n++) {
      if (n > 0) await sleep(200);
      c.send(`keep ${n}`);
    }
    assert.ok(await waitFor(() => c.got.length === 8, 2000, 1));
    const last = performance.now();
    assert.equal(d.daemon.backendPhase, 'running');
    const pgid = d.daemon.backendPid as number;
    assert.ok(await waitFor(() => d.daemon.udpStats.flows === 0, 2000, 5));
    const expiredAfter = performance.now() - last;
    assert.ok(expiredAfter >= 250 && expiredAfter < 700, `flow forgotten ${Math.round(expiredAfter)} ms after the last datagram (flow_timeout 300ms)`);
    assert.ok(d.lines.some((l) => /udp flow 127\.0\.0\.1:\d+ ended \(expired\)/.test(l)), d.lines.join('\n'));
    assert.ok(await waitFor(() => groupGone(pgid), 4000, 10), 'backend still running');
    const stoppedAfter = performance.now() - last;
    assert.ok(stoppedAfter >= 950 && stoppedAfter < 2000, `backend gone ${Math.round(stoppedAfter)} ms after the last datagram (timeout 1s)`);
    console.log(`flow expired after ${Math.round(expiredAfter)} ms (flow_timeout 300ms); backend gone after ${Math.round(stoppedAfter)} ms (timeout 1s)`);
    assert.ok(await phaseReached(d.daemon, 'stopped', 2000));
    c.send('wake up');
    assert.ok(await waitFor(() => c.got.length === 9, 5000), d.lines.join('\n'));
    assert.equal(c.got[8], 'wake up');
    assert.equal(d.daemon.backendStarts, 2);
  } finally {
    c.close();
    await d.stop();
  }
  assert.equal(echoLog(startsFile).starts, 2);
});

for (const [label, listen, hosts] of [
  ['bare PORT (dual-stack [::])', (p: number) => `${p}`, ['127.0.0.1', '::1']],
  ['[::1]:PORT', (p: number) => `[::1]:${p}`, ['::1']],
] as const) {
  test(`standalone ${label}: ${hosts.join(' and ')} clients get their answers`, async () => {
    const dir = tempDir();
    const [port, backendPort] = [await freeUdpPort('::'), await freeUdpPort()];
    const d = await startDaemon(udpEchoConfig({ listen: listen(port), backendPort, delayMs: 50, startsFile: path.join(dir, 's') }), dir);
    try {
      for (const host of hosts) {
        const c = await udpClient(host, port);
        c.send(`via ${host}`);
        assert.ok(await waitFor(() => c.got.length === 1, 5000), `${host}: ${d.lines.join('\n')}`);
        assert.equal(c.got[0], `via ${host}`);
        c.close();
      }
      if (hosts.length === 2) {
        assert.deepEqual(d.daemon.addresses, [{ name: 'echo', address: `[::]:${port}` }]);
        assert.ok(d.lines.some((l) => l.includes('[::ffff:127.0.0.1]:')), 'IPv4 clients appear IPv4-mapped');
      }
    } finally {
      await d.stop();
    }
  });
}

test('a client sending 100 datagrams during the cold start: the first 64 are delivered in order, 36 dropped and logged', async () => {
  const dir = tempDir();
  const [port, backendPort] = [await freeUdpPort(), await freeUdpPort()];
  const d = await startDaemon(udpEchoConfig({ listen: `127.0.0.1:${port}`, backendPort, delayMs: 300, startsFile: path.join(dir, 's') }), dir);
  const c = await udpClient('127.0.0.1', port);
  try {
    for (let n = 0; n < 100; n++) c.send(`d${n}`);
    assert.ok(await waitFor(() => c.got.length === 64, 5000), `${c.got.length}\n${d.lines.join('\n')}`);
    await sleep(100);
    assert.deepEqual(c.got, Array.from({ length: 64 }, (_, n) => `d${n}`));
    assert.equal(d.daemon.udpStats.dropped, 36);
    const line = d.lines.find((l) => l.includes('dropped 36 datagrams'));
    assert.ok(line, d.lines.join('\n'));
    assert.match(line, /warning.*echo: 127\.0\.0\.1:\d+: dropped 36 datagrams \(\d+ bytes\): queue full while waiting for the backend \(64 datagrams or 256 KiB per client, 4 MiB in all\)/);
  } finally {
    c.close();
    await d.stop();
  }
});

test('a backend that never binds its UDP port: queued datagrams are dropped at start_timeout and logged; the next datagram tries again', async () => {
  const dir = tempDir();
  const [port, backendPort] = [await freeUdpPort(), await freeUdpPort()];
  const d = await startDaemon(
    udpEchoConfig({ listen: `127.0.0.1:${port}`, backendPort, delayMs: 60_000, startsFile: path.join(dir, 's'), startTimeout: '700ms' }),
    dir,
  );
  const c = await udpClient('127.0.0.1', port);
  try {
    c.send('one');
    c.send('two');
    assert.ok(await waitFor(() => d.lines.some((l) => l.includes('failed to start')), 5000), d.lines.join('\n'));
    assert.ok(d.lines.some((l) => /error.*failed to start: not accepting connections within start_timeout.*closed 1 held client/.test(l)), d.lines.join('\n'));
    assert.ok(d.lines.some((l) => /dropped 2 datagrams \(6 bytes\): queued for a backend that did not start/.test(l)), d.lines.join('\n'));
    assert.equal(d.daemon.udpStats.flows, 0);
    assert.deepEqual(c.got, []);
    assert.ok(await phaseReached(d.daemon, 'stopped', 5000));
    c.send('three');
    assert.ok(await waitFor(() => d.daemon.backendStarts === 2, 5000), 'a new datagram starts it again');
  } finally {
    c.close();
    await d.stop();
  }
});

test('a backend that stops serving its UDP port while running is restarted; the client\'s next datagrams wait for it', async () => {
  const dir = tempDir();
  const [port, backendPort] = [await freeUdpPort(), await freeUdpPort()];
  const d = await startDaemon(udpEchoConfig({ listen: `127.0.0.1:${port}`, backendPort, delayMs: 200, startsFile: path.join(dir, 's') }), dir);
  const c = await udpClient('127.0.0.1', port);
  try {
    c.send('before');
    assert.ok(await waitFor(() => c.got.length === 1, 5000), d.lines.join('\n'));
    process.kill(d.daemon.backendPid as number, 'SIGUSR2');
    await sleep(100);
    c.send('lost'); // refused by the closed port: nobody gets it
    assert.ok(await waitFor(() => d.daemon.backendPhase !== 'running', 2000), d.lines.join('\n'));
    c.send('after');
    assert.ok(await waitFor(() => c.got.length === 2, 5000), d.lines.join('\n'));
    assert.deepEqual(c.got, ['before', 'after']);
    assert.equal(d.daemon.backendStarts, 2);
    assert.ok(d.lines.some((l) => /exited on its own \(refusing datagrams on 127\.0\.0\.1:\d+\)/.test(l)), d.lines.join('\n'));
  } finally {
    c.close();
    await d.stop();
  }
});

test('access rules apply per datagram source: a denied client is dropped and never starts the backend; max_per_source counts flows', async () => {
  const dir = tempDir();
  const [port, backendPort] = [await freeUdpPort('::'), await freeUdpPort()];
  const d = await startDaemon(
    udpEchoConfig({
      listen: `${port}`,
      backendPort,
      delayMs: 0,
      startsFile: path.join(dir, 's'),
      extra: '[access]\ndeny = 127.0.0.1\nmax_per_source = 2\n',
    }),
    dir,
  );
  const clients: Client[] = [];
  try {
    const denied = await udpClient('127.0.0.1', port);
    clients.push(denied);
    denied.send('let me in');
    await sleep(300);
    assert.equal(d.daemon.backendStarts, 0, 'a refused datagram never starts the backend');
    assert.equal(d.daemon.udpStats.flows, 0);
    assert.ok(d.lines.some((l) => l.includes('127.0.0.1') && /refused/i.test(l)), d.lines.join('\n'));
    for (let i = 0; i < 3; i++) clients.push(await udpClient('::1', port));
    const [, a, b, third] = clients as [Client, Client, Client, Client];
    a.send('a');
    b.send('b');
    assert.ok(await waitFor(() => a.got.length === 1 && b.got.length === 1, 5000), d.lines.join('\n'));
    third.send('c');
    await sleep(300);
    assert.deepEqual(third.got, [], 'a third flow from ::1 is over max_per_source = 2');
    assert.equal(d.daemon.udpStats.flows, 2);
    const report = d.daemon.statusReport();
    assert.equal(report.totals.flows, 2);
    const v6 = report.clients.find((c) => c.address === '::1');
    assert.ok(v6);
    assert.equal(v6.flows, 2);
    assert.equal(v6.bytesIn, 2);
    assert.equal(v6.bytesOut, 2);
  } finally {
    for (const c of clients) c.close();
    await d.stop();
  }
});
