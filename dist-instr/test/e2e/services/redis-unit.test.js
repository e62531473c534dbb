// Redis in unit mode under a real systemd (nspawn): `unit =` a Type=notify service
// (DynamicUser, the dataset bind-mounted read-only), installed with gen-unit like a user
// would, `ready = exec redis-cli -e ping` run by mrsocko from inside its own sandbox. A
// cold burst of redis-cli from the host gets 0 LOADING replies; idle stop, restart, and
// no redis-server left after the stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tempDir } from '../../helpers/daemon.js';
import { freePort } from '../../helpers/net.js';
import { haveCommand, prerequisite } from '../../helpers/require.js';
import { bootContainer, nspawnAvailable, NSPAWN_REQUIREMENT } from '../../helpers/nspawn.js';
import { mrsocko, nodeBinds } from '../../helpers/systemd-e2e.js';
import { account, makeRedisDataset, report, run } from '../../helpers/services.js';
const INSTANCE = 'redis';
const BACKEND = 'mrsocko-test-redis.service';
const KEYS = 400_000;
const BURST = 20;
test('Redis by unit = under systemd: 0 LOADING replies in a cold burst; idle stop, restart, nothing left', async (t) => {
    const redis = account('redis');
    if (!prerequisite(t, nspawnAvailable(), NSPAWN_REQUIREMENT))
        return;
    if (!prerequisite(t, redis !== undefined && haveCommand('redis-server') && haveCommand('redis-cli'), 'Debian\'s redis-server and redis-tools (contrib/test-deps.sh)'))
        return;
    if (redis === undefined)
        return;
    const dir = tempDir('mrsocko-redis-unit-');
    fs.chownSync(dir, redis.uid, redis.gid);
    const [listen, backend, seed] = [await freePort(), await freePort(), await freePort()];
    const rdbMb = await makeRedisDataset(dir, seed, KEYS, redis);
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(`${dir}/dump.rdb`, 0o644);
    const c = await bootContainer({
        machine: `mrsocko-redis-${process.pid}`,
        binds: [...nodeBinds(), { host: dir, container: '/srv/redis', readOnly: true }],
    });
    const diag = async () => `\n--- journal\n${await c.journal([`mrsocko@${INSTANCE}`, BACKEND])}`;
    const cli = (...args) => run(['redis-cli', '-h', '127.0.0.1', '-p', String(listen), ...args]);
    const left = async () => (await run(['pgrep', '-f', `redis-server 127.0.0.1:${backend}`])).stdout.split('\n').filter(Boolean).length;
    const inactive = () => c.waitFor(`systemctl is-active ${BACKEND}`, (r) => r.stdout.trim() === 'inactive', 20_000, 100);
    try {
        await c.writeFile(`/etc/systemd/system/${BACKEND}`, `[Unit]
Description=Redis for the mrsocko service matrix
[Service]
Type=notify
DynamicUser=yes
ExecStart=/usr/bin/redis-server --port ${backend} --bind 127.0.0.1 --dir /srv/redis --dbfilename dump.rdb --save "" --appendonly no --daemonize no --supervised systemd
`);
        await c.writeFile(`/etc/mrsocko/${INSTANCE}.conf`, `[service]
unit = ${BACKEND}
ready = exec /usr/bin/redis-cli -e -h 127.0.0.1 -p ${backend} ping
start_timeout = 60s
[socket.redis]
listen = 127.0.0.1:${listen}
backend = 127.0.0.1:${backend}
[idle]
timeout = 3s
`);
        const gen = await c.exec(mrsocko('gen-unit', INSTANCE));
        assert.equal(gen.status, 0, `gen-unit: ${gen.stdout}${gen.stderr}`);
        const enable = await c.exec(`systemctl daemon-reload && systemctl enable --now mrsocko@${INSTANCE}.socket`);
        assert.equal(enable.status, 0, `enable: ${enable.stderr}${await diag()}`);
        const burst = await Promise.all(Array.from({ length: BURST }, () => cli('dbsize')));
        const coldStartMs = Math.min(...burst.map((r) => r.ms));
        const errors = burst.filter((r) => r.stdout.trim() !== String(KEYS));
        assert.equal(await left(), 1, 'the redis-server is not seen while it runs: the count of processes left would mean nothing');
        const idle = await inactive();
        await new Promise((r) => setTimeout(r, 1000));
        const processesLeft = await left();
        const again = await cli('dbsize');
        const restart = again.stdout.trim() === String(KEYS);
        console.log(`# redis dataset: ${KEYS} keys, dump.rdb ${rdbMb.toFixed(1)} MB`);
        report('redis unit', { coldStartMs, burst: BURST, burstErrors: errors.length, idleStop: idle.ok, restart, processesLeft });
        assert.deepEqual(errors.map((r) => r.stdout.trim() + r.stderr.trim()), [], `errors (LOADING) in the cold burst${await diag()}`);
        assert.ok(idle.ok, `no idle stop${await diag()}`);
        assert.equal(processesLeft, 0, 'redis-server left after the idle stop');
        assert.ok(restart, `restart: ${again.stdout}${again.stderr}${await diag()}`);
    }
    finally {
        await c.poweroff();
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
//# sourceMappingURL=redis-unit.test.js.map