import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transition, INITIAL_STATE } from '../../src/backend/lifecycle.js';
const run = (events, from = INITIAL_STATE) => {
    let state = from;
    const effects = [];
    for (const e of events) {
        const t = transition(state, e);
        state = t.next;
        // plain log lines (type "log") are checked in their own tests below
        effects.push(...t.effects.filter((x) => x.type !== 'log').map((x) => x.type));
    }
    return { state, effects };
};
const demand = { type: 'demand', trigger: '127.0.0.1:5000' };
const idle = { type: 'idle', reason: 'no traffic' };
test('a client starts a stopped backend, and it is released when ready', () => {
    const { state, effects } = run([demand, demand, { type: 'ready' }]);
    assert.equal(state.phase, 'running');
    assert.deepEqual(effects, ['launch', 'release-held']);
});
test('only one launch however many clients arrive while starting', () => {
    const { effects } = run([demand, demand, demand, demand]);
    assert.deepEqual(effects, ['launch']);
});
test('idle stop closes the remaining clients and returns to stopped', () => {
    const { state, effects } = run([demand, { type: 'ready' }, idle, { type: 'stopped' }]);
    assert.equal(state.phase, 'stopped');
    assert.deepEqual(effects, ['launch', 'release-held', 'close-clients', 'stop']);
});
test('a client arriving while stopping is served after a restart', () => {
    const { state, effects } = run([demand, { type: 'ready' }, idle, demand, { type: 'stopped' }, { type: 'ready' }]);
    assert.equal(state.phase, 'running');
    assert.equal(state.restartWanted, false);
    assert.deepEqual(effects, ['launch', 'release-held', 'close-clients', 'stop', 'launch', 'release-held']);
});
test('a failed start closes held clients, cleans up, and the next client tries again', () => {
    const { state, effects } = run([demand, { type: 'start-failed', reason: 'timeout' }, { type: 'stopped' }, demand]);
    assert.equal(state.phase, 'starting');
    assert.deepEqual(effects, ['launch', 'fail-held', 'log-start-failed', 'stop', 'launch']);
});
test('a backend that exits while starting fails the held clients', () => {
    const { state, effects } = run([demand, { type: 'exited', status: 'exit status 1' }]);
    assert.equal(state.phase, 'stopping');
    assert.deepEqual(effects, ['launch', 'fail-held', 'log-start-failed', 'stop']);
});
test('a backend that exits while running closes its clients and is cleaned up', () => {
    const { state, effects } = run([demand, { type: 'ready' }, { type: 'exited', status: 'killed by SIGKILL' }, { type: 'stopped' }]);
    assert.equal(state.phase, 'stopped');
    assert.deepEqual(effects, ['launch', 'release-held', 'close-clients', 'log-exited', 'stop']);
});
test('shutdown from each phase stops what runs and finishes exactly once', () => {
    const cases = [
        [[], ['fail-held', 'finished']],
        [[demand], ['launch', 'fail-held', 'stop', 'finished']],
        [[demand, { type: 'ready' }], ['launch', 'release-held', 'close-clients', 'stop', 'finished']],
        [[demand, { type: 'ready' }, idle], ['launch', 'release-held', 'close-clients', 'stop', 'fail-held', 'finished']],
    ];
    for (const [before, expected] of cases) {
        const { state, effects } = run([...before, { type: 'shutdown' }, { type: 'shutdown' }, { type: 'stopped' }, demand]);
        assert.equal(state.phase, 'stopped', `after ${before.map((e) => e.type).join(',')}`);
        assert.deepEqual(effects.filter((e) => e !== 'fail-held' || expected.includes('fail-held')).slice(0, expected.length), expected);
        assert.equal(effects.filter((e) => e === 'finished').length, 1);
        assert.equal(effects.filter((e) => e === 'launch').length, before.length > 0 ? 1 : 0, 'no launch after shutdown');
    }
});
test('events that do not apply to a phase change nothing', () => {
    const phases = ['stopped', 'starting', 'running', 'frozen', 'thawing', 'stopping'];
    const ignored = {
        stopped: ['ready', 'start-failed', 'idle', 'stopped', 'exited', 'freeze'],
        starting: ['demand', 'idle', 'stopped', 'adopted', 'freeze'],
        running: ['demand', 'ready', 'start-failed', 'stopped', 'adopted'],
        frozen: ['ready', 'start-failed', 'stopped', 'adopted', 'freeze'],
        thawing: ['demand', 'ready', 'start-failed', 'stopped', 'adopted', 'freeze', 'idle'],
        stopping: ['ready', 'start-failed', 'idle', 'exited', 'adopted', 'freeze'],
    };
    const sample = {
        demand, idle, ready: { type: 'ready' }, 'start-failed': { type: 'start-failed', reason: 'x' },
        stopped: { type: 'stopped' }, exited: { type: 'exited', status: 'x' }, shutdown: { type: 'shutdown' },
        adopted: { type: 'adopted', by: 'x' }, freeze: { type: 'freeze', reason: 'x' },
        start: { type: 'start', by: 'x' }, stop: { type: 'stop', by: 'x' }, hold: { type: 'hold', by: 'x', forMs: 1 },
        release: { type: 'release', by: 'x' },
    };
    for (const phase of phases) {
        const state = { ...INITIAL_STATE, phase };
        for (const type of ignored[phase]) {
            const t = transition(state, sample[type]);
            assert.deepEqual(t.next, state, `${phase} + ${type}`);
            assert.deepEqual(t.effects, [], `${phase} + ${type}`);
        }
    }
});
test('back-off, launch generations and log lines are state and effects of transition() alone', () => {
    const at = (s, e, now) => transition(s, e, now);
    let s = INITIAL_STATE;
    const waits = [];
    let now = 0;
    for (let i = 0; i < 4; i += 1) {
        let t = at(s, demand, now);
        const wait = t.effects.find((x) => x.type === 'wait');
        if (wait?.type === 'wait') {
            waits.push(wait.ms);
            assert.deepEqual(t.next.retry, { at: now + wait.ms, delayMs: wait.ms });
            now += wait.ms;
            t = at(t.next, { type: 'retry', attempt: wait.attempt, trigger: wait.trigger }, now);
        }
        assert.ok(t.effects.some((x) => x.type === 'launch'));
        assert.ok(t.effects.some((x) => x.type === 'log' && x.line.kind === 'backend-start'));
        t = at(t.next, { type: 'start-failed', reason: 'exit status 1' }, now);
        t = at(t.next, { type: 'stopped' }, now);
        s = t.next;
    }
    assert.deepEqual(waits, [1000, 2000]);
    assert.equal(s.failures, 4);
    assert.equal(s.launches, 4);
    // a result of an older attempt is ignored
    const starting = at(s, demand, now + 60_000).next;
    assert.deepEqual(at(starting, { type: 'ready', attempt: starting.attempt - 1 }, now).next, starting);
    assert.equal(at(starting, { type: 'ready', attempt: starting.attempt }, now).next.phase, 'running');
});
test('a backend started from outside while stopped is adopted: no launch, readiness checked, idle stops it, it can die as usual', () => {
    const adopted = { type: 'adopted', by: 'app.service is active' };
    const t = transition(INITIAL_STATE, adopted);
    assert.equal(t.next.phase, 'starting');
    assert.deepEqual(t.effects, [{ type: 'adopt', by: 'app.service is active' }]);
    const ready = { type: 'ready' };
    assert.equal(run([adopted, ready]).state.phase, 'running');
    assert.deepEqual(run([adopted, ready, idle, { type: 'stopped' }]).effects, ['adopt', 'release-held', 'close-clients', 'stop']);
    assert.equal(run([adopted, ready, idle, { type: 'stopped' }]).state.phase, 'stopped');
    assert.deepEqual(run([adopted, ready, { type: 'exited', status: 'unit is inactive' }, { type: 'stopped' }]).effects, ['adopt', 'release-held', 'close-clients', 'log-exited', 'stop']);
    // a client arriving meanwhile waits for that readiness: no launch
    assert.deepEqual(run([adopted, demand, ready]).effects, ['adopt', 'release-held']);
    // not while shutting down
    const down = run([{ type: 'shutdown' }, adopted]);
    assert.equal(down.state.phase, 'stopped');
    assert.deepEqual(down.effects, ['fail-held', 'finished']);
});
//# sourceMappingURL=lifecycle.test.js.map