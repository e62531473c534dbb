// A `unit =` backend started from outside mrsocko while mrsocko has it stopped (Debian's
// pg_receivewal@ pulls postgresql up as a dependency; here: a plain `systemctl start`):
// under a real systemd (nspawn), mrsocko notices within about a second (STATUS=, `mrsocko
// status`: starting, then running once it accepts), uses it as it is (no second start:
// the same MainPID serves the next client), and stops it by its idle rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prerequisite } from '../helpers/require.js';
import { freePort } from '../helpers/net.js';
import { bootContainer, nspawnAvailable, NSPAWN_REQUIREMENT } from '../helpers/nspawn.js';
import { httpGet, mrsocko, nodeBinds, show } from '../helpers/systemd-e2e.js';
const INSTANCE = 'outside';
const BACKEND = 'outside-backend.service';
test('unit backend started from outside while stopped: adopted within a second, no restart, stopped when idle', async (t) => {
    if (!prerequisite(t, nspawnAvailable(), NSPAWN_REQUIREMENT))
        return;
    const listenPort = await freePort();
    let backendPort = await freePort();
    while (backendPort === listenPort)
        backendPort = await freePort();
    const c = await bootContainer({ machine: `mrsocko-outside-${process.pid}`, binds: nodeBinds() });
    const diag = async () => `\n--- journalctl -u mrsocko@${INSTANCE} -u ${BACKEND}\n` + (await c.journal([`mrsocko@${INSTANCE}`, BACKEND]));
    const isActive = async (unit) => (await c.exec(`systemctl is-active ${unit}`)).stdout.trim();
    const mainPid = () => show(c, BACKEND, 'MainPID');
    const status = async () => {
        const r = await c.exec(mrsocko('status', INSTANCE, '--json'));
        const report = JSON.parse(r.stdout);
        return report.backend;
    };
    try {
        await c.writeFile(`/etc/mrsocko/${INSTANCE}.conf`, [
            '[service]', `unit = ${BACKEND}`, 'start_timeout = 20s',
            '[socket.web]', `listen = 127.0.0.1:${listenPort}`, `backend = 127.0.0.1:${backendPort}`,
            '[idle]', 'timeout = 3s', '',
        ].join('\n'));
        await c.writeFile(`/etc/systemd/system/${BACKEND}`, '[Unit]\nDescription=mrsocko e2e backend started from outside\n[Service]\nType=simple\n' +
            // active at once (Type=simple), listening only 1.5 s later: a client arriving in
            // between must wait for it, not be refused (and the unit must not be restarted)
            `ExecStart=/bin/sh -c 'sleep 1.5; exec /usr/bin/python3 -m http.server ${backendPort} --bind 127.0.0.1 --directory /tmp'\n`);
        const gen = await c.exec(mrsocko('gen-unit', INSTANCE));
        assert.equal(gen.status, 0, `gen-unit: ${gen.stdout}${gen.stderr}`);
        const enable = await c.exec(`systemctl daemon-reload && systemctl enable --now mrsocko@${INSTANCE}.socket`);
        assert.equal(enable.status, 0, `enable failed: ${enable.stderr}${await diag()}`);
        // mrsocko runs, its backend stopped: the first client, then the idle stop
        assert.equal(await httpGet(listenPort, 30_000), 200, await diag());
        const idle = await c.waitFor(`systemctl is-active ${BACKEND}`, (r) => r.stdout.trim() === 'inactive', 15_000, 100);
        assert.ok(idle.ok, `no idle stop${await diag()}`);
        assert.equal((await status()).state, 'stopped', await diag());
        // started by someone else
        const started = performance.now();
        const start = await c.exec(`systemctl start ${BACKEND}`);
        assert.equal(start.status, 0, start.stderr);
        const pid = await mainPid();
        const seen = await c.waitFor(mrsocko('status', INSTANCE, '--json'), (r) => /"state": "(starting|running)"/.test(r.stdout), 5_000, 50);
        const noticedMs = Math.round(performance.now() - started);
        assert.ok(seen.ok, `status still ${seen.last.stdout.slice(0, 300)} ${noticedMs} ms after the outside start${await diag()}`);
        console.log(`# started from outside: noticed ${noticedMs} ms after systemctl start returned (${/"state": "(\w+)"/.exec(seen.last.stdout)?.[1]})`);
        assert.ok(noticedMs < 2_000, `noticed after ${noticedMs} ms`);
        // used as it is: a client is held until it listens, the same process serves it, and
        // the only launch so far is the first client's
        assert.equal(await httpGet(listenPort, 10_000), 200, await diag());
        assert.equal(await mainPid(), pid, `restarted${await diag()}`);
        assert.equal((await status()).starts, 1, await diag());
        assert.equal((await status()).state, 'running', await diag());
        const text = await c.waitFor(`systemctl show -p StatusText --value mrsocko@${INSTANCE}.service`, (r) => /running/.test(r.stdout), 3_000);
        assert.ok(text.ok, `STATUS=: ${text.last.stdout}`);
        assert.match(await diag(), /started from outside mrsocko/);
        // and the idle rules apply to it
        const idleAgain = await c.waitFor(`systemctl is-active ${BACKEND}`, (r) => r.stdout.trim() === 'inactive', 15_000, 100);
        assert.ok(idleAgain.ok, `the adopted backend was not stopped when idle${await diag()}`);
        console.log(`# adopted backend stopped when idle, ${idleAgain.elapsedMs} ms after its last client`);
        assert.equal(await isActive(`mrsocko@${INSTANCE}.service`), 'active');
        assert.equal((await status()).state, 'stopped', await diag());
    }
    finally {
        await c.poweroff();
    }
});
//# sourceMappingURL=unit-outside.test.js.map