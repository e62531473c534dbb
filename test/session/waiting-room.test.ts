// The waiting room: a client is in it exactly while its phase is `held`, both protocols
// in one arrival order, released or failed all together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WaitingRoom, type WaitingClient } from '../../src/session/waiting-room.js';
import { parseBackend } from '../../src/config/address.js';
import type { BackendAddress } from '../../src/config/types.js';

class Client implements WaitingClient {
  phase: WaitingClient['phase'] = 'held';
  got: unknown = 'nothing';
  constructor(
    readonly kind: 'connection' | 'flow',
    readonly peer: string,
    readonly room: WaitingRoom<Client>,
    readonly backend: BackendAddress = parseBackend('127.0.0.1:9'),
    readonly socketName = 'web',
  ) {}
  release(ready?: unknown): void {
    this.got = ready;
    this.phase = 'connecting';
    this.room.moved(this);
  }
  abandon(): void {
    this.phase = 'closed';
    this.room.moved(this);
  }
}

test('clients of both protocols wait in one room, in arrival order, and leave it when their phase does', () => {
  const room = new WaitingRoom<Client>();
  const a = new Client('connection', 'a', room);
  const b = new Client('flow', 'b', room);
  const c = new Client('connection', 'c', room);
  for (const x of [a, b, c]) room.moved(x);
  room.moved(a); // a second report of the same phase changes nothing
  assert.deepEqual([room.size, room.connectionCount, room.flowCount], [3, 2, 1]);
  assert.equal(room.wantsConnection(parseBackend('127.0.0.1:9')), true);
  assert.equal(room.wantsConnection(parseBackend('127.0.0.1:10')), false);
  const ready = { probe: 1 };
  const released = room.releaseAll((backend) => (backend.text === '127.0.0.1:9' ? ready : undefined) as never);
  assert.deepEqual(released.map((x) => x.peer), ['a', 'b', 'c']);
  assert.equal(room.size, 0);
  assert.equal(a.got, ready, 'a connection is given the probe connection');
  assert.equal(b.got, undefined, 'a flow is not');
  // back to held (refused upstream): in the room again; failed: gone
  a.phase = 'held';
  room.moved(a);
  assert.equal(room.has(a), true);
  assert.deepEqual(room.failAll().map((x) => x.peer), ['a']);
  assert.equal(a.phase, 'closed');
  assert.deepEqual([room.size, room.connectionCount, room.flowCount], [0, 0, 0]);
});
