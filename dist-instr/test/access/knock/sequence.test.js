import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SequenceTracker } from '../../../src/access/knock/sequence.js';
import { KnockedSet } from '../../../src/access/knock/knocked.js';
function clock() {
    let t = 1000;
    return { now: () => t, advance: (ms) => (t += ms) };
}
test('the ports in order within the window complete the sequence', () => {
    const c = clock();
    const s = new SequenceTracker([7000, 8000, 9000], 10_000, c.now);
    assert.equal(s.hit('10.0.0.1', 7000), 'progress');
    c.advance(3000);
    assert.equal(s.hit('10.0.0.1', 8000), 'progress');
    c.advance(3000);
    assert.equal(s.hit('10.0.0.1', 9000), 'complete');
    assert.equal(s.size, 0, 'a completed address is not tracked any more');
    assert.equal(s.hit('10.0.0.1', 9000), 'wrong', 'completing once does not leave it half-way');
});
test('a wrong port resets the progress; the first port starts over', () => {
    const c = clock();
    const s = new SequenceTracker([7000, 8000, 9000], 10_000, c.now);
    s.hit('a', 7000);
    assert.equal(s.hit('a', 9000), 'wrong');
    assert.equal(s.hit('a', 8000), 'wrong', 'the progress is gone: 8000 is not the first step');
    s.hit('a', 7000);
    s.hit('a', 8000);
    assert.equal(s.hit('a', 7000), 'progress', 'a wrong port that is the first step starts over');
    assert.equal(s.hit('a', 8000), 'progress');
    assert.equal(s.hit('a', 9000), 'complete');
});
test('wrong order does not complete, whatever follows', () => {
    const c = clock();
    const s = new SequenceTracker([7000, 8000, 9000], 10_000, c.now);
    const verdicts = [9000, 8000, 7000].map((p) => s.hit('a', p));
    assert.deepEqual(verdicts, ['wrong', 'wrong', 'progress']);
});
test('too slow: a step after the window starts nothing', () => {
    const c = clock();
    const s = new SequenceTracker([7000, 8000], 5000, c.now);
    s.hit('a', 7000);
    c.advance(5001);
    assert.equal(s.hit('a', 8000), 'wrong');
    s.hit('a', 7000);
    c.advance(5000);
    assert.equal(s.hit('a', 8000), 'complete', 'exactly the window is still in time');
});
test('addresses progress independently; another address cannot finish someone else’s sequence', () => {
    const c = clock();
    const s = new SequenceTracker([7000, 8000], 5000, c.now);
    s.hit('a', 7000);
    assert.equal(s.hit('b', 8000), 'wrong');
    assert.equal(s.hit('a', 8000), 'complete');
});
test('a port repeated in the sequence, and a one-port sequence', () => {
    const c = clock();
    const s = new SequenceTracker([1, 1, 2], 5000, c.now);
    assert.equal(s.hit('a', 1), 'progress');
    assert.equal(s.hit('a', 1), 'progress');
    assert.equal(s.hit('a', 2), 'complete');
    assert.equal(new SequenceTracker([5], 5000, c.now).hit('a', 5), 'complete');
});
test('bounded: past maxInProgress the address that started longest ago is dropped', () => {
    const c = clock();
    const s = new SequenceTracker([1, 2], 60_000, c.now, 3);
    for (const a of ['a', 'b', 'c', 'd'])
        s.hit(a, 1);
    assert.equal(s.size, 3);
    assert.equal(s.hit('a', 2), 'wrong', 'a was dropped');
    assert.equal(s.hit('b', 2), 'complete');
    // a million addresses in progress still hold three entries
    for (let i = 0; i < 100_000; i++)
        s.hit(`x${i}`, 1);
    assert.equal(s.size, 3);
});
test('each step takes constant time: 200 000 addresses in progress cost about what 2 000 do', () => {
    const c = clock();
    const time = (n) => {
        const s = new SequenceTracker([1, 2, 3], 60_000, c.now, 4096);
        const t0 = performance.now();
        for (let i = 0; i < n; i++)
            s.hit(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, 1 + (i % 3));
        return (performance.now() - t0) / n;
    };
    time(20_000); // warm up
    // the fastest of five runs of each: another process on the machine only ever slows one down
    const fastest = (n) => Math.min(...Array.from({ length: 5 }, () => time(n)));
    const small = fastest(2_000);
    const large = fastest(200_000);
    assert.ok(large < small * 5 + 0.002, `per hit: ${small.toFixed(5)} ms at 2k, ${large.toFixed(5)} ms at 200k`);
});
test('KnockedSet: open_for expiry, re-knock extends, bounded', () => {
    const c = clock();
    const k = new KnockedSet(c.now, 2);
    k.open('a', 'sequence', 1000);
    assert.ok(k.has('a'));
    c.advance(999);
    assert.ok(k.has('a'));
    k.open('a', 'packet', 1000);
    c.advance(500);
    assert.ok(k.has('a'), 'the second knock extended it');
    assert.equal(k.list()[0]?.method, 'packet');
    c.advance(501);
    assert.ok(!k.has('a'));
    k.open('x', 'sequence', 10_000);
    k.open('y', 'sequence', 10_000);
    k.open('z', 'sequence', 10_000);
    assert.equal(k.size, 2);
    assert.ok(!k.has('x'), 'the one expiring first is dropped');
    assert.deepEqual(k.list().map((e) => e.address), ['y', 'z']);
});
//# sourceMappingURL=sequence.test.js.map