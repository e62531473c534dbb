// Redis (Debian's redis-server) by `exec =`, as user redis, with a dataset of some tens of
// MB and `ready = exec redis-cli -e ping` (-e: an error reply such as LOADING exits
// non-zero; without it redis-cli exits 0 on one). Issue 14: 21 of 21 cold clients got
// `LOADING Redis is loading the dataset in memory` when "port accepts" counted as ready.
// The same with `ready = notify` and `--supervised systemd`: redis-server says READY=1 on
// $NOTIFY_SOCKET once the dataset is loaded (Redis 7 does it without libsystemd).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startDaemon, tempDir } from '../../helpers/daemon.js';
import { freePort } from '../../helpers/net.js';
import { haveCommand, isRoot, prerequisite } from '../../helpers/require.js';
import { account, liveCount, makeRedisDataset, processTree, report, run } from '../../helpers/services.js';
import { phaseReached } from '../../helpers/daemon.js';
import { nativeClass } from '../../../src/native/addon.js';
const KEYS = 400_000;
const BURST = 20;
async function coldBurst(t, notify, name) {
    const redis = account('redis');
    if (!prerequisite(t, isRoot && redis !== undefined && haveCommand('redis-server') && haveCommand('redis-cli') &&
        (!notify || typeof nativeClass('NotifySocket') === 'function'), 'root and Debian\'s redis-server and redis-tools (contrib/test-deps.sh)' + (notify ? ', the native addon' : '')))
        return;
    if (redis === undefined)
        return;
    const dir = tempDir('mrsocko-redis-');
    fs.chownSync(dir, redis.uid, redis.gid);
    const [listen, backend, seed] = [await freePort(), await freePort(), await freePort()];
    const server = (port) => ['/usr/bin/redis-server', '--port', String(port), '--bind', '127.0.0.1',
        '--dir', dir, '--dbfilename', 'dump.rdb', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--rdbcompression', 'no', '--enable-debug-command', 'local'];
    const cli = (port, ...args) => run(['redis-cli', '-h', '127.0.0.1', '-p', String(port), ...args]);
    // the dataset, made once by a redis-server of our own
    const rdbMb = await makeRedisDataset(dir, seed, KEYS, redis);
    const d = await startDaemon(`[service]
exec = ${[...server(backend), ...(notify ? ['--supervised', 'systemd'] : [])].map((a) => (a === '' ? '""' : a)).join(' ')}
user = redis
ready = ${notify ? 'notify' : `exec /usr/bin/redis-cli -e -h 127.0.0.1 -p ${backend} ping`}
start_timeout = 60s
stop_timeout = 10s
[socket.redis]
listen = 127.0.0.1:${listen}
backend = 127.0.0.1:${backend}
[idle]
timeout = 3s
[log]
level = debug
`, tempDir());
    try {
        const first = await cli(listen, 'dbsize');
        const coldStartMs = first.ms;
        assert.equal(first.stdout.trim(), String(KEYS), first.stdout + first.stderr);
        assert.ok(await phaseReached(d.daemon, 'stopped', 20_000), 'no idle stop after the first client');
        const burst = await Promise.all(Array.from({ length: BURST }, () => cli(listen, 'dbsize')));
        // redis-cli exits 0 on an error reply: read what it printed
        const errors = burst.filter((r) => r.stdout.trim() !== String(KEYS));
        const tree = processTree(d.daemon.backendPid ?? 0);
        const idleStop = await phaseReached(d.daemon, 'stopped', 20_000);
        await new Promise((r) => setTimeout(r, 1000));
        const processesLeft = liveCount(tree);
        const again = await cli(listen, 'dbsize');
        const restart = again.stdout.trim() === String(KEYS);
        console.log(`# redis dataset: ${KEYS} keys, dump.rdb ${rdbMb.toFixed(1)} MB`);
        if (notify)
            assert.ok(d.lines.some((l) => /READY=1 from pid \d+ \(uid \d+\)/.test(l)), 'redis-server never said READY=1');
        report(name, { coldStartMs, burst: BURST, burstErrors: errors.length, idleStop, restart, processesLeft });
        assert.deepEqual(errors.map((r) => r.stdout.trim() + r.stderr.trim()), [], 'errors (LOADING) in the cold burst');
        assert.ok(idleStop, 'no idle stop');
        assert.equal(processesLeft, 0, `processes left after the idle stop: ${tree.join(' ')}`);
        assert.ok(restart, `restart: ${again.stdout}${again.stderr}`);
    }
    finally {
        await d.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
test('Redis by exec = with a dataset: 0 LOADING replies in a cold burst of redis-cli; idle stop leaves nothing', (t) => coldBurst(t, false, 'redis exec'));
test('Redis by exec = with ready = notify (supervised systemd): READY=1 once the dataset is loaded, 0 LOADING replies', (t) => coldBurst(t, true, 'redis exec notify'));
//# sourceMappingURL=redis.test.js.map