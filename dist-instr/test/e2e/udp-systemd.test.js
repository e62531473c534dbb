// The Jellyfin shape under a real systemd (nspawn), installed with gen-unit: one instance
// with a TCP and a UDP socket on the same port (ListenStream= and ListenDatagram= in one
// socket unit, so both fds carry the same FileDescriptorName=) in front of one backend:
// dnsmasq, answering DNS over both, started on the first datagram as `user = nobody`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { haveCommand, prerequisite } from '../helpers/require.js';
import { freePort } from '../helpers/net.js';
import { bootContainer, CONTAINER_REPO, nspawnAvailable, NSPAWN_REQUIREMENT } from '../helpers/nspawn.js';
import { mrsocko, nodeBinds, show } from '../helpers/systemd-e2e.js';
import { ANSWER, DNSMASQ, dnsClient, dnsmasqArgv } from '../helpers/dns.js';
const NAME = 'dns';
const SERVICE = `mrsocko@${NAME}.service`;
function dig(port, name, tcp) {
    const r = spawnSync('dig', ['+short', '+tries=1', '+time=15', ...(tcp ? ['+tcp'] : []), '@127.0.0.1', '-p', String(port), name], {
        encoding: 'utf8',
        timeout: 20_000,
    });
    return `${r.stdout}${r.stderr}`.trim();
}
test('mixed TCP + UDP instance under systemd: one dnsmasq, started by the first datagram, serves both; idle stop; woken by TCP', async (t) => {
    if (!prerequisite(t, nspawnAvailable(), NSPAWN_REQUIREMENT))
        return;
    if (!prerequisite(t, DNSMASQ !== undefined && haveCommand('dig'), 'dnsmasq (dnsmasq-base) and dig (dnsutils)'))
        return;
    const port = await freePort();
    let backendPort = await freePort();
    while (backendPort === port)
        backendPort = await freePort();
    const c = await bootContainer({ machine: `mrsocko-udp-${process.pid}`, binds: nodeBinds() });
    const diag = async () => `\n--- journalctl -u ${SERVICE}\n${await c.journal(SERVICE)}` +
        `\n--- systemctl status\n${(await c.exec(`systemctl status --no-pager mrsocko@${NAME}.socket ${SERVICE}`)).stdout}`;
    const starts = async () => Number((await c.exec(`journalctl -u ${SERVICE} -o cat --no-pager | grep -c 'starting backend'`)).stdout.trim() || 0);
    try {
        await c.writeFile(`/etc/mrsocko/${NAME}.conf`, [
            '[service]',
            `exec = ${dnsmasqArgv(backendPort, 500, { root: false, fixtures: `${CONTAINER_REPO}/test/fixtures` })}`,
            'user = nobody',
            'start_timeout = 20s',
            '[socket.dns-tcp]',
            `listen = 127.0.0.1:${port}`,
            `backend = 127.0.0.1:${backendPort}`,
            '[socket.dns-udp]',
            `listen = 127.0.0.1:${port}`,
            'protocol = udp',
            `backend = 127.0.0.1:${backendPort}`,
            'flow_timeout = 1s',
            '[idle]',
            'timeout = 3s',
            '[log]',
            'level = debug',
            '',
        ].join('\n'));
        const gen = await c.exec(mrsocko('gen-unit', NAME));
        assert.equal(gen.status, 0, `gen-unit: ${gen.stdout}${gen.stderr}`);
        const listen = await c.exec(`cat /etc/systemd/system/mrsocko@${NAME}.socket.d/50-listen.conf`);
        assert.match(listen.stdout, new RegExp(`^ListenStream=127\\.0\\.0\\.1:${port}$`, 'm'));
        assert.match(listen.stdout, new RegExp(`^ListenDatagram=127\\.0\\.0\\.1:${port}$`, 'm'));
        const enable = await c.exec(`systemctl daemon-reload && systemctl enable --now mrsocko@${NAME}.socket`);
        assert.equal(enable.status, 0, `enable: ${enable.stderr}${await diag()}`);
        assert.equal((await c.exec(`systemctl is-active ${SERVICE}`)).stdout.trim(), 'inactive');
        // A datagram starts mrsocko (systemd), which starts dnsmasq (500 ms) and answers.
        const t0 = performance.now();
        const udp = await dnsClient('127.0.0.1', port, 'cold', 5, 30_000, 20);
        assert.deepEqual(udp.problems, [], await diag());
        console.log(`first UDP answers ${Math.round(performance.now() - t0)} ms after the first query (mrsocko and dnsmasq both cold)`);
        assert.equal(dig(port, 'over-tcp.example.test', true), ANSWER, await diag());
        assert.equal(dig(port, 'over-udp.example.test', false), ANSWER, await diag());
        assert.equal(await starts(), 1, await diag());
        const journal = await c.journal(SERVICE);
        assert.match(journal, new RegExp(`socket dns-tcp: adopted from systemd on 127\\.0\\.0\\.1:${port}`));
        assert.match(journal, new RegExp(`socket dns-udp: adopted from systemd on 127\\.0\\.0\\.1:${port} \\(udp\\)`));
        const ps = await c.exec(`ps -o user=,args= --ppid ${await show(c, SERVICE, 'MainPID')}`);
        assert.match(ps.stdout, /^nobody /m, `backend not running as nobody:\n${ps.stdout}`);
        const status = await c.exec(mrsocko('status', NAME, '--json'));
        assert.equal(status.status, 0, status.stderr);
        const report = JSON.parse(status.stdout);
        assert.ok(report.totals.flows >= 1, `status lists the UDP flows:\n${status.stdout}`);
        assert.ok(report.clients.some((cl) => cl.address === '127.0.0.1' && cl.flows >= 1), status.stdout);
        // Silence: flows expire after 1 s, the backend stops after 3 s; a TCP query wakes it.
        const stopped = await c.waitFor(`systemctl show -p StatusText --value ${SERVICE}`, (r) => /stopped/.test(r.stdout), 15_000, 200);
        assert.ok(stopped.ok, `backend not stopped after 3 s of silence${await diag()}`);
        assert.match(await c.journal(SERVICE), /udp flow 127\.0\.0\.1:\d+ ended \(expired\)/);
        assert.equal(dig(port, 'wake.example.test', true), ANSWER, await diag());
        assert.equal(await starts(), 2, await diag());
    }
    finally {
        await c.poweroff();
    }
});
//# sourceMappingURL=udp-systemd.test.js.map