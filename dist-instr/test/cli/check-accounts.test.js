// `check` and `run` find at load what the backend's first start would fail on: an unknown
// user = or group =, or user = without root. Exit 78 (systemd does not restart it),
// naming the line, and `run` fails before it binds anything.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cliPath } from '../helpers/paths.js';
import { freePort } from '../helpers/net.js';
import { haveCommand, isRoot, prerequisite } from '../helpers/require.js';
let dir;
before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mrsocko-accounts-')); fs.chmodSync(dir, 0o755); });
after(() => { fs.rmSync(dir, { recursive: true, force: true }); });
const cli = (args, prefix = []) => {
    const argv = [...prefix, process.execPath, cliPath, ...args];
    return spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 20_000 });
};
const conf = (name, service, port) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `[service]\nexec = /bin/sleep 60\n${service}\n[socket.web]\nlisten = 127.0.0.1:${port}\nbackend = 127.0.0.1:1\n`);
    fs.chmodSync(file, 0o644);
    return file;
};
test('unknown user = and group =: check and run exit 78 naming the line; run binds nothing', async (t) => {
    if (!prerequisite(t, isRoot, 'needs root (user = needs it)'))
        return;
    const port = await freePort();
    const cases = [
        ['user = no-such-user-xyz', /bad-user\.conf:3: \[service\] user: no such user "no-such-user-xyz"/],
        ['user = nobody\ngroup = no-such-group-xyz', /bad-user\.conf:4: \[service\] group: no such group "no-such-group-xyz"/],
    ];
    for (const [service, message] of cases) {
        const file = conf('bad-user.conf', service, port);
        for (const cmd of ['check', 'run']) {
            const r = cli([cmd, '--config', file]);
            assert.equal(r.status, 78, `${cmd} ${service}: ${r.stderr}`);
            assert.match(r.stderr, message);
            assert.doesNotMatch(r.stderr, /^ {4}at /m);
        }
    }
    // run exited before binding: the port is free
    await new Promise((resolve, reject) => {
        const s = net.createServer().once('error', reject).listen(port, '127.0.0.1', () => s.close(() => resolve()));
    });
    assert.equal(cli(['check', '--config', conf('good-user.conf', 'user = nobody\ngroup = nogroup', port)]).status, 0);
});
test('user = while not running as root: check and run exit 78, naming the line', async (t) => {
    if (!prerequisite(t, isRoot && haveCommand('setpriv'), 'needs root and setpriv (util-linux) to become nobody'))
        return;
    const port = await freePort();
    const file = conf('as-nobody.conf', 'user = nobody', port);
    const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];
    for (const cmd of ['check', 'run']) {
        const r = cli([cmd, '--config', file], asNobody);
        assert.equal(r.status, 78, `${cmd}: ${r.stderr}`);
        assert.match(r.stderr, /as-nobody\.conf:3: \[service\] user: user = nobody needs mrsocko to run as root \(it runs as uid 65534\)/);
    }
});
//# sourceMappingURL=check-accounts.test.js.map