// The watchdog timer (src/systemd/watchdog.ts): WATCHDOG=1 at once and every half interval,
// nothing without WATCHDOG_USEC; and the event-loop-blocking test hook's setting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readBlockHook, startWatchdog } from '../../src/systemd/watchdog.js';
function fakeNotifier(intervalMs) {
    const n = {
        pings: 0,
        transport: 'none',
        ready() { },
        status() { },
        stopping() { },
        reloading() { },
        watchdog() { n.pings += 1; },
        watchdogIntervalMs: () => intervalMs,
        flush: () => Promise.resolve(),
    };
    return n;
}
test('pings at once, then every half of WATCHDOG_USEC, until stopped', (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const n = fakeNotifier(30_000);
    const w = startWatchdog(n);
    assert.ok(w);
    assert.equal(w.periodMs, 15_000);
    assert.equal(n.pings, 1);
    t.mock.timers.tick(14_999);
    assert.equal(n.pings, 1);
    t.mock.timers.tick(1);
    assert.equal(n.pings, 2);
    t.mock.timers.tick(30_000);
    assert.equal(n.pings, 4);
    w.stop();
    w.stop();
    t.mock.timers.tick(60_000);
    assert.equal(n.pings, 4);
});
test('off without a watchdog interval', () => {
    const n = fakeNotifier(0);
    assert.equal(startWatchdog(n), undefined);
    assert.equal(n.pings, 0);
});
test('MRSOCKO_DEBUG_BLOCK_ON takes SIGUSR1 or SIGUSR2 only', () => {
    assert.deepEqual(readBlockHook({}), {});
    assert.deepEqual(readBlockHook({ MRSOCKO_DEBUG_BLOCK_ON: '' }), {});
    assert.deepEqual(readBlockHook({ MRSOCKO_DEBUG_BLOCK_ON: 'SIGUSR2' }), { signal: 'SIGUSR2' });
    assert.deepEqual(readBlockHook({ MRSOCKO_DEBUG_BLOCK_ON: 'usr1' }), { signal: 'SIGUSR1' });
    assert.match(readBlockHook({ MRSOCKO_DEBUG_BLOCK_ON: 'SIGTERM' }).signal ?? 'none', /none/);
    const bad = readBlockHook({ MRSOCKO_DEBUG_BLOCK_ON: 'SIGTERM' });
    assert.ok('problem' in bad && /takes SIGUSR1 or SIGUSR2/.test(bad.problem ?? ''));
});
//# sourceMappingURL=watchdog.test.js.map