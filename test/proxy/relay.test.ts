// Connections the addon accepts (native/accept.c) and relays whole (native/relay.c, through
// src/proxy/relay.ts), with real sockets on the loopback: byte-exact with half-closes and a
// slow reader, every way a connection ends (either side's reset, a refused connect, close
// and reset from here), what is handed back to be held (nothing read from it), accounting in
// sums, and the listening side (a dual-stack socket, connections left in the backlog).
// These use the addon directly, so they run on both of CI's runs.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadSpliceAddon, type NativeAcceptor, type RelayAddon } from '../../src/proxy/data-path.js';
import { AcceptedSocket, RelayedConnection, relayable, socketFromFd, type RelayHooks } from '../../src/proxy/relay.js';
import type { ClientAccounting } from '../../src/proxy/accounting.js';
import type { ErrorSide } from '../../src/proxy/tcp.js';
import { prerequisite } from '../helpers/require.js';
import { pipesAndSockets } from '../helpers/resources.js';
import { waitFor } from '../helpers/net.js';

const loaded = loadSpliceAddon();

function needRelay(t: TestContext): RelayAddon | undefined {
  // what src/proxy/data-path.ts asks of it before it relays
  const parts = loaded as unknown as Partial<RelayAddon>;
  if (typeof loaded !== 'string' && typeof parts.Relay === 'function' && typeof parts.Acceptor === 'function' && typeof parts.socketAddress === 'function') return loaded as unknown as RelayAddon;
  prerequisite(t, false, `the native addon is not built with native/relay.c (${String(loaded)}): npm run build:native`);
  return undefined;
}

interface Recorded {
  accounting: ClientAccounting;
  up: number;
  down: number;
  closed: number;
  errors: Array<{ side: ErrorSide; error: Error }>;
  refused: NodeJS.ErrnoException[];
  released: number;
  hooks: RelayHooks;
}

function recorder(): Recorded {
  const r: Recorded = {
    up: 0,
    down: 0,
    closed: 0,
    errors: [],
    refused: [],
    released: 0,
    accounting: {
      addUp: (n) => (r.up += n),
      addDown: (n) => (r.down += n),
      close: () => (r.closed += 1),
      counted: true,
    },
    hooks: {
      connectFailed: (_, error) => r.refused.push(error),
      error: (_, side, error) => r.errors.push({ side, error }),
      released: () => (r.released += 1),
    },
  };
  return r;
}

/** A listening socket the addon accepts on (as src/proxy/listeners.ts does: Node's server closed, the addon's duplicate kept). */
async function front(addon: RelayAddon, host = '127.0.0.1'): Promise<{ port: number; accepted: AcceptedSocket[]; acceptor: NativeAcceptor; next(): Promise<AcceptedSocket> }> {
  const server = net.createServer();
  server.listen({ port: 0, host, ipv6Only: false });
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const accepted: AcceptedSocket[] = [];
  const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
  const acceptor = new addon.Acceptor(fd, (cfd, address, p) => accepted.push(new AcceptedSocket(cfd, address ?? '', p, addon)));
  server.close();
  return {
    port,
    accepted,
    acceptor,
    async next() {
      assert.ok(await waitFor(() => accepted.length > 0, 5_000), 'nothing accepted');
      return accepted.shift() as AcceptedSocket;
    },
  };
}

async function backendServer(onConnection: (socket: net.Socket) => void): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer({ allowHalfOpen: true }, onConnection);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as net.AddressInfo).port };
}

const inet = (port: number) => ({ kind: 'inet' as const, host: '127.0.0.1', port, text: `127.0.0.1:${port}` });
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

