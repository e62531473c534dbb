// An `exec =` instance under a real systemd (nspawn), installed with gen-unit: the backend
// (an echo server) runs inside mrsocko's sandbox as `user = nobody` in its 0700
// `directory =`. Then, on the same instance: STATUS=, `systemctl reload` with a changed
// [idle] timeout while a connection stays open, `journalctl -p warning`, the rotated
// [log] file, and the watchdog restarting a stuck mrsocko (the MRSOCKO_DEBUG_BLOCK_ON
// test hook) while the socket keeps listening — a client that connects meanwhile is served.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { prerequisite } from '../helpers/require.js';
import { freePort } from '../helpers/net.js';
import { bootContainer, CONTAINER_REPO, nspawnAvailable, NSPAWN_REQUIREMENT } from '../helpers/nspawn.js';
import { connectEcho, mrsocko, NODE, nodeBinds, show } from '../helpers/systemd-e2e.js';
const NAME = 'demo';
const SERVICE = `mrsocko@${NAME}.service`;
const CONF = `/etc/mrsocko/${NAME}.conf`;
function config(listenPort, backendPort, idle) {
    return [
        '[service]',
        `exec = ${NODE} /srv/echo/slow-echo.mjs 127.0.0.1:${backendPort} 300`,
        'user = nobody',
        'directory = /srv/echo',
        'stop_timeout = 5s',
        '[socket.echo]',
        `listen = 127.0.0.1:${listenPort}`,
        `backend = 127.0.0.1:${backendPort}`,
        '[idle]',
        `timeout = ${idle}`,
        '[log]',
        'level = debug',
        `file = /var/log/mrsocko/${NAME}.log`,
        'max_size = 1k',
        'max_files = 3',
        '',
    ].join('\n');
}
test('exec backend via gen-unit: status, reload, journal priorities, log rotation, watchdog restart', async (t) => {
    if (!prerequisite(t, nspawnAvailable(), NSPAWN_REQUIREMENT))
        return;
    const listenPort = await freePort();
    let backendPort = await freePort();
    while (backendPort === listenPort)
        backendPort = await freePort();
    const c = await bootContainer({ machine: `mrsocko-exec-${process.pid}`, binds: nodeBinds() });
    const diag = async () => `\n--- journalctl -u ${SERVICE}\n${await c.journal(SERVICE)}` +
        `\n--- systemctl status\n${(await c.exec(`systemctl status --no-pager mrsocko@${NAME}.socket ${SERVICE}`)).stdout}`;
    const clients = [];
    const connect = async () => {
        const client = await connectEcho(listenPort);
        clients.push(client);
        return client;
    };
    const journalHas = (pattern, timeoutMs = 5_000) => c.waitFor(`journalctl -u ${SERVICE} --no-pager -o cat`, (r) => pattern.test(r.stdout), timeoutMs, 100);
    try {
        const setup = await c.exec('install -d -o nobody -g "$(id -g nobody)" -m 0700 /srv/echo && ' +
            `install -o nobody -m 0644 ${CONTAINER_REPO}/test/fixtures/slow-echo.mjs /srv/echo/`);
        assert.equal(setup.status, 0, setup.stderr);
        await c.writeFile(CONF, config(listenPort, backendPort, '1min'));
        const gen = await c.exec(mrsocko('gen-unit', NAME));
        assert.equal(gen.status, 0, `gen-unit: ${gen.stdout}${gen.stderr}`);
        // A drop-in of the user's own, as the README suggests for local changes: a short
        // watchdog, and the test hook that blocks the event loop on SIGUSR2.
        await c.writeFile(`/etc/systemd/system/${SERVICE}.d/60-test.conf`, '[Service]\nWatchdogSec=3s\nEnvironment=MRSOCKO_DEBUG_BLOCK_ON=SIGUSR2\n');
        const enable = await c.exec(`systemctl daemon-reload && systemctl enable --now mrsocko@${NAME}.socket`);
        assert.equal(enable.status, 0, `enable: ${enable.stderr}${await diag()}`);
        const open = await connect();
        await t.test('the client is served by the backend, running as nobody in its sandbox; STATUS= says so', async () => {
            assert.equal(await open.say('hello').catch((e) => e.message), 'hello', await diag());
            const mainPid = await show(c, SERVICE, 'MainPID');
            const ps = await c.exec(`ps -o user=,args= --ppid ${mainPid}`);
            assert.match(ps.stdout, /^nobody +\S+ \/srv\/echo\/slow-echo\.mjs/m, `backend process:\n${ps.stdout}${await diag()}`);
            assert.match(await show(c, SERVICE, 'StatusText'), /running; 1 connection from 1 client; stops after 1min without traffic/, await diag());
        });
        await t.test('systemctl reload applies a changed [idle] timeout; the open connection stays', async () => {
            await c.writeFile(CONF, config(listenPort, backendPort, '3s'));
            const reload = await c.exec(`systemctl reload ${SERVICE}`);
            assert.equal(reload.status, 0, `reload: ${reload.stderr}${await diag()}`);
            assert.ok((await journalHas(/configuration reloaded/)).ok, `no reload in the journal${await diag()}`);
            assert.equal(await open.say('after reload').catch((e) => e.message), 'after reload', await diag());
            assert.match(await show(c, SERVICE, 'StatusText'), /stops after 3s without traffic/, await diag());
            // Silent from now on: the backend stops after the new 3 s, not the old minute.
            const started = performance.now();
            const stopped = await c.waitFor(`systemctl show -p StatusText --value ${SERVICE}`, (r) => /stopped/.test(r.stdout), 15_000, 200);
            assert.ok(stopped.ok, `not stopped 15 s after the reload to a 3 s idle timeout${await diag()}`);
            console.log(`backend stopped ${Math.round(performance.now() - started)} ms after the last byte (idle timeout 3s, reloaded from 1min)`);
            assert.equal(await open.closed, 'closed');
        });
        await t.test('journalctl -p warning shows only warnings and worse', async () => {
            await c.writeFile(CONF, `${config(listenPort, backendPort, '3s')}[bogus]\n`);
            assert.equal((await c.exec(`systemctl reload ${SERVICE}`)).status, 0);
            assert.ok((await journalHas(/reload failed, keeping the previous configuration/)).ok, await diag());
            await c.writeFile(CONF, config(listenPort, backendPort, '3s'));
            assert.equal((await c.exec(`systemctl reload ${SERVICE}`)).status, 0);
            const warning = await c.exec(`journalctl -u ${SERVICE} -p warning -o json --no-pager`);
            const entries = warning.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
            assert.ok(entries.some((e) => /reload failed/.test(e.MESSAGE)), `the failed reload (error) is shown:\n${warning.stdout}`);
            for (const e of entries)
                assert.ok(Number(e.PRIORITY) <= 4, `priority ${e.PRIORITY} in -p warning: ${e.MESSAGE}`);
            assert.ok(!entries.some((e) => /^ready:/.test(e.MESSAGE)), 'notice lines are filtered out');
            const notice = await c.exec(`journalctl -u ${SERVICE} -p notice -o cat --no-pager`);
            assert.match(notice.stdout, /^ready: 1 socket \(socket-activated\)$/m, 'notice lines exist (with -p notice)');
            const debug = await c.exec(`journalctl -u ${SERVICE} -p debug -o cat --no-pager`);
            assert.match(debug.stdout, /held until the backend is ready/, 'debug lines exist ([log] level = debug)');
        });
        await t.test('[log] file: rotated at max_size, at most max_files kept, the configured name links to the current one', async () => {
            for (let i = 0; i < 25; i++) {
                const client = await connect();
                assert.equal(await client.say(`line ${i}`).catch((e) => e.message), `line ${i}`, await diag());
                client.destroy();
            }
            await sleep(300);
            const ls = await c.exec(`cd /var/log/mrsocko && stat -c '%n %s %F' ${NAME}*`);
            const files = ls.stdout.trim().split('\n').map((l) => l.split(' ')).map(([name, size, ...type]) => ({ name: name ?? '', size: Number(size), type: type.join(' ') }));
            const rotated = files.filter((f) => new RegExp(`^${NAME}-\\d{4}-\\d{2}-\\d{2}\\.log(\\.\\d+)?$`).test(f.name));
            assert.ok(rotated.length >= 2 && rotated.length <= 3, `2 or 3 rotated files (max_files = 3):\n${ls.stdout}`);
            const longestLine = Math.max(...(await c.exec(`cat /var/log/mrsocko/${NAME}-*`)).stdout.split('\n').map((l) => l.length + 1));
            for (const f of rotated) {
                assert.ok(f.size <= 1024 + longestLine, `${f.name}: ${f.size} bytes, more than max_size = 1k plus one line (${longestLine})`);
            }
            assert.deepEqual(files.find((f) => f.name === `${NAME}.log`)?.type, 'symbolic link', ls.stdout);
            const tail = await c.exec(`tail -n 3 /var/log/mrsocko/${NAME}.log`);
            assert.match(tail.stdout, /^\d{4}-\d{2}-\d{2}T\S+ (debug|info|notice) +/m, tail.stdout);
            console.log(`log files: ${files.map((f) => `${f.name} ${f.size}`).join(', ')}`);
        });
        await t.test('watchdog: a stuck event loop gets mrsocko restarted; the socket keeps listening; clients are served', async () => {
            const before = await show(c, SERVICE, 'MainPID');
            assert.equal(await show(c, SERVICE, 'NRestarts'), '0');
            const started = performance.now();
            const kill = await c.exec(`kill -USR2 ${before}`);
            assert.equal(kill.status, 0, kill.stderr);
            assert.ok((await journalHas(/test hook: SIGUSR2 received/)).ok, await diag());
            // Connects while mrsocko is stuck: the kernel queues it on systemd's listening socket.
            const during = await connect();
            const queued = during.say('while stuck', 30_000);
            const restarted = await c.waitFor(`systemctl show -p MainPID -p ActiveState -p NRestarts ${SERVICE}`, (r) => /NRestarts=1/.test(r.stdout) && /ActiveState=active/.test(r.stdout) && !r.stdout.includes(`MainPID=${before}\n`), 20_000, 100);
            assert.ok(restarted.ok, `not restarted: ${restarted.last.stdout}${await diag()}`);
            console.log(`watchdog: SIGUSR2 to active again after ${Math.round(performance.now() - started)} ms (WatchdogSec=3s, RestartSec=1s)`);
            assert.ok((await journalHas(/Watchdog timeout/)).ok, await diag());
            assert.equal((await c.exec(`systemctl is-active mrsocko@${NAME}.socket`)).stdout.trim(), 'active');
            assert.equal(await queued.catch((e) => e.message), 'while stuck', `the client queued meanwhile${await diag()}`);
            const after = await connect();
            assert.equal(await after.say('after restart').catch((e) => e.message), 'after restart', await diag());
        });
    }
    finally {
        for (const client of clients)
            client.destroy();
        await c.poweroff();
    }
});
//# sourceMappingURL=systemd-exec.test.js.map