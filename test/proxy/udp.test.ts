// The UDP proxy on its own (no daemon, no backend process): flows per client address,
// replies to the right client, bounded queues released in order, expiry, refusal, and the
// UDP readiness probe.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SocketConfig } from '../../src/config/types.js';
import { parseBackend, parseListen } from '../../src/config/address.js';
import type { DatagramListener } from '../../src/proxy/listeners.js';
import { UdpProxy, type UdpProxyHooks } from '../../src/proxy/udp.js';
import { DatagramQueues, type FlowCloseReason, type QueueLimits, type UdpFlow } from '../../src/proxy/udp-flow.js';
import { waitUntilUdpBound } from '../../src/backend/readiness.js';
import { waitFor } from '../helpers/net.js';
import { prerequisite } from '../helpers/require.js';
import { DATA_PATH_ENV, chooseDataPath, dataPath } from '../../src/proxy/data-path.js';
import { describeUdpDataPath } from '../../src/proxy/udp-upstream.js';
import type { TestContext } from 'node:test';

const cleanup: (() => void)[] = [];
after(() => {
  for (const c of cleanup.splice(0)) {
    try {
      c();
    } catch {
      // already closed by the test
    }
  }
});

/** A UDP echo server on 127.0.0.1: sends every datagram back. */
async function echoServer(): Promise<{ port: number; socket: dgram.Socket; received: Buffer[] }> {
  const socket = dgram.createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('message', (msg, rinfo) => {
    received.push(msg);
    socket.send(msg, rinfo.port, rinfo.address);
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  cleanup.push(() => socket.close());
  return { port: socket.address().port, socket, received };
}

interface Harness {
  proxy: UdpProxy;
  port: number;
  queues: DatagramQueues;
  opened: UdpFlow[];
  released: { flow: UdpFlow; reason: FlowCloseReason }[];
  errors: string[];
  traffic: { up: number; down: number };
}

async function startProxy(
  backendPort: number,
  opts: {
    flowTimeoutMs?: number;
    limits?: QueueLimits;
    hold?: boolean;
    admit?: (address: string) => boolean;
    refused?: 'hold' | 'close';
    /** A dual-stack [::] listening socket instead of 127.0.0.1. */
    dualStack?: boolean;
  } = {},
): Promise<Harness> {
  const socket = dgram.createSocket({ type: opts.dualStack ? 'udp6' : 'udp4', ipv6Only: false });
  const config: SocketConfig = {
    name: 'test',
    listen: parseListen('127.0.0.1:1'),
    protocol: 'udp',
    backend: parseBackend(`127.0.0.1:${backendPort}`),
    flowTimeoutMs: opts.flowTimeoutMs ?? 60_000,
    readyCheck: true,
    proxyProtocol: 'off',
    counts: true,
    line: 1,
  };
  const listener: DatagramListener = { config, socket, address: '', adopted: false, family: opts.dualStack ? 'inet6' : 'inet' };
  const queues = new DatagramQueues(opts.limits);
  const h: Omit<Harness, 'proxy' | 'port'> = { queues, opened: [], released: [], errors: [], traffic: { up: 0, down: 0 } };
  const hooks: UdpProxyHooks = {
    admit: (_p, address) => opts.admit?.(address) ?? true,
    opened: (flow) => {
      h.opened.push(flow);
      if (!opts.hold) flow.connect();
    },
    traffic: (_f, direction, bytes) => (h.traffic[direction] += bytes),
    refused: (flow, error) => {
      h.errors.push(`${flow.peer} refused ${(error as NodeJS.ErrnoException).code ?? error.message}`);
      return opts.refused ?? 'close';
    },
    error: (flow, side, error) => h.errors.push(`${flow.peer} ${side} ${(error as NodeJS.ErrnoException).code ?? error.message}`),
    released: (flow, reason) => h.released.push({ flow, reason }),
    socketError: (_p, error) => h.errors.push(`socket ${error.message}`),
  };
  const proxy = new UdpProxy(listener, queues, hooks);
  socket.bind(0, opts.dualStack ? '::' : '127.0.0.1');
  await once(socket, 'listening');
  cleanup.push(() => proxy.close());
  return { ...h, proxy, port: socket.address().port };
}

/** A client socket that collects what it receives. */
async function client(host = '127.0.0.1'): Promise<{ socket: dgram.Socket; got: string[]; send(text: string, port: number): void }> {
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const got: string[] = [];
  socket.on('message', (m) => got.push(m.toString()));
  socket.bind(0, host);
  await once(socket, 'listening');
  cleanup.push(() => socket.close());
  return { socket, got, send: (text, port) => socket.send(text, port, host) };
}

test('one flow per client address:port; every reply goes back to its own client', async () => {
  const echo = await echoServer();
  const h = await startProxy(echo.port);
  const clients = await Promise.all(Array.from({ length: 20 }, () => client()));
  clients.forEach((c, i) => {
    for (let n = 0; n < 10; n++) c.send(`client ${i} datagram ${n}`, h.port);
  });
  assert.ok(await waitFor(() => clients.every((c) => c.got.length === 10), 5000), 'every client got 10 replies');
  clients.forEach((c, i) => {
    assert.deepEqual(c.got, Array.from({ length: 10 }, (_, n) => `client ${i} datagram ${n}`));
  });
  assert.equal(h.proxy.size, 20);
  assert.equal(h.opened.length, 20);
  const bytes = clients.reduce((sum, _c, i) => sum + Array.from({ length: 10 }, (_, n) => `client ${i} datagram ${n}`.length).reduce((a, b) => a + b), 0);
  h.proxy.flushCounts(); // the native path counts replies at most every 100 ms
  assert.deepEqual(h.traffic, { up: bytes, down: bytes });
  assert.deepEqual(h.errors, []);
});

test('a held flow queues in order up to 64 datagrams; the excess is dropped and counted; released in order', async () => {
  const echo = await echoServer();
  const h = await startProxy(echo.port, { hold: true });
  const c = await client();
  for (let n = 0; n < 100; n++) c.send(`d${n}`, h.port);
  assert.ok(await waitFor(() => h.queues.datagrams + h.queues.dropped === 100, 3000));
  const [flow] = h.opened;
  assert.ok(flow);
  assert.equal(h.opened.length, 1);
  assert.equal(flow.queued, 64);
  assert.equal(flow.dropped, 36);
  assert.equal(h.queues.datagrams, 64);
  assert.equal(h.queues.dropped, 36);
  assert.deepEqual(flow.takeDropped(), { datagrams: 36, bytes: 36 * 3 });
  assert.deepEqual(flow.takeDropped(), { datagrams: 0, bytes: 0 }, 'reported once');
  assert.deepEqual(echo.received, [], 'nothing reaches the backend while held');
  flow.connect();
  // datagrams arriving while the queue is being released go behind it
  assert.ok(await waitFor(() => c.got.length > 0, 3000, 1));
  c.send('late', h.port);
  assert.ok(await waitFor(() => c.got.length === 65, 3000), `got ${c.got.length}`);
  assert.deepEqual(c.got, [...Array.from({ length: 64 }, (_, n) => `d${n}`), 'late']);
  assert.equal(h.queues.datagrams, 0);
  assert.equal(h.queues.bytes, 0);
});

test('the overall queue limit holds across flows', async () => {
  const echo = await echoServer();
  const limits = { flowDatagrams: 64, flowBytes: 256 * 1024, totalDatagrams: 100, totalBytes: 4 * 1024 * 1024 };
  const h = await startProxy(echo.port, { hold: true, limits });
  const clients = await Promise.all([client(), client(), client()]);
  for (const c of clients) for (let n = 0; n < 50; n++) c.send(`x${n}`, h.port);
  assert.ok(await waitFor(() => h.queues.datagrams + h.queues.dropped === 150, 3000));
  assert.equal(h.queues.datagrams, 100);
  assert.equal(h.queues.dropped, 50);
  for (const f of h.opened) f.connect();
  assert.ok(await waitFor(() => clients.reduce((n, c) => n + c.got.length, 0) === 100, 3000));
  // and by bytes: 4 datagrams of 1000 bytes do not fit in 3000
  const small = await startProxy(echo.port, { hold: true, limits: { ...limits, totalBytes: 3000 } });
  const c = await client();
  for (let n = 0; n < 4; n++) c.socket.send(Buffer.alloc(1000, n), small.port, '127.0.0.1');
  assert.ok(await waitFor(() => small.queues.datagrams + small.queues.dropped === 4, 3000));
  assert.equal(small.queues.datagrams, 3);
  assert.equal(small.queues.droppedBytes, 1000);
});

test('a released queue of 1000 datagrams is paced: a backend with a default receive buffer loses none', async () => {
  const echo = await echoServer();
  const h = await startProxy(echo.port, { hold: true });
  const clients = await Promise.all(Array.from({ length: 50 }, () => client()));
  // 50 at a time: the proxy's socket has the kernel's default receive buffer here
  for (let n = 0; n < 20; n++) {
    for (const c of clients) c.send(`q${n}`, h.port);
    await sleep(5);
  }
  assert.ok(await waitFor(() => h.queues.datagrams === 1000, 5000), `queued ${h.queues.datagrams}`);
  // The echo server runs in this same process: it cannot read while the release runs,
  // so only pacing (timers between batches) lets it keep up.
  const t0 = performance.now();
  for (const f of h.opened) f.connect();
  assert.ok(await waitFor(() => clients.every((c) => c.got.length === 20), 5000), `replies: ${clients.map((c) => c.got.length).join(',')}`);
  const ms = performance.now() - t0;
  console.log(`1000 queued datagrams released and echoed in ${Math.round(ms)} ms`);
  assert.equal(echo.received.length, 1000);
});

test('flows expire after flow_timeout without datagrams; held flows wait for the backend instead', async () => {
  const echo = await echoServer();
  const h = await startProxy(echo.port, { flowTimeoutMs: 200 });
  const c = await client();
  c.send('one', h.port);
  assert.ok(await waitFor(() => c.got.length === 1, 2000));
  const answered = performance.now();
  assert.ok(await waitFor(() => h.released.length === 1, 2000));
  const ms = performance.now() - answered;
  assert.equal(h.released[0]?.reason, 'expired');
  assert.ok(ms >= 190 && ms < 400, `expired ${Math.round(ms)} ms after the last datagram (flow_timeout 200ms)`);
  assert.equal(h.proxy.size, 0);
  // the next datagram opens a new flow
  c.send('two', h.port);
  assert.ok(await waitFor(() => c.got.length === 2, 2000));
  assert.equal(h.opened.length, 2);

  const held = await startProxy(echo.port, { flowTimeoutMs: 100, hold: true });
  c.send('wait', held.port);
  await sleep(400);
  assert.equal(held.proxy.size, 1);
  assert.deepEqual(held.released, []);
});

test('a refused client opens no flow and reaches nothing', async () => {
  const echo = await echoServer();
  const h = await startProxy(echo.port, { admit: () => false });
  const c = await client();
  for (let n = 0; n < 5; n++) c.send('knock', h.port);
  await sleep(200);
  assert.equal(h.proxy.size, 0);
  assert.deepEqual(h.opened, []);
  assert.deepEqual(echo.received, []);
  assert.deepEqual(c.got, []);
});

test('when the backend port closes under an open flow, the flow ends with ECONNREFUSED', async () => {
  const echo = await echoServer();
  const h = await startProxy(echo.port);
  const c = await client();
  c.send('hello', h.port);
  assert.ok(await waitFor(() => c.got.length === 1, 2000));
  echo.socket.close();
  c.send('anyone?', h.port);
  assert.ok(await waitFor(() => h.released.length === 1, 2000));
  assert.equal(h.released[0]?.reason, 'error');
  assert.match(h.errors.join('\n'), /upstream ECONNREFUSED/);
});

test('a flow refused by the backend port can be held and connected again once the backend is back', async () => {
  const echo = await echoServer();
  const h = await startProxy(echo.port, { refused: 'hold' });
  const c = await client();
  c.send('one', h.port);
  assert.ok(await waitFor(() => c.got.length === 1, 2000));
  echo.socket.close();
  c.send('lost', h.port); // refused: nobody receives it
  const [flow] = h.opened;
  assert.ok(flow);
  assert.ok(await waitFor(() => flow.phase === 'held', 2000), flow.phase);
  assert.match(h.errors.join('\n'), /refused ECONNREFUSED/);
  c.send('queued', h.port);
  assert.ok(await waitFor(() => flow.queued === 1, 2000));
  // the backend comes back on the same port
  const back = dgram.createSocket('udp4');
  back.on('message', (m, r) => back.send(m, r.port, r.address));
  back.bind(echo.port, '127.0.0.1');
  await once(back, 'listening');
  cleanup.push(() => back.close());
  flow.connect();
  assert.ok(await waitFor(() => c.got.length === 2, 2000));
  assert.deepEqual(c.got, ['one', 'queued']);
  assert.deepEqual(h.released, []);
});

test('close() ends every flow and drops what they queued', async () => {
  const echo = await echoServer();
  const h = await startProxy(echo.port, { hold: true });
  const c = await client();
  c.send('a', h.port);
  c.send('b', h.port);
  assert.ok(await waitFor(() => h.queues.datagrams === 2, 2000));
  h.proxy.close();
  assert.equal(h.released[0]?.reason, 'shutdown');
  assert.equal(h.released[0]?.flow.undelivered, 2);
  assert.equal(h.queues.datagrams, 0);
});

test('UDP readiness: refused until the port is bound, then ready; exactly one probe datagram reaches the backend', async () => {
  const probeTarget = dgram.createSocket('udp4');
  probeTarget.bind(0, '127.0.0.1');
  await once(probeTarget, 'listening');
  const port = probeTarget.address().port;
  probeTarget.close(); // now nothing is bound there
  const abort = new AbortController();
  const t0 = performance.now();
  const ready = waitUntilUdpBound(parseBackend(`127.0.0.1:${port}`), abort.signal);
  let settled = false;
  void ready.then(() => (settled = true), () => (settled = true));
  await sleep(300);
  assert.equal(settled, false, 'not ready while nothing is bound');
  const backend = dgram.createSocket('udp4');
  const got: number[] = [];
  backend.on('message', (m) => got.push(m.length));
  backend.bind(port, '127.0.0.1');
  await once(backend, 'listening');
  cleanup.push(() => backend.close());
  const bound = performance.now();
  await ready;
  console.log(`udp probe: ready ${Math.round(performance.now() - bound)} ms after the bind (${Math.round(bound - t0)} ms of refusals before)`);
  await sleep(50);
  assert.deepEqual(got, [0], 'one empty datagram');
});

test('UDP readiness rejects promptly when aborted (start_timeout)', async () => {
  const probeTarget = dgram.createSocket('udp4');
  probeTarget.bind(0, '127.0.0.1');
  await once(probeTarget, 'listening');
  const port = probeTarget.address().port;
  probeTarget.close();
  const abort = new AbortController();
  setTimeout(() => abort.abort(new Error('start_timeout')), 200);
  const t0 = performance.now();
  await assert.rejects(waitUntilUdpBound(parseBackend(`127.0.0.1:${port}`), abort.signal));
  const ms = performance.now() - t0;
  assert.ok(ms < 400, `rejected after ${Math.round(ms)} ms`);
});

/** The path this process runs: native unless MRSOCKO_DATA_PATH=js (a missing addon fails in CI). */
function nativeExpected(t: TestContext): boolean {
  if (process.env[DATA_PATH_ENV] === 'js') return false;
  return prerequisite(t, dataPath.name === 'native', `this process runs the JavaScript path: ${dataPath.why}`);
}

test(`${dataPath.name} path: 3000 datagrams each way through one open flow arrive in order and are counted exactly`, async (t) => {
  const echo = await echoServer();
  const h = await startProxy(echo.port);
  let messages = 0; // what Node's own reading of the listening socket saw
  h.proxy.listener.socket.on('message', () => (messages += 1));
  const c = await client();
  c.send('first', h.port);
  assert.ok(await waitFor(() => c.got.length === 1, 2000));
  // in bursts the loopback sockets hold: nothing is lost, so order and counts are exact
  const texts: string[] = [];
  for (let burst = 0; burst < 30; burst++) {
    for (let i = 0; i < 100; i++) {
      const text = `datagram ${burst * 100 + i}`;
      texts.push(text);
      c.send(text, h.port);
    }
    await waitFor(() => c.got.length === 1 + texts.length, 2000);
  }
  assert.ok(await waitFor(() => c.got.length === 3001, 5000), `${c.got.length} of 3001 replies`);
  assert.deepEqual(c.got.slice(1), texts);
  assert.deepEqual(echo.received.slice(1).map(String), texts);
  const bytes = 'first'.length + texts.reduce((n, x) => n + x.length, 0);
  h.proxy.flushCounts(); // the native path counts at most every 100 ms
  assert.deepEqual(h.traffic, { up: bytes, down: bytes });
  const [flow] = h.opened;
  assert.ok(flow);
  assert.deepEqual([flow.datagramsUp, flow.datagramsDown, flow.datagramsFromClient, flow.dropped], [3001, 3001, 3001, 0]);
  assert.equal(h.proxy.size, 1);
  assert.deepEqual(h.errors, []);
  if (nativeExpected(t)) assert.equal(messages, 0, 'the addon reads the listening socket: Node emits no message');
  else assert.equal(messages, 3001);
});

test(`${dataPath.name} path: datagrams sent while a held flow's queue is released go after it, in order`, async () => {
  const echo = await echoServer();
  const limits: QueueLimits = { flowDatagrams: 1000, flowBytes: 1 << 20, totalDatagrams: 1000, totalBytes: 1 << 20 };
  const h = await startProxy(echo.port, { hold: true, limits });
  const c = await client();
  const texts = Array.from({ length: 700 }, (_, i) => `d${i}`);
  for (let n = 100; n <= 500; n += 100) {
    for (const text of texts.slice(n - 100, n)) c.send(text, h.port); // as many as the sockets hold
    assert.ok(await waitFor(() => h.opened[0]?.queued === n, 2000), `${h.opened[0]?.queued} of ${n} queued`);
  }
  h.opened[0]?.connect();
  // the rest while the queue is released (paced: 500 take about 16 ms) and after it
  await sleep(4);
  for (const text of texts.slice(500)) c.send(text, h.port);
  assert.ok(await waitFor(() => c.got.length === 700, 5000), `${c.got.length} of 700 replies, ${h.opened[0]?.dropped} dropped`);
  assert.deepEqual(echo.received.map(String), texts);
  assert.deepEqual(c.got, texts);
});

test(`${dataPath.name} path: a flow the addon moves stays open while only its client sends, and expires after silence`, async () => {
  const sink = dgram.createSocket('udp4'); // a backend that never answers
  let received = 0;
  sink.on('message', () => (received += 1));
  sink.bind(0, '127.0.0.1');
  await once(sink, 'listening');
  cleanup.push(() => sink.close());
  const h = await startProxy(sink.address().port, { flowTimeoutMs: 300 });
  const c = await client();
  for (let i = 0; i < 20; i++) {
    c.send(`tick ${i}`, h.port);
    await sleep(50);
  }
  assert.ok(await waitFor(() => received === 20, 2000));
  assert.equal(h.released.length, 0, 'one second of datagrams every 50 ms kept the 300 ms flow');
  assert.equal(h.opened.length, 1);
  assert.ok(await waitFor(() => h.released.length === 1, 2000));
  assert.equal(h.released.map((r) => r.reason).join(), 'expired');
});

test(`${dataPath.name} path: a dual-stack [::] socket serves IPv4 and IPv6 clients, each reply to its own`, async () => {
  const echo = await echoServer();
  const h = await startProxy(echo.port, { dualStack: true });
  const v4 = await client('127.0.0.1');
  const v6 = await client('::1');
  for (let i = 0; i < 50; i++) {
    v4.send(`four ${i}`, h.port);
    v6.send(`six ${i}`, h.port);
  }
  assert.ok(await waitFor(() => v4.got.length === 50 && v6.got.length === 50, 3000), `${v4.got.length}, ${v6.got.length}`);
  assert.deepEqual(v4.got, Array.from({ length: 50 }, (_, i) => `four ${i}`));
  assert.deepEqual(v6.got, Array.from({ length: 50 }, (_, i) => `six ${i}`));
  assert.deepEqual(h.opened.map((f) => f.peer).sort(), [`[::1]:${v6.socket.address().port}`, `[::ffff:127.0.0.1]:${v4.socket.address().port}`]);
  assert.deepEqual(h.errors, []);
});

test(`${dataPath.name} path: a listening socket closed by its owner frees its port (the addon keeps no duplicate)`, async () => {
  const echo = await echoServer();
  const h = await startProxy(echo.port);
  const c = await client();
  c.send('hello', h.port);
  assert.ok(await waitFor(() => c.got.length === 1, 2000));
  h.proxy.listener.socket.close();
  await sleep(20);
  const again = dgram.createSocket('udp4');
  cleanup.push(() => again.close());
  await new Promise<void>((resolve, reject) => {
    again.once('error', reject);
    again.bind(h.port, '127.0.0.1', () => resolve());
  });
});

test(`${dataPath.name} path: an open flow costs one descriptor, and closing the proxy gives every one back`, async () => {
  const fds = (): number => fs.readdirSync('/proc/self/fd').length;
  const echo = await echoServer();
  const clients = await Promise.all(Array.from({ length: 21 }, () => client()));
  const before = fds();
  const h = await startProxy(echo.port);
  const [first, ...rest] = clients;
  first?.send('first', h.port);
  assert.ok(await waitFor(() => first?.got.length === 1, 2000));
  const withOne = fds();
  for (const c of rest) c.send('hello', h.port);
  assert.ok(await waitFor(() => rest.every((c) => c.got.length === 1), 2000));
  assert.equal(fds() - withOne, 20, '20 more flows, 20 more descriptors');
  h.proxy.close();
  await sleep(50);
  assert.equal(fds(), before);
});

test('the UDP data path says which it is and why: js when forced, native when the addon is built', (t) => {
  assert.equal(describeUdpDataPath(chooseDataPath({ [DATA_PATH_ENV]: 'js' })), 'UDP data path: js (a Node.js socket per flow): MRSOCKO_DATA_PATH=js');
  if (nativeExpected(t)) {
    assert.equal(describeUdpDataPath(chooseDataPath({})), 'UDP data path: native (recvmmsg/sendmmsg batches in the addon): the native addon is built');
  }
});
