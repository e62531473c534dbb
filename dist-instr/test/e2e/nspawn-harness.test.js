// Smoke test of the nspawn harness itself (test/helpers/nspawn.ts), independent of mrsocko:
// boot a real systemd, socket-activate a plain Accept=no service, reach it from the host
// over the shared network, and power off cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import os from 'node:os';
import { prerequisite } from '../helpers/require.js';
import { freePort } from '../helpers/net.js';
import { bootContainer, nspawnAvailable, NSPAWN_REQUIREMENT } from '../helpers/nspawn.js';
// Serves every inherited listening socket (LISTEN_FDS from 3): answers one line per
// connection with the container's hostname, which is the machine name.
const ECHO_PY = `import os, selectors, socket
assert os.environ.get('LISTEN_PID') == str(os.getpid()), 'LISTEN_PID is not ours'
names = os.environ.get('LISTEN_FDNAMES', '').split(':')
sel = selectors.DefaultSelector()
for fd in range(3, 3 + int(os.environ['LISTEN_FDS'])):
    sel.register(socket.socket(fileno=fd), selectors.EVENT_READ)
print('serving', os.environ['LISTEN_FDS'], 'sockets named', names, flush=True)
while True:
    for key, _ in sel.select():
        conn, _ = key.fileobj.accept()
        with conn:
            line = conn.makefile('rb').readline()
            conn.sendall(b'echo from ' + socket.gethostname().encode() + b': ' + line)
`;
function hostHasIPv6Loopback() {
    return Object.values(os.networkInterfaces()).some((list) => (list ?? []).some((a) => a.family === 'IPv6' && a.address === '::1'));
}
/** Sends one line, returns everything received until the server closes. */
function ask(host, port, line) {
    return new Promise((resolve, reject) => {
        const socket = net.connect({ host, port });
        let reply = '';
        socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer from ${host}:${port} within 10 s`)));
        socket.on('connect', () => socket.write(`${line}\n`));
        socket.on('data', (chunk) => (reply += chunk.toString()));
        socket.on('error', reject);
        socket.on('close', () => resolve(reply));
    });
}
test('nspawn harness: boot, socket activation reached from the host, poweroff', async (t) => {
    if (!prerequisite(t, nspawnAvailable(), NSPAWN_REQUIREMENT))
        return;
    const machine = `mrsocko-harness-${process.pid}`;
    const port = await freePort();
    const v6 = hostHasIPv6Loopback();
    const c = await bootContainer({ machine });
    try {
        console.log(`${machine} booted (${c.bootState}) in ${c.bootMs} ms`);
        assert.equal(c.bootState, 'running', `boot ended ${c.bootState}: ${(await c.exec('systemctl --failed --no-legend')).stdout}`);
        await t.test('exec, writeFile and waitFor', async () => {
            const r = await c.exec('hostname; echo err >&2; exit 3');
            assert.deepEqual(r, { status: 3, stdout: `${machine}\n`, stderr: 'err\n' });
            await c.writeFile('/etc/harness/a b.txt', "it's\nhere\n", 0o600);
            const back = await c.exec(`stat -c %a '/etc/harness/a b.txt' && cat '/etc/harness/a b.txt'`);
            assert.equal(back.stdout, "600\nit's\nhere\n");
            const repo = await c.exec('test -f /opt/mrsocko/package.json && touch /opt/mrsocko/x');
            assert.notEqual(repo.status, 0, 'the repository must be bound read-only');
            assert.match(repo.stderr, /Read-only file system/);
            const no = await c.waitFor('false', (x) => x.status === 0, 300, 50);
            assert.equal(no.ok, false);
            const killed = await c.exec('sleep 30', { timeoutMs: 200 });
            assert.equal(killed.status, null);
        });
        await t.test('socket-activated Accept=no service, reached from the host', async () => {
            await c.writeFile('/etc/harness/echo.py', ECHO_PY);
            await c.writeFile('/etc/systemd/system/harness-echo.socket', `[Socket]\nListenStream=127.0.0.1:${port}\n${v6 ? `ListenStream=[::1]:${port}\n` : ''}` +
                `FileDescriptorName=echo\n[Install]\nWantedBy=sockets.target\n`);
            await c.writeFile('/etc/systemd/system/harness-echo.service', '[Service]\nExecStart=/usr/bin/python3 -u /etc/harness/echo.py\n');
            const enable = await c.exec('systemctl daemon-reload && systemctl enable --now harness-echo.socket');
            assert.equal(enable.status, 0, enable.stderr);
            const before = await c.exec('systemctl is-active harness-echo.service');
            assert.equal(before.stdout.trim(), 'inactive', 'activated before any client');
            assert.equal(await ask('127.0.0.1', port, 'ping4'), `echo from ${machine}: ping4\n`);
            if (v6)
                assert.equal(await ask('::1', port, 'ping6'), `echo from ${machine}: ping6\n`);
            const after = await c.exec('systemctl is-active harness-echo.service');
            assert.equal(after.stdout.trim(), 'active');
            const log = await c.journal('harness-echo.service', ['-o', 'cat']);
            const sockets = v6 ? 2 : 1;
            const names = v6 ? "['echo', 'echo']" : "['echo']";
            assert.ok(log.includes(`serving ${sockets} sockets named ${names}`), log);
        });
    }
    finally {
        const started = performance.now();
        await c.poweroff();
        const ms = Math.round(performance.now() - started);
        console.log(`${machine} powered off in ${ms} ms`);
        assert.throws(() => process.kill(c.nspawnPid, 0), 'systemd-nspawn still running after poweroff');
        assert.throws(() => process.kill(c.leaderPid, 0), 'container systemd still running after poweroff');
    }
});
test('nspawn harness: two containers at once each find their own systemd', async (t) => {
    if (!prerequisite(t, nspawnAvailable(), NSPAWN_REQUIREMENT))
        return;
    const names = [`mrsocko-harness-a-${process.pid}`, `mrsocko-harness-b-${process.pid}`];
    const booted = await Promise.allSettled(names.map((machine) => bootContainer({ machine })));
    const containers = booted.flatMap((b) => (b.status === 'fulfilled' ? [b.value] : []));
    try {
        for (const b of booted)
            if (b.status === 'rejected')
                throw b.reason;
        const [a, b] = containers;
        assert.notEqual(a.leaderPid, b.leaderPid);
        assert.equal((await a.exec('hostname')).stdout.trim(), names[0]);
        assert.equal((await b.exec('hostname')).stdout.trim(), names[1]);
        await b.writeFile('/etc/only-in-b', 'b\n');
        assert.notEqual((await a.exec('test -e /etc/only-in-b')).status, 0, 'containers share /etc');
    }
    finally {
        await Promise.all(containers.map((c) => c.poweroff()));
    }
});
//# sourceMappingURL=nspawn-harness.test.js.map