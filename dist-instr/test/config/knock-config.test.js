// [knock] in the config: parsing, errors naming file:line:key, `check`'s output, the
// Listen lines gen-unit writes, and the `knocked` rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { describeConfig } from '../../src/config/describe.js';
import { parseConfig } from '../../src/config/load.js';
import { parseKnockStep } from '../../src/config/knock.js';
import { listenDropIn, sandboxDropIn } from '../../src/systemd/units.js';
import { AddressRules } from '../../src/access/rules.js';
import { AccessPolicy } from '../../src/access/admission.js';
import { clientAddress } from '../../src/net/address.js';
const BASE = `[service]
unit = app
[socket.web]
listen = 8080
backend = 127.0.0.1:18080
`;
const load = (extra) => parseConfig(BASE + extra, '/etc/mrsocko/demo.conf');
const fails = (extra, pattern) => {
    assert.throws(() => load(extra), (err) => {
        assert.ok(err instanceof ConfigError, String(err));
        assert.match(err.message, pattern);
        return true;
    });
};
test('[knock]: sequence with /udp, defaults, key and listen', () => {
    const c = load('[knock]\nsequence = 7000, 8000/udp, 127.0.0.1:9000/tcp, [::1]:9001\nkey = /etc/mrsocko/demo.key\n');
    assert.ok(c.knock);
    assert.deepEqual(c.knock.sequence.map((s) => [s.listen.text, s.protocol]), [
        ['7000', 'tcp'], ['8000', 'udp'], ['127.0.0.1:9000', 'tcp'], ['[::1]:9001', 'tcp'],
    ]);
    assert.equal(c.knock.windowMs, 10_000);
    assert.equal(c.knock.openForMs, 3_600_000);
    assert.equal(c.knock.listen?.port, 62201, 'listen defaults to 62201 with a key');
    assert.equal(c.knock.key, '/etc/mrsocko/demo.key');
    assert.equal(load('').knock, undefined);
    assert.equal(load('[knock]\nsequence = 1\nwindow = 3s\nopen_for = 5min\n').knock?.openForMs, 300_000);
});
test('[knock] errors name file:line:key', () => {
    fails('[knock]\nwindow = 3s\n', /demo\.conf:6: \[knock\]: needs sequence = /);
    fails('[knock]\nsequence = 7000:udp\n', /demo\.conf:7: \[knock\] sequence: .*knockd's client syntax; write 7000\/udp/);
    fails('[knock]\nsequence = 7000, /run/x.sock\n', /:7: \[knock\] sequence: .*not a knock port/);
    fails('[knock]\nsequence = 7000, 8080\n', /:7: \[knock\] sequence: "8080" clashes with \[socket\.web\] listen = 8080/);
    fails('[knock]\nsequence = 8080/udp\nkey = /k\nlisten = 8080\n', /:9: \[knock\] listen: "8080" clashes with sequence = 8080\/udp/);
    fails('[knock]\nlisten = 62201\n', /:7: \[knock\] listen: .*needs key = FILE/);
    fails('[knock]\nkey = relative.key\n', /:7: \[knock\] key: .*absolute path/);
    fails('[knock]\nkey = /k\nwindow = 5s\n', /:8: \[knock\] window: only applies to sequence/);
    fails('[knock]\nsequence = 1\nopen_for = 0\n', /open_for: must be longer than 0/);
    fails('[knock]\nsequence = 1\nport = 5\n', /unknown key/);
    fails('[access]\nwake = private, knocked\n', /:7: \[access\] wake: knocked needs a \[knock\] section/);
    fails('[idle]\nkeepalive = knocked\n', /\[idle\] keepalive: knocked needs a \[knock\] section/);
    fails('[knok]\nsequence = 1\n', /did you mean \[knock\]/);
    assert.ok(load('[knock]\nsequence = 7000, 7000, 7001\n[access]\nallow = knocked\n'), 'a port may repeat in the sequence');
    assert.equal(parseKnockStep(' 7000/UDP ').protocol, 'udp');
});
test('check prints [knock], and its output loads to the same settings', () => {
    const c = load('[knock]\nsequence = 7000, 8000/udp\nkey = /etc/mrsocko/demo.key\nlisten = 127.0.0.1:62202\nopen_for = 2h\n[access]\nwake = private, knocked\n');
    const text = describeConfig(c);
    assert.match(text, /\[knock\]\nsequence = 7000, 8000\/udp/);
    assert.match(text, /listen = 127\.0\.0\.1:62202/);
    assert.match(text, /open_for = 2h/);
    const again = parseConfig(text, '/etc/mrsocko/demo.conf');
    const lines = { line: 0, keyLine: 0, sequenceLine: 0, listenLine: 0 };
    assert.deepEqual({ ...again.knock, ...lines }, { ...c.knock, ...lines });
});
test('gen-unit writes the knock ports as Listen lines of the instance', () => {
    const inst = { node: '/usr/bin/node', script: '/opt/m/main.js', version: '1' };
    const c = load('[knock]\nsequence = 7000, 8000/udp, 7000\nkey = /k\nlisten = 62201\n');
    const lines = listenDropIn(c, 'demo', inst).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    assert.deepEqual(lines, ['[Socket]', 'ListenStream=8080', 'ListenStream=7000', 'ListenDatagram=8000', 'ListenDatagram=62201', 'FileDescriptorName=web']);
});
test('the knocked rule asks its predicate; without one nobody is knocked', () => {
    const knocked = new Set(['10.9.9.9', '2001:db8::5']);
    const isKnocked = (a) => knocked.has(a.key);
    const a = (text) => clientAddress(text);
    const rules = AddressRules.parse(['192.168.0.0/16', 'knocked'], isKnocked);
    assert.ok(rules.matches(a('10.9.9.9')));
    assert.ok(rules.matches(a('::ffff:10.9.9.9')), 'normalised first');
    assert.ok(rules.matches(a('2001:db8::5')));
    assert.ok(rules.matches(a('192.168.1.1')));
    assert.ok(!rules.matches(a('10.9.9.8')));
    assert.equal(rules.firstMatch(a('10.9.9.9')), 'knocked');
    assert.ok(!AddressRules.parse(['knocked']).matches(a('10.9.9.9')), 'no predicate: nobody knocked');
    assert.ok(!AddressRules.parse(['192.168.0.0/16'], isKnocked).matches(a('10.9.9.9')), 'only the keyword asks');
    const policy = new AccessPolicy({ allow: [], deny: [], wake: ['knocked'], maxConnections: 10, maxPerSource: 10, wakeOn: 'connect' }, { keepalive: ['knocked'] }, isKnocked);
    assert.ok(policy.wake.matches(a('10.9.9.9')));
    assert.ok(policy.keepsAlive(a('10.9.9.9')));
    assert.ok(!policy.keepsAlive(a('10.1.1.1')));
});
test('gen-unit sandbox: a key under /home makes homes read-only instead of hidden; one in /tmp gets a note', () => {
    const inst = { node: '/usr/bin/node', script: '/opt/m/main.js', version: '1' };
    const home = sandboxDropIn(load('[knock]\nkey = /home/me/demo.key\n'), 'demo', inst, () => true);
    assert.match(home.text, /^ProtectHome=read-only$/m);
    const tmp = sandboxDropIn(load('[knock]\nkey = /tmp/demo.key\n'), 'demo', inst, () => true);
    assert.match(tmp.notes.join('\n'), /\/tmp\/demo\.key is in a \/tmp the service does not see/);
    const etc = sandboxDropIn(load('[knock]\nkey = /etc/mrsocko/demo.key\n'), 'demo', inst, () => true);
    assert.doesNotMatch(etc.text, /ProtectHome|ReadWritePaths/);
});
//# sourceMappingURL=knock-config.test.js.map