// Faults under a real systemd 252 (nspawn), with the shipped units: mrsocko SIGKILLed
// while clients are connected (systemd restarts it, the socket never stops listening,
// clients that arrive meanwhile are served by the new one, the old backend does not
// linger), and `unit =` backends that cannot be started: a unit whose start fails, one
// that dies right after starting, and no systemctl on mrsocko's PATH.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { prerequisite } from '../helpers/require.js';
import { freePort } from '../helpers/net.js';
import { connectClient } from '../helpers/clients.js';
import { bootContainer, CONTAINER_REPO, nspawnAvailable, NSPAWN_REQUIREMENT } from '../helpers/nspawn.js';
import { installInstance, nodeBinds, show } from '../helpers/systemd-e2e.js';
import { exchange } from '../helpers/traffic.js';
test('mrsocko SIGKILLed under systemd with clients connected: restarted, the socket keeps listening, clients arriving meanwhile are served', async (t) => {
    if (!prerequisite(t, nspawnAvailable(), NSPAWN_REQUIREMENT))
        return;
    const [port, backendPort] = [await freePort(), await freePort()];
    const c = await bootContainer({ machine: `mrsocko-kill-${process.pid}`, binds: nodeBinds() });
    const diag = async () => `\n${await c.journal(['mrsocko@kill', 'mrsocko@kill.socket'], ['-o', 'short-monotonic'])}`;
    try {
        await installInstance(c, {
            instance: 'kill',
            config: `[service]\nexec = ${process.execPath} ${CONTAINER_REPO}/test/fixtures/slow-echo.mjs 127.0.0.1:${backendPort} 300\nstop_timeout = 5s\n` +
                `[socket.web]\nlisten = 127.0.0.1:${port}\nbackend = 127.0.0.1:${backendPort}\n[idle]\ntimeout = 10min\n[access]\nmax_per_source = 1000\n`,
        });
        const clients = await Promise.all(Array.from({ length: 20 }, () => connectClient({ host: '127.0.0.1', port }, 30_000)));
        for (const [i, cl] of clients.entries())
            assert.equal((await cl.echo(`client ${i}`)).toString(), `client ${i}`, await diag());
        const service = 'mrsocko@kill.service';
        const mainPid = await show(c, service, 'MainPID');
        const backendPids = (await c.exec('pgrep -f "[s]low-echo.mjs"')).stdout.trim();
        assert.ok(Number(mainPid) > 0 && backendPids !== '', `MainPID ${mainPid}, backend ${backendPids}`);
        const cut = clients.map((cl) => new Promise((resolve) => (cl.socket.destroyed ? resolve() : cl.socket.once('close', () => resolve()))));
        for (const cl of clients)
            cl.socket.on('error', () => undefined);
        const killed = performance.now();
        await c.exec(`kill -KILL ${mainPid}`);
        // A new client every 20 ms for 3 s, from the moment of the kill: while nobody runs,
        // the listening socket (systemd's) queues them; the restarted mrsocko serves them all.
        const probes = [];
        for (let i = 0; performance.now() - killed < 3000; i++) {
            probes.push(exchange({ host: '127.0.0.1', port }, Buffer.from(`probe ${i} `.repeat(100)), { timeoutMs: 30_000 }));
            await sleep(20);
        }
        const results = await Promise.all(probes);
        const failed = results.map((r, i) => (r.ok ? '' : `probe ${i}: ${r.problem}`)).filter(Boolean);
        assert.deepEqual(failed, [], await diag());
        const longest = Math.max(...results.map((r) => r.ms));
        // the connections mrsocko held died with it: each is closed (the kernel resets them)
        let timer;
        const allCut = await Promise.race([Promise.all(cut).then(() => true), new Promise((r) => (timer = setTimeout(() => r(false), 10_000)))]);
        clearTimeout(timer);
        assert.ok(allCut, 'a client of the killed mrsocko is still open');
        assert.equal(await show(c, service, 'NRestarts'), '1', await diag());
        assert.equal(await show(c, service, 'ActiveState'), 'active', await diag());
        assert.notEqual(await show(c, service, 'MainPID'), mainPid);
        assert.equal(await show(c, 'mrsocko@kill.socket', 'ActiveState'), 'active');
        // systemd stopped the old backend with the rest of the cgroup (KillMode=control-group);
        // the new mrsocko started one of its own
        const now = (await c.exec('pgrep -f "[s]low-echo.mjs"')).stdout.trim().split('\n');
        assert.equal(now.length, 1, `backends now: ${now.join(' ')} (before: ${backendPids})${await diag()}`);
        assert.ok(!backendPids.split('\n').includes(now[0]), 'the old backend survived');
        const journal = await c.journal('mrsocko@kill', ['-o', 'cat']);
        assert.match(journal, /Main process exited, code=killed, status=9\/KILL/);
        assert.equal((journal.match(/ready: 1 socket \(socket-activated\)/g) ?? []).length, 2, journal);
        console.log(`# SIGKILL under systemd: ${results.length} clients connected during the 3 s after the kill, all served (the longest waited ${longest} ms); 20 open clients of the killed mrsocko closed; NRestarts=1`);
    }
    finally {
        await c.poweroff();
    }
});
test('unit = backends that cannot start under systemd: clients closed, the reason in the journal, retries backing off, mrsocko stays up', async (t) => {
    if (!prerequisite(t, nspawnAvailable(), NSPAWN_REQUIREMENT))
        return;
    const c = await bootContainer({ machine: `mrsocko-unitfail-${process.pid}`, binds: nodeBinds() });
    const cases = [
        {
            instance: 'broken',
            unit: 'broken-backend.service',
            units: { 'broken-backend.service': '[Service]\nType=oneshot\nExecStart=/bin/false\n' },
            reason: /failed to start: systemctl start broken-backend\.service failed \(1\)/,
        },
        {
            instance: 'dies',
            unit: 'dies-backend.service',
            units: { 'dies-backend.service': "[Service]\nType=simple\nExecStart=/bin/sh -c 'sleep 0.3; exit 3'\n" },
            // systemctl start succeeds; the unit watch sees it fail long before start_timeout (20s)
            reason: /dies-backend\.service failed to start: backend exited while starting \(unit is (failed|inactive)\)/,
        },
        {
            instance: 'nosysctl',
            unit: 'whatever.service',
            units: { 'mrsocko@nosysctl.service.d/60-path.conf': '[Service]\nEnvironment=PATH=/nonexistent\n' },
            reason: /failed to start: systemctl start whatever\.service failed \(systemctl not found\)/,
        },
    ];
    try {
        for (const k of cases) {
            const port = await freePort();
            await installInstance(c, {
                instance: k.instance,
                config: `[service]\nunit = ${k.unit}\nstart_timeout = 20s\n[socket.web]\nlisten = 127.0.0.1:${port}\nbackend = 127.0.0.1:1\n`,
                units: k.units,
            });
            const service = `mrsocko@${k.instance}.service`;
            const diag = async () => `\n${await c.journal([`mrsocko@${k.instance}`, k.unit], ['-o', 'short-monotonic'])}`;
            // clients, one after another, for 3 s: each closed, none served; the first at once
            // (not at start_timeout), later ones at the next attempt of the back-off at the latest
            const t0 = performance.now();
            let clients = 0;
            let longest = 0;
            let mainPid = '';
            while (performance.now() - t0 < 3000) {
                const r = await exchange({ host: '127.0.0.1', port }, Buffer.from('hello'), { timeoutMs: 30_000 });
                clients += 1;
                assert.equal(r.ok, false, `${k.instance}: served?`);
                if (clients === 1)
                    assert.ok(r.ms < 3000, `${k.instance}: the first client waited ${r.ms} ms (start_timeout 20s)${await diag()}`);
                longest = Math.max(longest, r.ms);
                if (mainPid === '')
                    mainPid = await show(c, service, 'MainPID');
            }
            const journal = await c.journal(`mrsocko@${k.instance}`, ['-o', 'cat']);
            assert.match(journal, k.reason, `${k.instance}${await diag()}`);
            const starts = (journal.match(/starting backend/g) ?? []).length;
            // no delay before the first two attempts, then 1 s, 2 s: four at most in 3 s
            assert.ok(starts >= 2 && starts <= 4, `${k.instance}: ${starts} starts for ${clients} clients in 3 s${await diag()}`);
            assert.ok(longest < 4000, `${k.instance}: a client waited ${longest} ms`);
            assert.equal(await show(c, service, 'ActiveState'), 'active', `${k.instance}${await diag()}`);
            assert.equal(await show(c, service, 'MainPID'), mainPid, `${k.instance}: mrsocko restarted`);
            assert.equal(await show(c, service, 'NRestarts'), '0');
            assert.doesNotMatch(journal, /internal error|\n\s+at /, k.instance);
            console.log(`# unit backend that cannot start (${k.instance}): ${clients} clients in 3 s, each closed within ${longest} ms; ${starts} start attempts`);
        }
    }
    finally {
        await c.poweroff();
    }
});
//# sourceMappingURL=systemd.test.js.map