// Exec backends under a real systemd (nspawn), installed with gen-unit: the backend gets a
// cgroup of its own below mrsocko@NAME.service (Delegate=yes; the container's cgroup v1
// controllers are read-only, its unified tree is writable: the v2 path with cgroup.kill).
// - a backend whose children call setsid() (as sshd's sessions do), one ignoring SIGTERM:
//   after the idle stop no process of it is left, within stop_timeout + 1 s;
// - a double-forking daemon with `pidfile =`, running as nobody, is accepted (its pid is in
//   the backend's cgroup: mrsocko cannot read nobody's /proc entries here, ProtectProc=invisible)
//   and stopped with its helper child.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prerequisite } from '../helpers/require.js';
import { freePort } from '../helpers/net.js';
import { bootContainer, CONTAINER_REPO, nspawnAvailable, NSPAWN_REQUIREMENT } from '../helpers/nspawn.js';
import { connectEcho, installInstance, NODE, nodeBinds, show } from '../helpers/systemd-e2e.js';
async function distinctPorts(n) {
    const ports = new Set();
    while (ports.size < n)
        ports.add(await freePort());
    return [...ports];
}
test('exec backends under systemd: a cgroup of their own; setsid() children and forking daemons leave nothing after the stop', async (t) => {
    if (!prerequisite(t, nspawnAvailable(), NSPAWN_REQUIREMENT))
        return;
    const [listenA, backendA, listenB, backendB] = await distinctPorts(4);
    const mark = `${process.pid}${Math.floor(Math.random() * 1e5)}`;
    const c = await bootContainer({ machine: `mrsocko-cgroup-${process.pid}`, binds: nodeBinds() });
    const diag = async (unit) => `\n--- journalctl -u ${unit}\n${await c.journal(unit)}\n--- ps\n${(await c.exec('ps -eo pid,user,stat,cgroup:80,args')).stdout}`;
    const left = async () => (await c.exec(`pgrep -a -f 'sleep 10[0-9][0-9][.]${mark}' || true`)).stdout.trim();
    try {
        const setup = await c.exec('install -d -o nobody -g "$(id -g nobody)" -m 0700 /srv/b /run/fd && ' +
            `install -o nobody -m 0755 ${CONTAINER_REPO}/test/fixtures/setsid-children.sh ${CONTAINER_REPO}/test/fixtures/slow-echo.mjs ` +
            `${CONTAINER_REPO}/test/fixtures/forking-daemon.py /srv/b/`);
        assert.equal(setup.status, 0, setup.stderr);
        await t.test('setsid() children: all in the backend\'s cgroup, none left after the idle stop', async () => {
            const unit = 'mrsocko@sessions.service';
            await installInstance(c, {
                instance: 'sessions',
                config: [
                    '[service]',
                    `exec = /srv/b/setsid-children.sh ${mark} ${NODE} /srv/b/slow-echo.mjs 127.0.0.1:${backendA} 0`,
                    'user = nobody',
                    'directory = /srv/b',
                    'stop_timeout = 2s',
                    '[socket.echo]',
                    `listen = 127.0.0.1:${listenA}`,
                    `backend = 127.0.0.1:${backendA}`,
                    '[idle]',
                    'timeout = 2s',
                    '',
                ].join('\n'),
            });
            const client = await connectEcho(listenA);
            assert.equal(await client.say('hello').catch((e) => e.message), 'hello', await diag(unit));
            client.destroy();
            const journal = await c.waitFor(`journalctl -u ${unit} -o cat --no-pager`, (r) => /cgroup of its own: \S+ \(v2\)/.test(r.stdout), 5000, 100);
            assert.ok(journal.ok, `no cgroup of its own:${await diag(unit)}`);
            const dir = /cgroup of its own: (\S+) \(v2\)/.exec(journal.last.stdout)?.[1];
            assert.match(dir, /\/system-mrsocko\.slice\/mrsocko@sessions\.service\/mrsocko-backend-/);
            const procs = (await c.exec(`cat ${dir}/cgroup.procs`)).stdout.trim().split('\n');
            const children = (await c.exec(`pgrep -f 'sleep 10[0-9][0-9][.]${mark}'`)).stdout.trim().split('\n').filter(Boolean);
            assert.ok(children.length >= 2, `the setsid() children:${await diag(unit)}`);
            for (const pid of children)
                assert.ok(procs.includes(pid), `${pid} in ${dir}: ${procs.join(',')}`);
            const stopped = await c.waitFor(`systemctl show -p StatusText --value ${unit}`, (r) => /stopped/.test(r.stdout), 15_000, 100);
            assert.ok(stopped.ok, `not stopped after the idle timeout${await diag(unit)}`);
            assert.equal(await left(), '', `processes left after the stop:${await diag(unit)}`);
            assert.equal((await c.exec(`test -d ${dir}`)).status, 1, 'the empty cgroup is removed');
            assert.equal(await show(c, unit, 'ActiveState'), 'active', 'mrsocko itself runs on');
        });
        await t.test('a double-forking daemon as nobody with pidfile =: accepted through its cgroup, stopped with its helper', async () => {
            const unit = 'mrsocko@forking.service';
            await installInstance(c, {
                instance: 'forking',
                config: [
                    '[service]',
                    `exec = /usr/bin/python3 /srv/b/forking-daemon.py ${backendB} /run/fd/daemon.pid 0.2`,
                    'user = nobody',
                    'directory = /srv/b',
                    'pidfile = /run/fd/daemon.pid',
                    'stop_timeout = 2s',
                    '[socket.echo]',
                    `listen = 127.0.0.1:${listenB}`,
                    `backend = 127.0.0.1:${backendB}`,
                    '[idle]',
                    'timeout = 2s',
                    '',
                ].join('\n'),
            });
            const client = await connectEcho(listenB);
            assert.equal(await client.say('forked').catch((e) => e.message), 'forked', await diag(unit));
            client.destroy();
            const daemonPid = (await c.exec('head -n 1 /run/fd/daemon.pid')).stdout.trim();
            const inCgroup = await c.exec(`grep -x ${daemonPid} /sys/fs/cgroup/unified/system.slice/system-mrsocko.slice/${unit}/mrsocko-backend-*/cgroup.procs`);
            assert.equal(inCgroup.status, 0, `the daemon is in the backend's cgroup:${await diag(unit)}`);
            const helpers = (await c.exec(`pgrep -P ${daemonPid}`)).stdout.trim();
            assert.notEqual(helpers, '', `the daemon's helper child:${await diag(unit)}`);
            const stopped = await c.waitFor(`systemctl show -p StatusText --value ${unit}`, (r) => /stopped/.test(r.stdout), 15_000, 100);
            assert.ok(stopped.ok, `not stopped after the idle timeout${await diag(unit)}`);
            const alive = await c.exec(`ps -o pid=,args= -p ${daemonPid},${helpers.split('\n').join(',')} || true`);
            assert.equal(alive.stdout.trim(), '', `left after the stop:${await diag(unit)}`);
            const warnings = await c.exec(`journalctl -u ${unit} -p warning -o cat --no-pager`);
            assert.doesNotMatch(warnings.stdout, /pidfile/, warnings.stdout);
        });
    }
    finally {
        await c.poweroff();
    }
});
//# sourceMappingURL=systemd-exec-cgroup.test.js.map