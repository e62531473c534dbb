import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MrsockoError } from '../../src/errors.js';
import { LISTEN_ENV_VARS, NOTIFY_ENV_VARS, SD_LISTEN_FDS_START, UNKNOWN_FD_NAME, readListenFds, withoutListenEnv, withoutNotifyEnv, } from '../../src/systemd/listen-fds.js';
/** Just the fds of readListenFds(). */
const listenFds = (env, pid) => [...readListenFds(env, pid).fds];
const PID = 4242;
function socketError(variable) {
    return (err) => {
        assert.ok(err instanceof MrsockoError, String(err));
        assert.equal(err.code, 'MRSOCKO_SOCKET');
        assert.match(err.message, new RegExp(variable));
        return true;
    };
}
test('no socket activation: no fds, nothing to report', () => {
    assert.deepEqual(readListenFds({}, PID), { fds: [] });
    assert.deepEqual(listenFds({ PATH: '/usr/bin' }, PID), []);
});
test('fds start at SD_LISTEN_FDS_START and take their names from LISTEN_FDNAMES', () => {
    assert.equal(SD_LISTEN_FDS_START, 3);
    const env = { LISTEN_PID: String(PID), LISTEN_FDS: '3', LISTEN_FDNAMES: 'web:admin:discovery' };
    assert.deepEqual(readListenFds(env, PID), {
        fds: [
            { fd: 3, name: 'web' },
            { fd: 4, name: 'admin' },
            { fd: 5, name: 'discovery' },
        ],
    });
});
test('without LISTEN_FDNAMES (or empty) every fd is "unknown", as systemd reports', () => {
    for (const names of [undefined, '']) {
        const env = { LISTEN_PID: String(PID), LISTEN_FDS: '2', ...(names === undefined ? {} : { LISTEN_FDNAMES: names }) };
        assert.deepEqual(listenFds(env, PID), [
            { fd: 3, name: UNKNOWN_FD_NAME },
            { fd: 4, name: UNKNOWN_FD_NAME },
        ]);
    }
});
test('empty names between colons are kept, as systemd does (no coalescing)', () => {
    const env = { LISTEN_PID: String(PID), LISTEN_FDS: '3', LISTEN_FDNAMES: 'a::c' };
    assert.deepEqual(listenFds(env, PID).map((f) => f.name), ['a', '', 'c']);
});
test('LISTEN_PID of another process: not for us, with the reason', () => {
    const r = readListenFds({ LISTEN_PID: '17', LISTEN_FDS: '2' }, PID);
    assert.deepEqual(r.fds, []);
    assert.match(r.ignored ?? '', /LISTEN_PID=17 is not our pid 4242/);
});
test('LISTEN_FDS without LISTEN_PID, or LISTEN_PID without LISTEN_FDS: ignored with a reason', () => {
    const a = readListenFds({ LISTEN_FDS: '1' }, PID);
    assert.deepEqual(a.fds, []);
    assert.match(a.ignored ?? '', /LISTEN_PID is not/);
    const b = readListenFds({ LISTEN_PID: String(PID) }, PID);
    assert.deepEqual(b.fds, []);
    assert.match(b.ignored ?? '', /LISTEN_FDS is not set/);
});
test('malformed values are errors naming the variable', () => {
    for (const pid of ['', 'abc', '-1', '0', '12x', ' 42']) {
        assert.throws(() => readListenFds({ LISTEN_PID: pid, LISTEN_FDS: '1' }, PID), socketError('LISTEN_PID'), pid);
    }
    for (const n of ['', 'x', '-1', '0', '1.5', '99999999999']) {
        assert.throws(() => readListenFds({ LISTEN_PID: String(PID), LISTEN_FDS: n }, PID), socketError('LISTEN_FDS'), n);
    }
    assert.throws(() => readListenFds({ LISTEN_PID: String(PID), LISTEN_FDS: '2', LISTEN_FDNAMES: 'a:b:c' }, PID), socketError('LISTEN_FDNAMES.*3 name\\(s\\) but LISTEN_FDS=2'));
});
test('withoutListenEnv / withoutNotifyEnv drop exactly their variables and copy', () => {
    const env = {
        PATH: '/usr/bin',
        LISTEN_PID: '1',
        LISTEN_FDS: '1',
        LISTEN_FDNAMES: 'x',
        NOTIFY_SOCKET: '/run/systemd/notify',
        WATCHDOG_USEC: '1000000',
        WATCHDOG_PID: '1',
        UNSET: undefined,
    };
    assert.deepEqual([...LISTEN_ENV_VARS], ['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES']);
    assert.deepEqual([...NOTIFY_ENV_VARS], ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID']);
    assert.deepEqual(withoutListenEnv(env), {
        PATH: '/usr/bin',
        NOTIFY_SOCKET: '/run/systemd/notify',
        WATCHDOG_USEC: '1000000',
        WATCHDOG_PID: '1',
    });
    assert.deepEqual(withoutNotifyEnv(withoutListenEnv(env)), { PATH: '/usr/bin' });
    assert.equal(env.LISTEN_PID, '1', 'input untouched');
});
//# sourceMappingURL=listen-fds.test.js.map