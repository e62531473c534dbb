// STATUS= throttling on a fake clock: phase changes at once, counts at most every 250 ms,
// an unchanged text not at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusUpdates } from '../../src/status/status-updates.js';
import { FakeClock } from '../helpers/fake-clock.js';
test('a burst of count changes is one message per 250 ms; a phase change goes out at once', () => {
    const clock = new FakeClock();
    let phase = 'stopped';
    let count = 0;
    const sent = [];
    const updates = new StatusUpdates({ key: () => phase, text: () => `${phase} ${count}` }, (t) => sent.push(t), clock);
    updates.queue();
    clock.advance(0);
    assert.deepEqual(sent, ['stopped 0']);
    for (let i = 1; i <= 100; i += 1) {
        count = i;
        updates.queue();
        clock.advance(5);
    }
    assert.ok(sent.length <= 4, `sent ${sent.length} for 100 changes in 500 ms`);
    phase = 'running';
    updates.queue();
    clock.advance(0);
    assert.equal(sent.at(-1), 'running 100');
    updates.queue();
    clock.advance(1000);
    assert.equal(sent.filter((t) => t === 'running 100').length, 1, 'an unchanged text is not sent again');
    updates.stop();
    phase = 'stopping';
    updates.queue();
    clock.advance(1000);
    assert.notEqual(sent.at(-1), 'stopping 100');
});
//# sourceMappingURL=status-updates.test.js.map