// The native data path (native/splice.c through src/proxy/splice-pipe.ts) where it differs
// from the JavaScript one: it owns duplicates of the sockets' descriptors and a pipe per
// direction, so every way a connection can end must let go of them; errors must reach the
// socket they came from; Node must not read a socket the addon reads, and must get it back.
// Then whole connections through an in-process daemon, on this process's data path (CI runs
// this file once more with MRSOCKO_DATA_PATH=js): half-closes both ways, a slow reader, a
// backend killed mid-transfer, and traffic that keeps the backend up while no byte passes
// through JavaScript.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReadBuffers, useOwnBuffers } from '../../src/proxy/read-buffers.js';
import { SplicePipe } from '../../src/proxy/splice-pipe.js';
import { DATA_PATH_ENV, chooseDataPath, dataPath, loadSpliceAddon, type SpliceAddon } from '../../src/proxy/data-path.js';
import { prerequisite } from '../helpers/require.js';
import { pipesAndSockets } from '../helpers/resources.js';
import { echoRoundTrip, freePort, waitFor } from '../helpers/net.js';
import { startDaemon, tempDir } from '../helpers/daemon.js';
import { cliPath, repoRoot } from '../helpers/paths.js';

const addon = loadSpliceAddon();

function needAddon(t: TestContext): SpliceAddon | undefined {
  if (typeof addon !== 'string') return addon;
  prerequisite(t, false, `the native addon is not built (${addon}): npm run build:native`);
  return undefined;
}

async function socketPair(): Promise<{ local: net.Socket; accepted: net.Socket }> {
  const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const accepting = once(server, 'connection');
  const local = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  // as mrsocko's upstream: not read by Node before a pipe takes it
  local.pause();
  await once(local, 'connect');
  const [accepted] = (await accepting) as [net.Socket];
  server.close();
  return { local, accepted };
}

/** sender → [inbound.accepted ⇒ pipe ⇒ outbound.local] → receiver */
async function native(t: TestContext): Promise<
  | { pipe: SplicePipe; sender: net.Socket; from: net.Socket; to: net.Socket; receiver: net.Socket; counted: () => number; close(): void }
  | undefined
> {
  const a = needAddon(t);
  if (a === undefined) return undefined;
  let counted = 0;
  // switchAt 0: the addon from the start (the default waits for a bulk read, tested below)
  const pipe = new SplicePipe(new ReadBuffers(), (n) => (counted += n), a, 0);
  const inbound = await socketPair();
  const outbound = await socketPair();
  pipe.start(inbound.accepted, outbound.local, false);
  assert.ok(pipe.isNative, 'the native addon did not take the direction');
  inbound.accepted.resume();
  const all = [inbound.local, inbound.accepted, outbound.local, outbound.accepted];
  for (const s of all) s.on('error', () => undefined);
  return {
    pipe,
    sender: inbound.local,
    from: inbound.accepted,
    to: outbound.local,
    receiver: outbound.accepted,
    counted: () => counted,
    close: () => {
      pipe.stop();
      for (const s of all) s.destroy();
    },
  };
}

test('MRSOCKO_DATA_PATH=js forces the JavaScript path; otherwise the built addon is used, and the choice says why', (t) => {
  assert.equal(chooseDataPath({ [DATA_PATH_ENV]: 'js' }).name, 'js');
  assert.match(chooseDataPath({ [DATA_PATH_ENV]: 'js' }).why, /MRSOCKO_DATA_PATH=js/);
  if (needAddon(t) === undefined) return;
  assert.equal(chooseDataPath({}).name, 'native');
  assert.equal(chooseDataPath({ [DATA_PATH_ENV]: 'native' }).name, 'native');
  assert.match(chooseDataPath({ [DATA_PATH_ENV]: 'fast' }).why, /MRSOCKO_DATA_PATH=fast is not js, native or auto/);
  if (process.env[DATA_PATH_ENV] !== 'js') assert.equal(dataPath.name, 'native', 'this process runs the JavaScript path although the addon is built');
});

test('native: Node does not read the socket the addon reads, also after resume(); stop() gives it back to Node', { timeout: 30_000 }, async (t) => {
  const c = await native(t);
  if (c === undefined) return;
  let nodeRead = 0;
  c.from.on('data', (chunk: Buffer) => (nodeRead += chunk.length));
  c.from.resume();
  const received: Buffer[] = [];
  c.receiver.on('data', (chunk: Buffer) => received.push(chunk));
  c.receiver.resume();
  c.sender.write('through the addon');
  assert.ok(await waitFor(() => Buffer.concat(received).length === 17, 5_000), 'timed out');
  assert.equal(nodeRead, 0, 'Node read bytes the addon should have moved');
  assert.equal(c.counted(), 17, 'the first bytes were not counted at once');
  c.from.pause();
  c.pipe.stop();
  c.from.resume();
  c.sender.write('back to Node');
  assert.ok(await waitFor(() => nodeRead === 12, 5_000), 'timed out');
  assert.equal(Buffer.concat(received).toString(), 'through the addon');
  c.close();
});

