// Manual control as lifecycle events (`mrsocko start/stop/hold/release`): the pure
// transitions, and the runner on the fake clock for the ends of holds and blocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transition, INITIAL_STATE } from '../../src/backend/lifecycle.js';
import { BackendLifecycle } from '../../src/backend/lifecycle-runner.js';
import { FakeClock } from '../helpers/fake-clock.js';
const by = 'mrsocko test (pid 1, uid 0)';
const run = (events, from = INITIAL_STATE, now = 0) => {
    let state = from;
    const effects = [];
    const lines = [];
    for (const e of events) {
        const t = transition(state, e, now);
        state = t.next;
        for (const x of t.effects) {
            if (x.type === 'log')
                lines.push(x.line.kind === 'backend-control' ? x.line.message : x.line.kind);
            else
                effects.push(x.type === 'fail-held' ? `fail-held: ${x.reason}` : x.type);
        }
    }
    return { state, effects, lines };
};
const running = { ...INITIAL_STATE, phase: 'running' };
test('start launches a stopped backend, with who asked as the trigger; nothing while starting or running', () => {
    const r = run([{ type: 'start', by }]);
    assert.equal(r.state.phase, 'starting');
    assert.deepEqual(r.effects, ['launch']);
    assert.deepEqual(run([{ type: 'start', by }], running).effects, []);
    const t = transition(INITIAL_STATE, { type: 'start', by });
    assert.ok(t.effects.some((x) => x.type === 'log' && x.line.kind === 'backend-start' && x.line.trigger === by));
    // while stopping: started again once stopped
    const stopping = run([{ type: 'start', by }, { type: 'stopped' }], { ...INITIAL_STATE, phase: 'stopping' });
    assert.equal(stopping.state.phase, 'starting');
});
test('stop stops a running backend (its clients closed) and a starting one (held clients failed); stopped stays stopped', () => {
    const r = run([{ type: 'stop', by }], running);
    assert.equal(r.state.phase, 'stopping');
    assert.deepEqual(r.effects, ['close-clients', 'stop']);
    const s = run([{ type: 'demand', trigger: 'c' }, { type: 'stop', by }]);
    assert.deepEqual(s.effects, ['launch', `fail-held: stopped by ${by}`, 'stop']);
    assert.deepEqual(run([{ type: 'stop', by }]).effects, []);
    // a client that arrived while stopping does not restart it after a manual stop
    const w = run([{ type: 'idle', reason: 'x' }, { type: 'demand', trigger: 'c' }, { type: 'stop', by }, { type: 'stopped' }], running);
    assert.equal(w.state.phase, 'stopped');
});
test('stop --for blocks: demands and starts fail the clients with the block as reason until it ends, then a client starts it', () => {
    const t = run([{ type: 'stop', by, forMs: 60_000 }, { type: 'stopped' }], running, 1000);
    assert.deepEqual(t.state.block, { until: 61_000, by });
    assert.match(t.lines[0], /^blocked by .* for 1min: clients are refused/);
    const during = run([{ type: 'demand', trigger: 'c' }, { type: 'start', by }], t.state, 30_000);
    assert.equal(during.state.phase, 'stopped');
    assert.equal(during.effects.length, 2);
    for (const e of during.effects)
        assert.match(e, /^fail-held: blocked by .* \(mrsocko stop --for\) until /);
    // past `until` the block no longer applies even before its expire event
    assert.equal(run([{ type: 'demand', trigger: 'c' }], t.state, 61_000).state.phase, 'starting');
    const expired = run([{ type: 'expire' }], t.state, 61_000);
    assert.equal(expired.state.block, undefined);
    assert.match(expired.lines[0], /block by .* ended/);
    // release ends it early
    const released = run([{ type: 'release', by }, { type: 'demand', trigger: 'c' }], t.state, 2000);
    assert.equal(released.state.phase, 'starting');
    assert.match(released.lines[0], /^block released by /);
});
test('hold: idle is ignored until release or its end; release says when there was nothing to release', () => {
    const held = run([{ type: 'hold', by, forMs: Infinity }, { type: 'idle', reason: 'no traffic' }], running, 0);
    assert.equal(held.state.phase, 'running');
    assert.deepEqual(held.effects, []);
    assert.match(held.lines[0], /held by .* until mrsocko release: no idle stop/);
    assert.equal(run([{ type: 'release', by }, { type: 'idle', reason: 'x' }], held.state).state.phase, 'stopping');
    const timed = run([{ type: 'hold', by, forMs: 5000 }], running, 0).state;
    assert.equal(run([{ type: 'idle', reason: 'x' }], timed, 4999).state.phase, 'running');
    assert.equal(run([{ type: 'idle', reason: 'x' }], timed, 5000).state.phase, 'stopping');
    // an explicit stop is not an idle stop: a hold does not keep it up, and the hold stays
    const stopped = run([{ type: 'stop', by }], held.state);
    assert.equal(stopped.state.phase, 'stopping');
    assert.notEqual(stopped.state.hold, undefined);
    assert.match(run([{ type: 'release', by }]).lines[0], /nothing was held or blocked/);
});
test('the runner ends a hold and a block on the clock, and reports the change', async () => {
    const clock = new FakeClock();
    const logs = [];
    let changes = 0;
    const driver = { description: 'scripted', async start() { }, async stop() { } };
    const lifecycle = new BackendLifecycle(driver, {
        startTimeoutMs: 10_000,
        probe: async () => undefined,
        clients: { releaseHeld: () => 0, failHeld: () => 0, closeClients: () => 0 },
        log: (e) => logs.push(e),
        changed: () => (changes += 1),
        clock,
    });
    lifecycle.command({ type: 'hold', by, forMs: 90_000 });
    lifecycle.command({ type: 'stop', by, forMs: 30_000 });
    assert.equal(changes, 2);
    assert.equal(lifecycle.block?.by, by);
    clock.advance(29_999);
    assert.notEqual(lifecycle.block, undefined);
    clock.advance(1);
    assert.equal(lifecycle.block, undefined);
    assert.notEqual(lifecycle.hold, undefined);
    clock.advance(60_000);
    assert.equal(lifecycle.hold, undefined);
    assert.equal(changes, 4);
    const text = logs.filter((e) => e.kind === 'backend-control').map((e) => e.message);
    assert.deepEqual(text.map((m) => m.replace(/ by .*? (for|ended)/, ' $1')), [
        'held for 1min 30s: no idle stop meanwhile',
        'blocked for 30s: clients are refused and nothing starts it until then',
        'block ended: clients may start it again',
        'hold ended: the idle rules apply again',
    ]);
    assert.equal(clock.pending, 0);
});
test('with freezing: start thaws a frozen backend, stop stops it thawing first, a hold keeps freeze and idle away', () => {
    const frozenState = { ...INITIAL_STATE, phase: 'frozen' };
    const started = transition(frozenState, { type: 'start', by });
    assert.equal(started.next.phase, 'thawing');
    assert.ok(started.effects.some((x) => x.type === 'thaw'));
    const stopped = transition(frozenState, { type: 'stop', by });
    assert.equal(stopped.next.phase, 'stopping');
    assert.ok(stopped.effects.some((x) => x.type === 'stop' && x.thawFirst === true));
    const held = run([{ type: 'hold', by, forMs: Infinity }], running).state;
    assert.equal(run([{ type: 'freeze', reason: 'x' }], held).state.phase, 'running');
    assert.equal(run([{ type: 'idle', reason: 'x' }], { ...held, phase: 'frozen' }).state.phase, 'frozen');
});
//# sourceMappingURL=lifecycle-manual.test.js.map