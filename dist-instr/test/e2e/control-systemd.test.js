// Manual control and `mrsocko status` without NAME under a real systemd 252 (nspawn):
// one instance dormant (exit = yes, mrsocko@X.service inactive, the socket listening),
// one running with a hold, shown in the list, in `status NAME` and in STATUS=.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prerequisite } from '../helpers/require.js';
import { freePort } from '../helpers/net.js';
import { bootContainer, nspawnAvailable, NSPAWN_REQUIREMENT } from '../helpers/nspawn.js';
import { httpGet, installInstance, mrsocko, nodeBinds, show } from '../helpers/systemd-e2e.js';
const http = (port) => `/usr/bin/python3 -m http.server ${port} --bind 127.0.0.1 --directory /tmp`;
test('under systemd: status lists a dormant and a running instance; start and hold through the CLI; the hold in STATUS=', async (t) => {
    if (!prerequisite(t, nspawnAvailable(), NSPAWN_REQUIREMENT))
        return;
    const [p1, b1, p2, b2] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const c = await bootContainer({ machine: `mrsocko-ctl-${process.pid}`, binds: nodeBinds() });
    const diag = async () => `\n${await c.journal(['mrsocko@dn', 'mrsocko@dn.socket', 'mrsocko@up'])}`;
    try {
        await installInstance(c, {
            instance: 'dn',
            config: `[service]\nexec = ${http(b1)}\n[socket.web]\nlisten = 127.0.0.1:${p1}\nbackend = 127.0.0.1:${b1}\n[idle]\ntimeout = 1s\nexit = yes\n`,
        });
        await installInstance(c, {
            instance: 'up',
            config: `[service]\nexec = ${http(b2)}\nstart_timeout = 20s\n[socket.web]\nlisten = 127.0.0.1:${p2}\nbackend = 127.0.0.1:${b2}\n[idle]\ntimeout = 1s\n`,
        });
        assert.equal(await httpGet(p1, 30_000).catch(String), 200, await diag());
        const gone = await c.waitFor('systemctl is-active mrsocko@dn.service', (r) => r.stdout.trim() === 'inactive', 10_000, 100);
        assert.ok(gone.ok, `mrsocko@dn.service still ${gone.last.stdout.trim()}${await diag()}`);
        // mrsocko@up.service is started by its first client
        assert.equal(await httpGet(p2, 30_000).catch(String), 200, await diag());
        const started = await c.exec(mrsocko('start', 'up'));
        assert.equal(started.status, 0, started.stderr + (await diag()));
        const held = await c.exec(mrsocko('hold', 'up'));
        assert.equal(held.status, 0, held.stderr);
        const list = await c.exec(mrsocko('status'));
        assert.equal(list.status, 0, list.stderr);
        assert.match(list.stdout, /^dn +dormant +socket listening, mrsocko not running; the next client starts it \[socket active \(listening\), service inactive \(dead\)\]$/m, list.stdout);
        assert.match(list.stdout, /^up +running +backend http\.server running for \S+; .*held up by mrsocko hold/m, list.stdout);
        const json = JSON.parse((await c.exec(mrsocko('status', '--json'))).stdout);
        assert.deepEqual(json.instances.filter((i) => i.name === 'dn' || i.name === 'up').map((i) => i.state), ['dormant', 'running']);
        const status = await c.waitFor(`systemctl show -p StatusText --value mrsocko@up.service`, (r) => /held by mrsocko hold until mrsocko release/.test(r.stdout), 5000, 100);
        assert.ok(status.ok, status.last.stdout);
        assert.match(await c.journal(['mrsocko@up']), /control: hold \(asked by pid \d+, uid 0/);
        assert.equal(await show(c, 'mrsocko@up.service', 'ActiveState'), 'active');
    }
    finally {
        await c.poweroff();
    }
});
//# sourceMappingURL=control-systemd.test.js.map