// PostgreSQL in unit mode under a real systemd (nspawn): `unit =` a Type=notify service
// running Debian's server binary as a user made in the container, data in the container's
// own /var (initdb there), `ready = exec pg_isready` from inside mrsocko's sandbox. After
// a crash with WAL to replay (SIGKILL to the whole unit, seen by mrsocko's unit watch), a
// cold burst of 20 psql from the host gets 0 errors; idle stop, restart, nothing left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { freePort } from '../../helpers/net.js';
import { haveCommand, prerequisite } from '../../helpers/require.js';
import { bootContainer, nspawnAvailable, NSPAWN_REQUIREMENT } from '../../helpers/nspawn.js';
import { mrsocko, nodeBinds } from '../../helpers/systemd-e2e.js';
import { report, run } from '../../helpers/services.js';
const PG_BIN = '/usr/lib/postgresql/15/bin';
const INSTANCE = 'pg';
const BACKEND = 'mrsocko-test-postgresql.service';
const ROWS = 300_000;
const BURST = 20;
test('PostgreSQL by unit = under systemd: after a crash, a cold burst of 20 psql gets 0 errors; idle stop, restart, nothing left', async (t) => {
    if (!prerequisite(t, nspawnAvailable(), NSPAWN_REQUIREMENT))
        return;
    if (!prerequisite(t, fs.existsSync(`${PG_BIN}/postgres`) && haveCommand('psql'), 'Debian\'s postgresql-15 (contrib/test-deps.sh)'))
        return;
    const [listen, backend] = [await freePort(), await freePort()];
    const c = await bootContainer({ machine: `mrsocko-pg-${process.pid}`, binds: nodeBinds() });
    const diag = async () => `\n--- journal\n${await c.journal([`mrsocko@${INSTANCE}`, BACKEND])}`;
    const psql = (sql) => run(['psql', '-h', '127.0.0.1', '-p', String(listen), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-Atc', sql], { env: { PATH: process.env.PATH, LANG: 'C', PGCONNECT_TIMEOUT: '60' } });
    const left = async () => Number((await c.exec('pgrep -c -u pgtest')).stdout.trim() || '0');
    const inactive = (timeoutMs) => c.waitFor(`systemctl is-active ${BACKEND}`, (r) => ['inactive', 'failed'].includes(r.stdout.trim()), timeoutMs, 100);
    try {
        const setup = await c.exec(`useradd --system --user-group --home-dir /var/lib/pgtest --create-home pgtest && ` +
            `setpriv --reuid pgtest --regid pgtest --clear-groups ${PG_BIN}/initdb -D /var/lib/pgtest/data -U postgres ` +
            '--auth=trust --no-sync -E UTF8 --locale=C', { timeoutMs: 60_000 });
        assert.equal(setup.status, 0, setup.stdout + setup.stderr);
        await c.writeFile(`/etc/systemd/system/${BACKEND}`, `[Unit]
Description=PostgreSQL for the mrsocko service matrix
[Service]
Type=notify
User=pgtest
ExecStart=${PG_BIN}/postgres -D /var/lib/pgtest/data -k /tmp -h 127.0.0.1 -p ${backend} -c max_connections=60 -c shared_buffers=32MB
KillMode=mixed
KillSignal=SIGINT
TimeoutStopSec=20s
`);
        await c.writeFile(`/etc/mrsocko/${INSTANCE}.conf`, `[service]
unit = ${BACKEND}
ready = exec ${PG_BIN}/pg_isready -q -h 127.0.0.1 -p ${backend}
start_timeout = 60s
[socket.pg]
listen = 127.0.0.1:${listen}
backend = 127.0.0.1:${backend}
[idle]
timeout = 3s
`);
        const gen = await c.exec(mrsocko('gen-unit', INSTANCE));
        assert.equal(gen.status, 0, `gen-unit: ${gen.stdout}${gen.stderr}`);
        const enable = await c.exec(`systemctl daemon-reload && systemctl enable --now mrsocko@${INSTANCE}.socket`);
        assert.equal(enable.status, 0, `enable: ${enable.stderr}${await diag()}`);
        const first = await psql('select 1');
        assert.equal(first.stdout.trim(), '1', first.stderr + (await diag()));
        const coldStartMs = first.ms;
        const write = await psql(`create table t (i int, s text); insert into t select g, md5(g::text) from generate_series(1, ${ROWS}) g`);
        assert.equal(write.status, 0, write.stderr);
        // a crash: every process of the unit at once
        const kill = await c.exec(`systemctl kill --signal=SIGKILL ${BACKEND}`);
        assert.equal(kill.status, 0, kill.stderr);
        assert.ok((await inactive(15_000)).ok, `the unit did not go down${await diag()}`);
        const stopped = await c.waitFor(mrsocko('status', INSTANCE, '--json'), (r) => /"state": "stopped"/.test(r.stdout), 15_000, 100);
        assert.ok(stopped.ok, `mrsocko did not see the crash: ${stopped.last.stdout.slice(0, 300)}${await diag()}`);
        const burst = await Promise.all(Array.from({ length: BURST }, () => psql('select count(*) from t')));
        const errors = burst.filter((r) => r.status !== 0 || r.stdout.trim() !== String(ROWS));
        assert.match(await diag(), /automatic recovery in progress|redo starts at/, 'no WAL replay');
        assert.ok((await left()) >= 2, 'the server is not seen while it runs: the count of processes left would mean nothing');
        const idle = await inactive(20_000);
        await new Promise((r) => setTimeout(r, 1000));
        const processesLeft = await left();
        const again = await psql('select count(*) from t');
        const restart = again.stdout.trim() === String(ROWS);
        report('postgresql unit', { coldStartMs, burst: BURST, burstErrors: errors.length, idleStop: idle.ok, restart, processesLeft });
        assert.deepEqual(errors.map((r) => r.stderr.trim()), [], `errors in the cold burst after the crash${await diag()}`);
        assert.ok(idle.ok, `no idle stop${await diag()}`);
        assert.equal(processesLeft, 0, 'postgres processes left after the idle stop');
        assert.ok(restart, `restart: ${again.stdout}${again.stderr}${await diag()}`);
    }
    finally {
        await c.poweroff();
    }
});
//# sourceMappingURL=postgresql-unit.test.js.map