test('native: the destination resets mid-transfer: `to` gets the write error, the addon lets go of its pipe and duplicates', { timeout: 30_000 }, async (t) => {
  const before = pipesAndSockets();
  const c = await native(t);
  if (c === undefined) return;
  const failed = once(c.to, 'error');
  let received = 0;
  c.receiver.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > 1_000_000 && !c.receiver.destroyed) c.receiver.resetAndDestroy();
  });
  c.receiver.resume();
  const block = randomBytes(256 * 1024);
  const sending = setInterval(() => c.sender.write(block), 1);
  const [error] = (await failed) as [NodeJS.ErrnoException];
  clearInterval(sending);
  assert.ok(['EPIPE', 'ECONNRESET'].includes(error.code ?? ''), `unexpected ${error.code}: ${error.message}`);
  assert.equal(error.syscall, 'write');
  assert.equal(c.pipe.isNative, false);
  c.close();
  assert.ok(await waitFor(() => {
    const now = pipesAndSockets();
    return now.pipes === before.pipes && now.sockets === before.sockets;
  }, 5_000), `descriptors left open: ${JSON.stringify(before)} before, ${JSON.stringify(pipesAndSockets())} after`);
});

test('native: the source resets mid-transfer: `from` gets the read error', { timeout: 30_000 }, async (t) => {
  const c = await native(t);
  if (c === undefined) return;
  const failed = once(c.from, 'error');
  c.receiver.resume();
  c.sender.write(randomBytes(100_000));
  assert.ok(await waitFor(() => c.counted() >= 100_000, 5_000), 'timed out');
  // unread bytes at the sender make its close an RST; these are never read by the pipe
  c.sender.resetAndDestroy();
  const [error] = (await failed) as [NodeJS.ErrnoException];
  assert.equal(error.code, 'ECONNRESET');
  assert.equal(error.syscall, 'read');
  c.close();
});

test('native: Node closes a socket the addon owns: the peer sees it closed (no duplicate keeps it open)', { timeout: 30_000 }, async (t) => {
  const before = pipesAndSockets();
  const c = await native(t);
  if (c === undefined) return;
  c.sender.resume();
  const ended = once(c.sender, 'end');
  c.from.destroy();
  await ended;
  c.receiver.resume();
  c.to.destroy();
  await once(c.receiver, 'end');
  c.close();
  assert.ok(await waitFor(() => {
    const now = pipesAndSockets();
    return now.pipes === before.pipes && now.sockets === before.sockets;
  }, 5_000), `descriptors left open: ${JSON.stringify(before)} before, ${JSON.stringify(pipesAndSockets())} after`);
});

test('native: a direction starts on the JavaScript path and moves to the addon at its first bulk read, byte-exact; small traffic never does', { timeout: 30_000 }, async (t) => {
  const a = needAddon(t);
  if (a === undefined) return;
  let counted = 0;
  const pipe = new SplicePipe(new ReadBuffers(), (n) => (counted += n), a);
  const inbound = await socketPair();
  const outbound = await socketPair();
  useOwnBuffers(inbound.accepted, pipe.source, pipe.onRead);
  pipe.start(inbound.accepted, outbound.local, true);
  inbound.accepted.resume();
  const received: Buffer[] = [];
  outbound.accepted.on('data', (chunk: Buffer) => received.push(chunk));
  outbound.accepted.resume();
  const sent: Buffer[] = [];
  for (let i = 0; i < 20; i++) {
    const small = Buffer.from(`request ${i}\n`);
    sent.push(small);
    inbound.local.write(small);
    await sleep(5);
  }
  assert.ok(await waitFor(() => Buffer.concat(received).length === Buffer.concat(sent).length, 5_000), 'small writes did not arrive');
  assert.equal(pipe.nativeUsed, false, 'small traffic moved to the addon');
  const bulk = randomBytes(8 * 1024 * 1024);
  sent.push(bulk);
  inbound.local.write(bulk);
  const tail = Buffer.from('and the end');
  sent.push(tail);
  inbound.local.end(tail);
  await once(outbound.accepted, 'end');
  assert.ok(Buffer.concat(received).equals(Buffer.concat(sent)), 'the bytes differ from what was sent');
  assert.equal(pipe.nativeUsed, true, 'the bulk transfer stayed on the JavaScript path');
  assert.ok(pipe.nativeTotal > 0);
  assert.equal(counted, Buffer.concat(sent).length);
  pipe.stop();
  for (const s of [inbound.local, inbound.accepted, outbound.local, outbound.accepted]) s.destroy();
});

