import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTimespan, parseTimespan } from '../../src/config/timespan.js';
import { ValueError } from '../../src/errors.js';
test('parses systemd time spans to milliseconds', () => {
    const cases = [
        ['90', 90_000],
        ['90s', 90_000],
        ['500ms', 500],
        ['15min', 900_000],
        ['1h 30min', 5_400_000],
        ['2h30m', 9_000_000],
        ['1.5s', 1_500],
        ['1.1s', 1_100],
        ['0', 0],
        ['  30s  ', 30_000],
        ['5 min', 300_000],
        ['1min 30', 90_000],
        ['250us', 0.25],
        ['2usec', 0.002],
        ['3msec', 3],
        ['1second 2seconds 3sec', 6_000],
        ['1minute 2minutes', 180_000],
        ['1hr 1hour 1hours', 10_800_000],
        ['1d', 86_400_000],
        ['2days 1day', 259_200_000],
        ['1w', 604_800_000],
        ['1week 1weeks', 1_209_600_000],
        ['1M', 2_629_800_000],
        ['1month 1months', 5_259_600_000],
        ['1y', 31_557_600_000],
        ['1year 1years', 63_115_200_000],
        ['infinity', Infinity],
    ];
    for (const [text, ms] of cases)
        assert.equal(parseTimespan(text), ms, text);
});
test('"m" is minutes and "M" is months, as in systemd', () => {
    assert.equal(parseTimespan('1m'), 60_000);
    assert.equal(parseTimespan('1M'), 2_629_800_000);
});
test('rejects malformed spans with the expected form', () => {
    for (const text of ['', '   ', 'abc', '15mins', '-5s', '5s-', '1.s', 'infinitys', 'infinity 5s', '5 x', '1e3', '10000000000y']) {
        assert.throws(() => parseTimespan(text), (err) => {
            assert.ok(err instanceof ValueError, `${text}: ${String(err)}`);
            assert.match(err.message, /time span/);
            return true;
        }, text);
    }
    assert.throws(() => parseTimespan('15mins'), /unknown unit "mins"/);
    assert.throws(() => parseTimespan('-5s'), /negative/);
});
test('formats milliseconds as systemd span text', () => {
    const cases = [
        [90_000, '1min 30s'],
        [0, '0'],
        [Infinity, 'infinity'],
        [500, '500ms'],
        [1_500, '1s 500ms'],
        [900_000, '15min'],
        [5_400_000, '1h 30min'],
        [86_400_000 + 1, '1d 1ms'],
        [0.25, '250us'],
        [8 * 86_400_000, '1w 1d'],
    ];
    for (const [ms, text] of cases)
        assert.equal(formatTimespan(ms), text, String(ms));
});
test('formatted spans parse back to the same value', () => {
    for (const ms of [1, 999, 1_000, 61_001, 3_599_999, 90 * 86_400_000, 1.5, 31_557_600_000, Infinity]) {
        assert.equal(parseTimespan(formatTimespan(ms)), ms, String(ms));
    }
});
test('formatting refuses values that are not spans', () => {
    assert.throws(() => formatTimespan(-1), RangeError);
    assert.throws(() => formatTimespan(NaN), RangeError);
});
//# sourceMappingURL=timespan.test.js.map