// `ready = notify`: the parsing of sd_notify datagrams, the notify socket's permissions and
// sender check (native/notify.c, src/backend/notify-socket.ts), and a real daemon whose exec
// backend, running as nobody, says READY=1 late through `systemd-notify`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { NotifyListener, parseNotifyMessage } from '../../src/backend/notify-socket.js';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { nativeClass } from '../../src/native/addon.js';
import { repoRoot } from '../helpers/paths.js';
import { startDaemon, tempDir } from '../helpers/daemon.js';
import { freePort, readAll, waitFor } from '../helpers/net.js';
import { haveCommand, isRoot, prerequisite } from '../helpers/require.js';
import { account, run } from '../helpers/services.js';
const warming = path.join(repoRoot, 'test/fixtures/warming-server.mjs');
const addonBuilt = typeof nativeClass('NotifySocket') === 'function';
const NOBODY = account('nobody');
test('parseNotifyMessage: READY=1 and the last STATUS=, other keys skipped; NUL and bad UTF-8 refused whole', () => {
    assert.deepEqual(parseNotifyMessage(Buffer.from('READY=1\nSTATUS=up')), { ready: true, status: 'up' });
    assert.deepEqual(parseNotifyMessage(Buffer.from('STATUS=a\nMAINPID=1\nSTATUS=b\n')), { ready: false, status: 'b' });
    assert.deepEqual(parseNotifyMessage(Buffer.from('READY=0\nREADY=10\n READY=1\nREADY=1 ')), { ready: false, status: undefined });
    assert.deepEqual(parseNotifyMessage(Buffer.from('BARRIER=1')), { ready: false, status: undefined });
    assert.equal(parseNotifyMessage(Buffer.from('READY=1\0')), 'it contains a NUL byte');
    assert.equal(parseNotifyMessage(Buffer.from([0x52, 0x45, 0xff, 0x0a])), 'it is not UTF-8');
    // a status is printable and bounded: it goes into `mrsocko status` and mrsocko's own STATUS=
    const status = parseNotifyMessage(Buffer.from(`STATUS=a\x1b[2Jb\r${'x'.repeat(500)}`));
    assert.ok(typeof status !== 'string');
    assert.ok(status.status !== undefined && status.status.length === 200 && !/[\x00-\x1f\x7f]/.test(status.status), status.status);
});
function notifyConfig(o) {
    return `[service]
exec = ${process.execPath} ${warming} ${o.backend} ${o.warmMs} ${o.marker} ${o.mode ?? 'NOTIFY'}
ready = notify
start_timeout = 10s
stop_timeout = 2s
${o.extra ?? ''}
[socket.main]
listen = 127.0.0.1:${o.listen}
backend = 127.0.0.1:${o.backend}
[idle]
timeout = 1min
[log]
level = debug
`;
}
test('ready = notify: a config error for unit = (pointing at Type=notify), and names file:line:key', () => {
    assert.throws(() => parseConfig('[service]\nunit = pg.service\nready = notify\n[socket.a]\nlisten = 1\nbackend = 127.0.0.1:2\n', '/etc/mrsocko/x.conf'), (err) => err instanceof ConfigError && /x\.conf:3.*ready/.test(err.message) && /Type=notify/.test(err.message));
    assert.throws(() => parseConfig('[service]\nexec = /bin/true\nready = notify now\n[socket.a]\nlisten = 1\nbackend = 127.0.0.1:2\n', '/x.conf'), (err) => err instanceof ConfigError && /x\.conf:3/.test(err.message));
});
test('ready = notify without the native addon is a config error naming the key (it is accepted when built)', async (t) => {
    if (!prerequisite(t, addonBuilt, 'the native addon (npm run build:native)'))
        return;
    const text = '[service]\nexec = /bin/true\nready = notify\n[socket.a]\nlisten = 1\nbackend = 127.0.0.1:2\n';
    assert.equal(parseConfig(text, '/x.conf').service.ready.kind, 'notify');
    // a process that cannot load the addon (its file moved away for this child only is not
    // possible, so: a Node that refuses native addons)
    const script = `import('${path.join(repoRoot, 'dist/src/config/load.js')}').then((m) => { try { m.parseConfig(${JSON.stringify(text)}, '/x.conf'); console.log('accepted'); } catch (e) { console.log(e.message); } })`;
    const r = await run([process.execPath, '--no-addons', '-e', script]);
    assert.match(r.stdout, /x\.conf:3.*ready.*native addon.*npm run build:native/s, r.stdout + r.stderr);
});
test('the notify socket: only the owner uid can send; a sender that is not the backend is ignored; closing removes it', async (t) => {
    if (!prerequisite(t, addonBuilt && isRoot && NOBODY !== undefined && haveCommand('systemd-notify'), 'root, the native addon and systemd-notify'))
        return;
    const debug = [];
    const listener = NotifyListener.open({
        uid: NOBODY.uid,
        belongs: (_pid, uid) => (uid === NOBODY.uid ? undefined : 'not nobody'),
        debug: (m) => debug.push(m),
    });
    try {
        const dir = path.dirname(listener.path);
        const dirStat = fs.statSync(dir);
        const sockStat = fs.lstatSync(listener.path);
        assert.equal(dirStat.uid, 0);
        assert.equal(dirStat.mode & 0o777, 0o711);
        assert.ok(sockStat.isSocket());
        // root's, no permission for group or others (an ACL grants nobody write: the mask is the group bits)
        assert.equal(sockStat.uid, 0);
        assert.equal(sockStat.mode & 0o707, 0);
        const acl = await run(['getfacl', '-cn', listener.path]);
        if (acl.status === 0)
            assert.match(acl.stdout, new RegExp(`^user:${NOBODY.uid}:-w-$`, 'm'), acl.stdout);
        const env = { PATH: process.env.PATH, NOTIFY_SOCKET: listener.path };
        // another unprivileged uid (daemon, 1) cannot send at all
        const other = await run(['systemd-notify', '--ready'], { uid: 1, gid: 1, env });
        assert.notEqual(other.status, 0);
        assert.match(other.stderr, /Permission denied/);
        // root can (it can do anything), but is not the backend: ignored
        const root = await run(['systemd-notify', '--ready', '--status=stranger'], { env });
        assert.equal(root.status, 0, root.stderr);
        assert.equal(listener.ready, false);
        assert.equal(listener.status, undefined);
        assert.ok(debug.some((m) => /ignored: not nobody/.test(m)), debug.join('\n'));
        const nobody = await run(['systemd-notify', '--status=hello'], { uid: NOBODY.uid, gid: NOBODY.gid, env });
        assert.equal(nobody.status, 0, nobody.stderr);
        assert.equal(listener.status, 'hello');
        assert.equal(listener.ready, false);
        const ready = await run(['systemd-notify', '--ready'], { uid: NOBODY.uid, gid: NOBODY.gid, env });
        assert.equal(ready.status, 0, ready.stderr);
        assert.equal(listener.ready, true);
    }
    finally {
        listener.close();
    }
    assert.equal(fs.existsSync(path.dirname(listener.path)), false);
});
test('the notify socket works as mrsocko@.service runs it: without CAP_CHOWN, CAP_DAC_OVERRIDE and CAP_FOWNER', async (t) => {
    if (!prerequisite(t, addonBuilt && isRoot && NOBODY !== undefined && haveCommand('systemd-notify') && haveCommand('setpriv'), 'root, the native addon, systemd-notify and setpriv'))
        return;
    const child = spawn('setpriv', ['--bounding-set=-chown,-dac_override,-fowner', process.execPath, path.join(repoRoot, 'test/fixtures/notify-listener.mjs'),
        path.join(repoRoot, 'dist/src/backend/notify-socket.js'), String(NOBODY.uid)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c.toString()));
    const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    assert.ok(await waitFor(() => out.includes('\n'), 5_000), 'the listener did not start');
    const socketPath = out.split('\n')[0];
    const sent = await run(['systemd-notify', '--ready'], { uid: NOBODY.uid, gid: NOBODY.gid, env: { PATH: process.env.PATH, NOTIFY_SOCKET: socketPath } });
    assert.equal(sent.status, 0, sent.stderr);
    assert.equal(await exited, 0, out);
    assert.match(out, /READY/);
});
test('the notify socket: an oversized datagram is dropped whole, passed descriptors are closed', async (t) => {
    if (!prerequisite(t, addonBuilt && isRoot && haveCommand('python3'), 'root, the native addon and python3'))
        return;
    const debug = [];
    const listener = NotifyListener.open({ uid: 0, belongs: () => undefined, debug: (m) => debug.push(m) });
    try {
        const before = fs.readdirSync('/proc/self/fd').length;
        // one datagram of 5000 bytes starting READY=1, then ten with a descriptor each
        const py = `import socket,os,array
s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)
s.sendto(b'READY=1\\n'+b'x'*5000, ${JSON.stringify(listener.path)})
for i in range(10):
    r,w=os.pipe()
    s.sendmsg([b'STATUS=fd'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i',[r,w]))], 0, ${JSON.stringify(listener.path)})
`;
        const r = await run(['python3', '-c', py]);
        assert.equal(r.status, 0, r.stderr);
        assert.ok(await waitFor(() => listener.status === 'fd', 2_000), 'timed out waiting');
        assert.equal(listener.ready, false, 'the oversized datagram counted');
        assert.ok(debug.some((m) => /longer than 4096 bytes/.test(m)), debug.join('\n'));
        assert.ok(fs.readdirSync('/proc/self/fd').length <= before + 1, 'descriptors passed in were kept');
    }
    finally {
        listener.close();
    }
});
test('ready = notify: a backend running as nobody says READY=1 late through systemd-notify; clients are held until then, a stranger\'s READY=1 is ignored', async (t) => {
    if (!prerequisite(t, addonBuilt && isRoot && NOBODY !== undefined && haveCommand('systemd-notify'), 'root, the native addon and systemd-notify'))
        return;
    const dir = tempDir();
    fs.chmodSync(dir, 0o777); // the backend, as nobody, writes its marker there
    const [listen, backend] = [await freePort(), await freePort()];
    const warmMs = 1500;
    const d = await startDaemon(notifyConfig({ listen, backend, marker: path.join(dir, 'ready'), warmMs, extra: 'user = nobody\n' }), dir);
    try {
        const began = performance.now();
        const answers = Promise.all(Array.from({ length: 5 }, () => readAll(listen)));
        // the backend accepts at once (answering "starting"): only READY=1 releases the clients
        assert.ok(await waitFor(() => d.daemon.statusReport().backend.waitingFor === 'READY=1 (status: warming up)', 5_000), `waitingFor: ${d.daemon.statusReport().backend.waitingFor}`);
        assert.ok(await waitFor(() => d.notices.some((n) => /^STATUS=Starting .*; waiting for READY=1 \(status: warming up\)/.test(n)), 2_000), d.notices.join('\n'));
        const pid = d.daemon.backendPid;
        assert.ok(pid !== undefined);
        const socketPath = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((v) => v.startsWith('NOTIFY_SOCKET='))?.slice(14);
        assert.ok(socketPath !== undefined && socketPath.startsWith('/'), 'no NOTIFY_SOCKET in the backend\'s environment');
        // a stranger: root (who can write any socket) outside the backend, then nobody too if
        // the backend has a cgroup of its own (then the uid is not enough)
        const stranger = await run(['systemd-notify', '--ready', '--status=stranger'], { env: { PATH: process.env.PATH, NOTIFY_SOCKET: socketPath } });
        assert.equal(stranger.status, 0, stranger.stderr);
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(d.daemon.backendPhase, 'starting', 'a stranger\'s READY=1 made the backend ready');
        assert.ok(d.lines.some((l) => /notify socket: a datagram from pid \d+ \(uid 0\) ignored/.test(l)), d.lines.join('\n'));
        assert.deepEqual(await answers, Array(5).fill('ok'));
        const ms = performance.now() - began;
        assert.ok(ms >= warmMs - 100, `released after ${Math.round(ms)} ms, before READY=1`);
        assert.equal(d.daemon.statusReport().backend.waitingFor, null);
        assert.ok(d.lines.some((l) => /READY=1 from pid \d+ \(uid 65534\)/.test(l)), d.lines.join('\n'));
        await d.stop();
        // the socket and its directory are gone with the backend
        assert.equal(fs.existsSync(path.dirname(socketPath)), false, `${socketPath} left behind`);
    }
    finally {
        await d.stop();
    }
});
test('ready = notify: a backend that never says READY=1 fails at start_timeout naming READY=1; its socket is removed', async (t) => {
    if (!prerequisite(t, addonBuilt && isRoot, 'root and the native addon'))
        return;
    const dir = tempDir();
    const [listen, backend] = [await freePort(), await freePort()];
    const d = await startDaemon(notifyConfig({ listen, backend, marker: path.join(dir, 'ready'), warmMs: 0, mode: 'TCP' })
        .replace('start_timeout = 10s', 'start_timeout = 1s'), dir);
    try {
        const answer = readAll(listen).catch((err) => err.message);
        assert.ok(await waitFor(() => d.daemon.backendPid !== undefined, 5_000), 'never launched');
        const socketPath = fs.readFileSync(`/proc/${d.daemon.backendPid}/environ`, 'utf8').split('\0')
            .find((v) => v.startsWith('NOTIFY_SOCKET='))?.slice(14) ?? '';
        assert.ok(fs.existsSync(socketPath), socketPath);
        assert.ok(await waitFor(() => d.lines.some((l) => /failed to start/.test(l)), 5_000), d.lines.join('\n'));
        const line = d.lines.find((l) => /failed to start/.test(l)) ?? '';
        assert.match(line, /still waiting for READY=1/);
        assert.doesNotMatch(await answer, /ok|starting/); // closed (or reset): never given the backend
        assert.ok(await waitFor(() => !fs.existsSync(path.dirname(socketPath)), 5_000), `${socketPath} left behind`);
    }
    finally {
        await d.stop();
    }
});
//# sourceMappingURL=notify-socket.test.js.map