// A TCP connection's state machine: the table on its own, then a real connection over
// loopback reporting every phase change in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { CONNECTION_TRANSITIONS, TcpConnection, type ConnectionPhase } from '../../src/proxy/tcp.js';
import { ReadBuffers } from '../../src/proxy/read-buffers.js';
import { parseBackend } from '../../src/config/address.js';

test('the connection state machine: held → connecting → open, requeue back to held, closed from anywhere, nothing after closed', () => {
  assert.equal(CONNECTION_TRANSITIONS.held.connect, 'connecting');
  assert.equal(CONNECTION_TRANSITIONS.connecting.connected, 'open');
  assert.equal(CONNECTION_TRANSITIONS.connecting.requeue, 'held');
  assert.equal(CONNECTION_TRANSITIONS.open.requeue, 'held');
  assert.equal(CONNECTION_TRANSITIONS.held.requeue, undefined, 'a held connection is not requeued twice');
  assert.equal(CONNECTION_TRANSITIONS.open.connect, undefined, 'an open connection is not connected again');
  for (const phase of ['held', 'connecting', 'open'] as const) assert.equal(CONNECTION_TRANSITIONS[phase].closed, 'closed');
  assert.deepEqual(CONNECTION_TRANSITIONS.closed, {});
});

test('a real connection reports each phase change once, in order, and is released once', async () => {
  const backend = net.createServer((s) => s.pipe(s));
  backend.listen(0, '127.0.0.1');
  await once(backend, 'listening');
  const front = net.createServer({ pauseOnConnect: true });
  front.listen(0, '127.0.0.1');
  await once(front, 'listening');
  const accepted = once(front, 'connection');
  const client = net.connect((front.address() as net.AddressInfo).port, '127.0.0.1');
  const [downstream] = (await accepted) as [net.Socket];
  const moves: string[] = [];
  let released = 0;
  const accounting = { addUp: () => undefined, addDown: () => undefined, close: () => undefined, counted: true };
  const c = new TcpConnection(
    'web',
    downstream,
    parseBackend(`127.0.0.1:${(backend.address() as net.AddressInfo).port}`),
    {
      moved: (conn, from: ConnectionPhase) => moves.push(`${from}→${conn.phase}`),
      connectFailed: () => 'close',
      error: () => undefined,
      released: () => (released += 1),
    },
    accounting,
    new ReadBuffers(),
  );
  assert.equal(c.phase, 'held');
  c.release();
  client.write('ping');
  const [echo] = (await once(client, 'data')) as [Buffer];
  assert.equal(echo.toString(), 'ping');
  assert.equal(c.bytesUp, 4);
  assert.equal(c.bytesDown, 4);
  client.destroy();
  await new Promise<void>((resolve) => {
    const check = (): void => (released > 0 ? resolve() : void setTimeout(check, 5));
    check();
  });
  assert.deepEqual(moves, ['held→connecting', 'connecting→open', 'open→closed']);
  assert.equal(released, 1);
  backend.close();
  front.close();
});
