// Knocking end to end, under systemd-socket-activate (which passes sockets as systemd does
// and starts mrsocko on the first knock): knockd's own `knock` client for sequences, and
// `mrsocko knock` plus the shell one-liner of docs/knock-protocol.md for single packets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cliPath, repoRoot } from '../helpers/paths.js';
import { haveCommand, prerequisite } from '../helpers/require.js';
import { tempDir } from '../helpers/daemon.js';
import { freePort, waitFor } from '../helpers/net.js';
import { connectClient, refused } from '../helpers/clients.js';
import { startMrsocko } from '../helpers/mrsocko-process.js';
import { docOneLiner, knockPacket, sendDatagram, udpRoundTrip } from '../helpers/knock.js';
const H = '127.0.0.1';
const knock = (...args) => {
    const r = spawnSync('knock', args, { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, `knock ${args.join(' ')}: ${r.stderr}`);
};
const starts = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);
test("knockd's knock client: wrong order (also while mrsocko starts), too slow, right order; another address stays refused", async (t) => {
    if (!prerequisite(t, haveCommand('systemd-socket-activate'), 'systemd-socket-activate not installed'))
        return;
    if (!prerequisite(t, haveCommand('knock'), "knockd's knock client not installed (Debian package knockd)"))
        return;
    const dir = tempDir();
    const [port, backendPort, k1, k2, k3] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const startsFile = path.join(dir, 'starts');
    const file = path.join(dir, 'mrsocko.conf');
    fs.writeFileSync(file, `[service]
exec = ${process.execPath} ${path.join(repoRoot, 'test/fixtures/slow-echo.mjs')} ${H}:${backendPort} 0 ${startsFile}
stop_timeout = 2s
[socket.web]
listen = ${H}:${port}
backend = ${H}:${backendPort}
[access]
allow = knocked
[knock]
sequence = ${H}:${k1}, ${H}:${k2}, ${H}:${k3}
window = 2s
`);
    const m = startMrsocko({
        configFile: file,
        activate: ['-l', `${H}:${port}`, '-l', `${H}:${k1}`, '-l', `${H}:${k2}`, '-l', `${H}:${k3}`, '--fdname=web:k1:k2:k3'],
    });
    try {
        await m.waitForLine(new RegExp(`Listening on 127\\.0\\.0\\.1:${k3} `)); // the last of the four
        // The first knock starts mrsocko; all three are queued before it runs, in the wrong order.
        knock(H, String(k3), String(k2), String(k1));
        await m.waitForLine(/ready: /, 15_000);
        await m.waitForLine(/3 sequence knocks arrived before mrsocko was started/, 5000);
        assert.ok(await refused({ host: H, port }), `queued knocks in the wrong order open nothing:\n${m.output()}`);
        knock(H, String(k2), String(k1), String(k3));
        await sleep(200);
        assert.ok(await refused({ host: H, port }), 'wrong order');
        knock('-d', '1200', H, String(k1), String(k2), String(k3));
        await sleep(200);
        assert.ok(await refused({ host: H, port }), 'too slow (2.4 s for a 2 s window)');
        assert.doesNotMatch(m.output(), /knocked until/);
        assert.equal(starts(startsFile), 0, 'no knock started the backend');
        knock(H, String(k1), String(k2), String(k3));
        await m.waitForLine(/knock: 127\.0\.0\.1 knocked \(port sequence\); knocked until/, 5000);
        assert.equal(starts(startsFile), 0, 'a complete sequence does not start the backend either');
        const c = await connectClient({ host: H, port });
        assert.equal((await c.echo('knocked in')).toString(), 'knocked in');
        await c.close();
        assert.ok(await refused({ host: H, port, from: '127.0.0.2' }), 'another address stays refused');
        assert.match(m.output(), /knock 127\.0\.0\.1:\d+\/tcp: adopted from systemd on 127\.0\.0\.1:\d+/);
    }
    finally {
        assert.equal(await m.stop(), 0, m.output());
    }
});
test('single-packet knocks over udp: mrsocko knock, the documented one-liner, wrong key, expired, replayed from another address', async (t) => {
    if (!prerequisite(t, haveCommand('systemd-socket-activate'), 'systemd-socket-activate not installed'))
        return;
    for (const cmd of ['openssl', 'xxd', 'socat']) {
        if (!prerequisite(t, haveCommand(cmd), `${cmd} not installed`))
            return;
    }
    const dir = tempDir();
    const [port, backendPort, kp, k1] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const keyFile = path.join(dir, 'demo.key');
    const mrsocko = (...args) => spawnSync(process.execPath, [cliPath, 'knock', ...args], { encoding: 'utf8' });
    assert.equal(mrsocko('--new-key', keyFile).status, 0);
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
    const wrongKey = path.join(dir, 'wrong.key');
    fs.writeFileSync(wrongKey, 'this is not the key of the instance');
    const file = path.join(dir, 'mrsocko.conf');
    fs.writeFileSync(file, `[service]
exec = ${process.execPath} ${path.join(repoRoot, 'test/fixtures/slow-udp-echo.mjs')} ${H}:${backendPort} 0
stop_timeout = 2s
[socket.dns]
listen = ${H}:${port}
protocol = udp
backend = ${H}:${backendPort}
[access]
allow = knocked
[knock]
key = ${keyFile}
listen = ${H}:${kp}
sequence = ${H}:${k1}/udp
`);
    const m = startMrsocko({ configFile: file, activate: ['-d', '-l', `${H}:${port}`, '-l', `${H}:${kp}`, '-l', `${H}:${k1}`, '--fdname=dns:knock:k1'] });
    try {
        await m.waitForLine(new RegExp(`Listening on 127\\.0\\.0\\.1:${k1} `)); // the last of the three
        // The wrong key's packet starts mrsocko, and is refused.
        assert.equal(mrsocko(`${H}:${kp}`, '--key', wrongKey).status, 0);
        await m.waitForLine(/ready: /, 15_000);
        await m.waitForLine(/refused datagram from 127\.0\.0\.1:\d+: knock packet with a wrong key/, 5000);
        await sendDatagram(H, kp, knockPacket(fs.readFileSync(keyFile), { ageSeconds: 120 }), '127.0.0.3');
        await m.waitForLine(/refused datagram from 127\.0\.0\.3:\d+: knock packet too old/, 5000);
        assert.equal(await udpRoundTrip(H, port, Buffer.from('ping'), '127.0.0.1'), undefined, 'not knocked: dropped');
        assert.equal(await udpRoundTrip(H, port, Buffer.from('ping'), '127.0.0.3'), undefined);
        // The shell one-liner, exactly as documented.
        const doc = fs.readFileSync(path.join(repoRoot, 'docs/knock-protocol.md'), 'utf8');
        const r = spawnSync('sh', ['-c', docOneLiner(doc)], { env: { ...process.env, KEY: keyFile, HOST: H, PORT: String(kp) }, encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        await m.waitForLine(/knock: 127\.0\.0\.1 knocked \(single packet\)/, 5000);
        assert.equal((await udpRoundTrip(H, port, Buffer.from('ping'), '127.0.0.1'))?.toString(), 'ping');
        // mrsocko knock --open: the sender names another address.
        assert.equal(mrsocko(`${H}:${kp}`, '--key', keyFile, '--open', '127.0.0.4').status, 0);
        await m.waitForLine(/knock: 127\.0\.0\.4 knocked \(single packet sent from 127\.0\.0\.1\)/, 5000);
        assert.equal((await udpRoundTrip(H, port, Buffer.from('four'), '127.0.0.4'))?.toString(), 'four');
        // A packet sniffed on its way and sent again from another address opens nothing.
        const sniffed = knockPacket(fs.readFileSync(keyFile));
        await sendDatagram(H, kp, sniffed, '127.0.0.5');
        await m.waitForLine(/knock: 127\.0\.0\.5 knocked/, 5000);
        await sendDatagram(H, kp, sniffed, '127.0.0.6');
        await waitFor(() => /127\.0\.0\.6/.test(m.output()), 3000);
        assert.match(m.output(), /refused datagram from 127\.0\.0\.6:\d+: knock packet replayed/);
        assert.equal(await udpRoundTrip(H, port, Buffer.from('ping'), '127.0.0.6'), undefined, 'replayed: still dropped');
        // knockd's client over udp, too
        if (haveCommand('knock')) {
            knock('-u', H, String(k1));
            await sleep(200);
            assert.match(m.output(), /knock: 127\.0\.0\.1 knocked \(port sequence\)/);
        }
    }
    finally {
        assert.equal(await m.stop(), 0, m.output());
    }
});
test('a knock port systemd did not pass is a config error naming file:line:key (exit 78)', async (t) => {
    if (!prerequisite(t, haveCommand('systemd-socket-activate'), 'systemd-socket-activate not installed'))
        return;
    const dir = tempDir();
    const [port, backendPort, k1] = await Promise.all([freePort(), freePort(), freePort()]);
    const file = path.join(dir, 'mrsocko.conf');
    fs.writeFileSync(file, `[service]
exec = ${process.execPath} ${path.join(repoRoot, 'test/fixtures/slow-echo.mjs')} ${H}:${backendPort} 0
[socket.web]
listen = ${H}:${port}
backend = ${H}:${backendPort}
[knock]
sequence = ${H}:${k1}
`);
    const m = startMrsocko({ configFile: file, activate: ['-l', `${H}:${port}`, '--fdname=web'] });
    try {
        await m.waitForLine(/Listening on/);
        await refused({ host: H, port });
        await m.waitForLine(/mrsocko: /, 10_000);
        assert.match(m.output(), new RegExp(`mrsocko\\.conf:7: \\[knock\\] sequence: systemd passed no tcp socket for 127\\.0\\.0\\.1:${k1}; add ListenStream=127\\.0\\.0\\.1:${k1}`));
    }
    finally {
        assert.equal(await m.stop(), 78, m.output());
    }
});
//# sourceMappingURL=knock.test.js.map