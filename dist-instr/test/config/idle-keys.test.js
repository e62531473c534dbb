// [idle] min_bytes and freeze: how they are read, refused and shown by `check`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { describeConfig } from '../../src/config/describe.js';
import { parseConfig } from '../../src/config/load.js';
const MINIMAL = `[service]
unit = app
[socket.web]
listen = 8080
backend = 127.0.0.1:18080
`;
const parse = (text) => parseConfig(text, 'test.conf');
test('min_bytes: digits with an optional K, M or G (1024-based); default 0', () => {
    assert.equal(parse(MINIMAL).idle.minBytes, 0);
    for (const [text, bytes] of [['0', 0], ['60', 60], ['1k', 1024], ['64K', 65536], ['1M', 1048576], ['2 G', 2 * 1024 ** 3]]) {
        assert.equal(parse(`${MINIMAL}[idle]\nmin_bytes = ${text}\n`).idle.minBytes, bytes, text);
    }
});
test('freeze: a span shorter than timeout; default never', () => {
    assert.equal(parse(MINIMAL).idle.freezeMs, Infinity);
    assert.equal(parse(`${MINIMAL}[idle]\ntimeout = 1h\nfreeze = 5min\n`).idle.freezeMs, 300_000);
    assert.equal(parse(`${MINIMAL}[idle]\ntimeout = infinity\nfreeze = 5min\n`).idle.freezeMs, 300_000);
});
test('bad min_bytes and freeze values name file:line:key', () => {
    const cases = [
        [`${MINIMAL}[idle]\nmin_bytes = lots\n`, { line: 7, key: 'min_bytes' }, /"lots" is not a byte count/],
        [`${MINIMAL}[idle]\nmin_bytes = -1\n`, { line: 7, key: 'min_bytes' }, /not a byte count/],
        [`${MINIMAL}[idle]\nmin_bytes = 1.5K\n`, { line: 7, key: 'min_bytes' }, /not a byte count/],
        [`${MINIMAL}[idle]\nmin_bytes = 1T\n`, { line: 7, key: 'min_bytes' }, /not a byte count/],
        [`${MINIMAL}[idle]\nmin_bytes =\n`, { line: 7, key: 'min_bytes' }, /empty value; expected a byte count/],
        [`${MINIMAL}[idle]\ntimeout = 5min\nfreeze = 10min\n`, { line: 8, key: 'freeze' }, /must be shorter than timeout \(5min, line 7\)/],
        [`${MINIMAL}[idle]\nfreeze = 15min\n`, { line: 7, key: 'freeze' }, /must be shorter than timeout \(15min, the default\)/],
        [`${MINIMAL}[idle]\nfreeze = 0\n`, { line: 7, key: 'freeze' }, /longer than 0/],
        [`${MINIMAL}[idle]\nfreeze = soon\n`, { line: 7, key: 'freeze' }, /freeze/],
    ];
    for (const [text, where, message] of cases) {
        assert.throws(() => parse(text), (err) => {
            assert.ok(err instanceof ConfigError, String(err));
            assert.match(err.message, new RegExp(`^test\\.conf:${where.line}: \\[idle\\] ${where.key}: `), err.message);
            assert.match(err.message, message);
            return true;
        }, text);
    }
});
test('check shows min_bytes and freeze, and reads its own output back', () => {
    const plain = describeConfig(parse(MINIMAL));
    assert.match(plain, /^min_bytes = 0 +; any counted byte restarts the countdown$/m);
    assert.match(plain, /^;freeze = +; not set: never frozen: stopped after timeout$/m);
    const config = parse(`${MINIMAL}[idle]\ntimeout = 1h\nmin_bytes = 1K\nfreeze = 5min\n`);
    const text = describeConfig(config);
    assert.match(text, /^min_bytes = 1024 +; the countdown restarts only once counted clients moved 1024 bytes since it last did$/m);
    assert.match(text, /^freeze = 5min$/m);
    assert.deepEqual(parse(text).idle, config.idle);
});
//# sourceMappingURL=idle-keys.test.js.map