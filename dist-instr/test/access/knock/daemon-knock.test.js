// Knocking in an in-process daemon (standalone: it binds the knock ports itself): the
// sequence and the single packet open `knocked` for one address only, knock ports never
// reach or start the backend and count as no client, failed knocks reach the refusal log,
// `status` lists the knocked, a reload keeps them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../../helpers/paths.js';
import { startDaemon, tempDir } from '../../helpers/daemon.js';
import { freePort, waitFor } from '../../helpers/net.js';
import { connectClient, refused } from '../../helpers/clients.js';
import { knockPacket, sendDatagram, tcpKnock, udpKnock } from '../../helpers/knock.js';
import { parseConfig } from '../../../src/config/load.js';
import { renderStatus } from '../../../src/control/report.js';
const echo = path.join(repoRoot, 'test/fixtures/slow-echo.mjs');
const H = '127.0.0.1';
async function setup(o = {}) {
    const dir = tempDir();
    const [port, backendPort, k1, k2, k3, kp] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
    const keyFile = path.join(dir, 'demo.key');
    const key = Buffer.from('a secret of more than sixteen bytes');
    fs.writeFileSync(keyFile, key, { mode: 0o600 });
    const starts = path.join(dir, 'starts');
    const text = (access = 'allow = knocked') => `[service]
exec = ${process.execPath} ${echo} ${H}:${backendPort} 0 ${starts}
stop_timeout = 2s
[socket.web]
listen = ${H}:${port}
backend = ${H}:${backendPort}
[access]
${access}
${o.extraAccess ?? ''}
[knock]
sequence = ${H}:${k1}, ${H}:${k2}/udp, ${H}:${k3}
window = ${o.window ?? '5s'}
key = ${keyFile}
listen = ${H}:${kp}
open_for = 1h
`;
    const d = await startDaemon(text(), dir);
    const sequence = async (from, order = [1, 2, 3]) => {
        for (const step of order) {
            if (step === 2)
                await udpKnock(H, k2, from);
            else
                await tcpKnock(H, step === 1 ? k1 : k3, from);
            await sleep(20);
        }
    };
    const starts_ = () => (fs.existsSync(starts) ? fs.readFileSync(starts, 'utf8').split('\n').filter(Boolean).length : 0);
    return { d, dir, port, k1, k2, k3, kp, key, keyFile, text, sequence, starts: starts_ };
}
test('sequence: right order opens that address only; wrong order and too slow do not; knocks never start the backend', async () => {
    const s = await setup({ window: '1s' });
    try {
        assert.ok(await refused({ host: H, port: s.port, from: '127.0.0.2' }), 'not knocked yet: refused');
        await s.sequence('127.0.0.2', [1, 3, 2]);
        assert.ok(await refused({ host: H, port: s.port, from: '127.0.0.2' }), 'wrong order');
        await s.sequence('127.0.0.3', [1, 2]);
        await sleep(1100);
        await tcpKnock(H, s.k3, '127.0.0.3');
        await sleep(50);
        assert.ok(await refused({ host: H, port: s.port, from: '127.0.0.3' }), 'too slow');
        assert.equal(s.starts(), 0, 'knocks alone never start the backend');
        assert.equal(s.d.daemon.statusReport().totals.clients, 0, 'knocks are no clients');
        await s.sequence('127.0.0.2');
        assert.ok(await waitFor(() => s.d.lines.some((l) => /knock: 127\.0\.0\.2 knocked \(port sequence\); knocked until 20\d\d-/.test(l)), 2000), s.d.lines.join('\n'));
        await sleep(100);
        assert.equal(s.starts(), 0, 'a complete sequence does not start the backend either');
        const c = await connectClient({ host: H, port: s.port, from: '127.0.0.2' });
        assert.equal((await c.echo('hello')).toString(), 'hello');
        await c.close();
        assert.ok(await refused({ host: H, port: s.port, from: '127.0.0.4' }), 'another address stays refused');
        assert.ok(await refused({ host: H, port: s.port, from: '127.0.0.3' }));
        const report = s.d.daemon.statusReport();
        assert.deepEqual(report.knocked?.map((k) => [k.address, k.method]), [['127.0.0.2', 'sequence']]);
        assert.ok((report.knocked?.[0]?.remainingMs ?? 0) > 3_590_000);
        assert.match(renderStatus(report), /knocked: 1 address\n {2}127\.0\.0\.2 {2}until 20\S+ \(1h left, port sequence\)/);
        assert.ok(s.d.lines.some((l) => /refused (connection|datagram) from 127\.0\.0\.3:\d+: knock on a port out of the \[knock\] sequence order/.test(l)), `failed knocks reach the refusal log:\n${s.d.lines.join('\n')}`);
    }
    finally {
        await s.d.stop();
    }
});
test('single packet: the right key opens the sender or the signed address; a wrong key, a replay from another address, an expired timestamp do not', async () => {
    const s = await setup();
    try {
        const wrong = knockPacket(Buffer.from('not the secret, but long enough'));
        await sendDatagram(H, s.kp, wrong, '127.0.0.5');
        await sendDatagram(H, s.kp, knockPacket(s.key, { ageSeconds: 90 }), '127.0.0.6');
        await sendDatagram(H, s.kp, knockPacket(s.key, { ageSeconds: -90 }), '127.0.0.6');
        await sendDatagram(H, s.kp, Buffer.from('hello'), '127.0.0.7');
        await sleep(100);
        for (const from of ['127.0.0.5', '127.0.0.6', '127.0.0.7']) {
            assert.ok(await refused({ host: H, port: s.port, from }), `${from} must stay refused`);
        }
        const good = knockPacket(s.key);
        await sendDatagram(H, s.kp, good, '127.0.0.8');
        assert.ok(await waitFor(() => s.d.lines.some((l) => /knock: 127\.0\.0\.8 knocked \(single packet\)/.test(l)), 2000), s.d.lines.join('\n'));
        await sendDatagram(H, s.kp, good, '127.0.0.9'); // sniffed and replayed from elsewhere
        await sleep(100);
        assert.ok(await refused({ host: H, port: s.port, from: '127.0.0.9' }), 'a replayed packet opens nothing');
        const c = await connectClient({ host: H, port: s.port, from: '127.0.0.8' });
        assert.equal((await c.echo('in')).toString(), 'in');
        await c.close();
        await sendDatagram(H, s.kp, knockPacket(s.key, { open: '127.0.0.10' }), '127.0.0.11');
        assert.ok(await waitFor(() => s.d.lines.some((l) => /knock: 127\.0\.0\.10 knocked \(single packet sent from 127\.0\.0\.11\)/.test(l)), 2000));
        assert.ok(await refused({ host: H, port: s.port, from: '127.0.0.11' }), 'the sender is not opened when it names another address');
        const c2 = await connectClient({ host: H, port: s.port, from: '127.0.0.10' });
        await c2.close();
        const text = s.d.lines.join('\n');
        assert.match(text, /refused datagram from 127\.0\.0\.5:\d+: knock packet with a wrong key/);
        assert.match(text, /refused datagram from 127\.0\.0\.6:\d+: knock packet too old or from the future/);
        assert.match(text, /refused datagram from 127\.0\.0\.7:\d+: not a knock packet/);
        assert.match(text, /refused datagram from 127\.0\.0\.9:\d+: knock packet replayed/);
    }
    finally {
        await s.d.stop();
    }
});
test('fuzz: random datagrams on the knock ports never crash the daemon or open anything', async () => {
    const s = await setup();
    try {
        const good = knockPacket(s.key);
        for (let i = 0; i < 3000; i++) {
            let data;
            if (i % 3 === 0)
                data = randomBytes(Math.floor(Math.random() * 120));
            else {
                data = Buffer.from(good);
                for (let f = 0; f < 1 + (i % 5); f++)
                    data[Math.floor(Math.random() * data.length)] ^= 1 << (i % 8);
                if (i % 3 === 2)
                    data = data.subarray(0, Math.floor(Math.random() * 80) + 1);
            }
            if (data.equals(good))
                continue;
            await sendDatagram(H, i % 2 === 0 ? s.kp : s.k2, data, `127.0.${1 + (i % 3)}.${1 + (i % 250)}`);
        }
        await sleep(200);
        assert.deepEqual(s.d.daemon.statusReport().knocked, []);
        assert.ok(await refused({ host: H, port: s.port, from: '127.0.1.1' }));
        await sendDatagram(H, s.kp, good, '127.0.0.2');
        assert.ok(await waitFor(() => (s.d.daemon.statusReport().knocked ?? []).length === 1, 2000), 'still serving knocks');
        assert.ok(s.d.daemon.statusReport().totals.refused > 0);
        assert.ok(s.d.lines.filter((l) => /knock/.test(l)).length < 100, 'failed knocks are rate-limited in the log');
    }
    finally {
        await s.d.stop();
    }
});
test('reload keeps the knocked addresses and applies a new open_for; knocked in wake lets only them start the backend', async () => {
    const s = await setup();
    try {
        await sendDatagram(H, s.kp, knockPacket(s.key), '127.0.0.2');
        assert.ok(await waitFor(() => (s.d.daemon.statusReport().knocked ?? []).length === 1, 2000));
        const file = path.join(s.dir, 'test.conf');
        const summary = s.d.daemon.reload(parseConfig(s.text('wake = knocked').replace('open_for = 1h', 'open_for = 2h'), file));
        assert.doesNotMatch(summary, /knock/, summary);
        assert.deepEqual(s.d.daemon.statusReport().knocked?.map((k) => k.address), ['127.0.0.2'], 'SIGHUP keeps them');
        assert.ok(await refused({ host: H, port: s.port, from: '127.0.0.3' }), 'not knocked: may not wake the backend');
        assert.equal(s.starts(), 0);
        const c = await connectClient({ host: H, port: s.port, from: '127.0.0.2' });
        assert.equal((await c.echo('wake')).toString(), 'wake');
        assert.equal(s.starts(), 1);
        const other = await connectClient({ host: H, port: s.port, from: '127.0.0.3' });
        assert.equal((await other.echo('up')).toString(), 'up', 'once up, wake no longer applies');
        await other.close();
        await c.close();
        await sendDatagram(H, s.kp, knockPacket(s.key), '127.0.0.4');
        assert.ok(await waitFor(() => (s.d.daemon.statusReport().knocked ?? []).length === 2, 2000));
        const k4 = s.d.daemon.statusReport().knocked?.find((k) => k.address === '127.0.0.4');
        assert.ok((k4?.remainingMs ?? 0) > 3_600_000 + 3_500_000, 'the new open_for (2h) applies to new knocks');
        // a new key applies on reload: the old one no longer knocks
        const newKey = Buffer.from('the rotated secret, also long enough');
        fs.writeFileSync(s.keyFile, newKey);
        s.d.daemon.reload(parseConfig(s.text(), file));
        await sendDatagram(H, s.kp, knockPacket(s.key), '127.0.0.5');
        await sendDatagram(H, s.kp, knockPacket(newKey), '127.0.0.6');
        assert.ok(await waitFor(() => (s.d.daemon.statusReport().knocked ?? []).some((k) => k.address === '127.0.0.6'), 2000));
        assert.ok(!(s.d.daemon.statusReport().knocked ?? []).some((k) => k.address === '127.0.0.5'), 'the old key is refused');
        fs.writeFileSync(s.keyFile, 'short');
        assert.throws(() => s.d.daemon.reload(parseConfig(s.text(), file)), /\[knock\] key: .*holds 5 bytes/);
        await sendDatagram(H, s.kp, knockPacket(newKey), '127.0.0.7');
        assert.ok(await waitFor(() => (s.d.daemon.statusReport().knocked ?? []).some((k) => k.address === '127.0.0.7'), 2000), 'a failed reload keeps the key');
        // a reordered sequence applies at once: same sockets
        fs.writeFileSync(s.keyFile, newKey);
        const reordered = s.text().replace(/sequence = (\S+), (\S+), (\S+)\n/, 'sequence = $3, $1, $2\n');
        assert.notEqual(reordered, s.text());
        assert.doesNotMatch(s.d.daemon.reload(parseConfig(reordered, file)), /knock/);
        await tcpKnock(H, s.k3, '127.0.0.8');
        await tcpKnock(H, s.k1, '127.0.0.8');
        await udpKnock(H, s.k2, '127.0.0.8');
        assert.ok(await waitFor(() => (s.d.daemon.statusReport().knocked ?? []).some((k) => k.address === '127.0.0.8'), 2000), s.d.lines.join('\n'));
        const moved = s.text().replace(/sequence = .*\n/, `sequence = ${H}:${await freePort()}\n`);
        assert.match(s.d.daemon.reload(parseConfig(moved, file)), /\[knock\] ports take effect after a restart/);
        assert.equal(s.d.daemon.statusReport().knocked?.length, 5);
    }
    finally {
        await s.d.stop();
    }
});
test('bare ports are dual-stack: an IPv4 knock is the IPv4 address, an IPv6 knock the IPv6 one', async () => {
    const dir = tempDir();
    const [port, backendPort, k1, k2, kp] = [await freePort('::'), await freePort(), await freePort('::'), await freePort('::'), await freePort('::')];
    const key = Buffer.from('dual-stack secret, long enough');
    fs.writeFileSync(path.join(dir, 'k.key'), key, { mode: 0o600 });
    const d = await startDaemon(`[service]
exec = ${process.execPath} ${echo} ${H}:${backendPort} 0
stop_timeout = 2s
[socket.web]
listen = ${port}
backend = ${H}:${backendPort}
[access]
allow = knocked
[knock]
sequence = ${k1}, ${k2}/udp
key = ${path.join(dir, 'k.key')}
listen = ${kp}
`, dir);
    try {
        assert.ok(d.daemon.addresses.some((a) => a.address === `[::]:${k1}`), JSON.stringify(d.daemon.addresses));
        await tcpKnock(H, k1, '127.0.0.2');
        await udpKnock(H, k2, '127.0.0.2');
        await tcpKnock('::1', k1, '::1');
        await udpKnock('::1', k2, '::1');
        assert.ok(await waitFor(() => (d.daemon.statusReport().knocked ?? []).length === 2, 2000), d.lines.join('\n'));
        assert.deepEqual(d.daemon.statusReport().knocked?.map((k) => k.address).sort(), ['127.0.0.2', '::1']);
        const c = await connectClient({ host: H, port, from: '127.0.0.2' });
        assert.equal((await c.echo('v4')).toString(), 'v4');
        await c.close();
        const c6 = await connectClient({ host: '::1', port, from: '::1' });
        assert.equal((await c6.echo('v6')).toString(), 'v6');
        await c6.close();
        assert.ok(await refused({ host: H, port, from: '127.0.0.1' }));
        // single packets on a dual-stack port: IPv4 senders are IPv4 addresses; an IPv6 address to open
        await sendDatagram(H, kp, knockPacket(key), '127.0.0.3');
        await sendDatagram('::1', kp, knockPacket(key, { open: '2001:db8::7' }), '::1');
        assert.ok(await waitFor(() => (d.daemon.statusReport().knocked ?? []).length === 4, 2000), d.lines.join('\n'));
        assert.deepEqual(d.daemon.statusReport().knocked?.map((k) => k.address).sort(), ['127.0.0.2', '127.0.0.3', '2001:db8::7', '::1']);
    }
    finally {
        await d.stop();
    }
});
//# sourceMappingURL=daemon-knock.test.js.map