test('relay: 8 MiB each way with half-closes and a slow reader, byte-exact; counted in full; pipes pooled while relays are open, every descriptor let go after the last', { timeout: 60_000 }, async (t) => {
  const addon = needRelay(t);
  if (addon === undefined) return;
  const toBackend = randomBytes(8 * 1024 * 1024);
  const toClient = randomBytes(8 * 1024 * 1024);
  let backendGot = '';
  // the backend reads the client's whole request (to its end), and only then answers and ends
  const { server, port: backendPort } = await backendServer((s) => {
    s.on('error', () => undefined); // the other connection's, cut off at its end
    const hash = createHash('sha256');
    s.on('data', (c: Buffer) => hash.update(c));
    s.on('end', () => {
      backendGot = hash.digest('hex');
      s.end(toClient);
    });
  });
  const f = await front(addon);
  const before = pipesAndSockets();
  // a second connection, open (and quiet) throughout
  const other = net.connect({ port: f.port, host: '127.0.0.1' });
  const otherRec = recorder();
  new RelayedConnection('main', await f.next(), inet(backendPort), otherRec.hooks, otherRec.accounting);
  const client = net.connect({ port: f.port, host: '127.0.0.1', allowHalfOpen: true });
  const connected = once(client, 'connect');
  const rec = recorder();
  const c = new RelayedConnection('main', await f.next(), inet(backendPort), rec.hooks, rec.accounting);
  await connected;
  const hash = createHash('sha256');
  let received = 0;
  let chunks = 0;
  client.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    received += chunk.length;
    if (++chunks % 20 === 0) {
      client.pause();
      setTimeout(() => client.resume(), 10);
    }
  });
  client.end(toBackend);
  await once(client, 'end');
  client.destroy();
  assert.equal(received, toClient.length);
  assert.equal(hash.digest('hex'), sha(toClient));
  assert.equal(backendGot, sha(toBackend));
  assert.ok(await waitFor(() => rec.released === 1, 5_000), 'not released');
  assert.equal(c.phase, 'closed');
  assert.deepEqual([rec.up, rec.down, rec.closed, rec.errors.length], [toBackend.length, toClient.length, 1, 0]);
  assert.deepEqual([c.bytesUp, c.bytesDown], [toBackend.length, toClient.length]);
  // kept while another relay is open (the one opened below), dropped with the last
  const pooled = addon.pooledPipes();
  assert.ok(pooled >= 1, 'the pipes were not kept for the next connection while another was open');
  addon.dropPipes(); // what the session does when the backend stops
  assert.equal(addon.pooledPipes(), 0);
  // the other connection's four: its client, the relay's two, the backend's
  assert.ok(await waitFor(() => pipesAndSockets().sockets <= before.sockets + 4, 5_000), `sockets left open: ${JSON.stringify(before)} before, ${JSON.stringify(pipesAndSockets())} now`);
  other.destroy();
  assert.ok(await waitFor(() => otherRec.released === 1, 5_000), 'the other relay was not released');
  assert.equal(addon.pooledPipes(), 0, 'pipes pooled with no relay open');
  assert.ok(await waitFor(() => {
    const now = pipesAndSockets();
    return now.pipes <= before.pipes && now.sockets <= before.sockets;
  }, 5_000), `descriptors left open: ${JSON.stringify(before)} before, ${JSON.stringify(pipesAndSockets())} after`);
  f.acceptor.close();
  server.close();
});

test('relay: the backend resets mid-transfer: the client gets a prefix and is closed; the error is the upstream side\'s', { timeout: 30_000 }, async (t) => {
  const addon = needRelay(t);
  if (addon === undefined) return;
  const sent = randomBytes(4 * 1024 * 1024);
  const { server, port } = await backendServer((s) => {
    s.write(sent.subarray(0, 1024 * 1024), () => setTimeout(() => s.resetAndDestroy(), 50));
  });
  const f = await front(addon);
  const client = net.connect({ port: f.port, host: '127.0.0.1' });
  client.on('error', () => undefined);
  const rec = recorder();
  new RelayedConnection('main', await f.next(), inet(port), rec.hooks, rec.accounting);
  const got: Buffer[] = [];
  client.on('data', (c: Buffer) => got.push(c));
  await once(client, 'close');
  const all = Buffer.concat(got);
  assert.ok(all.equals(sent.subarray(0, all.length)), 'what the client got is not a prefix of what was sent');
  assert.ok(await waitFor(() => rec.released === 1, 5_000), 'not released');
  assert.equal(rec.errors[0]?.side, 'upstream', JSON.stringify(rec.errors.map((e) => e.error.message)));
  assert.match(rec.errors[0]?.error.message ?? '', /ECONNRESET/);
  assert.ok(rec.down >= all.length && rec.down <= 1024 * 1024, `${rec.down} bytes counted from the backend, ${all.length} received`);
  f.acceptor.close();
  server.close();
});

test('relay: the client resets: the error is the downstream side\'s, and the backend\'s connection is closed', { timeout: 30_000 }, async (t) => {
  const addon = needRelay(t);
  if (addon === undefined) return;
  let backendClosed = false;
  const { server, port } = await backendServer((s) => {
    s.on('error', () => undefined);
    s.on('close', () => (backendClosed = true));
    // keeps sending: the relay writes to the client as it goes away
    const timer = setInterval(() => s.writable && s.write(Buffer.alloc(64 * 1024)), 5);
    s.on('close', () => clearInterval(timer));
  });
  const f = await front(addon);
  const client = net.connect({ port: f.port, host: '127.0.0.1' });
  client.on('error', () => undefined);
  const rec = recorder();
  new RelayedConnection('main', await f.next(), inet(port), rec.hooks, rec.accounting);
  assert.ok(await waitFor(() => client.bytesRead > 0 || rec.down > 0, 5_000), 'nothing relayed');
  client.resetAndDestroy();
  assert.ok(await waitFor(() => rec.released === 1 && backendClosed, 5_000), 'not released, or the backend\'s side left open');
  assert.equal(rec.errors[0]?.side, 'downstream', JSON.stringify(rec.errors.map((e) => e.error.message)));
  f.acceptor.close();
  server.close();
});

