// PostgreSQL (Debian's postgresql-15) by `exec =`, as user postgres, with
// `ready = exec pg_isready`: after a crash with WAL to replay, a cold burst of 20 psql
// clients gets 0 errors (issue 14: 0, 9 and 20 of 20 failed with "the database system is
// starting up" when "port accepts" counted as ready). The server runs from a throw-away
// data directory on its own ports: Debian's cluster (5432, /var/lib/postgresql) is not
// touched, whether it runs or not. The same with `ready = notify`: Debian builds postgres
// with systemd support, and it says READY=1 on $NOTIFY_SOCKET once it accepts queries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, tempDir } from '../../helpers/daemon.js';
import { freePort } from '../../helpers/net.js';
import { haveCommand, isRoot, prerequisite } from '../../helpers/require.js';
import { account, liveCount, processTree, report, run } from '../../helpers/services.js';
import { phaseReached } from '../../helpers/daemon.js';
import { nativeClass } from '../../../src/native/addon.js';
const PG_BIN = '/usr/lib/postgresql/15/bin';
const ROWS = 300_000;
const BURST = 20;
async function crashAndBurst(t, ready, name) {
    const pg = account('postgres');
    if (!prerequisite(t, isRoot && pg !== undefined && fs.existsSync(`${PG_BIN}/postgres`) && haveCommand('psql') &&
        (ready !== 'notify' || typeof nativeClass('NotifySocket') === 'function'), 'root and Debian\'s postgresql-15 (contrib/test-deps.sh)' + (ready === 'notify' ? ', the native addon' : '')))
        return;
    if (pg === undefined)
        return;
    const dir = tempDir('mrsocko-pg-');
    const data = path.join(dir, 'data');
    fs.chownSync(dir, pg.uid, pg.gid);
    const init = await run([`${PG_BIN}/initdb`, '-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'], pg);
    assert.equal(init.status, 0, init.stdout + init.stderr);
    const [listen, backend] = [await freePort(), await freePort()];
    const d = await startDaemon(`[service]
exec = ${PG_BIN}/postgres -D ${data} -k ${dir} -h 127.0.0.1 -p ${backend} -c max_connections=60 -c shared_buffers=32MB
user = postgres
ready = ${ready.replace('BACKEND', String(backend))}
start_timeout = 60s
stop_timeout = 10s
[socket.pg]
listen = 127.0.0.1:${listen}
backend = 127.0.0.1:${backend}
[idle]
timeout = 3s
[log]
level = debug
`, tempDir());
    const psql = (sql) => run(['psql', '-h', '127.0.0.1', '-p', String(listen), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-Atc', sql], { env: { PATH: process.env.PATH, LANG: 'C', PGCONNECT_TIMEOUT: '60' } });
    try {
        const first = await psql('select 1');
        assert.equal(first.stdout.trim(), '1', first.stderr);
        const coldStartMs = first.ms;
        // written data, no checkpoint since: the next start replays the WAL
        const write = await psql(`create table t (i int, s text); insert into t select g, md5(g::text) from generate_series(1, ${ROWS}) g`);
        assert.equal(write.status, 0, write.stderr);
        const pid = d.daemon.backendPid;
        assert.ok(pid !== undefined);
        process.kill(-pid, 'SIGKILL'); // the whole server at once, like a power cut
        assert.ok(await phaseReached(d.daemon, 'stopped', 15_000), `backend not seen gone: ${d.daemon.backendPhase}`);
        const burst = await Promise.all(Array.from({ length: BURST }, () => psql('select count(*) from t')));
        const errors = burst.filter((r) => r.status !== 0 || r.stdout.trim() !== String(ROWS));
        // the replay did happen: the test is about that window
        assert.ok(d.lines.some((l) => /automatic recovery in progress|redo starts at/.test(l)), 'no WAL replay in the log');
        const tree = processTree(d.daemon.backendPid ?? 0);
        const idleStop = await phaseReached(d.daemon, 'stopped', 20_000);
        await new Promise((r) => setTimeout(r, 1000));
        const processesLeft = liveCount(tree);
        const again = await psql('select count(*) from t');
        const restart = again.stdout.trim() === String(ROWS);
        if (ready === 'notify')
            assert.ok(d.lines.some((l) => /READY=1 from pid \d+ \(uid \d+\)/.test(l)), 'postgres never said READY=1');
        report(name, { coldStartMs, burst: BURST, burstErrors: errors.length, idleStop, restart, processesLeft });
        assert.deepEqual(errors.map((r) => r.stderr.trim()), [], 'errors in the cold burst after the crash');
        assert.ok(idleStop, 'no idle stop');
        assert.equal(processesLeft, 0, `processes left after the idle stop: ${tree.join(' ')}`);
        assert.ok(restart, `restart: ${again.stdout}${again.stderr}`);
    }
    finally {
        await d.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
test('PostgreSQL by exec =: a cold burst of 20 psql after a crash (WAL replayed) gets 0 errors; idle stop leaves nothing', (t) => crashAndBurst(t, `exec ${PG_BIN}/pg_isready -q -h 127.0.0.1 -p BACKEND`, 'postgresql exec'));
test('PostgreSQL by exec = with ready = notify: READY=1 after the WAL replay; a cold burst of 20 psql gets 0 errors', (t) => crashAndBurst(t, 'notify', 'postgresql exec notify'));
//# sourceMappingURL=postgresql.test.js.map