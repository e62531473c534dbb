// Per-client accounting: counts per normalised address, counted vs not, recount on reload,
// bounded memory of clients that left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientTable } from '../../src/session/clients.js';
import { clientAddress } from '../../src/net/address.js';
import { AddressRules } from '../../src/access/rules.js';
const addr = (text) => clientAddress(text);
test('connections and flows of one address add up, whatever the spelling of the address', () => {
    let now = 1000;
    let touches = 0;
    const keepalive = AddressRules.parse(['10.0.0.0/8']);
    const table = new ClientTable({ counts: (a) => keepalive.matches(a), activity: () => touches++, now: () => now });
    const a = table.open(addr('::ffff:10.1.2.3'), 'connection');
    const b = table.open(addr('10.1.2.3'), 'flow');
    const c = table.open(addr('192.168.1.5'), 'connection');
    assert.equal(table.openCount, 3);
    assert.equal(table.openFor(addr('10.1.2.3')), 2);
    assert.equal(table.countedOpen, 2);
    assert.equal(table.activeClients, 2);
    now = 2000;
    a.addUp(100);
    b.addDown(50);
    c.addUp(7);
    assert.equal(touches, 2, 'only counted clients touch the idle timer');
    const [first, second] = table.snapshot();
    assert.deepEqual({ ...first }, { address: '10.1.2.3', connections: 1, flows: 1, bytesUp: 100, bytesDown: 50, firstSeen: 1000, lastActivity: 2000, counted: true });
    assert.equal(second?.address, '192.168.1.5');
    assert.equal(second?.counted, false);
    table.recount(() => true);
    assert.equal(table.countedOpen, 3);
    c.addDown(1);
    assert.equal(touches, 3, 'after a reload the recounted client counts');
    a.close();
    a.close();
    assert.equal(table.openFor(addr('10.1.2.3')), 1, 'close is idempotent');
    b.close();
    c.close();
    assert.equal(table.openCount, 0);
    assert.equal(table.countedOpen, 0);
    assert.equal(table.activeClients, 0);
    assert.equal(table.snapshot().length, 2, 'clients that left are remembered');
});
test('clients with nothing open are remembered up to a bound, the oldest forgotten first', () => {
    const table = new ClientTable({ counts: () => true, activity: () => undefined, maxIdleClients: 3 });
    const live = table.open(addr('10.0.0.1'), 'connection');
    for (let i = 2; i <= 10; i++)
        table.open(addr(`10.0.0.${i}`), 'connection').close();
    const list = table.snapshot().map((s) => s.address);
    assert.deepEqual(list.slice(0, 1), ['10.0.0.1'], 'open clients are never forgotten');
    assert.deepEqual(list.slice(1).sort(), ['10.0.0.10', '10.0.0.8', '10.0.0.9']);
    live.close();
});
test('counts = no: a connection on such a socket never touches the idle timer nor counts as open, through a recount too', () => {
    let touches = 0;
    const table = new ClientTable({ counts: () => true, activity: () => touches++ });
    const counted = table.open(addr('10.0.0.1'), 'connection');
    const health = table.open(addr('10.0.0.1'), 'connection', false);
    const discovery = table.open(addr('10.0.0.2'), 'flow', false);
    assert.equal(table.openCount, 3);
    assert.equal(table.countedOpen, 1);
    assert.equal(health.counted, false);
    assert.equal(counted.counted, true);
    health.addUp(10);
    discovery.addDown(10);
    assert.equal(touches, 0, 'counts = no traffic touched the idle timer');
    counted.addUp(1);
    assert.equal(touches, 1);
    table.recount(() => true);
    assert.equal(table.countedOpen, 1, 'recount counted a counts = no connection');
    health.close();
    discovery.close();
    assert.equal(table.countedOpen, 1);
    counted.close();
    assert.equal(table.countedOpen, 0);
    assert.equal(table.snapshot().find((s) => s.address === '10.0.0.1')?.bytesUp, 11, 'its bytes are still accounted');
});
//# sourceMappingURL=clients.test.js.map