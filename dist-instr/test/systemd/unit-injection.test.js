// Nothing a config holds can add, change or swallow a line of a unit gen-unit writes:
// control characters are config errors (file:line:key), values and comments are escaped
// for systemd, and gen-unit never opens a shared directory (/, /etc, /run, ...) whole.
// The texts are checked by systemd itself in test/e2e/trust-systemd.test.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { generateUnits, sandboxDropIn } from '../../src/systemd/units.js';
import { commentText } from '../../src/systemd/unit-quoting.js';
import { cliPath, repoRoot } from '../helpers/paths.js';
const INST = { node: '/usr/bin/node', script: '/usr/local/lib/mrsocko/dist/src/cli/main.js', version: '9.9.9' };
const SHIPPED = {
    service: fs.readFileSync(path.join(repoRoot, 'units/mrsocko@.service'), 'utf8'),
    socket: fs.readFileSync(path.join(repoRoot, 'units/mrsocko@.socket'), 'utf8'),
};
const FILE = '/etc/mrsocko/demo.conf';
const SOCKET = '[socket.web]\nlisten = 127.0.0.1:8080\nbackend = 127.0.0.1:18080\n';
let dir;
before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mrsocko-inject-')); });
after(() => { fs.rmSync(dir, { recursive: true, force: true }); });
function refused(text, where, detail) {
    assert.throws(() => parseConfig(text, FILE), (err) => {
        assert.ok(err instanceof ConfigError, String(err));
        assert.equal(err.location.line, where.line, err.message);
        if (where.key !== undefined)
            assert.equal(err.location.key, where.key, err.message);
        if (where.section !== undefined)
            assert.equal(err.location.section, where.section, err.message);
        assert.match(err.message, detail);
        assert.doesNotMatch(err.message, /[\u0000-\u001f\u007f-\u009f]/, 'the message itself carries no raw control character');
        return true;
    });
}
test('the attack: a carriage return in a unix listen = path is a config error (it became an ExecStartPre= line)', () => {
    const text = `[service]\nunit = app.service\n[socket.web]\nlisten = /run/app.sock\rExecStartPre=/bin/sh -c "id > /pwned"\nbackend = 127.0.0.1:1\n`;
    refused(text, { line: 4, section: 'socket.web', key: 'listen' }, /demo\.conf:4: \[socket\.web\] listen: contains a carriage return \(U\+000D\)/);
    const cli = spawnSync(process.execPath, [cliPath, 'check', '--config', write('cr.conf', text)], { encoding: 'utf8' });
    assert.equal(cli.status, 78, 'check passed it before');
});
test('every control character, in every kind of value, key and section name: C0, DEL and C1', () => {
    for (const [c, name] of [['\n', 'line feed'], ['\r', 'carriage return'], ['\t', 'tab'], ['\x1b', 'escape'], ['\x7f', 'DEL'],
        ['\x85', 'control character \\(U\\+0085'], ['\x9b', 'control character \\(U\\+009B'], ['\x01', 'control character \\(U\\+0001'], ['\0', 'NUL']]) {
        const detail = new RegExp(`contains an? ${name}`);
        if (c !== '\n') {
            refused(`[service]\nunit = app${c}x.service\n${SOCKET}`, { line: 2, key: 'unit' }, detail);
            refused(`[service]\nexec = /bin/echo a${c}b\n${SOCKET}`, { line: 2, key: 'exec' }, detail); // argv, read raw
            refused(`[service]\nexec = /bin/true\nstop = "/bin/echo" "${c}"\n${SOCKET}`, { line: 3, key: 'stop' }, detail);
            refused(`[service]\nexec = /bin/true\ndirectory = /srv/a${c}b\n${SOCKET}`, { line: 3, key: 'directory' }, detail);
            refused(`[service]\nunit = app.service\n${SOCKET}[access]\nallow = ::1,${c}127.0.0.1\n`, { line: 7, key: 'allow' }, detail);
            refused(`[service]\nunit = app.service\n${SOCKET}[log]\nfile = /var/log/a${c}.log\n`, { line: 7, key: 'file' }, detail);
            refused(`[service]\nunit = app.service\nst${c}op = x\n${SOCKET}`, { line: 3, section: 'service' }, /the key name contains/);
            refused(`[serv${c}ice]\nunit = app.service\n${SOCKET}`, { line: 1 }, /the section name contains/);
        }
    }
    // Blanks around a value, and escapes in a command line, are not control characters in the file.
    const ok = parseConfig(`[service]\t\nexec =\t/bin/printf "a\\nb"\t; comment\n${SOCKET}`, FILE);
    assert.deepEqual(ok.service.mode === 'exec' && ok.service.exec, ['/bin/printf', 'a\nb']);
});
test('the attack: a line feed in the config file\'s path (gen-unit wrote it into the header)', () => {
    const sub = path.join(dir, 'x\nExecStartPre=touch pwned\n#');
    fs.mkdirSync(sub);
    const file = path.join(sub, 'demo.conf');
    fs.writeFileSync(file, `[service]\nunit = app.service\n${SOCKET}`);
    const r = spawnSync(process.execPath, [cliPath, 'gen-unit', 'demo', '--config', file, '--stdout'], { encoding: 'utf8' });
    assert.equal(r.status, 78, r.stdout);
    assert.match(r.stderr, /the config's path contains a line feed \(U\+000A\)/);
    assert.doesNotMatch(r.stdout, /^ExecStartPre=/m);
    // And the header is escaped anyway, for any caller of the generator.
    const config = { ...parseConfig(`[service]\nunit = app.service\n${SOCKET}`, file), file };
    for (const f of generateUnits(config, 'demo', INST, SHIPPED, () => true)) {
        assert.doesNotMatch(f.text, /^ExecStartPre=/m, f.path);
        assert.doesNotMatch(f.text, /\r/, f.path);
    }
});
test('comments: control characters escaped, never a final backslash', () => {
    assert.equal(commentText('to /run/x\r\nY=1'), 'to /run/x\\r\\nY=1');
    assert.equal(commentText('to /run/x\\'), 'to /run/x\\x5c');
    const files = generateUnits(parseConfig(`[service]\nunit = app.service\n[socket.web]\nlisten = 8080\nbackend = /run/app/odd\\\n`, FILE), 'demo', INST, SHIPPED, () => true);
    const listen = files.find((f) => f.path.endsWith('50-listen.conf'))?.text ?? '';
    assert.match(listen, /^# \[socket\.web\] tcp, to \/run\/app\/odd\\x5c$/m);
    assert.match(listen, /^ListenStream=8080$/m);
    // ListenStream= cannot be quoted: a path ending in a backslash is refused, naming the key
    assert.throws(() => generateUnits(parseConfig(`[service]\nunit = app.service\n[socket.web]\nlisten = /run/a\\\nbackend = 127.0.0.1:1\n`, FILE), 'demo', INST, SHIPPED, () => true), /demo\.conf:4: \[socket\.web\] listen: .*ends with a backslash/);
});
test('values: %, spaces, quotes and backslashes are escaped as systemd reads them', () => {
    const { text } = sandboxDropIn(parseConfig(`[service]\nexec = /bin/true\ndirectory = /srv/a b%i"c'd\\e\n${SOCKET}`, FILE), 'demo', INST, () => true);
    assert.match(text, /^ReadWritePaths=-"\/srv\/a b%%i\\"c\\'d\\\\e"$/m);
});
test('ReadWritePaths= never opens a shared directory whole: refused, naming the key', () => {
    const cases = [
        ['[service]\nexec = /bin/true\ndirectory = /\n', 3, 'directory', 'all of /'],
        ['[service]\nexec = /bin/true\ndirectory = /etc/.\n', 3, 'directory', 'all of /etc'],
        ['[service]\nexec = /bin/true\ndirectory = //usr/\n', 3, 'directory', 'all of /usr'],
        ['[service]\nexec = /bin/true\ndirectory = /home\n', 3, 'directory', 'all of /home'],
        ['[service]\nexec = /bin/true\ndirectory = /var/./\n', 3, 'directory', 'all of /var'],
        ['[service]\nexec = /bin/true\npidfile = /run/foo.pid\n', 3, 'pidfile', 'all of /run'],
        ['[service]\nunit = app.service\n[log]\nfile = /etc/mrsocko.log\n', 4, 'file', 'all of /etc'],
    ];
    for (const [head, line, key, what] of cases) {
        const text = head.includes('[log]') ? `${head.replace('[log]', `${SOCKET}[log]`)}` : `${head}${SOCKET}`;
        const lineNo = head.includes('[log]') ? line + 3 : line;
        assert.throws(() => sandboxDropIn(parseConfig(text, FILE), 'demo', INST, () => true), (err) => {
            assert.ok(err instanceof ConfigError, String(err));
            assert.equal(err.location.line, lineNo, err.message);
            assert.equal(err.location.key, key);
            assert.ok(err.message.includes(what), err.message);
            return true;
        }, head);
    }
    // through a symlink, as systemd would follow it
    const link = path.join(dir, 'to-root');
    fs.symlinkSync('/', link);
    assert.throws(() => sandboxDropIn(parseConfig(`[service]\nexec = /bin/true\ndirectory = ${link}\n${SOCKET}`, FILE), 'demo', INST, () => true, (p) => fs.realpathSync(p)), /all of \/ \(where .*to-root leads\)/);
    // below them is fine
    const { text } = sandboxDropIn(parseConfig(`[service]\nexec = /bin/true\npidfile = /run/foo/foo.pid\n${SOCKET}`, FILE), 'demo', INST, () => true);
    assert.match(text, /^ReadWritePaths=-\/run\/foo$/m);
    const r = spawnSync(process.execPath, [cliPath, 'gen-unit', 'demo', '--config', write('root-dir.conf', `[service]\nexec = /bin/true\ndirectory = /\n${SOCKET}`), '--stdout'], { encoding: 'utf8' });
    assert.equal(r.status, 78);
    assert.match(r.stderr, /root-dir\.conf:3: \[service\] directory: gen-unit would make all of \/ writable/);
});
function write(name, text) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
}
//# sourceMappingURL=unit-injection.test.js.map