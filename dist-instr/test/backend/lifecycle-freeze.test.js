// Freezing ([idle] freeze) in the lifecycle: the pure transitions, then the runner and the
// idle policy together on the fake clock with a driver that records what it was asked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transition, INITIAL_STATE } from '../../src/backend/lifecycle.js';
import { BackendLifecycle } from '../../src/backend/lifecycle-runner.js';
import { IdlePolicy } from '../../src/idle/policy.js';
import { FakeClock } from '../helpers/fake-clock.js';
const running = { ...INITIAL_STATE, phase: 'running', attempt: 1, launches: 1 };
const freeze = { type: 'freeze', reason: 'no traffic for 5min' };
const demand = { type: 'demand', trigger: '127.0.0.1:5000' };
function run(events, from = running) {
    let state = from;
    const effects = [];
    let now = 0;
    for (const e of events) {
        now += 10;
        const t = transition(state, e, now);
        state = t.next;
        for (const x of t.effects) {
            if (x.type === 'stop')
                effects.push(x.thawFirst === true ? 'stop(thaw first)' : 'stop');
            else if (x.type !== 'log')
                effects.push(x.type);
        }
    }
    return { state, effects };
}
test('running → frozen → (a client) thawing → running, the client held until the thaw', () => {
    let r = run([freeze]);
    assert.equal(r.state.phase, 'frozen');
    assert.deepEqual(r.effects, ['freeze']);
    r = run([freeze, { type: 'frozen', how: 'cgroup freezer' }, demand, demand]);
    assert.equal(r.state.phase, 'thawing');
    assert.deepEqual(r.effects, ['freeze', 'thaw'], 'one thaw however many clients');
    r = run([freeze, { type: 'frozen', how: 'x' }, demand, { type: 'thawed' }]);
    assert.equal(r.state.phase, 'running');
    assert.deepEqual(r.effects, ['freeze', 'thaw', 'release-held']);
    assert.equal(r.state.launches, 1, 'a thaw is not a launch');
});
test('a thaw logs how long it took; a freeze logs how', () => {
    let s = transition(running, freeze, 0).next;
    const frozen = transition(s, { type: 'frozen', how: 'SIGSTOP to every process' }, 5);
    assert.deepEqual(frozen.effects, [{ type: 'log', line: { kind: 'backend-report', level: 'info', message: 'frozen (SIGSTOP to every process); the next client thaws it' } }]);
    s = transition(frozen.next, demand, 1000).next;
    const thawed = transition(s, { type: 'thawed' }, 1003);
    assert.deepEqual(thawed.effects.at(-1), { type: 'log', line: { kind: 'backend-report', level: 'info', message: 'thawed in 3 ms' } });
});
test('timeout, an exit and shutdown stop a frozen backend, thawing it first', () => {
    const frozen = [freeze, { type: 'frozen', how: 'x' }];
    let r = run([...frozen, { type: 'idle', reason: 'no traffic for 15min' }, { type: 'stopped' }]);
    assert.equal(r.state.phase, 'stopped');
    assert.deepEqual(r.effects, ['freeze', 'close-clients', 'stop(thaw first)']);
    r = run([...frozen, { type: 'exited', status: 'killed by SIGKILL' }]);
    assert.equal(r.state.phase, 'stopping');
    assert.deepEqual(r.effects, ['freeze', 'fail-held', 'close-clients', 'log-exited', 'stop(thaw first)']);
    r = run([...frozen, { type: 'shutdown' }, { type: 'stopped' }]);
    assert.deepEqual(r.effects, ['freeze', 'fail-held', 'close-clients', 'stop(thaw first)', 'finished']);
    // while thawing, the idle countdown does not stop it (a client waits); a shutdown does
    r = run([...frozen, demand, { type: 'idle', reason: 'x' }]);
    assert.equal(r.state.phase, 'thawing');
    r = run([...frozen, demand, { type: 'shutdown' }]);
    assert.deepEqual(r.effects, ['freeze', 'thaw', 'fail-held', 'close-clients', 'stop(thaw first)']);
});
test('a freeze that fails leaves it running (held clients served); a thaw that fails stops it', () => {
    let r = run([freeze, demand, { type: 'freeze-failed', reason: 'no cgroup' }]);
    assert.equal(r.state.phase, 'running');
    assert.deepEqual(r.effects, ['freeze', 'thaw', 'release-held']);
    r = run([freeze, { type: 'freeze-failed', reason: 'no cgroup' }]);
    assert.deepEqual(r.effects, ['freeze', 'release-held']);
    r = run([freeze, { type: 'frozen', how: 'x' }, demand, { type: 'thaw-failed', reason: 'EACCES' }]);
    assert.equal(r.state.phase, 'stopping');
    assert.deepEqual(r.effects, ['freeze', 'thaw', 'fail-held', 'close-clients', 'stop(thaw first)']);
});
/** A driver that records calls; its freeze resolves when told. */
function recordingDriver() {
    const calls = [];
    const driver = {
        description: 'recorded',
        async start() { calls.push('start'); },
        async stop() { calls.push('stop'); },
        async freeze() { calls.push('freeze'); return 'test freezer'; },
        async thaw() { calls.push('thaw'); },
    };
    return { driver, calls };
}
const settle = async () => {
    for (let i = 0; i < 5; i += 1)
        await new Promise((resolve) => setImmediate(resolve));
};
function setup(idle, changeDriver = () => undefined) {
    const clock = new FakeClock();
    const { driver, calls } = recordingDriver();
    changeDriver(driver);
    const logs = [];
    const clients = {
        releaseHeld: () => (calls.push('release'), 1),
        failHeld: () => 0,
        closeClients: () => (calls.push('close'), 0),
    };
    const config = { timeoutMs: 15 * 60_000, maxRuntimeMs: Infinity, minRuntimeMs: 0, keepalive: [], connectionsCount: false, exit: false, minBytes: 0, freezeMs: 5 * 60_000, ...idle };
    let policy;
    const lifecycle = new BackendLifecycle(driver, {
        startTimeoutMs: 90_000, probe: async () => undefined, clients, log: (e) => logs.push(e), clock,
        changed: (s) => policy?.phaseChanged(s.phase),
    });
    policy = new IdlePolicy({ config: () => config, lifecycle, countedOpen: () => 0, openClients: () => 0, exit: () => undefined, clock });
    return { clock, calls, logs, lifecycle, policy, config };
}
test('on the fake clock: frozen after `freeze` idle, thawed by the next client, stopped `timeout` after the last activity', async () => {
    const t = setup({});
    t.lifecycle.demand('client');
    await settle();
    assert.equal(t.lifecycle.phase, 'running');
    t.clock.advance(4 * 60_000);
    t.policy.touch(t.clock.now(), 100); // activity at 4 min
    t.clock.advance(5 * 60_000 - 1);
    assert.equal(t.lifecycle.phase, 'running', 'not before 5 min of idle');
    t.clock.advance(1);
    await settle();
    assert.equal(t.lifecycle.phase, 'frozen');
    assert.deepEqual(t.calls, ['start', 'release', 'freeze']);
    assert.ok(t.logs.some((e) => e.kind === 'backend-report' && e.message === 'frozen (test freezer); the next client thaws it'));
    // a client thaws it, and is released once thawed
    t.lifecycle.demand('client 2');
    assert.equal(t.lifecycle.phase, 'thawing');
    await settle();
    assert.equal(t.lifecycle.phase, 'running');
    assert.deepEqual(t.calls.slice(3), ['thaw', 'release']);
    // frozen again 5 min later; then `timeout` (15 min after the last activity) stops it, thawing first
    t.clock.advance(5 * 60_000);
    await settle();
    assert.equal(t.lifecycle.phase, 'frozen');
    t.clock.advance(10 * 60_000 - 1);
    await settle();
    assert.equal(t.lifecycle.phase, 'frozen', 'the countdown runs on while frozen');
    t.clock.advance(1);
    await settle();
    assert.equal(t.lifecycle.phase, 'stopped');
    assert.deepEqual(t.calls.slice(5), ['freeze', 'close', 'thaw', 'stop']);
    t.policy.stop();
});
test('on the fake clock: counted traffic on an open connection thaws a frozen backend; min_bytes sets how much', async () => {
    const t = setup({ minBytes: 1000 });
    t.lifecycle.demand('client');
    await settle();
    t.clock.advance(5 * 60_000);
    await settle();
    assert.equal(t.lifecycle.phase, 'frozen');
    t.policy.touch(t.clock.now(), 60);
    await settle();
    assert.equal(t.lifecycle.phase, 'frozen', 'a keep-alive below min_bytes does not thaw it');
    t.policy.touch(t.clock.now(), 1000);
    await settle();
    assert.equal(t.lifecycle.phase, 'running');
    t.policy.stop();
});
test('on the fake clock: a driver that cannot freeze keeps the backend running until timeout', async () => {
    const t = setup({}, (driver) => {
        driver.freeze = async () => {
            throw new Error('no cgroup and no process');
        };
    });
    t.lifecycle.demand('client');
    await settle();
    t.clock.advance(5 * 60_000);
    await settle();
    assert.equal(t.lifecycle.phase, 'running');
    assert.ok(t.logs.some((e) => e.kind === 'backend-report' && e.level === 'warning' && e.message.includes('could not freeze the backend (no cgroup and no process)')));
    t.clock.advance(10 * 60_000 - 1);
    await settle();
    assert.equal(t.lifecycle.phase, 'running', 'no second try; the countdown goes on from the last activity');
    t.clock.advance(1);
    await settle();
    assert.equal(t.lifecycle.phase, 'stopped');
    t.policy.stop();
});
test('on the fake clock: a reload that sets freeze applies to the running backend', async () => {
    const t = setup({ freezeMs: Infinity });
    t.lifecycle.demand('client');
    await settle();
    t.clock.advance(6 * 60_000);
    await settle();
    assert.equal(t.lifecycle.phase, 'running', 'no freeze configured');
    Object.assign(t.config, { freezeMs: 5 * 60_000 }); // the daemon's config() returns the new [idle] once reloaded
    t.policy.reload(t.config);
    t.clock.advance(0);
    await settle();
    assert.equal(t.lifecycle.phase, 'frozen', 'idle for 6 min already: frozen at once');
    t.policy.stop();
});
//# sourceMappingURL=lifecycle-freeze.test.js.map