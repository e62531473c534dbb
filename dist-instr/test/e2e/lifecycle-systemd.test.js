// Backend lifecycle under a real systemd 252 (nspawn): a `unit =` backend stopped from
// outside is noticed and restarted by the next client; `[idle] exit = yes` lets
// mrsocko@X.service go inactive while the socket keeps listening.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prerequisite } from '../helpers/require.js';
import { freePort } from '../helpers/net.js';
import { bootContainer, nspawnAvailable, NSPAWN_REQUIREMENT } from '../helpers/nspawn.js';
import { httpGet, installInstance, nodeBinds } from '../helpers/systemd-e2e.js';
const backendUnit = (port) => '[Unit]\nDescription=mrsocko e2e backend\n[Service]\nType=simple\n' +
    `ExecStart=/usr/bin/python3 -m http.server ${port} --bind 127.0.0.1 --directory /tmp\n`;
test('a unit backend stopped from outside is noticed, and the next client starts it again', async (t) => {
    if (!prerequisite(t, nspawnAvailable(), NSPAWN_REQUIREMENT))
        return;
    const [port, backendPort] = [await freePort(), await freePort()];
    const c = await bootContainer({ machine: `mrsocko-lc-${process.pid}`, binds: nodeBinds() });
    const diag = async () => `\n${await c.journal(['mrsocko@lc', 'lc-backend.service'])}`;
    try {
        await installInstance(c, {
            instance: 'lc',
            config: `[service]\nunit = lc-backend.service\nstart_timeout = 20s\n[socket.web]\nlisten = 127.0.0.1:${port}\nbackend = 127.0.0.1:${backendPort}\n[idle]\ntimeout = 10min\n`,
            units: { 'lc-backend.service': backendUnit(backendPort) },
        });
        assert.equal(await httpGet(port, 30_000).catch(String), 200, await diag());
        assert.equal((await c.exec('systemctl is-active lc-backend.service')).stdout.trim(), 'active');
        await c.exec('systemctl stop lc-backend.service');
        const noticed = await c.waitFor('journalctl -u mrsocko@lc --no-pager -o cat', (r) => /exited on its own \(unit is (inactive|failed|deactivating)\)/.test(r.stdout), 5000, 100);
        assert.ok(noticed.ok, `the outside stop was not noticed within 5 s${await diag()}`);
        // the log line comes as the stop begins; STATUS= follows once it is done
        const status = await c.waitFor('systemctl show -p StatusText --value mrsocko@lc.service', (r) => /stopped; waiting for clients/.test(r.stdout), 5000, 100);
        assert.ok(status.ok, `StatusText did not say stopped within 5 s: ${status.last.stdout}${await diag()}`);
        assert.equal(await httpGet(port, 30_000).catch(String), 200, await diag());
        assert.equal((await c.exec('systemctl is-active lc-backend.service')).stdout.trim(), 'active', await diag());
    }
    finally {
        await c.poweroff();
    }
});
test('exit = yes: mrsocko@X.service goes inactive when idle, the socket keeps listening, the next client is served', async (t) => {
    if (!prerequisite(t, nspawnAvailable(), NSPAWN_REQUIREMENT))
        return;
    const [port, backendPort] = [await freePort(), await freePort()];
    const c = await bootContainer({ machine: `mrsocko-ex-${process.pid}`, binds: nodeBinds() });
    const diag = async () => `\n${await c.journal(['mrsocko@ex', 'mrsocko@ex.socket'])}`;
    try {
        await installInstance(c, {
            instance: 'ex',
            config: `[service]\nexec = /usr/bin/python3 -m http.server ${backendPort} --bind 127.0.0.1 --directory /tmp\n` +
                `[socket.web]\nlisten = 127.0.0.1:${port}\nbackend = 127.0.0.1:${backendPort}\n[idle]\ntimeout = 1s\nexit = yes\n`,
        });
        for (const round of [1, 2]) {
            assert.equal(await httpGet(port, 30_000).catch(String), 200, `round ${round}${await diag()}`);
            const gone = await c.waitFor('systemctl is-active mrsocko@ex.service', (r) => r.stdout.trim() === 'inactive', 8000, 100);
            assert.ok(gone.ok, `round ${round}: mrsocko@ex.service still ${gone.last.stdout.trim()}${await diag()}`);
            assert.equal((await c.exec('systemctl is-active mrsocko@ex.socket')).stdout.trim(), 'active', await diag());
            const result = await c.exec('systemctl show -p Result --value mrsocko@ex.service');
            assert.equal(result.stdout.trim(), 'success', await diag());
        }
        assert.equal((await c.exec('pgrep -f "[h]ttp.server"')).status, 1, 'no backend left behind');
    }
    finally {
        await c.poweroff();
    }
});
//# sourceMappingURL=lifecycle-systemd.test.js.map