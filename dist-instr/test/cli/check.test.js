// Runs the real CLI: `mrsocko check --config FILE` on good and malformed configs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliPath } from '../helpers/paths.js';
let dir;
before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mrsocko-check-')); });
after(() => { fs.rmSync(dir, { recursive: true, force: true }); });
function check(args, env = {}) {
    const r = spawnSync(process.execPath, [cliPath, 'check', ...args], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, ...env },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
function write(name, text) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
}
const SPEC_EXAMPLE = `[service]
unit = jellyfin.service          ; start/stop with systemctl ...
;exec = /usr/bin/python3 -m http.server 18080   ; ... or run this argv directly (quotes allowed, no shell)
;user = media                    ; exec only: run as this user (and its primary group unless group= is set)
;group = media
;directory = /srv/media          ; exec only: working directory
;pidfile = /run/foo.pid          ; exec only: a forking daemon; the pid in this file is the backend
;stop = /usr/bin/docker compose -f /srv/x/compose.yml down   ; custom stop command, run instead of the default stop
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
;max_runtime = 4h                ; time-based: stop the backend this long after it started, whatever the activity
;min_runtime = 1min              ; never stop it sooner than this after start
;keepalive = 192.168.1.20, 10.0.0.0/8   ; only these clients' activity counts (default: every admitted client)
;connections_count = no          ; yes: an open but silent connection counts as activity (default no: only traffic counts)
;exit = no                       ; yes: once the backend is stopped and no client is connected, mrsocko exits; systemd keeps listening

[access]
;allow = 192.168.1.0/24, ::1, 127.0.0.1   ; who may connect (default: anyone)
;deny = 192.168.1.66              ; refused even if allowed; deny wins
;wake = 192.168.1.0/24            ; who may start a stopped backend (default: anyone admitted); others are refused while it is down
;max_connections = 1024           ; open TCP connections + UDP flows, all clients together
;max_per_source = 64              ; per client address (default: none; a reverse proxy on the same host is one address)

[log]
;level = info                    ; debug | info | notice | warning | error
;file = /var/log/mrsocko/jellyfin.log   ; optional extra log file, rotated daily
;max_size = 20m
;max_files = 14d
`;
const EXEC_MODE = `[service]
exec = /usr/bin/python3 -m http.server 18080 --bind "127.0.0.1"   ; no shell
user = nobody
directory = /srv/media
stop = /bin/sh -c "echo bye; kill 1"
start_timeout = 10s

[socket.web]
listen = 127.0.0.1:8080
backend = localhost:18080

[idle]
timeout = 1h 30min
keepalive = 192.168.1.20, 10.0.0.0/8
connections_count = yes

[access]
allow = 192.168.1.0/24, ::1, 127.0.0.1
max_per_source = 8

[log]
level = notice
file = /var/log/mrsocko/web.log
max_size = 20m
max_files = 14d
`;
const SERVICE = '[service]\nunit = app.service\n';
const SOCKET = '[socket.web]\nlisten = 8080\nbackend = 127.0.0.1:18080\n';
const BASE = SERVICE + SOCKET; // 5 lines
const MALFORMED = [
    { name: 'unknown key', text: `${BASE}[idle]\ntimout = 5min\n`, line: 7, key: 'timout', detail: /did you mean timeout/ },
    { name: 'unknown section', text: `${BASE}[acces]\nallow = ::1\n`, line: 6, key: '[acces]', detail: /did you mean \[access\]/ },
    { name: 'bad span', text: `${BASE}[idle]\ntimeout = 15 mins\n`, line: 7, key: 'timeout', detail: /unknown unit "mins"/ },
    { name: 'bad listen', text: `${SERVICE}[socket.web]\nlisten = localhost:80\nbackend = 127.0.0.1:1\n`, line: 4, key: 'listen', detail: /not an IP address/ },
    { name: 'bad backend', text: `${SERVICE}[socket.web]\nlisten = 80\nbackend = 18080\n`, line: 5, key: 'backend', detail: /needs a host/ },
    { name: 'bad port', text: `${SERVICE}[socket.web]\nlisten = 127.0.0.1:70000\nbackend = 127.0.0.1:1\n`, line: 4, key: 'listen', detail: /out of range 1-65535/ },
    { name: 'both exec and unit', text: `${SERVICE}exec = /bin/app\n${SOCKET}`, line: 3, key: 'exec', detail: /together with unit/ },
    { name: 'neither exec nor unit', text: `[service]\nstart_timeout = 5s\n${SOCKET}`, line: 1, key: '[service]', detail: /unit = .* or exec = / },
    { name: 'duplicate socket section', text: `${BASE}[socket.web]\nlisten = 81\n`, line: 6, key: '[socket.web]', detail: /duplicate section \(first at line 3\)/ },
    { name: 'duplicate key', text: `${SERVICE}[socket.web]\nlisten = 80\nlisten = 81\nbackend = 127.0.0.1:1\n`, line: 5, key: 'listen', detail: /set twice \(first at line 4\)/ },
    { name: 'duplicate listen address', text: `${BASE}[socket.api]\nlisten = 0.0.0.0:8080\nbackend = 127.0.0.1:2\n`, line: 7, key: 'listen', detail: /clashes with \[socket.web\]/ },
    { name: 'flow_timeout on tcp', text: `${BASE}flow_timeout = 30s\n`, line: 6, key: 'flow_timeout', detail: /only applies to protocol = udp/ },
    { name: 'udp on a unix path', text: `${SERVICE}[socket.web]\nlisten = /run/app.sock\nprotocol = udp\nbackend = 127.0.0.1:1\n`, line: 5, key: 'protocol', detail: /unix datagram/ },
    { name: 'bad protocol', text: `${BASE}protocol = http\n`, line: 6, key: 'protocol', detail: /not one of: tcp, udp/ },
    { name: 'bad bool', text: `${BASE}[idle]\nexit = sometimes\n`, line: 7, key: 'exit', detail: /not a boolean/ },
    { name: 'bad level', text: `${BASE}[log]\nlevel = verbose\n`, line: 7, key: 'level', detail: /debug, info, notice, warning, error/ },
    { name: 'user without exec', text: `${SERVICE}user = media\n${SOCKET}`, line: 3, key: 'user', detail: /only applies to exec/ },
    { name: 'no sockets', text: `${SERVICE}[idle]\ntimeout = 5min\n`, line: 4, key: '[socket.NAME]', detail: /no sockets/ },
    { name: 'unterminated quote in exec', text: `[service]\nexec = /bin/sh -c "echo hi\n${SOCKET}`, line: 2, key: 'exec', detail: /unterminated " quote/ },
    { name: 'empty allow entry', text: `${BASE}[access]\nallow = 10.0.0.1, , 10.0.0.2\n`, line: 7, key: 'allow', detail: /empty entry/ },
    { name: 'empty required value', text: `${SERVICE}[socket.web]\nlisten =\nbackend = 127.0.0.1:1\n`, line: 4, key: 'listen', detail: /empty value/ },
    { name: 'missing backend', text: `${SERVICE}[socket.web]\nlisten = 80\n`, line: 3, key: 'backend', detail: /missing; expected backend = / },
    { name: 'relative unix path', text: `${SERVICE}[socket.web]\nlisten = run/app.sock\nbackend = 127.0.0.1:1\n`, line: 4, key: 'listen', detail: /must be absolute/ },
    { name: 'udp backend on a unix path', text: `${SERVICE}[socket.dns]\nlisten = 53\nprotocol = udp\nbackend = /run/dns.sock\n`, line: 6, key: 'backend', detail: /unix datagram/ },
    { name: 'not a service unit', text: `[service]\nunit = backup.timer\n${SOCKET}`, line: 2, key: 'unit', detail: /\.timer unit/ },
    { name: 'bare key', text: `${BASE}[idle]\nexit\n`, line: 7, key: 'exit', detail: /has no value/ },
    { name: 'key in the wrong section', text: `${SERVICE}timeout = 5min\n${SOCKET}`, line: 3, key: 'timeout', detail: /belongs in \[idle\]/ },
    { name: 'backend is the listen address', text: `${SERVICE}[socket.web]\nlisten = 8080\nbackend = localhost:8080\n`, line: 5, key: 'backend', detail: /own listen address/ },
    { name: 'zero max_connections', text: `${BASE}[access]\nmax_connections = 0\n`, line: 7, key: 'max_connections', detail: /above 0/ },
    { name: 'socket name with a colon', text: `${SERVICE}[socket.a:b]\nlisten = 80\nbackend = 127.0.0.1:1\n`, line: 3, key: '[socket.a:b]', detail: /LISTEN_FDNAMES/ },
    { name: 'bad max_size', text: `${BASE}[log]\nfile = /var/log/x.log\nmax_size = 20 MB\n`, line: 8, key: 'max_size', detail: /500k, 20m or 1g/ },
];
test(`${MALFORMED.length} malformed configs: exit 78, FILE:LINE and key on stderr, no stack trace`, () => {
    assert.ok(MALFORMED.length >= 20);
    for (const [i, bad] of MALFORMED.entries()) {
        const file = write(`bad-${i}.conf`, bad.text);
        const r = check(['--config', file]);
        const what = `${bad.name}:\n${bad.text}\n--- stderr:\n${r.stderr}`;
        assert.equal(r.status, 78, what);
        assert.equal(r.stdout, '', what);
        assert.ok(r.stderr.startsWith(`mrsocko: ${file}:${bad.line}: `), what);
        assert.ok(r.stderr.includes(bad.key), what);
        assert.match(r.stderr, bad.detail, what);
        assert.doesNotMatch(r.stderr, /^ {4}at /m, what);
        assert.equal(r.stderr.trimEnd().split('\n').length, 1, `one line: ${what}`);
    }
});
test('a missing file: exit 78 naming the file', () => {
    const file = path.join(dir, 'nope.conf');
    const r = check(['--config', file]);
    assert.equal(r.status, 78);
    assert.equal(r.stderr, `mrsocko: ${file}: cannot read the config: no such file\n`);
});
test('the SPEC example: exit 0 and the effective settings', () => {
    const file = write('spec.conf', SPEC_EXAMPLE);
    const r = check(['--config', file]);
    assert.equal(r.status, 0, r.stderr);
    // valid, and `run` carries out every setting in it: no warning
    assert.equal(r.stderr, '');
    const lines = r.stdout.split('\n');
    for (const line of [
        '[service]', 'unit = jellyfin.service', 'start_timeout = 1min 30s', 'stop_timeout = 30s',
        '[socket.web]', 'protocol = tcp', 'backend = 127.0.0.1:18096',
        '[socket.discovery]', 'protocol = udp', 'backend = 127.0.0.1:17359', 'flow_timeout = 1min',
        '[idle]', 'timeout = 15min', 'max_runtime = infinity', 'min_runtime = 0', 'connections_count = no', 'exit = no',
        '[access]', 'max_connections = 1024',
        '[log]', 'level = info',
    ]) {
        assert.ok(lines.includes(line), `missing "${line}" in:\n${r.stdout}`);
    }
    // no per-source limit unless set (it was 64, which reset bursts from a reverse proxy)
    assert.match(r.stdout, /^;max_per_source = +; not set: no per-address limit; at max_connections the address holding the most makes room$/m);
    assert.match(r.stdout, /^listen = 8096 +; \[::\]:8096, IPv6 and IPv4 \(dual-stack\)$/m);
});
test('an exec-mode config: exit 0, argv re-quoted, and the output checks clean too', () => {
    const file = write('exec.conf', EXEC_MODE);
    const r = check(['--config', file]);
    assert.equal(r.status, 0, r.stderr);
    for (const line of [
        'exec = /usr/bin/python3 -m http.server 18080 --bind 127.0.0.1',
        'user = nobody', 'directory = /srv/media', 'stop = /bin/sh -c "echo bye; kill 1"', 'start_timeout = 10s',
        'listen = 127.0.0.1:8080', 'backend = localhost:18080',
        'timeout = 1h 30min', 'keepalive = 192.168.1.20, 10.0.0.0/8', 'connections_count = yes',
        'allow = 192.168.1.0/24, ::1, 127.0.0.1', 'max_per_source = 8',
        'level = notice', 'file = /var/log/mrsocko/web.log', 'max_size = 20m', 'max_files = 14d',
    ]) {
        assert.ok(r.stdout.split('\n').includes(line), `missing "${line}" in:\n${r.stdout}`);
    }
    const again = check(['--config', write('exec-effective.conf', r.stdout)]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stdout.split('\n').slice(1).join('\n'), r.stdout.split('\n').slice(1).join('\n'));
});
test('--instance NAME reads $MRSOCKO_CONFIG_DIR/NAME.conf', () => {
    write('jellyfin.conf', SPEC_EXAMPLE);
    const r = check(['--instance', 'jellyfin'], { MRSOCKO_CONFIG_DIR: dir });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /unit = jellyfin.service/);
    const missing = check(['--instance', 'other'], { MRSOCKO_CONFIG_DIR: dir });
    assert.equal(missing.status, 78);
    assert.ok(missing.stderr.includes(path.join(dir, 'other.conf')), missing.stderr);
});
test('usage errors exit 2 with a hint', () => {
    for (const args of [[], ['--bogus'], ['jellyfin'], ['--instance', 'a/b'], ['--config']]) {
        const r = check(args);
        assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, /^mrsocko: /, args.join(' '));
        assert.doesNotMatch(r.stderr, /^ {4}at /m);
    }
    assert.match(check(['jellyfin']).stderr, /did you mean --instance jellyfin/);
});
test('--help teaches, with an example', () => {
    const r = check(['--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Usage: mrsocko check/);
    assert.match(r.stdout, /--instance NAME/);
    assert.match(r.stdout, /--config FILE/);
    assert.match(r.stdout, /Example/);
    assert.match(r.stdout, /78/);
});
//# sourceMappingURL=check.test.js.map