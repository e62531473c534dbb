// End to end under a real systemd (nspawn), installed the way the README says:
// `mrsocko gen-unit demo` → daemon-reload → `systemctl enable --now mrsocko@demo.socket`.
// The first client starts mrsocko@demo.service, which starts the `unit =` backend
// demo-backend.service with systemctl (from inside its sandbox, with no capability),
// proxies the request, and stops the backend after 2 s without traffic. STATUS= follows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prerequisite } from '../helpers/require.js';
import { freePort } from '../helpers/net.js';
import { bootContainer, nspawnAvailable, NSPAWN_REQUIREMENT } from '../helpers/nspawn.js';
import { httpGet, mrsocko, nodeBinds, show } from '../helpers/systemd-e2e.js';
const INSTANCE = 'demo';
const BACKEND = 'demo-backend.service';
test('unit backend via gen-unit: started on the first connection, stopped when idle, started again', async (t) => {
    if (!prerequisite(t, nspawnAvailable(), NSPAWN_REQUIREMENT))
        return;
    const listenPort = await freePort();
    let backendPort = await freePort();
    while (backendPort === listenPort)
        backendPort = await freePort();
    const c = await bootContainer({ machine: `mrsocko-unit-${process.pid}`, binds: nodeBinds() });
    /** Everything worth seeing when an assertion fails. */
    const diag = async () => `\n--- journalctl -u mrsocko@${INSTANCE} -u ${BACKEND}\n` +
        (await c.journal([`mrsocko@${INSTANCE}`, BACKEND])) +
        `\n--- systemctl status\n` +
        (await c.exec(`systemctl status --no-pager mrsocko@${INSTANCE}.socket mrsocko@${INSTANCE}.service ${BACKEND}`))
            .stdout;
    const isActive = async (unit) => (await c.exec(`systemctl is-active ${unit}`)).stdout.trim();
    const statusText = () => show(c, `mrsocko@${INSTANCE}.service`, 'StatusText');
    const request = async (what) => {
        const started = performance.now();
        let status;
        try {
            status = await httpGet(listenPort, 30_000);
        }
        catch (err) {
            status = err.message;
        }
        assert.equal(status, 200, `${what}: GET http://127.0.0.1:${listenPort}/ gave ${status}${await diag()}`);
        console.log(`${what}: 200 in ${Math.round(performance.now() - started)} ms`);
    };
    try {
        await c.writeFile(`/etc/mrsocko/${INSTANCE}.conf`, [
            '[service]',
            `unit = ${BACKEND}`,
            'start_timeout = 20s',
            '[socket.web]',
            `listen = 127.0.0.1:${listenPort}`,
            `backend = 127.0.0.1:${backendPort}`,
            '[idle]',
            'timeout = 2s',
            '',
        ].join('\n'));
        await c.writeFile(`/etc/systemd/system/${BACKEND}`, '[Unit]\nDescription=mrsocko e2e demo backend\n[Service]\nType=simple\n' +
            `ExecStart=/usr/bin/python3 -m http.server ${backendPort} --bind 127.0.0.1 --directory /tmp\n`);
        const gen = await c.exec(mrsocko('gen-unit', INSTANCE));
        assert.equal(gen.status, 0, `gen-unit: ${gen.stdout}${gen.stderr}`);
        const next = /^\s+(systemctl daemon-reload && systemctl enable --now \S+)$/m.exec(gen.stdout)?.[1];
        assert.equal(next, `systemctl daemon-reload && systemctl enable --now mrsocko@${INSTANCE}.socket`, gen.stdout);
        const enable = await c.exec(next);
        assert.equal(enable.status, 0, `enable failed: ${enable.stderr}${await diag()}`);
        assert.equal(await isActive(BACKEND), 'inactive', `backend running before any client${await diag()}`);
        await request('first request');
        assert.equal(await isActive(BACKEND), 'active', `backend not active right after the request${await diag()}`);
        assert.match(await statusText(), new RegExp(`${BACKEND} running`), await diag());
        const status = await c.exec(`systemctl status --no-pager mrsocko@${INSTANCE}.service`);
        assert.match(status.stdout, new RegExp(`Status: ".*${BACKEND} running.*"`), 'systemctl status shows STATUS=');
        const idle = await c.waitFor(`systemctl is-active ${BACKEND}`, (r) => r.stdout.trim() === 'inactive', 8_000, 200);
        assert.ok(idle.ok, `backend still ${idle.last.stdout.trim()} ${idle.elapsedMs} ms after the request (idle timeout 2s)${await diag()}`);
        console.log(`backend inactive ${idle.elapsedMs} ms after the first request`);
        const stopped = await c.waitFor(`systemctl show -p StatusText --value mrsocko@${INSTANCE}.service`, (r) => /stopped/.test(r.stdout), 3_000);
        assert.ok(stopped.ok, `STATUS= after the idle stop: ${stopped.last.stdout}${await diag()}`);
        await request('request after the idle stop');
        assert.equal(await isActive(BACKEND), 'active', `backend not active after the second request${await diag()}`);
    }
    finally {
        await c.poweroff();
    }
});
//# sourceMappingURL=unit-backend.test.js.map