// `[service] ready =`, `ready_delay =` and `[socket.NAME] ready_check =`: parsed values,
// errors naming file:line:key, and the `check` output loading back to the same settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { describeConfig } from '../../src/config/describe.js';
import { parseConfig } from '../../src/config/load.js';
const FILE = 'ready.conf';
const conf = (service, socket = '') => `[service]\nexec = /usr/bin/true\n${service}\n[socket.db]\nlisten = 5432\nbackend = 127.0.0.1:15432\n${socket}\n`;
test('ready = connect, http://… and exec …; ready_delay; ready_check', () => {
    const none = parseConfig(conf(''), FILE);
    assert.deepEqual(none.service.ready, { kind: 'connect' });
    assert.equal(none.service.readyDelayMs, 0);
    assert.equal(none.sockets[0].readyCheck, true);
    assert.deepEqual(parseConfig(conf('ready = connect'), FILE).service.ready, { kind: 'connect' });
    assert.deepEqual(parseConfig(conf('ready = http://127.0.0.1:8096/health?full=1'), FILE).service.ready, { kind: 'http', host: '127.0.0.1', port: 8096, path: '/health?full=1', url: 'http://127.0.0.1:8096/health?full=1' });
    assert.deepEqual(parseConfig(conf('ready = http://[::1]/'), FILE).service.ready, { kind: 'http', host: '::1', port: 80, path: '/', url: 'http://[::1]/' });
    // split like exec =, from the raw line: a ";" inside quotes is not a comment
    assert.deepEqual(parseConfig(conf('ready = exec /bin/sh -c "pg_isready -q; exit $?"   ; comment'), FILE).service.ready, { kind: 'exec', argv: ['/bin/sh', '-c', 'pg_isready -q; exit $?'] });
    assert.equal(parseConfig(conf('ready_delay = 1.5s'), FILE).service.readyDelayMs, 1500);
    assert.equal(parseConfig(conf('ready = exec /usr/bin/true', 'ready_check = no'), FILE).sockets[0].readyCheck, false);
});
test('bad ready values: ConfigError with line and key', () => {
    const cases = [
        [conf('ready = tcp'), 'ready', '3', /is not one of: connect, http:\/\/HOST:PORT\/PATH or exec COMMAND/],
        [conf('ready = exec'), 'ready', '3', /exec needs a command/],
        [conf('ready = https://127.0.0.1/'), 'ready', '3', /only http:\/\//],
        [conf('ready = http://u:p@127.0.0.1/'), 'ready', '3', /user or password/],
        [conf('ready = http://127.0.0.1:99999/'), 'ready', '3', /not a URL/],
        [conf('ready = connect now'), 'ready', '3', /is not one of/],
        [conf('ready ='), 'ready', '3', /empty value; expected connect, http/],
        [conf('ready_delay = soon'), 'ready_delay', '3', /time span/],
        [conf('', 'ready_check = maybe'), 'ready_check', '7', /not a boolean/],
        // ready = connect with nothing to connect to: nothing would say when it is ready
        [conf('', 'ready_check = no'), 'ready_check', '7', /every socket has ready_check = no/],
    ];
    for (const [text, key, line, detail] of cases) {
        assert.throws(() => parseConfig(text, FILE), (err) => {
            assert.ok(err instanceof ConfigError, String(err));
            assert.equal(err.location.key, key, err.message);
            assert.equal(String(err.location.line), line, err.message);
            assert.match(err.detail, detail);
            assert.ok(err.message.startsWith(`${FILE}:${line}: `), err.message);
            return true;
        }, text);
    }
});
test('check prints ready, ready_delay and ready_check, and its output loads to the same settings', () => {
    for (const [service, socket] of [
        ['', ''],
        ['ready = http://127.0.0.1:8096/health\nready_delay = 2s', 'ready_check = no\n[socket.web]\nlisten = 80\nbackend = 127.0.0.1:8096'],
        ['ready = exec /usr/bin/pg_isready -q -h 127.0.0.1 -p "15432" --dbname "a b;c"', ''],
    ]) {
        const config = parseConfig(conf(service, socket), FILE);
        const text = describeConfig(config);
        assert.match(text, /^ready = /m);
        assert.match(text, /^ready_delay = /m);
        assert.match(text, /^ready_check = (yes|no)/m);
        const again = parseConfig(text, FILE);
        const withoutLines = (c) => ({ ...c, sockets: c.sockets.map((s) => ({ ...s, line: 0 })) });
        assert.deepEqual(withoutLines(again), withoutLines(config), text);
    }
});
//# sourceMappingURL=ready.test.js.map