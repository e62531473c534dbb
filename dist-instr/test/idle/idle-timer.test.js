import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { IdleTimer } from '../../src/idle/idle-timer.js';
test('fires once the timeout passes without activity, measured from the last touch', async () => {
    const fired = [];
    const t0 = performance.now();
    const timer = new IdleTimer(120, () => fired.push(performance.now() - t0));
    timer.start();
    await sleep(60);
    timer.touch(); // pushes the deadline to ~180 ms
    await sleep(100);
    assert.equal(fired.length, 0);
    await sleep(150);
    assert.equal(fired.length, 1);
    assert.ok(fired[0] >= 175, `fired at ${fired[0]} ms`);
    timer.stop();
});
test('never fires with an infinite timeout, and stop() disarms', async () => {
    let fired = 0;
    const never = new IdleTimer(Infinity, () => fired++);
    never.start();
    assert.equal(never.remainingMs(), Infinity);
    const stopped = new IdleTimer(20, () => fired++);
    stopped.start();
    stopped.stop();
    await sleep(60);
    assert.equal(fired, 0);
});
test('a shorter timeout applied while running takes effect', async () => {
    let fired = 0;
    const timer = new IdleTimer(10_000, () => fired++);
    timer.start();
    timer.setTimeoutMs(30);
    await sleep(80);
    assert.equal(fired, 1);
});
//# sourceMappingURL=idle-timer.test.js.map