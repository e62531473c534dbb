// chrony in unit mode under a real systemd (nspawn): `unit =` a simple service running
// `chronyd -d -x -f CONFIG` (config in the container's /etc, driftfile and pidfile in its
// RuntimeDirectory=), behind a UDP socket of mrsocko's. From the host: a cold burst of
// chronyd -Q and NTP client packets (retries counted) loses no answer; idle stop after UDP
// silence, restart, no chronyd left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { freeUdpPort } from '../../helpers/net.js';
import { ntpQuery } from '../../helpers/ntp.js';
import { prerequisite } from '../../helpers/require.js';
import { bootContainer, nspawnAvailable, NSPAWN_REQUIREMENT } from '../../helpers/nspawn.js';
import { mrsocko, nodeBinds } from '../../helpers/systemd-e2e.js';
import { report, run } from '../../helpers/services.js';
const CHRONYD = '/usr/sbin/chronyd';
const INSTANCE = 'ntp';
const BACKEND = 'mrsocko-test-chrony.service';
const BURST = 10; // of each client: chronyd -Q and NTP packets
test('chrony by unit = under systemd: a cold burst of chronyd -Q and NTP clients loses no answer; idle stop, restart, nothing left', async (t) => {
    if (!prerequisite(t, nspawnAvailable(), NSPAWN_REQUIREMENT))
        return;
    if (!prerequisite(t, fs.existsSync(CHRONYD), 'Debian\'s chrony (contrib/test-deps.sh)'))
        return;
    const [listen, backend] = [await freeUdpPort(), await freeUdpPort()];
    const c = await bootContainer({ machine: `mrsocko-ntp-${process.pid}`, binds: nodeBinds() });
    const diag = async () => `\n--- journal\n${await c.journal([`mrsocko@${INSTANCE}`, BACKEND])}`;
    const query = () => run([CHRONYD, '-Q', '-t', '10', `server 127.0.0.1 port ${listen} iburst maxsamples 1`]);
    const answered = (r) => r.status === 0 && /System clock wrong by -?[0-9.]+ seconds/.test(r.stderr);
    // the container runs no chronyd but the test's (its /etc is empty: chrony.service is not enabled there)
    const left = async () => Number((await c.exec('pgrep -c -x chronyd')).stdout.trim() || '0');
    const inactive = () => c.waitFor(`systemctl is-active ${BACKEND}`, (r) => ['inactive', 'failed'].includes(r.stdout.trim()), 20_000, 100);
    try {
        // chronyd drops to its compiled-in user once its socket is bound: made as chrony's postinst does
        const setup = await c.exec('useradd --system --no-create-home --home-dir /var/lib/chrony --shell /usr/sbin/nologin _chrony');
        assert.equal(setup.status, 0, setup.stdout + setup.stderr);
        await c.writeFile('/etc/mrsocko-test-chrony.conf', `port ${backend}
bindaddress 127.0.0.1
allow 127.0.0.1
local stratum 10
driftfile /run/mrsocko-test-chrony/drift
pidfile /run/mrsocko-test-chrony/chronyd.pid
cmdport 0
`);
        await c.writeFile(`/etc/systemd/system/${BACKEND}`, `[Unit]
Description=chrony for the mrsocko service matrix
[Service]
ExecStart=${CHRONYD} -d -x -f /etc/mrsocko-test-chrony.conf
RuntimeDirectory=mrsocko-test-chrony
RuntimeDirectoryMode=0755
ExecStartPre=+/bin/chown _chrony: /run/mrsocko-test-chrony
TimeoutStopSec=5s
`);
        await c.writeFile(`/etc/mrsocko/${INSTANCE}.conf`, `[service]
unit = ${BACKEND}
start_timeout = 20s
[socket.ntp]
listen = 127.0.0.1:${listen}
protocol = udp
backend = 127.0.0.1:${backend}
flow_timeout = 2s
[idle]
timeout = 2s
`);
        const gen = await c.exec(mrsocko('gen-unit', INSTANCE));
        assert.equal(gen.status, 0, `gen-unit: ${gen.stdout}${gen.stderr}`);
        const enable = await c.exec(`systemctl daemon-reload && systemctl enable --now mrsocko@${INSTANCE}.socket`);
        assert.equal(enable.status, 0, `enable: ${enable.stderr}${await diag()}`);
        const [queries, packets] = await Promise.all([
            Promise.all(Array.from({ length: BURST }, query)),
            Promise.all(Array.from({ length: BURST }, () => ntpQuery('127.0.0.1', listen))),
        ]);
        const coldStartMs = Math.min(...queries.map((r) => r.ms));
        const lost = [...queries.filter((r) => !answered(r)).map((r) => `chronyd -Q: ${r.stderr.trim()}`),
            ...packets.filter((a) => a.stratum !== 10).map((a) => `NTP client: stratum ${a.stratum}, ${a.problem}`)];
        const retries = packets.reduce((n, a) => n + a.retries, 0);
        assert.equal(await left(), 1, `chronyd is not seen while it runs: the count of processes left would mean nothing${await diag()}`);
        const idle = await inactive();
        await new Promise((r) => setTimeout(r, 1000));
        const processesLeft = await left();
        const again = await query();
        const restart = answered(again);
        console.log(`# chrony unit burst: ${retries} retries among ${BURST} NTP packet clients (1 s apart)`);
        report('chrony unit', { coldStartMs, burst: 2 * BURST, burstErrors: lost.length, idleStop: idle.ok, restart, processesLeft });
        assert.deepEqual(lost, [], `lost answers in the cold burst${await diag()}`);
        assert.ok(idle.ok, `no idle stop${await diag()}`);
        assert.equal(processesLeft, 0, 'chronyd left after the idle stop');
        assert.ok(restart, `restart: ${again.stderr}${await diag()}`);
    }
    finally {
        await c.poweroff();
    }
});
//# sourceMappingURL=chrony-unit.test.js.map