// The idle policy on a fake clock: max_runtime, min_runtime, connections_count and exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdlePolicy } from '../../src/idle/policy.js';
import { FakeClock } from '../helpers/fake-clock.js';
function setup(idle) {
    const clock = new FakeClock();
    const config = { timeoutMs: 60_000, maxRuntimeMs: Infinity, minRuntimeMs: 0, keepalive: [], connectionsCount: false, exit: false, minBytes: 0, freezeMs: Infinity, ...idle };
    const stops = [];
    const freezes = [];
    const demands = [];
    let exits = 0;
    let counted = 0;
    let open = 0;
    const lifecycle = {
        phase: 'running',
        since: 0,
        get phaseAgeMs() {
            return clock.now() - this.since;
        },
        launchCount: 1,
        idle: (reason) => stops.push(reason),
        freeze: (reason) => freezes.push(reason),
        demand: (trigger) => demands.push(trigger),
    };
    const policy = new IdlePolicy({
        config: () => config,
        lifecycle,
        countedOpen: () => counted,
        openClients: () => open,
        exit: () => (exits += 1),
        clock,
    });
    return {
        clock, policy, stops, lifecycle, freezes, demands,
        exits: () => exits,
        setCounted: (n) => (counted = n),
        setOpen: (n) => (open = n),
    };
}
test('max_runtime stops a busy backend on time, on the injected clock', () => {
    const t = setup({ maxRuntimeMs: 4 * 3600_000, timeoutMs: Infinity });
    t.policy.phaseChanged('running');
    t.clock.advance(4 * 3600_000 - 1);
    assert.deepEqual(t.stops, []);
    t.clock.advance(1);
    assert.deepEqual(t.stops, ['max_runtime (4h) reached']);
    t.policy.stop();
});
test('exit = yes: once stopped with nobody connected, exit is asked for exactly once', () => {
    const t = setup({ exit: true });
    t.setOpen(1);
    t.lifecycle.phase = 'stopped';
    t.policy.phaseChanged('stopped');
    assert.equal(t.exits(), 0, 'a client is still connected');
    t.setOpen(0);
    t.policy.clientClosed(false, 'connection');
    assert.equal(t.exits(), 1);
    t.policy.clientClosed(false, 'flow');
    assert.equal(t.exits(), 1);
    assert.equal(t.policy.exiting, true);
});
test('timeout, min_runtime and connections_count on the fake clock: a 15 min countdown in microseconds', () => {
    const t = setup({ timeoutMs: 15 * 60_000, minRuntimeMs: 20 * 60_000, connectionsCount: true });
    t.policy.phaseChanged('running');
    t.clock.advance(15 * 60_000);
    assert.deepEqual(t.stops, [], 'min_runtime (20 min) not reached');
    t.clock.advance(5 * 60_000);
    assert.deepEqual(t.stops, ['no traffic for 20min']);
    // a new run with an open counted connection: it holds the countdown until it closes
    t.stops.length = 0;
    t.lifecycle.since = t.clock.now() - 60 * 60_000;
    t.setCounted(1);
    t.policy.phaseChanged('running');
    t.clock.advance(45 * 60_000);
    assert.deepEqual(t.stops, [], 'held up by the open connection');
    t.setCounted(0);
    t.policy.clientClosed(true, 'connection'); // the countdown starts from its end
    t.clock.advance(15 * 60_000 - 1);
    assert.deepEqual(t.stops, []);
    t.clock.advance(1);
    assert.deepEqual(t.stops, ['no traffic for 15min']);
    t.policy.stop();
});
test('min_bytes: small traffic does not restart the countdown; once min_bytes add up it does', () => {
    const t = setup({ timeoutMs: 1000, minBytes: 1000 });
    t.policy.phaseChanged('running');
    // a keep-alive: 60 bytes every 300 ms never adds up to 1000 within a timeout
    for (let at = 300; at < 1000; at += 300) {
        t.clock.advance(300);
        t.policy.touch(t.clock.now(), 60);
    }
    assert.equal(t.policy.bytesTowardRestart, 180);
    t.clock.advance(100);
    assert.deepEqual(t.stops, ['no traffic for 1s']);
    // a stream: 400 bytes each 300 ms restarts it about every 750 ms
    const s = setup({ timeoutMs: 1000, minBytes: 1000 });
    s.policy.phaseChanged('running');
    for (let i = 0; i < 30; i += 1) {
        s.clock.advance(300);
        s.policy.touch(s.clock.now(), 400);
    }
    assert.deepEqual(s.stops, []);
    assert.equal(s.policy.bytesTowardRestart, 0, 'the 30th chunk reached 1200: the counter starts again');
    s.clock.advance(1000);
    assert.equal(s.stops.length, 1);
    t.policy.stop();
    s.policy.stop();
});
test('min_bytes = 0 (and absent): every byte restarts the countdown, as before', () => {
    const t = setup({ timeoutMs: 1000, minBytes: 0 });
    t.policy.phaseChanged('running');
    for (let i = 0; i < 10; i += 1) {
        t.clock.advance(900);
        t.policy.touch(t.clock.now(), 1);
    }
    assert.deepEqual(t.stops, []);
    t.policy.stop();
});
//# sourceMappingURL=policy.test.js.map