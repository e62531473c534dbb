// The unit texts gen-unit writes (src/systemd/units.ts): Listen lines, the sandbox drop-in
// per backend mode, the templates, and telling gen-unit's output from hand edits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { classifyExisting, generateUnits, instanceNameProblem, listenDropIn, NODE_FLAGS, sandboxDropIn, serviceTemplate, socketTemplate, } from '../../src/systemd/units.js';
import { commandWord, unitWord } from '../../src/systemd/unit-quoting.js';
import { cliPath, repoRoot } from '../helpers/paths.js';
const INST = { node: '/usr/bin/node', script: '/usr/local/lib/mrsocko/dist/src/cli/main.js', version: '9.9.9' };
const SHIPPED = {
    service: readFileSync(path.join(repoRoot, 'units/mrsocko@.service'), 'utf8'),
    socket: readFileSync(path.join(repoRoot, 'units/mrsocko@.socket'), 'utf8'),
};
const config = (text) => parseConfig(text, '/etc/mrsocko/demo.conf');
const settings = (text) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
const UNIT_CONF = `[service]
unit = demo-backend.service
[socket.web]
listen = 8096
backend = 127.0.0.1:18096
`;
test('listen drop-in: one ListenStream= and FileDescriptorName= for a single section', () => {
    assert.deepEqual(settings(listenDropIn(config(UNIT_CONF), 'demo', INST)), [
        '[Socket]',
        'ListenStream=8096',
        'FileDescriptorName=web',
    ]);
});
test('listen drop-in: several sections, udp as ListenDatagram=, no FileDescriptorName=, % escaped', () => {
    const text = listenDropIn(config(`[service]
unit = x.service
[socket.web]
listen = 127.0.0.1:8080
backend = 127.0.0.1:18080
[socket.disco]
listen = [::1]:7359
protocol = udp
backend = 127.0.0.1:17359
[socket.local]
listen = /run/x%i.sock
backend = /run/x-backend.sock
`), 'demo', INST);
    assert.deepEqual(settings(text), [
        '[Socket]',
        'ListenStream=127.0.0.1:8080',
        'ListenDatagram=[::1]:7359',
        'ListenStream=/run/x%%i.sock',
    ]);
    assert.match(text, /No FileDescriptorName=: it would name every socket of this unit alike/);
});
test('sandbox drop-in, unit mode: no capability, no privileged system call; what the unit watch needs', () => {
    const { text, notes } = sandboxDropIn(config(UNIT_CONF), 'demo', INST, () => true);
    assert.deepEqual(settings(text), [
        '[Service]', 'CapabilityBoundingSet=', 'SystemCallFilter=~@privileged',
        'ProtectControlGroups=no', 'ProtectProc=default', 'ProtectKernelTunables=no',
    ]);
    assert.deepEqual(notes, []);
});
test('sandbox drop-in: only exec mode opens its own cgroup subtree (Delegate=yes), never all of /sys/fs/cgroup', () => {
    const exec = settings(sandboxDropIn(config('[service]\nexec = /bin/true\n[socket.web]\nlisten = 80\nbackend = 127.0.0.1:8080\n'), 'demo', INST, () => true).text);
    assert.ok(exec.includes('Delegate=yes'), exec.join('\n'));
    assert.ok(!exec.includes('ProtectControlGroups=no'), 'the rest of the cgroup tree stays read-only');
    const unit = settings(sandboxDropIn(config(UNIT_CONF), 'demo', INST, () => true).text);
    assert.ok(!unit.includes('Delegate=yes'));
});
test('sandbox drop-in, unit mode: a backend socket in the host /tmp turns PrivateTmp= off', () => {
    const { text } = sandboxDropIn(config('[service]\nunit = x.service\n[socket.web]\nlisten = 80\nbackend = /tmp/x/backend.sock\n'), 'demo', INST, () => true);
    assert.ok(settings(text).includes('PrivateTmp=no'), text);
});
test('sandbox drop-in, exec mode: the paths the backend and the log file write to', () => {
    const { text, notes } = sandboxDropIn(config(`[service]
exec = /usr/bin/java -jar server.jar
user = minecraft
directory = /srv/mine craft
pidfile = /run/mc/mc.pid
[socket.web]
listen = 25565
backend = /tmp/mc.sock
[log]
file = /var/log/minecraft-proxy/mc.log
`), 'demo', INST, (p) => p !== '/run/mc');
    assert.deepEqual(settings(text), [
        '[Service]',
        'Delegate=yes',
        'ReadWritePaths=-/sys/fs/cgroup/system.slice/system-mrsocko.slice/%n -/sys/fs/cgroup/unified/system.slice/system-mrsocko.slice/%n -/sys/fs/cgroup/freezer',
        'ReadWritePaths=-"/srv/mine craft" -/run/mc',
        'LogsDirectory=minecraft-proxy',
    ]);
    assert.match(text, /It runs as minecraft/);
    assert.deepEqual(notes, ['pidfile: /run/mc does not exist (yet); the sandbox makes it writable once it does']);
});
test('sandbox drop-in, exec mode: a home directory becomes read-only instead of hidden; /var/log/mrsocko needs nothing', () => {
    const { text } = sandboxDropIn(config('[service]\nexec = /bin/true\ndirectory = /home/ann/srv\n[socket.web]\nlisten = 80\nbackend = 127.0.0.1:8080\n[log]\nfile = /var/log/mrsocko/demo.log\n'), 'demo', INST, () => true);
    assert.deepEqual(settings(text), [
        '[Service]',
        'Delegate=yes',
        'ReadWritePaths=-/sys/fs/cgroup/system.slice/system-mrsocko.slice/%n -/sys/fs/cgroup/unified/system.slice/system-mrsocko.slice/%n -/sys/fs/cgroup/freezer',
        'ReadWritePaths=-/home/ann/srv',
        'ProtectHome=read-only',
    ]);
});
test('service template: ExecStart= runs this installation; without the addon Type=simple, never NotifyAccess=all', () => {
    const { text } = serviceTemplate(SHIPPED.service, INST);
    const lines = settings(text);
    assert.deepEqual(lines.filter((l) => l.startsWith('ExecStart=')), [
        'ExecStart=/usr/bin/node --single-threaded /usr/local/lib/mrsocko/dist/src/cli/main.js run --instance %i',
    ]);
    assert.ok(lines.includes('NotifyAccess=main'));
    assert.ok(lines.includes('RestartPreventExitStatus=78'));
    assert.ok(lines.includes('Type=notify'));
    assert.ok(lines.some((l) => l.startsWith('WatchdogSec=')));
    const noAddon = serviceTemplate(SHIPPED.service, { ...INST, notifyAddonProblem: 'Cannot find module' });
    // Was NotifyAccess=all: then an exec backend, in the same cgroup, could speak for the service.
    const noAddonSettings = settings(noAddon.text);
    assert.ok(!noAddonSettings.includes('NotifyAccess=all'));
    assert.ok(noAddonSettings.includes('NotifyAccess=none'));
    assert.ok(noAddonSettings.includes('Type=simple'));
    assert.ok(noAddonSettings.includes('WatchdogSec=0'));
    assert.equal(noAddon.notes.length, 1);
    assert.match(noAddon.notes[0] ?? '', /Type=simple.*no READY=1, STATUS= line or watchdog.*libsystemd-dev/);
    const inHome = serviceTemplate(SHIPPED.service, { ...INST, node: '/root/.nvm/versions/node/v20/bin/node' });
    assert.ok(settings(inHome.text).includes('ProtectHome=read-only'));
});
test('the `mrsocko` command runs Node.js with the flags ExecStart= gives it', () => {
    // the shipped template's ExecStart= runs the command, the generated one runs node itself
    assert.ok(SHIPPED.service.includes('\nExecStart=/usr/local/bin/mrsocko run --instance %i\n'));
    const shebang = readFileSync(cliPath, 'utf8').split('\n')[0];
    assert.equal(shebang, `#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`);
});
test('command words: quoted when needed, % and $ escaped', () => {
    assert.equal(commandWord('/opt/my node/bin/node'), '"/opt/my node/bin/node"');
    assert.equal(commandWord('/opt/a%b$c'), '"/opt/a%%b$$c"');
    assert.equal(unitWord('/srv/a%b$c'), '"/srv/a%%b$c"');
    assert.equal(unitWord('/srv/plain'), '/srv/plain');
});
test('instance names: what systemd takes unescaped', () => {
    assert.equal(instanceNameProblem('jellyfin'), undefined);
    assert.equal(instanceNameProblem('a.b_c-d:1'), undefined);
    assert.match(instanceNameProblem('my app') ?? '', /cannot be a systemd instance name/);
    assert.match(instanceNameProblem('x'.repeat(300)) ?? '', /too long/);
});
test('checksum header: same, unchanged output, edited, foreign', () => {
    const files = generateUnits(config(UNIT_CONF), 'demo', INST, SHIPPED, () => true);
    assert.deepEqual(files.map((f) => [f.path, f.kind]), [
        ['mrsocko@.service', 'template'],
        ['mrsocko@.socket', 'template'],
        ['mrsocko@demo.socket.d/50-listen.conf', 'instance'],
        ['mrsocko@demo.service.d/50-sandbox.conf', 'instance'],
    ]);
    for (const f of files) {
        assert.equal(classifyExisting(f.text, f.text), 'same', f.path);
        assert.equal(classifyExisting(f.text, `${f.text}# new\n`), 'generated', f.path);
        assert.equal(classifyExisting(f.text.replace('\n[', '\n# edited\n['), f.text), 'edited', f.path);
    }
    const older = listenDropIn(config(UNIT_CONF.replace('8096', '8097')), 'demo', INST);
    const now = listenDropIn(config(UNIT_CONF), 'demo', INST);
    assert.equal(classifyExisting(older, now), 'generated');
    assert.equal(classifyExisting('[Socket]\nListenStream=8096\n', now), 'foreign');
    assert.equal(classifyExisting(SHIPPED.socket, socketTemplate(SHIPPED.socket, INST)), 'foreign');
});
//# sourceMappingURL=units.test.js.map