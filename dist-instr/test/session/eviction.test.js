// Who gives way at max_connections (src/session/eviction.ts), on an injected clock: the
// address holding the most, one-datagram flows first, then silent ones, then — only from an
// address holding two more than the newcomer's — a busy one; and the bookkeeping stays
// right through opens, traffic and closes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientTable } from '../../src/session/clients.js';
import { clientAddress } from '../../src/net/address.js';
import { HOLDERS_LOOKED_AT, SILENT_MS } from '../../src/session/eviction.js';
import { EvictionLog } from '../../src/access/eviction-log.js';
import { formatEvent } from '../../src/log/events.js';
const addr = (text) => clientAddress(text);
function setup() {
    const clock = { now: 1000 };
    const table = new ClientTable({ counts: () => true, activity: () => undefined, now: () => clock.now });
    const evicted = [];
    let n = 0;
    const open = (address, kind = 'connection', datagrams = 1) => {
        const h = table.open(addr(address), kind);
        const name = `${address}#${++n}`;
        h.datagrams = datagrams;
        h.victim = {
            socketName: 's',
            peer: name,
            evict: (busy) => evicted.push(`${name}${busy ? ' busy' : ''}`),
            ...(kind === 'flow' ? { clientDatagrams: () => h.datagrams } : {}),
        };
        return h;
    };
    return { table, clock, open, evicted, room: (a) => table.roomFor(addr(a)) };
}
test('the address holding the most gives way: a busy one only while nothing is silent, then its least recently active silent one', () => {
    const s = setup();
    const a = [s.open('10.0.0.1'), s.open('10.0.0.1'), s.open('10.0.0.1')];
    s.open('10.0.0.2');
    s.clock.now += 10;
    // nothing silent: 10.0.0.1 holds 3, two more than the newcomer's 0, and gives its least recently active
    const busy = s.room('10.0.0.9');
    assert.equal(busy?.slot, a[0]);
    assert.equal(busy?.reason, 'busy');
    s.clock.now += SILENT_MS;
    a[0].addUp(10); // traffic: to the back of the line
    const silent = s.room('10.0.0.9');
    assert.equal(silent?.slot, a[1], 'the least recently active silent connection of the largest holder');
    assert.equal(silent?.reason, 'silent');
    assert.equal(silent?.quietMs, SILENT_MS + 10);
    assert.equal(s.table.evict(silent).peer, '10.0.0.1#2');
    assert.deepEqual(s.evicted, ['10.0.0.1#2']);
    assert.equal(s.table.openFor(addr('10.0.0.1')), 2, 'its accounting is released at once');
    assert.equal(s.table.openCount, 3);
    a[1].close(); // the connection's own close later: nothing counted twice
    assert.equal(s.table.openCount, 3);
    assert.equal(s.room('10.0.0.9')?.slot, a[2]);
});
test('one-datagram flows go first, whatever their age; a flow that had a second datagram is only taken when silent', () => {
    const s = setup();
    const conn = s.open('10.0.0.1');
    s.clock.now += 5 * SILENT_MS;
    const chatty = s.open('10.0.0.1', 'flow', 3);
    const oneShot = s.open('10.0.0.1', 'flow', 1);
    s.clock.now += 1;
    const c = s.room('10.0.0.2');
    assert.equal(c?.slot, oneShot);
    assert.equal(c?.reason, 'one-datagram');
    s.table.evict(c);
    assert.equal(s.room('10.0.0.2')?.slot, conn, 'then the silent connection, not the young flow of three datagrams');
    conn.close();
    // 10.0.0.1 holds 1 now, the newcomer 0: only something silent may go
    assert.equal(s.room('10.0.0.2'), undefined);
    s.clock.now += SILENT_MS;
    assert.equal(s.room('10.0.0.2')?.slot, chatty);
});
test('a busy one only from an address holding two more than the newcomer\'s; an address replaces only its own silent ones', () => {
    const s = setup();
    s.open('10.0.0.1');
    s.open('10.0.0.1');
    s.open('10.0.0.2');
    s.clock.now += 1;
    assert.equal(s.room('10.0.0.2'), undefined, '10.0.0.1 holds 2, only one more than 10.0.0.2: refused');
    assert.equal(s.room('10.0.0.1'), undefined, 'the largest holder, all busy: refused');
    assert.equal(s.room('10.0.0.3')?.reason, 'busy', 'a newcomer holding nothing gets in');
    s.clock.now += SILENT_MS;
    assert.equal(s.room('10.0.0.1')?.slot.holder.key, '10.0.0.1', 'its own silent one');
    assert.equal(s.room('10.0.0.2')?.slot.holder.key, '10.0.0.1', 'the largest holder first');
});
test('spoofed sources, one flow each: a new client still gets one of their one-datagram flows', () => {
    const s = setup();
    for (let i = 1; i <= 50; i++)
        s.open(`10.1.0.${i}`, 'flow', 1);
    const c = s.room('192.168.1.1');
    assert.equal(c?.reason, 'one-datagram');
    assert.equal(c?.slot.holder.key, '10.1.0.1', 'the oldest of the largest holders');
});
test(`at most ${HOLDERS_LOOKED_AT} addresses are looked at per admission`, () => {
    const s = setup();
    const quiet = [s.open('10.9.9.9'), s.open('10.9.9.9')];
    s.clock.now += SILENT_MS;
    for (let i = 1; i <= 3 * HOLDERS_LOOKED_AT; i++)
        for (let j = 0; j < 3; j++)
            s.open(`10.2.0.${i}`);
    const c = s.room('192.168.1.1');
    assert.equal(c?.reason, 'busy', 'the silent ones of a smaller holder past the bound are not searched for');
    assert.equal(c?.slot.holder.size, 3);
    for (const h of quiet)
        h.close();
});
test('random opens, traffic and closes: the bookkeeping agrees with a count done from scratch', () => {
    const s = setup();
    let seed = 12345;
    const rnd = (n) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const open = [];
    for (let step = 0; step < 5000; step++) {
        s.clock.now += rnd(300);
        const op = rnd(10);
        if (op < 5 || open.length === 0)
            open.push(s.open(`10.3.0.${rnd(12)}`, rnd(3) === 0 ? 'flow' : 'connection', 1 + rnd(2)));
        else if (op < 8)
            open.splice(rnd(open.length), 1)[0].close();
        else
            open[rnd(open.length)].addDown(1);
        const per = new Map();
        for (const h of open)
            per.set(h.holder.key, [...(per.get(h.holder.key) ?? []), h]);
        const max = Math.max(0, ...[...per.values()].map((l) => l.length));
        const newcomer = `10.3.0.${rnd(12)}`;
        const holds = per.get(newcomer)?.length ?? 0;
        const c = s.room(newcomer);
        for (const [key, list] of per)
            assert.equal(s.table.openFor(addr(key)), list.length);
        if (c === undefined) {
            assert.ok(max < holds + 2, `refused though an address holds ${max} and the newcomer ${holds}`);
            continue;
        }
        assert.ok(open.includes(c.slot), 'an open one');
        const from = per.get(c.slot.holder.key);
        assert.equal(c.holds, from.length);
        if (c.reason === 'busy')
            assert.equal(from.length, max, 'a busy one only from the largest holder');
        if (c.reason === 'silent') {
            assert.ok(s.clock.now - c.slot.lastActivity >= SILENT_MS);
            assert.equal(c.slot.lastActivity, Math.min(...from.map((h) => h.lastActivity)), 'its least recently active');
        }
        if (c.slot.holder.key !== newcomer)
            assert.ok(from.length > holds, 'from an address holding more than the newcomer');
    }
});
test('closures to make room are logged with the bound of refusals: a first line per address, then summaries, every closure accounted for', () => {
    const events = [];
    const log = new EvictionLog({ emit: (e) => events.push(e), windowMs: 60_000, maxSources: 4 });
    const s = setup();
    for (let i = 0; i < 2000; i++) {
        const h = s.open(`10.4.${i % 50}.1`, i % 2 ? 'flow' : 'connection');
        log.evicted({ slot: h, reason: i % 2 ? 'one-datagram' : 'silent', holds: 40, quietMs: 1500 }, h.victim, '192.168.1.1:5555', 1024);
    }
    log.shutdown();
    assert.equal(log.total, 2000);
    assert.ok(events.length <= 2 * 4 + 1, `${events.length} lines`);
    let accounted = 0;
    for (const e of events) {
        if (e.kind === 'client-evicted')
            accounted += 1;
        else if (e.kind === 'evictions-summary' || e.kind === 'evictions-other')
            accounted += e.connections + e.datagrams;
        else
            assert.fail(e.kind);
    }
    assert.equal(accounted, 2000);
    const text = events.map((e) => formatEvent(e));
    assert.ok(text.every((t) => t.level === 'notice'));
    assert.match(text[0].message, /^s: closed connection 10\.4\.0\.1#1 to make room for 192\.168\.1\.1:5555 \(max_connections = 1024 reached\): silent for 2s, 10\.4\.0\.1 holding 40 \(further closures at 10\.4\.0\.1 are summed up every 1min\)$/);
    assert.match(text[1].message, /^s: closed udp flow 10\.4\.1\.1#2 .*: a flow of one datagram, 10\.4\.1\.1 holding 40/);
    assert.ok(text.some((t) => /^closed another 39 connections of 10\.4\.0\.1 in the last \d+ms to make room at max_connections \(silent\)$/.test(t.message)), text.map((t) => t.message).join('\n'));
    assert.ok(text.some((t) => /^closed 9\d\d connections and 9\d\d udp flows of 46 other sources .*\(silent: \d+, one-datagram flows: \d+; too many sources to log each\)$/.test(t.message)), text.map((t) => t.message).join('\n'));
});
//# sourceMappingURL=eviction.test.js.map