// The waiting room: a client is in it exactly while its phase is `held`, both protocols
// in one arrival order, released or failed all together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WaitingRoom } from '../../src/session/waiting-room.js';
import { parseBackend } from '../../src/config/address.js';
class Client {
    kind;
    peer;
    room;
    backend;
    socketName;
    phase = 'held';
    got = 'nothing';
    constructor(kind, peer, room, backend = parseBackend('127.0.0.1:9'), socketName = 'web') {
        this.kind = kind;
        this.peer = peer;
        this.room = room;
        this.backend = backend;
        this.socketName = socketName;
    }
    release(ready) {
        this.got = ready;
        this.phase = 'connecting';
        this.room.moved(this);
    }
    abandon() {
        this.phase = 'closed';
        this.room.moved(this);
    }
}
test('clients of both protocols wait in one room, in arrival order, and leave it when their phase does', () => {
    const room = new WaitingRoom();
    const a = new Client('connection', 'a', room);
    const b = new Client('flow', 'b', room);
    const c = new Client('connection', 'c', room);
    for (const x of [a, b, c])
        room.moved(x);
    room.moved(a); // a second report of the same phase changes nothing
    assert.deepEqual([room.size, room.connectionCount, room.flowCount], [3, 2, 1]);
    assert.equal(room.wantsConnection(parseBackend('127.0.0.1:9')), true);
    assert.equal(room.wantsConnection(parseBackend('127.0.0.1:10')), false);
    const ready = { probe: 1 };
    const released = room.releaseAll((backend) => (backend.text === '127.0.0.1:9' ? ready : undefined));
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
//# sourceMappingURL=waiting-room.test.js.map