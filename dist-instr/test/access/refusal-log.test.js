// Refusal logging: the first refusal of a source is a line, the rest are counted and
// summarised per window, and the number of lines per window is bounded whatever the flood.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { RefusalLog } from '../../src/access/refusal-log.js';
import { clientAddress } from '../../src/net/address.js';
import { formatEvent } from '../../src/log/events.js';
function recorder(windowMs, maxSources = 4) {
    const events = [];
    const log = new RefusalLog({ emit: (e) => events.push(e), explain: (r) => `because ${r}`, windowMs, maxSources });
    return { log, events };
}
/** The connection and datagram counts the lines account for. */
function accounted(events) {
    let n = 0;
    for (const e of events) {
        if (e.kind === 'client-refused')
            n += 1;
        if (e.kind === 'refusals-summary' || e.kind === 'refusals-other')
            n += e.connections + e.datagrams;
    }
    return n;
}
test('one source: a first line, then one summary per window with the exact count', async () => {
    const { log, events } = recorder(100);
    const a = clientAddress('::ffff:127.0.0.1');
    for (let i = 0; i < 1000; i++)
        log.refused(a, 'web', `[::ffff:127.0.0.1]:${1000 + i}`, 'not-allowed', 'connection');
    assert.equal(events.length, 1);
    assert.match(formatEvent(events[0]).message, /^web: refused connection from \[::ffff:127\.0\.0\.1\]:1000: because not-allowed \(further refusals of 127\.0\.0\.1 are summed up every 100ms\)$/);
    assert.equal(formatEvent(events[0]).level, 'notice');
    await sleep(150);
    assert.equal(events.length, 2);
    assert.match(formatEvent(events[1]).message, /^refused another 999 connections from 127\.0\.0\.1 in the last \d+ms \(not in allow\)$/);
    // a quiet window forgets the source; the next refusal is a first line again
    await sleep(250);
    log.refused(a, 'web', 'x', 'max-per-source', 'datagram');
    assert.equal(events.length, 3);
    assert.equal(events[2].kind, 'client-refused');
    log.shutdown();
    assert.equal(accounted(events), 1001);
});
test('a flood from 10 000 sources: at most 2 × maxSources + 1 lines per window, and every refusal accounted for', () => {
    const { log, events } = recorder(60_000, 4);
    for (let i = 0; i < 10_000; i++) {
        const a = clientAddress(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
        log.refused(a, 'web', a.key, i % 2 ? 'denied' : 'max-connections', 'connection');
        log.refused(clientAddress('10.0.0.0'), 'web', 'again', 'denied', 'connection');
    }
    log.shutdown();
    assert.ok(events.length <= log.linesPerWindow, `${events.length} lines`);
    assert.equal(accounted(events), 20_000);
    const other = events.find((e) => e.kind === 'refusals-other');
    assert.ok(other);
    assert.match(formatEvent(other).message, /^refused 9996 connections from 9996 other sources in the last \d+ms \(max_connections: 4998, deny: 4998; too many sources to log each\)$/);
});
//# sourceMappingURL=refusal-log.test.js.map