test('relay: nobody listens at the backend: connectFailed (ECONNREFUSED), and the client is handed back unread', { timeout: 30_000 }, async (t) => {
  const addon = needRelay(t);
  if (addon === undefined) return;
  const { server, port } = await backendServer(() => undefined);
  server.close(); // the port is free now: refused
  await once(server, 'close');
  const f = await front(addon);
  const client = net.connect({ port: f.port, host: '127.0.0.1' });
  await once(client, 'connect');
  client.write('sent before the backend came');
  const rec = recorder();
  const accepted = await f.next();
  await sleep(50); // the client's bytes are in the kernel before the relay starts
  const c = new RelayedConnection('main', accepted, inet(port), rec.hooks, rec.accounting);
  assert.ok(await waitFor(() => rec.refused.length === 1, 5_000), 'no connect failure reported');
  assert.equal(rec.refused[0]?.code, 'ECONNREFUSED');
  assert.equal(rec.released, 0, 'released: the client was not kept for whoever holds it');
  assert.equal(rec.up, 0);
  const socket = socketFromFd(c.takeBack());
  assert.equal(c.takeBack(), -1, 'handed back twice');
  socket.resume();
  const [first] = (await once(socket, 'data')) as [Buffer];
  assert.equal(first.toString(), 'sent before the backend came');
  socket.end('held, then answered');
  const [reply] = (await once(client, 'data')) as [Buffer];
  assert.equal(reply.toString(), 'held, then answered');
  client.destroy();
  f.acceptor.close();
});

test('relay: requeue() hands back a young connection nothing went through yet, and not one that moved a byte', { timeout: 30_000 }, async (t) => {
  const addon = needRelay(t);
  if (addon === undefined) return;
  const { server, port } = await backendServer((s) => s.on('data', (d: Buffer) => s.write(d)));
  const f = await front(addon);
  const quiet = net.connect({ port: f.port, host: '127.0.0.1' });
  const rec = recorder();
  const untouched = new RelayedConnection('main', await f.next(), inet(port), rec.hooks, rec.accounting);
  assert.ok(await waitFor(() => untouched.phase === 'open', 5_000), 'not open');
  const fd = untouched.requeue();
  assert.ok(fd !== undefined && fd >= 0, 'an untouched connection was not handed back');
  assert.equal(untouched.phase, 'closed');
  const held = socketFromFd(fd);
  held.end('from whoever holds it now');
  const [reply] = (await once(quiet, 'data')) as [Buffer];
  assert.equal(reply.toString(), 'from whoever holds it now');
  const busy = net.connect({ port: f.port, host: '127.0.0.1' });
  const rec2 = recorder();
  const used = new RelayedConnection('main', await f.next(), inet(port), rec2.hooks, rec2.accounting);
  busy.write('ping');
  await once(busy, 'data');
  assert.equal(used.requeue(), undefined, 'a connection that carried bytes was handed back');
  used.close();
  assert.deepEqual([rec2.released, rec2.closed, rec2.up, rec2.down], [1, 1, 4, 4], 'close() reports the last bytes and releases once');
  for (const s of [quiet, busy]) s.destroy();
  f.acceptor.close();
  server.close();
});

test('relay: close(true) resets the client; bytes are reported in sums, at most every 100 ms, and flushCounts() reports at once', { timeout: 30_000 }, async (t) => {
  const addon = needRelay(t);
  if (addon === undefined) return;
  const { server, port } = await backendServer((s) => s.on('data', (d: Buffer) => s.write(d)));
  const f = await front(addon);
  const client = net.connect({ port: f.port, host: '127.0.0.1' });
  const rec = recorder();
  let reports = 0;
  const accounting = { ...rec.accounting, addUp: (n: number) => (reports++, rec.accounting.addUp(n)) };
  const c = new RelayedConnection('main', await f.next(), inet(port), rec.hooks, accounting);
  let echoed = 0;
  client.on('data', (d: Buffer) => (echoed += d.length));
  for (let i = 0; i < 50; i++) {
    client.write('0123456789');
    await sleep(10);
  }
  assert.ok(await waitFor(() => echoed === 500, 5_000), 'not echoed');
  c.flushCounts();
  assert.equal(rec.up, 500, 'flushCounts() did not report every byte');
  assert.ok(reports <= 12, `${reports} reports for 50 writes over ~0.5 s`);
  client.on('error', () => undefined);
  c.close(true);
  const [error] = (await once(client, 'error')) as [NodeJS.ErrnoException];
  assert.equal(error.code, 'ECONNRESET');
  assert.equal(rec.released, 1);
  f.acceptor.close();
  server.close();
});

