// A TCP connection's state machine: the table on its own, then a real connection over
// loopback reporting every phase change in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { CONNECTION_TRANSITIONS, TcpConnection } from '../../src/proxy/tcp.js';
import { ReadBuffers } from '../../src/proxy/read-buffers.js';
import { parseBackend } from '../../src/config/address.js';
test('the connection state machine: held → connecting → open, requeue back to held, closed from anywhere, nothing after closed', () => {
    assert.equal(CONNECTION_TRANSITIONS.held.connect, 'connecting');
    assert.equal(CONNECTION_TRANSITIONS.connecting.connected, 'open');
    assert.equal(CONNECTION_TRANSITIONS.connecting.requeue, 'held');
    assert.equal(CONNECTION_TRANSITIONS.open.requeue, 'held');
    assert.equal(CONNECTION_TRANSITIONS.held.requeue, undefined, 'a held connection is not requeued twice');
    assert.equal(CONNECTION_TRANSITIONS.open.connect, undefined, 'an open connection is not connected again');
    for (const phase of ['held', 'connecting', 'open'])
        assert.equal(CONNECTION_TRANSITIONS[phase].closed, 'closed');
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
    const client = net.connect(front.address().port, '127.0.0.1');
    const [downstream] = (await accepted);
    const moves = [];
    let released = 0;
    const accounting = { addUp: () => undefined, addDown: () => undefined, close: () => undefined, counted: true };
    const c = new TcpConnection('web', downstream, parseBackend(`127.0.0.1:${backend.address().port}`), {
        moved: (conn, from) => moves.push(`${from}→${conn.phase}`),
        connectFailed: () => 'close',
        error: () => undefined,
        released: () => (released += 1),
    }, accounting, new ReadBuffers());
    assert.equal(c.phase, 'held');
    c.release();
    client.write('ping');
    const [echo] = (await once(client, 'data'));
    assert.equal(echo.toString(), 'ping');
    assert.equal(c.bytesUp, 4);
    assert.equal(c.bytesDown, 4);
    client.destroy();
    await new Promise((resolve) => {
        const check = () => (released > 0 ? resolve() : void setTimeout(check, 5));
        check();
    });
    assert.deepEqual(moves, ['held→connecting', 'connecting→open', 'open→closed']);
    assert.equal(released, 1);
    backend.close();
    front.close();
});
test('answered: only from held, then only closed', () => {
    assert.equal(CONNECTION_TRANSITIONS.held.answer, 'answered');
    assert.equal(CONNECTION_TRANSITIONS.connecting.answer, undefined);
    assert.equal(CONNECTION_TRANSITIONS.open.answer, undefined);
    assert.deepEqual(CONNECTION_TRANSITIONS.answered, { closed: 'closed' });
});
test('read-ahead while held: bounded, every reader told, the bytes go upstream first and intact', async () => {
    const received = [];
    const backend = net.createServer((s) => s.on('data', (c) => received.push(c)));
    backend.listen(0, '127.0.0.1');
    await once(backend, 'listening');
    const front = net.createServer({ pauseOnConnect: true, allowHalfOpen: true });
    front.listen(0, '127.0.0.1');
    await once(front, 'listening');
    const accepted = once(front, 'connection');
    const client = net.connect(front.address().port, '127.0.0.1');
    const [downstream] = (await accepted);
    const accounting = { addUp: () => undefined, addDown: () => undefined, close: () => undefined, counted: true };
    const c = new TcpConnection('web', downstream, parseBackend(`127.0.0.1:${backend.address().port}`), { moved: () => undefined, connectFailed: () => 'close', error: () => undefined, released: () => undefined }, accounting, new ReadBuffers());
    const told = [];
    c.readWhileHeld(1024, () => told.push('a'));
    c.readWhileHeld(4096, () => told.push('b'));
    const sent = Buffer.alloc(8 * 1024 * 1024, 7);
    for (let i = 0; i < sent.length; i += 997)
        sent[i] = i & 0xff;
    client.write(sent);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(c.prereadBytes >= 4096 && c.prereadBytes <= 4096 + 64 * 1024, `read ${c.prereadBytes} while held`);
    assert.ok(told.includes('a') && told.includes('b'));
    assert.deepEqual(c.preread, sent.subarray(0, c.prereadBytes));
    c.release();
    while (received.reduce((n, b) => n + b.length, 0) < sent.length)
        await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(Buffer.concat(received).equals(sent));
    assert.equal(c.bytesUp, sent.length);
    client.destroy();
    c.close();
    backend.close();
    front.close();
});
//# sourceMappingURL=tcp.test.js.map