test('native: bytes Node had already read are passed on first, in order (that direction stays on the JavaScript path)', { timeout: 30_000 }, async (t) => {
  const a = needAddon(t);
  if (a === undefined) return;
  const inbound = await socketPair();
  const outbound = await socketPair();
  // as a readiness probe's connection: Node has read what came first, and holds it
  inbound.accepted.read(0);
  inbound.local.write('first ');
  assert.ok(await waitFor(() => inbound.accepted.readableLength > 0, 5_000), 'Node did not read the first bytes');
  const pipe = new SplicePipe(new ReadBuffers(), () => undefined, a);
  pipe.start(inbound.accepted, outbound.local, false);
  inbound.accepted.resume();
  const received: Buffer[] = [];
  outbound.accepted.on('data', (chunk: Buffer) => received.push(chunk));
  outbound.accepted.resume();
  inbound.local.end('then the rest');
  await once(outbound.accepted, 'end');
  assert.equal(Buffer.concat(received).toString(), 'first then the rest');
  pipe.stop();
  for (const s of [inbound.local, inbound.accepted, outbound.local, outbound.accepted]) s.destroy();
});

// ---- whole connections through a daemon, on this process's data path ----

const echo = path.join(repoRoot, 'test/fixtures/slow-echo.mjs');

function config(listenPort: number, backendPort: number, dir: string, timeout = '1min'): string {
  return `[service]
exec = ${process.execPath} ${echo} 127.0.0.1:${backendPort} 0 ${path.join(dir, 'starts')}
start_timeout = 10s
stop_timeout = 2s
[socket.main]
listen = 127.0.0.1:${listenPort}
backend = 127.0.0.1:${backendPort}
[idle]
timeout = ${timeout}
`;
}

/** The path this process runs: native unless MRSOCKO_DATA_PATH=js (a missing addon fails in CI). */
function expectPath(t: TestContext): boolean {
  if (process.env[DATA_PATH_ENV] === 'js') return dataPath.name === 'js';
  return prerequisite(t, dataPath.name === 'native', `this process runs the JavaScript path: ${dataPath.why}`);
}

const label = dataPath.name;

test(`${label}: half-close both ways through the daemon, with a slow reader: byte-exact, then both sides closed and released`, { timeout: 60_000 }, async (t) => {
  if (!expectPath(t)) return;
  const dir = tempDir();
  const [listenPort, backendPort] = [await freePort(), await freePort()];
  const d = await startDaemon(config(listenPort, backendPort, dir), dir);
  try {
    // the backend runs (its output pipes are open) before the descriptors are counted
    assert.equal((await echoRoundTrip({ host: '127.0.0.1', port: listenPort }, Buffer.from('start'))).toString(), 'start');
    assert.ok(await waitFor(() => d.daemon.statusReport().totals.connections === 0, 5_000), 'the first connection stayed open');
    const before = pipesAndSockets();
    const client = net.connect({ host: '127.0.0.1', port: listenPort, allowHalfOpen: true });
    await once(client, 'connect');
    const payload = randomBytes(8 * 1024 * 1024);
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
    // the client ends its direction; the echo's end comes back only after every byte
    client.end(payload);
    const closed = once(client, 'close');
    await once(client, 'end');
    assert.equal(received, payload.length);
    assert.equal(hash.digest('hex'), createHash('sha256').update(payload).digest('hex'));
    await closed;
    assert.ok(await waitFor(() => d.daemon.statusReport().totals.connections === 0, 5_000), 'timed out');
    const [entry] = d.daemon.statusReport().clients;
    assert.equal(entry?.bytesIn, 5 + payload.length, "status counts every byte (5 of them the first connection's)");
    assert.equal(entry?.bytesOut, 5 + payload.length);
    assert.ok(await waitFor(() => {
      const now = pipesAndSockets();
      return now.pipes <= before.pipes && now.sockets <= before.sockets;
    }, 5_000), `descriptors left open: ${JSON.stringify(before)} before, ${JSON.stringify(pipesAndSockets())} after`);
  } finally {
    await d.stop();
  }
});

