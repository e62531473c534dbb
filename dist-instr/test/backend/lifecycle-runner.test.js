// The lifecycle runner on a fake clock and a scripted driver: a 60 s back-off in
// microseconds, start_timeout during a back-off, stale launches, and no re-entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BackendLifecycle } from '../../src/backend/lifecycle-runner.js';
import { FakeClock } from '../helpers/fake-clock.js';
/** A driver whose starts fail while `failing`; each start and stop is counted. */
function scriptedDriver() {
    return {
        description: 'scripted',
        failing: true,
        starts: 0,
        stops: 0,
        async start() {
            this.starts += 1;
            if (this.failing)
                throw new Error('exit status 1');
        },
        async stop() {
            this.stops += 1;
        },
    };
}
const settle = () => new Promise((resolve) => setImmediate(resolve));
function setup(startTimeoutMs = 90_000) {
    const clock = new FakeClock();
    const driver = scriptedDriver();
    const logs = [];
    const calls = [];
    const clients = {
        releaseHeld: () => (calls.push('release'), 3),
        failHeld: () => (calls.push('fail'), 2),
        closeClients: () => (calls.push('close'), 0),
    };
    const lifecycle = new BackendLifecycle(driver, { startTimeoutMs, probe: async () => undefined, clients, log: (e) => logs.push(e), clock });
    return { clock, driver, logs, calls, lifecycle };
}
test('repeated failures back off 1 s, 2 s, 4 s … up to 60 s, driven in microseconds, and status shows the wait', async () => {
    const { clock, driver, logs, lifecycle } = setup();
    const delays = [];
    const began = performance.now();
    for (let failure = 1; failure <= 9; failure += 1) {
        lifecycle.demand('client');
        const retry = lifecycle.retry;
        if (retry !== undefined) {
            assert.equal(lifecycle.phase, 'starting');
            assert.equal(retry.failures, failure - 1);
            delays.push(retry.inMs);
            clock.advance(retry.inMs);
        }
        await settle(); // the launch fails, the stop runs
        await settle();
        assert.equal(lifecycle.phase, 'stopped', `after failure ${failure}`);
    }
    assert.ok(performance.now() - began < 2000, 'the back-offs did not take real time');
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000]);
    assert.equal(driver.starts, 9);
    const backoffs = logs.filter((e) => e.kind === 'backend-backoff');
    assert.equal(backoffs.length, 7);
    assert.deepEqual(backoffs.at(-1), { kind: 'backend-backoff', backend: 'scripted', failures: 8, delayMs: 60_000 });
    // a success resets the count: the next failure starts at once again
    driver.failing = false;
    lifecycle.demand('client');
    clock.advance(60_000);
    await settle();
    await settle();
    assert.equal(lifecycle.phase, 'running');
    lifecycle.idle('no traffic');
    await settle();
    driver.failing = true;
    lifecycle.demand('client');
    assert.equal(lifecycle.retry, undefined, 'no wait after a clean stop');
});
test('start_timeout during a back-off fails the waiting clients without counting a new failure', async () => {
    const { clock, logs, calls, lifecycle } = setup(5000);
    for (let i = 0; i < 2; i += 1) {
        lifecycle.demand('client');
        await settle();
        await settle();
    }
    lifecycle.demand('client');
    assert.equal(lifecycle.retry?.inMs, 1000);
    clock.advance(999);
    assert.equal(lifecycle.phase, 'starting');
    // now the retry launches and fails again: back to stopped, 3 failures
    clock.advance(1);
    await settle();
    await settle();
    lifecycle.demand('client');
    assert.equal(lifecycle.retry?.inMs, 2000);
    lifecycle.demand('another client'); // no second wait, no second launch
    assert.equal(clock.pending, 2, 'one retry timer and one start_timeout timer');
    const failed = logs.filter((e) => e.kind === 'backend-start-failed').length;
    clock.advance(2000);
    await settle();
    await settle();
    assert.equal(logs.filter((e) => e.kind === 'backend-start-failed').length, failed + 1);
    assert.ok(calls.filter((c) => c === 'fail').length >= 4);
});
test('a start_timeout shorter than the back-off: "not retried within start_timeout", no launch', async () => {
    const { clock, driver, logs, lifecycle } = setup(500);
    for (let i = 0; i < 2; i += 1) {
        lifecycle.demand('client');
        await settle();
        await settle();
    }
    const starts = driver.starts;
    lifecycle.demand('client');
    clock.advance(500);
    await settle();
    assert.equal(driver.starts, starts, 'not launched');
    const last = logs.filter((e) => e.kind === 'backend-start-failed').at(-1);
    assert.deepEqual(last, {
        kind: 'backend-start-failed',
        backend: 'scripted',
        reason: 'not retried within start_timeout (500 ms): waiting 1 s after 2 failed starts in a row',
        closed: 2,
    });
    assert.equal(lifecycle.retry, undefined);
});
test('a launch that outlives start_timeout is stale: its late success changes nothing', async () => {
    const clock = new FakeClock();
    const finish = [];
    const driver = {
        description: 'slow',
        start: () => new Promise((resolve) => finish.push(resolve)),
        stop: async () => undefined,
    };
    const logs = [];
    const released = [];
    const lifecycle = new BackendLifecycle(driver, {
        startTimeoutMs: 1000,
        probe: async () => undefined,
        clients: { releaseHeld: () => (released.push(1), 1), failHeld: () => 1, closeClients: () => 0 },
        log: (e) => logs.push(e),
        clock,
    });
    lifecycle.demand('client');
    clock.advance(1000);
    await settle();
    assert.equal(lifecycle.phase, 'stopped');
    lifecycle.demand('client'); // attempt 2, still launching
    finish[0]?.(); // attempt 1's start resolves late: stale, ignored
    await settle();
    await settle();
    assert.equal(lifecycle.phase, 'starting', 'a stale launch does not make the backend ready');
    assert.equal(released.length, 0);
    finish[1]?.();
    await settle();
    await settle();
    assert.equal(lifecycle.phase, 'running');
    assert.equal(released.length, 1, 'released once, by the current attempt');
    assert.match(logs.find((e) => e.kind === 'backend-start-failed')?.reason ?? '', /within start_timeout \(1000 ms\)/);
});
test('a client effect that demands the backend again is queued, not re-entered', async () => {
    const clock = new FakeClock();
    const driver = scriptedDriver();
    driver.failing = false;
    const order = [];
    let lifecycle;
    lifecycle = new BackendLifecycle(driver, {
        startTimeoutMs: 1000,
        probe: async () => undefined,
        clients: {
            releaseHeld: () => 0,
            failHeld: () => 0,
            closeClients: () => {
                // a connection still connecting goes back to waiting and asks again
                lifecycle?.demand('requeued');
                order.push(`close-clients in ${lifecycle?.phase}`);
                return 0;
            },
        },
        log: (e) => order.push(e.kind),
        clock,
    });
    lifecycle.demand('client');
    await settle();
    assert.equal(lifecycle.phase, 'running');
    order.length = 0;
    lifecycle.idle('no traffic');
    // the demand ran after the whole idle transition: the stop was logged before it took effect
    assert.deepEqual(order, ['close-clients in stopping', 'backend-stop']);
    await settle();
    await settle();
    assert.equal(lifecycle.phase, 'running', 'restarted for the requeued client');
    assert.equal(driver.starts, 2);
});
//# sourceMappingURL=lifecycle-runner.test.js.map