import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { describeConfig } from '../../src/config/describe.js';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { normalizeUnitName } from '../../src/config/unit-name.js';
import { resolveConfigPath } from '../../src/config/paths.js';
import { UsageError } from '../../src/errors.js';
const FILE = 'test.conf';
const MINIMAL = `[service]
unit = app
[socket.web]
listen = 8080
backend = 127.0.0.1:18080
`;
/** The config from SPEC.md, comments and all. */
const SPEC_EXAMPLE = `[service]
unit = jellyfin.service          ; start/stop with systemctl ...
;exec = /usr/bin/python3 -m http.server 18080   ; ... or run this argv directly (quotes allowed, no shell)
;user = media                    ; exec only: run as this user (and its primary group unless group= is set)
start_timeout = 90s              ; give up waiting for the backend to accept after this
stop_timeout = 30s               ; after this, an exec/pidfile backend's process group gets SIGKILL

[socket.web]                     ; one section per socket; NAME matches FileDescriptorName / LISTEN_FDNAMES
listen = 8096                    ; standalone bind address, and what gen-unit writes into ListenStream=/ListenDatagram=
protocol = tcp                   ; tcp (stream, also unix paths) | udp
backend = 127.0.0.1:18096        ; where the backend listens: HOST:PORT, [V6]:PORT or /path.sock
;flow_timeout = 60s              ; udp only: forget a client flow after this long without datagrams

[socket.discovery]
listen = 7359
protocol = udp
backend = 127.0.0.1:17359

[idle]
timeout = 15min                  ; activity-based: stop the backend after this long without counted activity (infinity = never)
;keepalive = 192.168.1.20, 10.0.0.0/8   ; only these clients' activity counts (default: every admitted client)

[access]
;allow = 192.168.1.0/24, ::1, 127.0.0.1   ; who may connect (default: anyone)
;max_per_source = 64              ; per client address

[log]
;level = info                    ; debug | info | notice | warning | error
;max_files = 14d
`;
function parse(text) {
    return parseConfig(text, FILE);
}
/** Asserts that parsing fails with a ConfigError at this place, its detail matching. */
function fails(text, where, detail) {
    assert.throws(() => parse(text), (err) => {
        assert.ok(err instanceof ConfigError, `not a ConfigError: ${String(err)}`);
        assert.deepEqual(err.location, { file: FILE, ...where }, err.message);
        assert.match(err.detail, detail);
        return true;
    });
}
test('the SPEC example loads, with defaults filled in', () => {
    const c = parse(SPEC_EXAMPLE);
    assert.equal(c.file, path.resolve(FILE));
    assert.deepEqual(c.service, {
        mode: 'unit', unit: 'jellyfin.service', startTimeoutMs: 90_000, stopTimeoutMs: 30_000, ready: { kind: 'connect' }, readyDelayMs: 0,
    });
    assert.deepEqual(c.sockets, [
        {
            name: 'web', protocol: 'tcp', flowTimeoutMs: 60_000, readyCheck: true, proxyProtocol: 'off', counts: true, line: 8,
            listen: { kind: 'inet', host: '::', port: 8096, family: 6, text: '8096' },
            backend: { kind: 'inet', host: '127.0.0.1', port: 18096, text: '127.0.0.1:18096' },
        },
        {
            name: 'discovery', protocol: 'udp', flowTimeoutMs: 60_000, readyCheck: true, proxyProtocol: 'off', counts: true, line: 14,
            listen: { kind: 'inet', host: '::', port: 7359, family: 6, text: '7359' },
            backend: { kind: 'inet', host: '127.0.0.1', port: 17359, text: '127.0.0.1:17359' },
        },
    ]);
    assert.deepEqual(c.idle, {
        timeoutMs: 900_000, maxRuntimeMs: Infinity, minRuntimeMs: 0, keepalive: [], connectionsCount: false, exit: false, minBytes: 0, freezeMs: Infinity,
    });
    assert.deepEqual(c.access, { allow: [], deny: [], wake: [], maxConnections: 1024, wakeOn: 'connect' });
    assert.equal(c.access.maxPerSource, undefined, 'no per-source limit by default');
    assert.deepEqual(c.log, { level: 'info' });
});
test('every setting, exec mode', () => {
    const c = parse(`# all keys
[service]
exec = /usr/bin/python3 -m http.server "18080"   ; comment
user = media
group = media
directory = /srv/media
pidfile = /run/foo.pid
stop = /bin/sh -c "echo bye; kill 1"   # stop it
start_timeout = 2min
stop_timeout = 5s

[socket.web-1.a_b]
listen = [::1]:8443
protocol = tcp
backend = localhost:18443

[socket.dns]
listen = 127.0.0.1:5353
protocol = udp
backend = [::1]:15353
flow_timeout = 2min

[socket.local]
listen = /run/mrsocko/app.sock
backend = /run/app/app.sock

[idle]
timeout = infinity
max_runtime = 4h
min_runtime = 1min
keepalive = 192.168.1.20, 10.0.0.0/8
connections_count = Yes
exit = on

[access]
allow = 192.168.1.0/24,::1 , 127.0.0.1
deny = 192.168.1.66
wake = 192.168.1.0/24
max_connections = 100
max_per_source = 10

[log]
level = debug
file = /var/log/mrsocko/app.log
max_size = 20M
max_files = 14d
`);
    assert.deepEqual(c.service, {
        mode: 'exec',
        exec: ['/usr/bin/python3', '-m', 'http.server', '18080'],
        user: 'media', group: 'media', directory: '/srv/media', pidfile: '/run/foo.pid',
        stop: ['/bin/sh', '-c', 'echo bye; kill 1'],
        startTimeoutMs: 120_000, stopTimeoutMs: 5_000, ready: { kind: 'connect' }, readyDelayMs: 0,
    });
    assert.deepEqual(c.sockets.map((s) => [s.name, s.protocol, s.listen.text, s.backend.text, s.flowTimeoutMs]), [
        ['web-1.a_b', 'tcp', '[::1]:8443', 'localhost:18443', 60_000],
        ['dns', 'udp', '127.0.0.1:5353', '[::1]:15353', 120_000],
        ['local', 'tcp', '/run/mrsocko/app.sock', '/run/app/app.sock', 60_000],
    ]);
    assert.deepEqual(c.idle, {
        timeoutMs: Infinity, maxRuntimeMs: 14_400_000, minRuntimeMs: 60_000,
        keepalive: ['192.168.1.20', '10.0.0.0/8'], connectionsCount: true, exit: true, minBytes: 0, freezeMs: Infinity,
    });
    assert.deepEqual(c.access, {
        allow: ['192.168.1.0/24', '::1', '127.0.0.1'], deny: ['192.168.1.66'], wake: ['192.168.1.0/24'],
        maxConnections: 100, maxPerSource: 10, wakeOn: 'connect',
    });
    assert.deepEqual(c.log, { level: 'debug', file: '/var/log/mrsocko/app.log', maxSize: '20m', maxFiles: '14d' });
});
test('the result is deeply frozen', () => {
    const c = parse(MINIMAL);
    assert.ok(Object.isFrozen(c));
    assert.ok(Object.isFrozen(c.service));
    assert.ok(Object.isFrozen(c.sockets));
    assert.ok(Object.isFrozen(c.sockets[0]?.listen));
    assert.ok(Object.isFrozen(c.access.allow));
    assert.throws(() => { c.idle.timeoutMs = 1; }, TypeError);
});
test('values: quotes, CRLF, BOM, blanks around =, tcp and udp sharing a port', () => {
    const c = parse('\uFEFF[service]\r\nunit=app\r\n[log]\r\nfile = "/var/log/my app.log"\r\n' +
        '[socket.a]\r\nlisten=53\r\nbackend=127.0.0.1:1053\r\n[socket.b]\r\nlisten = 53\r\nprotocol = udp\r\nbackend = 127.0.0.1:1053\r\n');
    assert.equal(c.log.file, '/var/log/my app.log');
    assert.deepEqual(c.sockets.map((s) => s.protocol), ['tcp', 'udp']);
    assert.equal(c.sockets[1]?.line, 8);
});
test('unit names: NAME means NAME.service; other unit types and paths are refused', () => {
    assert.equal(normalizeUnitName('jellyfin'), 'jellyfin.service');
    assert.equal(normalizeUnitName('jellyfin.service'), 'jellyfin.service');
    assert.equal(normalizeUnitName('foo@bar.service'), 'foo@bar.service');
    assert.equal(normalizeUnitName('my.app'), 'my.app.service', 'like systemctl: an unknown suffix is part of the name');
    assert.throws(() => normalizeUnitName('docker.socket'), /\.socket unit/);
    assert.throws(() => normalizeUnitName('/etc/systemd/system/x.service'), /is a path/);
    assert.throws(() => normalizeUnitName('foo@.service'), /template/);
    assert.throws(() => normalizeUnitName('a b'), /not a unit name/);
});
test('errors name the file, the line of the key, section and key', () => {
    const cases = [
        [`${MINIMAL}[idle]\ntimout = 5min\n`, { line: 7, section: 'idle', key: 'timout' }, /unknown key; did you mean timeout\?/],
        [`${MINIMAL}[idle]\nlisten = 5\n`, { line: 7, section: 'idle', key: 'listen' }, /listen belongs in \[socket.NAME\]/],
        [`${MINIMAL}[idle]\nfoo = 5\n`, { line: 7, section: 'idle', key: 'foo' }, /\[idle\] takes: timeout, max_runtime/],
        [`${MINIMAL}[idel]\n`, { line: 6, section: 'idel' }, /unknown section; did you mean \[idle\]\?/],
        [`${MINIMAL}[sockets.dns]\n`, { line: 6, section: 'sockets.dns' }, /did you mean \[socket.dns\]\?/],
        [`${MINIMAL}[socket]\n`, { line: 6, section: 'socket' }, /needs a name/],
        [`${MINIMAL}[socket.a:b]\n`, { line: 6, section: 'socket.a:b' }, /LISTEN_FDNAMES/],
        [`${MINIMAL}[idle]\ntimeout = 15 mins\n`, { line: 7, section: 'idle', key: 'timeout' }, /unknown unit "mins"/],
        [`${MINIMAL}[idle]\ntimeout =\n`, { line: 7, section: 'idle', key: 'timeout' }, /empty value; expected a time span.*delete the line/],
        [`${MINIMAL}[idle]\nexit = maybe\n`, { line: 7, section: 'idle', key: 'exit' }, /not a boolean/],
        [`${MINIMAL}[idle]\nexit\n`, { line: 7, section: 'idle', key: 'exit' }, /"exit" has no value/],
        [`${MINIMAL}[idle]\nmax_runtime = 0\n`, { line: 7, section: 'idle', key: 'max_runtime' }, /longer than 0/],
        [`${MINIMAL}[idle]\nmax_runtime = 1h\nmin_runtime = 2h\n`, { line: 8, section: 'idle', key: 'min_runtime' }, /longer than max_runtime \(line 7\)/],
        [`${MINIMAL}[idle]\nkeepalive = 10.0.0.1,,10.0.0.2\n`, { line: 7, section: 'idle', key: 'keepalive' }, /empty entry/],
        [`${MINIMAL}[access]\nallow = 10.0.0.1,\n`, { line: 7, section: 'access', key: 'allow' }, /empty entry/],
        [`${MINIMAL}[access]\nmax_connections = 0\n`, { line: 7, section: 'access', key: 'max_connections' }, /whole number above 0/],
        [`${MINIMAL}[access]\nmax_per_source = 1.5\n`, { line: 7, section: 'access', key: 'max_per_source' }, /whole number above 0/],
        [`${MINIMAL}[log]\nlevel = verbose\n`, { line: 7, section: 'log', key: 'level' }, /debug, info, notice, warning, error/],
        [`${MINIMAL}[log]\nfile = log.txt\n`, { line: 7, section: 'log', key: 'file' }, /absolute path/],
        [`${MINIMAL}[log]\nmax_size = 20m\n`, { line: 7, section: 'log', key: 'max_size' }, /only applies with file =/],
        [`${MINIMAL}[log]\nfile = /l\nmax_size = 2000\n`, { line: 8, section: 'log', key: 'max_size' }, /500k, 20m or 1g/],
        [`${MINIMAL}[log]\nfile = /l\nmax_files = 2w\n`, { line: 8, section: 'log', key: 'max_files' }, /14d/],
        [`${MINIMAL}[idle]\n[idle]\n`, { line: 7, section: 'idle' }, /duplicate section \(first at line 6\)/],
        [`${MINIMAL}[idle]\ntimeout = 1s\ntimeout = 2s\n`, { line: 8, section: 'idle', key: 'timeout' }, /set twice \(first at line 7\)/],
        [`unit = x\n${MINIMAL}`, { line: 1, key: 'unit' }, /before the first \[section\]/],
        [`${MINIMAL}[idle\n`, { line: 6 }, /malformed section header/],
        [`${MINIMAL}[idle]\n = 5\n`, { line: 7, section: 'idle' }, /missing key name/],
    ];
    for (const [text, where, detail] of cases)
        fails(text, where, detail);
});
test('service errors', () => {
    const sockets = '[socket.web]\nlisten = 8080\nbackend = 127.0.0.1:18080\n';
    fails(`[service]\nunit = a\nexec = /bin/a\n${sockets}`, { line: 3, section: 'service', key: 'exec' }, /together with unit = \(line 2\)/);
    fails(`[service]\nexec = /bin/a\nunit = a\n${sockets}`, { line: 3, section: 'service', key: 'unit' }, /together with exec = \(line 2\)/);
    fails(`[service]\nstart_timeout = 5s\n${sockets}`, { line: 1, section: 'service' }, /needs unit = NAME.service .* or exec = COMMAND/);
    fails(`${sockets}`, { line: 3, section: 'service' }, /missing section/);
    fails(`[service]\nunit = a\nuser = media\n${sockets}`, { line: 3, section: 'service', key: 'user' }, /only applies to exec =/);
    fails(`[service]\nunit = a\npidfile = /run/a.pid\n${sockets}`, { line: 3, section: 'service', key: 'pidfile' }, /only applies to exec =/);
    fails(`[service]\nunit = a.timer\n${sockets}`, { line: 2, section: 'service', key: 'unit' }, /\.timer unit/);
    fails(`[service]\nunit =   ; later\n${sockets}`, { line: 2, section: 'service', key: 'unit' }, /^empty value; expected a systemd service name[^(]*$/);
    fails(`[service]\nexec = /bin/sh -c "echo\n${sockets}`, { line: 2, section: 'service', key: 'exec' }, /unterminated " quote/);
    fails(`[service]\nexec = ; nothing\n${sockets}`, { line: 2, section: 'service', key: 'exec' }, /empty value/);
    fails(`[service]\nexec = ""\n${sockets}`, { line: 2, section: 'service', key: 'exec' }, /no program/);
    fails(`[service]\nexec = /bin/a\ndirectory = srv\n${sockets}`, { line: 3, section: 'service', key: 'directory' }, /absolute path/);
    fails(`[service]\nexec = /bin/a\nuser = a b\n${sockets}`, { line: 3, section: 'service', key: 'user' }, /not a valid user name/);
    fails(`[service]\nunit = a\nstop_timeout = 0\n${sockets}`, { line: 3, section: 'service', key: 'stop_timeout' }, /longer than 0/);
    fails(`[service]\nunit = a\nstop = /bin/x 'oops\n${sockets}`, { line: 3, section: 'service', key: 'stop' }, /unterminated ' quote/);
});
test('socket errors', () => {
    const service = '[service]\nunit = a\n';
    const s = (body) => `${service}[socket.web]\n${body}`;
    fails(s('backend = 127.0.0.1:1\n'), { line: 3, section: 'socket.web', key: 'listen' }, /missing; expected listen = PORT/);
    fails(s('listen = 80\n'), { line: 3, section: 'socket.web', key: 'backend' }, /missing; expected backend = HOST:PORT/);
    fails(s('listen = 80000\nbackend = 127.0.0.1:1\n'), { line: 4, section: 'socket.web', key: 'listen' }, /out of range/);
    fails(s('listen = run/a.sock\nbackend = 127.0.0.1:1\n'), { line: 4, section: 'socket.web', key: 'listen' }, /absolute/);
    fails(s('listen = 80\nbackend = 8080\n'), { line: 5, section: 'socket.web', key: 'backend' }, /needs a host/);
    fails(s('listen = 80\nprotocol = sctp\nbackend = 127.0.0.1:1\n'), { line: 5, section: 'socket.web', key: 'protocol' }, /tcp, udp/);
    fails(s('listen = 80\nbackend = 127.0.0.1:1\nflow_timeout = 1min\n'), { line: 6, section: 'socket.web', key: 'flow_timeout' }, /only applies to protocol = udp/);
    fails(s('listen = /run/a.sock\nprotocol = udp\nbackend = 127.0.0.1:1\n'), { line: 5, section: 'socket.web', key: 'protocol' }, /unix datagram/);
    fails(s('listen = 53\nprotocol = udp\nbackend = /run/dns.sock\n'), { line: 6, section: 'socket.web', key: 'backend' }, /unix datagram/);
    fails(s('listen = 8080\nbackend = 127.0.0.1:8080\n'), { line: 5, section: 'socket.web', key: 'backend' }, /own listen address/);
    fails(`${s('listen = 80\nbackend = 127.0.0.1:1\n')}[socket.two]\nlisten = 127.0.0.1:80\nbackend = 127.0.0.1:2\n`, { line: 7, section: 'socket.two', key: 'listen' }, /clashes with \[socket.web\] listen = 80 \(line 4\)/);
    fails(`${service}[idle]\n`, { line: 3, section: 'socket.NAME' }, /no sockets/);
    fails(`${service}[socket.web]\nlisten = 1\nbackend = 127.0.0.1:2\n[socket.web]\n`, { line: 6, section: 'socket.web' }, /duplicate section/);
});
test('loadConfig: unreadable files are config errors naming the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mrsocko-load-'));
    try {
        const missing = path.join(dir, 'missing.conf');
        assert.throws(() => loadConfig(missing), (err) => err instanceof ConfigError && err.location.file === missing && /no such file/.test(err.message));
        assert.throws(() => loadConfig(dir), /is a directory/);
        const good = path.join(dir, 'good.conf');
        fs.writeFileSync(good, MINIMAL);
        assert.equal(loadConfig(good).file, good);
    }
    finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
test('describeConfig output is a config that loads to the same settings', () => {
    const texts = [SPEC_EXAMPLE, MINIMAL, `[service]
exec = /bin/sh -c "echo 'hi'; exit 0" "" "a\\\\b"
user = media
stop = /usr/bin/docker compose -f "/srv/my x/compose.yml" down
[socket.dns]
listen = [::]:53
protocol = udp
backend = 127.0.0.1:1053
flow_timeout = 1.5s
[idle]
timeout = 1h 30min
min_runtime = 500ms
keepalive = 10.0.0.0/8, ::1
exit = yes
[access]
deny = 192.168.1.66
[log]
level = warning
file = /var/log/m.log
max_files = 3
`];
    for (const text of texts) {
        const config = parse(text);
        const described = describeConfig(config);
        const again = parseConfig(described, FILE);
        const withoutLines = (c) => ({ ...c, sockets: c.sockets.map((s) => ({ ...s, line: 0 })) });
        assert.deepEqual(withoutLines(again), withoutLines(config), described);
    }
});
test('describeConfig shows defaults and what unset keys mean', () => {
    const text = describeConfig(parse(MINIMAL));
    for (const line of [
        '[service]', 'unit = app.service', 'start_timeout = 1min 30s', 'stop_timeout = 30s',
        '[socket.web]', 'protocol = tcp', 'backend = 127.0.0.1:18080',
        'timeout = 15min', 'max_runtime = infinity', 'min_runtime = 0', 'connections_count = no', 'exit = no',
        'max_connections = 1024', 'level = info',
    ]) {
        assert.ok(text.split('\n').includes(line), `missing "${line}" in:\n${text}`);
    }
    assert.match(text, /^listen = 8080 +; \[::\]:8080, IPv6 and IPv4 \(dual-stack\)$/m);
    assert.match(text, /^;allow = +; not set: anyone may connect$/m);
    assert.match(text, /^;max_per_source = +; not set: no per-address limit; at max_connections the address holding the most makes room$/m);
    assert.match(text, /^;stop = +; not set: systemctl stop app.service$/m);
});
test('resolveConfigPath: --config wins, --instance uses MRSOCKO_CONFIG_DIR or /etc/mrsocko', () => {
    assert.equal(resolveConfigPath({ config: 'x.conf', instance: 'a' }, {}), 'x.conf');
    assert.equal(resolveConfigPath({ instance: 'jellyfin' }, {}), '/etc/mrsocko/jellyfin.conf');
    assert.equal(resolveConfigPath({ instance: 'jellyfin' }, { MRSOCKO_CONFIG_DIR: '/tmp/m' }), '/tmp/m/jellyfin.conf');
    for (const opts of [{}, { instance: '' }, { instance: '../etc/passwd' }, { instance: '..' }, { config: '' }]) {
        assert.throws(() => resolveConfigPath(opts, {}), UsageError, JSON.stringify(opts));
    }
});
test('the front door keys: proxy_protocol and counts per socket, wake_on in [access]; check prints them', () => {
    const text = `[service]\nunit = app\n[socket.web]\nlisten = 8080\nbackend = 127.0.0.1:18080\nproxy_protocol = v2\n` +
        `[socket.health]\nlisten = 8081\nbackend = 127.0.0.1:18081\ncounts = no\nproxy_protocol = v1\n[access]\nwake_on = data\n`;
    const c = parse(text);
    assert.deepEqual(c.sockets.map((s) => [s.name, s.proxyProtocol, s.counts]), [['web', 'v2', true], ['health', 'v1', false]]);
    assert.equal(c.access.wakeOn, 'data');
    const described = describeConfig(c);
    assert.match(described, /^proxy_protocol = v2 +; a PROXY header/m);
    assert.match(described, /^counts = no +; never activity, never starts the backend$/m);
    assert.match(described, /^wake_on = data +; a connection starts the backend once it has sent a byte$/m);
    const minimal = describeConfig(parse(MINIMAL)).split('\n');
    for (const line of ['proxy_protocol = off', 'counts = yes', 'wake_on = connect'])
        assert.ok(minimal.includes(line), line);
    const withoutLines = (x) => ({ ...x, sockets: x.sockets.map((s) => ({ ...s, line: 0 })) });
    assert.deepEqual(withoutLines(parseConfig(described, FILE)), withoutLines(c));
});
test('front door key errors name file:line:key', () => {
    const s = (body) => `[service]\nunit = a\n[socket.web]\n${body}`;
    fails(s('listen = 80\nbackend = 127.0.0.1:1\nproxy_protocol = v3\n'), { line: 6, section: 'socket.web', key: 'proxy_protocol' }, /not one of: off, v1, v2/);
    fails(s('listen = 53\nprotocol = udp\nbackend = 127.0.0.1:1\nproxy_protocol = v2\n'), { line: 7, section: 'socket.web', key: 'proxy_protocol' }, /only applies to protocol = tcp/);
    fails(s('listen = 80\nbackend = 127.0.0.1:1\ncounts = maybe\n'), { line: 6, section: 'socket.web', key: 'counts' }, /maybe/);
    fails(`${s('listen = 80\nbackend = 127.0.0.1:1\nproxy_protocol = v2\n')}[socket.b]\nlisten = 81\nbackend = 127.0.0.1:1\n`, { line: 7, section: 'socket.b', key: 'proxy_protocol' }, /is off but \[socket.web\] proxy_protocol = v2 for the same backend/);
    fails(s('listen = 80\nbackend = 127.0.0.1:1\n[access]\nwake_on = byte\n'), { line: 7, section: 'access', key: 'wake_on' }, /not one of: connect, data/);
});
//# sourceMappingURL=load.test.js.map