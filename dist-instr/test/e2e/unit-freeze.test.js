// [idle] freeze of a `unit =` backend under a real systemd (nspawn). This machine is
// cgroup v1 (hybrid): `systemctl freeze` is refused there, so the fallback runs for real —
// `systemctl kill --signal=SIGSTOP`, then SIGCONT on the next client — and the log says so.
// Connect-to-first-byte through the thaw and a cold start of the same unit are printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prerequisite } from '../helpers/require.js';
import { freePort } from '../helpers/net.js';
import { bootContainer, nspawnAvailable, NSPAWN_REQUIREMENT } from '../helpers/nspawn.js';
import { httpGet, mrsocko, nodeBinds, show } from '../helpers/systemd-e2e.js';
const INSTANCE = 'frz';
const BACKEND = 'frz-backend.service';
test('unit backend: frozen after `freeze` idle (SIGSTOP fallback on cgroup v1), thawed by the next client, stopped by `timeout`', async (t) => {
    if (!prerequisite(t, nspawnAvailable(), NSPAWN_REQUIREMENT))
        return;
    const listenPort = await freePort();
    let backendPort = await freePort();
    while (backendPort === listenPort)
        backendPort = await freePort();
    const c = await bootContainer({ machine: `mrsocko-freeze-${process.pid}`, binds: nodeBinds() });
    const diag = async () => `\n--- journalctl\n${await c.journal([`mrsocko@${INSTANCE}`, BACKEND])}\n--- ps\n${(await c.exec('ps -eo pid,stat,args')).stdout}`;
    const mainPid = async () => show(c, BACKEND, 'MainPID');
    const stateOf = async (pid) => (await c.exec(`ps -o stat= -p ${pid}`)).stdout.trim();
    const timed = async (what) => {
        const t0 = performance.now();
        const status = await httpGet(listenPort, 30_000).catch((err) => err.message);
        assert.equal(status, 200, `${what}: ${status}${await diag()}`);
        return performance.now() - t0;
    };
    try {
        await c.writeFile(`/etc/mrsocko/${INSTANCE}.conf`, [
            '[service]', `unit = ${BACKEND}`, 'start_timeout = 20s', 'stop_timeout = 5s',
            '[socket.web]', `listen = 127.0.0.1:${listenPort}`, `backend = 127.0.0.1:${backendPort}`,
            '[idle]', 'timeout = 8s', 'freeze = 1500ms', '',
        ].join('\n'));
        await c.writeFile(`/etc/systemd/system/${BACKEND}`, '[Unit]\nDescription=mrsocko freeze e2e backend\n[Service]\nType=simple\n' +
            `ExecStart=/usr/bin/python3 -m http.server ${backendPort} --bind 127.0.0.1 --directory /tmp\n`);
        assert.equal((await c.exec(mrsocko('gen-unit', INSTANCE))).status, 0);
        const enable = await c.exec(`systemctl daemon-reload && systemctl enable --now mrsocko@${INSTANCE}.socket`);
        assert.equal(enable.status, 0, enable.stderr);
        const cold = await timed('cold start');
        const pid = await mainPid();
        assert.notEqual(pid, '0');
        const frozen = await c.waitFor(`ps -o stat= -p ${pid}`, (r) => r.stdout.trim().startsWith('T'), 6000, 100);
        assert.ok(frozen.ok, `backend ${pid} not stopped (stat ${frozen.last.stdout.trim()})${await diag()}`);
        const journal = await c.journal([`mrsocko@${INSTANCE}`]);
        assert.match(journal, /frozen \(systemctl kill --signal=SIGSTOP to every process of the unit; systemctl freeze is not available/, await diag());
        assert.match(await show(c, `mrsocko@${INSTANCE}.service`, 'StatusText'), /frozen; the next client thaws it/);
        assert.equal((await c.exec(`systemctl is-active ${BACKEND}`)).stdout.trim(), 'active', 'still active while frozen');
        // mrsocko itself is never stopped: its own process keeps running
        const self = await show(c, `mrsocko@${INSTANCE}.service`, 'MainPID');
        assert.doesNotMatch(await stateOf(self), /^T/);
        const thawed = await timed('through a thaw');
        assert.equal(await mainPid(), pid, 'the same process, thawed');
        assert.doesNotMatch(await stateOf(pid), /^T/);
        t.diagnostic(`unit backend, connect to HTTP 200: cold start ${cold.toFixed(0)} ms, through a thaw (SIGCONT) ${thawed.toFixed(0)} ms`);
        assert.ok(thawed < cold, `thaw ${thawed} ms vs cold ${cold} ms`);
        // frozen again, and mrsocko is killed meanwhile: the next mrsocko (socket activation) adopts the
        // unit as started from outside and lets it run again
        assert.ok((await c.waitFor(`ps -o stat= -p ${pid}`, (r) => r.stdout.trim().startsWith('T'), 6000, 100)).ok, await diag());
        assert.equal((await c.exec(`systemctl kill --signal=SIGKILL mrsocko@${INSTANCE}.service`)).status, 0);
        assert.ok((await c.waitFor(`systemctl is-active mrsocko@${INSTANCE}.service`, (r) => r.stdout.trim() !== 'active', 5000, 100)).ok);
        await timed('a frozen unit left by a killed mrsocko');
        assert.equal(await mainPid(), pid, 'the same process, adopted and resumed');
        const next = await show(c, `mrsocko@${INSTANCE}.service`, 'MainPID');
        assert.notEqual(next, self);
        // frozen again, then stopped `timeout` after the last activity: thawed first, so no stop_timeout wait
        assert.ok((await c.waitFor(`ps -o stat= -p ${pid}`, (r) => r.stdout.trim().startsWith('T'), 6000, 100)).ok, await diag());
        const inactive = await c.waitFor(`systemctl is-active ${BACKEND}`, (r) => r.stdout.trim() === 'inactive', 12_000, 200);
        assert.ok(inactive.ok, `still ${inactive.last.stdout.trim()}${await diag()}`);
        // the watchdog (WatchdogSec= of mrsocko@.service) kept being pinged: the same mrsocko since the adoption
        assert.equal(await show(c, `mrsocko@${INSTANCE}.service`, 'MainPID'), next, 'mrsocko was not restarted');
        assert.notEqual(await show(c, `mrsocko@${INSTANCE}.service`, 'WatchdogUSec'), '0');
        const after = await c.journal([`mrsocko@${INSTANCE}`]);
        assert.match(after, /stopping backend/);
        assert.doesNotMatch(after, /could not thaw/);
    }
    finally {
        await c.poweroff();
    }
});
//# sourceMappingURL=unit-freeze.test.js.map