// Knocking under a real systemd (nspawn), installed with gen-unit: the knock ports are
// Listen lines of the instance's socket unit; a knock starts mrsocko but not the backend;
// knockd's client and `mrsocko knock` (from the host, as from a laptop) open one address;
// `mrsocko status` lists it and `systemctl reload` (SIGHUP) keeps it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { cliPath } from '../helpers/paths.js';
import { haveCommand, prerequisite } from '../helpers/require.js';
import { freePort } from '../helpers/net.js';
import { tempDir } from '../helpers/daemon.js';
import { connectClient, refused } from '../helpers/clients.js';
import { bootContainer, CONTAINER_REPO, nspawnAvailable, NSPAWN_REQUIREMENT } from '../helpers/nspawn.js';
import { connectEcho, mrsocko, NODE, nodeBinds } from '../helpers/systemd-e2e.js';
const NAME = 'knocked';
const SERVICE = `mrsocko@${NAME}.service`;
test('under systemd via gen-unit: knock ports adopted, a knock starts mrsocko but not the backend, opens one address; status; reload keeps it', async (t) => {
    if (!prerequisite(t, nspawnAvailable(), NSPAWN_REQUIREMENT))
        return;
    if (!prerequisite(t, haveCommand('knock'), "knockd's knock client not installed (Debian package knockd)"))
        return;
    const [port, backendPort, k1, k2, k3, kp] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
    const key = randomBytes(32);
    const hostKey = path.join(tempDir(), 'laptop.key');
    fs.writeFileSync(hostKey, key, { mode: 0o600 });
    const knockFromHost = (...args) => spawnSync(process.execPath, [cliPath, 'knock', ...args], { encoding: 'utf8' });
    const c = await bootContainer({ machine: `mrsocko-knock-${process.pid}`, binds: nodeBinds() });
    const diag = async () => `\n--- journalctl -u ${SERVICE}\n${await c.journal(SERVICE)}` +
        `\n--- systemctl status\n${(await c.exec(`systemctl status --no-pager mrsocko@${NAME}.socket ${SERVICE}`)).stdout}`;
    const journal = () => c.journal(SERVICE, ['-o', 'cat']);
    const waitJournal = async (pattern) => {
        const r = await c.waitFor(`journalctl -u ${SERVICE} -o cat --no-pager`, (x) => pattern.test(x.stdout), 15_000, 100);
        assert.ok(r.ok, `no ${pattern} in the journal${await diag()}`);
    };
    try {
        await c.writeFile(`/etc/mrsocko/${NAME}.key`, key, 0o600);
        await c.writeFile(`/etc/mrsocko/${NAME}.conf`, [
            '[service]',
            `exec = ${NODE} ${CONTAINER_REPO}/test/fixtures/slow-echo.mjs 127.0.0.1:${backendPort} 200`,
            'start_timeout = 20s',
            '[socket.web]',
            `listen = 127.0.0.1:${port}`,
            `backend = 127.0.0.1:${backendPort}`,
            '[access]',
            'allow = knocked',
            '[knock]',
            `sequence = 127.0.0.1:${k1}, 127.0.0.1:${k2}/udp, 127.0.0.1:${k3}`,
            'window = 5s',
            `key = /etc/mrsocko/${NAME}.key`,
            `listen = 127.0.0.1:${kp}`,
            '[log]',
            'level = debug',
            '',
        ].join('\n'));
        const check = await c.exec(mrsocko('check', '--instance', NAME));
        assert.equal(check.status, 0, check.stderr);
        assert.match(check.stdout, /\[knock\]\nsequence = /);
        const gen = await c.exec(mrsocko('gen-unit', NAME));
        assert.equal(gen.status, 0, `gen-unit: ${gen.stdout}${gen.stderr}`);
        const listen = (await c.exec(`cat /etc/systemd/system/mrsocko@${NAME}.socket.d/50-listen.conf`)).stdout;
        for (const line of [`ListenStream=127.0.0.1:${k1}`, `ListenDatagram=127.0.0.1:${k2}`, `ListenStream=127.0.0.1:${k3}`, `ListenDatagram=127.0.0.1:${kp}`]) {
            assert.ok(listen.split('\n').includes(line), `${line} missing from:\n${listen}`);
        }
        const enable = await c.exec(`systemctl daemon-reload && systemctl enable --now mrsocko@${NAME}.socket`);
        assert.equal(enable.status, 0, `enable: ${enable.stderr}${await diag()}`);
        assert.equal((await c.exec(`systemctl is-active ${SERVICE}`)).stdout.trim(), 'inactive');
        // A single packet from the host (as from a laptop) starts mrsocko, which counts it at once.
        const sent = knockFromHost(`127.0.0.1:${kp}`, '--key', hostKey);
        assert.equal(sent.status, 0, sent.stderr);
        await waitJournal(/knock: 127\.0\.0\.1 knocked \(single packet\); knocked until/);
        assert.match(await journal(), new RegExp(`socket knock 127\\.0\\.0\\.1:${kp}/udp \\(packet\\): adopted from systemd`));
        assert.doesNotMatch(await journal(), /starting backend/, 'a knock never starts the backend');
        const client = await connectEcho(port);
        assert.equal(await client.say('hello'), 'hello', await diag());
        client.destroy();
        assert.ok(await refused({ host: '127.0.0.1', port, from: '127.0.0.2' }), 'another address stays refused');
        // knockd's client (it sends from 127.0.0.1 only, already knocked: the log line tells):
        // the wrong order is refused, the right one knocks.
        spawnSync('knock', ['127.0.0.1', `${k3}`, `${k2}:udp`, `${k1}`]);
        spawnSync('knock', ['127.0.0.1', `${k1}`, `${k2}:udp`, `${k3}`]);
        await waitJournal(/knock: 127\.0\.0\.1 knocked \(port sequence\)/);
        const opened = knockFromHost(`127.0.0.1:${kp}`, '--key', hostKey, '--open', '127.0.0.2');
        assert.equal(opened.status, 0, opened.stderr);
        await waitJournal(/knock: 127\.0\.0\.2 knocked \(single packet sent from 127\.0\.0\.1\)/);
        const second = await connectClient({ host: '127.0.0.1', port, from: '127.0.0.2' });
        assert.equal((await second.echo('two\n')).toString(), 'two\n');
        await second.close();
        const status = async () => {
            const r = await c.exec(mrsocko('status', NAME, '--json'));
            assert.equal(r.status, 0, r.stderr);
            return JSON.parse(r.stdout);
        };
        assert.deepEqual((await status()).knocked.map((k) => k.address).sort(), ['127.0.0.1', '127.0.0.2']);
        const text = await c.exec(mrsocko('status', NAME));
        assert.match(text.stdout, /knocked: 2 addresses\n/);
        const reload = await c.exec(`systemctl reload ${SERVICE}`);
        assert.equal(reload.status, 0, reload.stderr);
        await waitJournal(/configuration reloaded/);
        assert.deepEqual((await status()).knocked.map((k) => k.address).sort(), ['127.0.0.1', '127.0.0.2'], 'SIGHUP keeps them');
        assert.match(await journal(), /refused (connection|datagram) from 127\.0\.0\.1:\d+|refused another/, 'the wrong-order knocks were counted');
    }
    finally {
        await c.poweroff();
    }
});
//# sourceMappingURL=knock-systemd.test.js.map