// What systemd 252 makes of `mrsocko gen-unit`'s files (nspawn): they pass
// `systemd-analyze verify`, the socket listens where the config says, and the sandbox
// scores as promised by `systemd-analyze security` — an `exec =` instance (the looser
// mode, here with `user =`) at 3.0 or lower ("OK"), a `unit =` instance lower still.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prerequisite } from '../helpers/require.js';
import { freePort } from '../helpers/net.js';
import { bootContainer, nspawnAvailable, NSPAWN_REQUIREMENT } from '../helpers/nspawn.js';
import { exposure, mrsocko, nodeBinds, show } from '../helpers/systemd-e2e.js';
test('gen-unit output: systemd-analyze verify passes, exposure 3.0 or lower for exec, lower for unit', async (t) => {
    if (!prerequisite(t, nspawnAvailable(), NSPAWN_REQUIREMENT))
        return;
    const [execPort, unitPort, udpPort] = [await freePort(), await freePort(), await freePort()];
    const c = await bootContainer({ machine: `mrsocko-units-${process.pid}`, binds: nodeBinds() });
    try {
        await c.writeFile('/etc/mrsocko/execd.conf', [
            '[service]',
            'exec = /usr/bin/python3 -m http.server 18080 --bind 127.0.0.1',
            'user = nobody',
            'directory = /srv/execd',
            '[socket.web]',
            `listen = 127.0.0.1:${execPort}`,
            'backend = 127.0.0.1:18080',
            '[log]',
            'file = /var/log/mrsocko/execd.log',
            '',
        ].join('\n'));
        await c.writeFile('/etc/mrsocko/unitd.conf', [
            '[service]',
            'unit = demo-backend.service',
            '[socket.web]',
            `listen = 127.0.0.1:${unitPort}`,
            'backend = 127.0.0.1:18081',
            '[socket.disco]',
            `listen = 127.0.0.1:${udpPort}`,
            'protocol = udp',
            'backend = 127.0.0.1:18082',
            '',
        ].join('\n'));
        for (const name of ['execd', 'unitd']) {
            const gen = await c.exec(`mkdir -p /srv/execd && ${mrsocko('gen-unit', name)}`);
            assert.equal(gen.status, 0, `gen-unit ${name}: ${gen.stdout}${gen.stderr}`);
            assert.match(gen.stdout, new RegExp(`systemctl enable --now mrsocko@${name}\\.socket`));
        }
        for (const name of ['execd', 'unitd']) {
            const verify = await c.exec(`systemd-analyze verify mrsocko@${name}.socket mrsocko@${name}.service`);
            assert.equal(verify.status, 0, `verify ${name}: ${verify.stderr}`);
            assert.equal((verify.stdout + verify.stderr).trim(), '', `systemd-analyze verify mrsocko@${name} is not silent`);
        }
        const enable = await c.exec('systemctl daemon-reload && systemctl enable --now mrsocko@execd.socket mrsocko@unitd.socket');
        assert.equal(enable.status, 0, enable.stderr);
        assert.equal(await show(c, 'mrsocko@execd.socket', 'Listen'), `127.0.0.1:${execPort} (Stream)`);
        assert.equal(await show(c, 'mrsocko@unitd.socket', 'Listen'), `127.0.0.1:${unitPort} (Stream)\n127.0.0.1:${udpPort} (Datagram)`);
        assert.equal(await show(c, 'mrsocko@execd.service', 'RestartPreventExitStatus'), '78');
        assert.equal(await show(c, 'mrsocko@execd.service', 'NotifyAccess'), 'main');
        assert.equal(await show(c, 'mrsocko@unitd.service', 'CapabilityBoundingSet'), '');
        const execd = await exposure(c, 'mrsocko@execd.service');
        const unitd = await exposure(c, 'mrsocko@unitd.service');
        console.log(`exposure: exec instance ${execd.level}, unit instance ${unitd.level}`);
        assert.ok(execd.level <= 3.0, `exec instance exposure ${execd.level} > 3.0:\n${execd.output}`);
        assert.ok(unitd.level < execd.level, `unit instance exposure ${unitd.level} not below the exec one's ${execd.level}`);
    }
    finally {
        await c.poweroff();
    }
});
//# sourceMappingURL=systemd-units.test.js.map