test(`${label}: the backend is killed mid-transfer: the client's connection ends, what it got is a prefix of what was sent, the daemon lets go`, { timeout: 60_000 }, async (t) => {
  if (!expectPath(t)) return;
  const dir = tempDir();
  const [listenPort, backendPort] = [await freePort(), await freePort()];
  const d = await startDaemon(config(listenPort, backendPort, dir), dir);
  try {
    const client = net.connect({ host: '127.0.0.1', port: listenPort, allowHalfOpen: true });
    client.on('error', () => undefined);
    await once(client, 'connect');
    const sent: Buffer[] = [];
    const received: Buffer[] = [];
    let total = 0;
    client.on('data', (chunk: Buffer) => {
      received.push(chunk);
      total += chunk.length;
    });
    const block = randomBytes(64 * 1024);
    const sending = setInterval(() => {
      if (client.writable) {
        client.write(block);
        sent.push(block);
      }
    }, 1);
    assert.ok(await waitFor(() => total > 2 * 1024 * 1024, 10_000), 'timed out');
    const pid = d.daemon.backendPid;
    assert.ok(pid !== undefined);
    process.kill(pid, 'SIGKILL');
    await new Promise((resolve) => client.once('close', resolve));
    clearInterval(sending);
    const got = Buffer.concat(received);
    assert.ok(got.equals(Buffer.concat(sent).subarray(0, got.length)), 'the bytes received are not what was sent');
    assert.ok(await waitFor(() => d.daemon.statusReport().totals.connections === 0, 5_000), 'timed out');
  } finally {
    await d.stop();
  }
});

test(`${label}: traffic that only this path moves keeps the backend up past the idle timeout, and status counts it`, { timeout: 60_000 }, async (t) => {
  if (!expectPath(t)) return;
  const dir = tempDir();
  const [listenPort, backendPort] = [await freePort(), await freePort()];
  const d = await startDaemon(config(listenPort, backendPort, dir, '1s'), dir);
  try {
    const client = net.connect({ host: '127.0.0.1', port: listenPort });
    let received = 0;
    client.on('data', (chunk: Buffer) => (received += chunk.length));
    await once(client, 'connect');
    // bulk bytes (each write moves both directions onto the addon, on the native path) every
    // 200 ms for 2.8 s: almost three idle timeouts' worth; only the bytes keep it up
    const CHUNK = 64 * 1024;
    assert.ok(await waitFor(() => d.daemon.backendPhase === 'running', 10_000), 'the backend did not start');
    await sleep(100);
    const pipesBefore = pipesAndSockets().pipes; // the backend's output pipes are open by now
    for (let i = 0; i < 14; i++) {
      client.write(Buffer.alloc(CHUNK, 120));
      if (i === 3 && dataPath.name === 'native') {
        assert.ok(pipesAndSockets().pipes >= pipesBefore + 2, 'no splice pipe open: the traffic did not move to the addon');
      }
      await sleep(200);
      assert.equal(d.daemon.backendPhase, 'running', `the backend was stopped after ${i} rounds of traffic`);
    }
    assert.ok(await waitFor(() => received === 14 * CHUNK, 5_000), 'timed out');
    assert.equal(d.daemon.statusReport().clients[0]?.bytesOut, 14 * CHUNK);
    assert.equal(d.daemon.statusReport().clients[0]?.bytesIn, 14 * CHUNK);
    client.destroy();
    // quiet now: the backend goes
    assert.ok(await waitFor(() => d.daemon.backendPhase === 'stopped', 10_000), 'timed out');
  } finally {
    await d.stop();
  }
});

test('`mrsocko check` and the daemon\'s start-up log say which data path runs, and why', { timeout: 30_000 }, async (t) => {
  const dir = tempDir();
  const [listenPort, backendPort] = [await freePort(), await freePort()];
  const file = path.join(dir, 'check.conf');
  fs.writeFileSync(file, config(listenPort, backendPort, dir));
  const main = cliPath;
  const run = (env: NodeJS.ProcessEnv): string =>
    spawnSync(process.execPath, [main, 'check', '--config', file], { env: { ...process.env, ...env }, encoding: 'utf8' }).stdout;
  assert.match(run({ [DATA_PATH_ENV]: 'js' }), /^# TCP data path: js \(copied through Node\.js\): MRSOCKO_DATA_PATH=js$/m);
  const d = await startDaemon(config(listenPort, backendPort, dir), dir);
  try {
    assert.ok(d.lines.some((l) => l.includes(`TCP data path: ${dataPath.name}`)), d.lines.join('\n'));
  } finally {
    await d.stop();
  }
  if (needAddon(t) === undefined) return;
  assert.match(run({ [DATA_PATH_ENV]: '' }), /^# TCP data path: native \(splice\(\), kernel to kernel; connections arriving while the backend runs are accepted and relayed by the addon\): the native addon is built$/m);
});
