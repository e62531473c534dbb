// What real systemd 252 (nspawn) makes of gen-unit's output when the config tries to
// reach past it: nothing is injected into the units, and an exec backend, which runs in
// mrsocko's cgroup, cannot speak for mrsocko's service (STATUS=, WATCHDOG=trigger) —
// neither with the sd-notify addon (NotifyAccess=main) nor with the fallback template
// gen-unit writes without it (Type=simple, NotifyAccess=none). A control run with the
// old NotifyAccess=all shows the same backend's message being taken.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { prerequisite } from '../helpers/require.js';
import { freePort } from '../helpers/net.js';
import { bootContainer, CONTAINER_REPO, nspawnAvailable, NSPAWN_REQUIREMENT, shellQuote, type Container } from '../helpers/nspawn.js';
import { httpGet, mrsocko, NODE, nodeBinds, show } from '../helpers/systemd-e2e.js';
import { repoRoot } from '../helpers/paths.js';
import { serviceTemplate } from '../../src/systemd/units.js';
import { version } from '../../src/version.js';

const TEMPLATE = '/etc/systemd/system/mrsocko@.service';

test('units under real systemd: nothing injected; a backend cannot notify for mrsocko (addon, fallback; NotifyAccess=all as control)', async (t) => {
  if (!prerequisite(t, nspawnAvailable(), NSPAWN_REQUIREMENT)) return;
  const [injPort, webPort, backendPort] = [await freePort(), await freePort(), await freePort()];
  const c: Container = await bootContainer({ machine: `mrsocko-trust-${process.pid}`, binds: nodeBinds() });
  try {
    // ---- injection ----
    // The attack as reported: a carriage return in a unix listen = path. gen-unit refuses it.
    await c.writeFile('/etc/mrsocko/cr.conf',
      '[service]\nunit = app.service\n[socket.web]\nlisten = /run/cr.sock\rExecStartPre=/bin/touch /pwned\nbackend = 127.0.0.1:1\n');
    const cr = await c.exec(mrsocko('gen-unit', 'cr'));
    assert.equal(cr.status, 78, cr.stdout + cr.stderr);
    assert.match(cr.stderr, /cr\.conf:4: \[socket\.web\] listen: contains a carriage return/);
    // A line feed in the config's own path.
    const odd = '/etc/mrsocko/x\nExecStartPre=touch pwned\n#/odd.conf';
    await c.writeFile(odd, `[service]\nunit = app.service\n[socket.web]\nlisten = 127.0.0.1:${injPort}\nbackend = 127.0.0.1:1\n`);
    const lf = await c.exec(mrsocko('gen-unit', 'odd', '--config', odd));
    assert.equal(lf.status, 78, lf.stdout + lf.stderr);
    assert.match(lf.stderr, /the config's path contains a line feed/);
    // Legal but awkward values: %, spaces, quotes, backslashes, and a backend path ending in
    // a backslash (in a comment, it would have joined the ListenStream= line below to it).
    const dir = '/srv/in j%i"q\'b\\s';
    await c.writeFile('/etc/mrsocko/inj.conf', [
      '[service]',
      'exec = /usr/bin/python3 -m http.server 1 --bind 127.0.0.1',
      `directory = ${dir}`,
      '[socket.web]',
      `listen = 127.0.0.1:${injPort}`,
      'backend = /run/inj/odd\\',
      '',
    ].join('\n'));
    const gen = await c.exec(`mkdir -p ${shellQuote(dir)} /run/inj && ${mrsocko('gen-unit', 'inj')}`);
    assert.equal(gen.status, 0, gen.stdout + gen.stderr);
    const verify = await c.exec('systemctl daemon-reload && systemd-analyze verify mrsocko@inj.socket mrsocko@inj.service');
    assert.equal(verify.status, 0, verify.stderr);
    assert.equal(await show(c, 'mrsocko@inj.socket', 'Listen'), `127.0.0.1:${injPort} (Stream)`);
    assert.equal(await show(c, 'mrsocko@inj.socket', 'FileDescriptorName'), 'web');
    // systemctl show quotes what it prints; read back, it is the path exactly (%i not expanded)
    // (after the backend cgroup's own paths)
    const readWrite = await show(c, 'mrsocko@inj.service', 'ReadWritePaths');
    const wanted = `"-${dir.replace(/[\\"]/g, (ch) => `\\${ch}`)}" -/run/inj`;
    assert.ok(readWrite.endsWith(` ${wanted}`), `ReadWritePaths=${readWrite}, wanted it to end with ${wanted}`);
    assert.equal(await show(c, 'mrsocko@inj.service', 'ExecStartPre'), '');
    assert.equal((await c.exec('test -e /pwned')).status, 1);

    // ---- notifications ----
    // The backend tries to speak for the service: systemd-notify with --pid= naming its
    // parent (mrsocko), then, from the long-lived backend process itself (systemd-notify's
    // own messages may come too late to be attributed), a STATUS= and a WATCHDOG=trigger.
    // Then it serves HTTP from the same process.
    const python = [
      'import os, socket',
      's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
      'for m in (b"STATUS=pwned-by-backend", b"WATCHDOG=trigger"): s.sendto(m, "/run/systemd/notify")',
      `os.execvp("python3", ["python3", "-m", "http.server", "${backendPort}", "--bind", "127.0.0.1"])`,
    ].join('\n');
    const script = [
      'NOTIFY_SOCKET=/run/systemd/notify systemd-notify --pid=$PPID STATUS=pwned-by-backend-pid',
      'NOTIFY_SOCKET=/run/systemd/notify systemd-notify --pid=$PPID WATCHDOG=trigger',
      `exec python3 -c '${python}'`,
    ].join('; ');
    await c.writeFile('/etc/mrsocko/notif.conf', [
      '[service]',
      `exec = /bin/sh -c ${JSON.stringify(script)}`,
      'user = nobody',
      '[socket.web]',
      `listen = 127.0.0.1:${webPort}`,
      `backend = 127.0.0.1:${backendPort}`,
      '',
    ].join('\n'));
    const install = await c.exec(`${mrsocko('gen-unit', 'notif')} && systemctl daemon-reload && systemctl enable --now mrsocko@notif.socket`);
    assert.equal(install.status, 0, install.stdout + install.stderr);
    assert.equal(await show(c, 'mrsocko@notif.service', 'NotifyAccess'), 'main', 'the addon is built here');

    const fallback = serviceTemplate(fs.readFileSync(path.join(repoRoot, 'units/mrsocko@.service'), 'utf8'), {
      node: NODE, script: `${CONTAINER_REPO}/dist/mrsocko.cjs`, version: version(), notifyAddonProblem: 'hidden by the test',
    }).text;
    const addonTemplate = (await c.exec(`cat ${TEMPLATE}`)).stdout;
    const phases: Array<{ name: string; template: string; accepted: boolean }> = [
      { name: 'addon (NotifyAccess=main)', template: addonTemplate, accepted: false },
      { name: 'no addon (Type=simple, NotifyAccess=none)', template: fallback, accepted: false },
      // the old template without the addon: the attack works, so the probe above is real
      { name: 'control: NotifyAccess=all', template: fallback.replace(/^NotifyAccess=none$/m, 'NotifyAccess=all'), accepted: true },
    ];
    for (const phase of phases) {
      await c.exec('systemctl stop mrsocko@notif.service');
      await c.writeFile(TEMPLATE, phase.template);
      assert.equal((await c.exec('systemctl daemon-reload && systemctl restart mrsocko@notif.socket')).status, 0);
      // starts mrsocko, which starts the backend; in the control run, systemd may kill mrsocko meanwhile
      const status = await httpGet(webPort, 20_000).catch((err: Error) => err.message);
      if (!phase.accepted) assert.equal(status, 200, phase.name);
      const mainPid = await show(c, 'mrsocko@notif.service', 'MainPID');
      await new Promise((r) => setTimeout(r, 1500)); // WATCHDOG=trigger acts at once when taken
      const text = await show(c, 'mrsocko@notif.service', 'StatusText');
      const state = await show(c, 'mrsocko@notif.service', 'ActiveState');
      const result = await show(c, 'mrsocko@notif.service', 'Result');
      if (phase.accepted) {
        const log = (await c.exec('journalctl --no-pager -b _PID=1 | grep -i notif')).stdout;
        const restarts = await show(c, 'mrsocko@notif.service', 'NRestarts');
        assert.ok(/pwned/.test(text) || result === 'watchdog' || restarts !== '0' || /Watchdog request/.test(log) || status !== 200,
          `${phase.name}: the control run shows the backend's messages taken (StatusText=${text}, ${state}, ${result}, NRestarts=${restarts})\n${log}`);
      } else {
        assert.doesNotMatch(text, /pwned/, phase.name);
        assert.equal(state, 'active', phase.name);
        assert.equal(result, 'success', phase.name);
        assert.equal(await show(c, 'mrsocko@notif.service', 'MainPID'), mainPid, `${phase.name}: mrsocko was not killed`);
        assert.equal(await show(c, 'mrsocko@notif.service', 'NRestarts'), '0', phase.name);
        assert.equal(await httpGet(webPort, 10_000), 200, `${phase.name}: still serving`);
        const journal = await c.journal('mrsocko@notif.service', ['--since=-10s']);
        assert.match(journal + (await c.exec('journalctl --no-pager -b _PID=1 --since=-10s')).stdout,
          /reception only permitted for main PID|reception is disabled/, `${phase.name}: systemd said why it dropped them`);
      }
    }
  } finally {
    await c.poweroff();
  }
});