test('relay: a unix socket backend; relayable() is false for a backend by host name', { timeout: 30_000 }, async (t) => {
  const addon = needRelay(t);
  if (addon === undefined) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mrsocko-relay-'));
  const socketPath = path.join(dir, 'backend.sock');
  const server = net.createServer({ allowHalfOpen: true }, (s) => s.on('data', (d: Buffer) => s.end(`unix: ${d.toString()}`)));
  server.listen(socketPath);
  await once(server, 'listening');
  const f = await front(addon);
  const client = net.connect({ port: f.port, host: '127.0.0.1' });
  const rec = recorder();
  const backend = { kind: 'unix' as const, path: socketPath, text: socketPath };
  assert.ok(relayable(backend));
  assert.ok(!relayable({ kind: 'inet', host: 'localhost', port: 1, text: 'localhost:1' }));
  new RelayedConnection('main', await f.next(), backend, rec.hooks, rec.accounting);
  client.write('hello');
  const [reply] = (await once(client, 'data')) as [Buffer];
  assert.equal(reply.toString(), 'unix: hello');
  client.destroy();
  assert.ok(await waitFor(() => rec.released === 1, 5_000), 'not released');
  f.acceptor.close();
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('acceptor: a dual-stack [::] socket gives IPv4 clients as ::ffff:a.b.c.d; a refused one is reset; close() lets go of its descriptor', { timeout: 30_000 }, async (t) => {
  const addon = needRelay(t);
  if (addon === undefined) return;
  const f = await front(addon, '::');
  const a = net.connect({ port: f.port, host: '127.0.0.1' });
  const first = await f.next();
  assert.equal(first.remoteAddress, '::ffff:127.0.0.1');
  assert.equal(first.remotePort, a.localPort);
  const b = net.connect({ port: f.port, host: '127.0.0.1' });
  b.on('error', () => undefined);
  const second = await f.next();
  second.resetAndDestroy();
  second.resetAndDestroy(); // once only: the descriptor is not ours any more
  const [reset] = (await once(b, 'error')) as [NodeJS.ErrnoException];
  assert.equal(reset.code, 'ECONNRESET');
  first.destroy();
  await once(a, 'end');
  f.acceptor.close();
  f.acceptor.close(); // idempotent
  // its duplicate was the last descriptor of the listening socket
  const c = net.connect({ port: f.port, host: '127.0.0.1' });
  const [refused] = (await once(c, 'error')) as [NodeJS.ErrnoException];
  assert.equal(refused.code, 'ECONNREFUSED');
  a.destroy();
});

test('relay: proxy_protocol: the header the session makes (v1 and v2) reaches the backend first, then the client\'s bytes, intact', { timeout: 30_000 }, async (t) => {
  const addon = needRelay(t);
  if (addon === undefined) return;
  const got: Buffer[] = [];
  const { server, port } = await backendServer((s) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => {
      got.push(Buffer.concat(chunks));
      s.end();
    });
  });
  const f = await front(addon);
  for (const version of ['v1', 'v2'] as const) {
    const client = net.connect({ port: f.port, host: '127.0.0.1' });
    const accepted = await f.next();
    const header = accepted.proxyHeader(version);
    assert.ok(header !== undefined);
    const rec = recorder();
    new RelayedConnection('main', accepted, inet(port), rec.hooks, rec.accounting, header);
    client.end('after the header');
    await once(client, 'close');
    assert.ok(await waitFor(() => got.length > (version === 'v1' ? 0 : 1), 5_000), 'the backend saw no end');
    const seen = got[got.length - 1] as Buffer;
    if (version === 'v1') assert.equal(seen.toString('latin1'), `PROXY TCP4 127.0.0.1 127.0.0.1 ${accepted.remotePort} ${f.port}\r\nafter the header`);
    else {
      assert.ok(seen.subarray(0, 12).equals(Buffer.from('0d0a0d0a000d0a515549540a', 'hex')), 'no v2 signature');
      assert.equal(seen.subarray(header.length).toString(), 'after the header');
      assert.ok(seen.subarray(0, header.length).equals(header));
    }
    assert.equal(rec.up, 'after the header'.length, 'the header is not counted as the client\'s bytes');
  }
  f.acceptor.close();
  server.close();
});
