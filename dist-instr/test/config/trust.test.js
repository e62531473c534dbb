// What root refuses to trust (src/config/trust.ts): configs another user could change,
// log directories and gen-unit output directories another user could write. Each attack
// is reproduced for real, as root, with files and directories of `nobody`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { loadConfig } from '../../src/config/load.js';
import { untrustedDirectoryReason, untrustedFileReason } from '../../src/config/trust.js';
import { createLogger } from '../../src/log/logger.js';
import { PassThrough } from 'node:stream';
import { cliPath } from '../helpers/paths.js';
import { isRoot, prerequisite } from '../helpers/require.js';
const NOBODY = 65534;
let dir;
before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mrsocko-trust-')); });
after(() => { fs.rmSync(dir, { recursive: true, force: true }); });
const cli = (args) => spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 20_000 });
/** A directory with this owner and mode (chmod after mkdir: the umask does not apply). */
function mkdir(p, mode, uid = 0) {
    fs.mkdirSync(p, { recursive: true });
    fs.chmodSync(p, mode);
    fs.chownSync(p, uid, uid);
    return p;
}
function write(p, text, mode = 0o644, uid = 0) {
    fs.writeFileSync(p, text);
    fs.chmodSync(p, mode);
    fs.chownSync(p, uid, uid);
    return p;
}
const marker = () => path.join(dir, 'pwned');
const evilConfig = () => `[service]
exec = /bin/sh -c "id > ${marker()}; exec sleep 60"
stop = /bin/sh -c "id > ${marker()}"
[socket.web]
listen = 127.0.0.1:18551
backend = 127.0.0.1:1
`;
test('the attack: a config of nobody, mode 0666, in a 0777 directory is refused by check, run and gen-unit', (t) => {
    if (!prerequisite(t, isRoot, 'needs root (files of nobody, and the check applies only to root)'))
        return;
    const shared = mkdir(path.join(dir, 'shared'), 0o777, NOBODY);
    const file = write(path.join(shared, 'evil.conf'), evilConfig(), 0o666, NOBODY);
    for (const args of [['check', '--config', file], ['run', '--config', file], ['gen-unit', 'evil', '--config', file, '--stdout']]) {
        const r = cli(args);
        assert.equal(r.status, 78, `${args[0]}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, new RegExp(`${file.replaceAll('/', '\\/')}: not trusted as the config: the directory ${shared} is owned by uid ${NOBODY}, not root`), args[0]);
        assert.doesNotMatch(r.stderr, /^ {4}at /m);
    }
    assert.equal(fs.existsSync(marker()), false, 'no command of the config ran');
    // Every reason on its own, each refused:
    const rootDir = mkdir(path.join(dir, 'rootdir'), 0o755);
    assert.match(untrustedFileReason(write(path.join(rootDir, 'a.conf'), 'x', 0o644, NOBODY)) ?? '', /is owned by uid 65534, not root/);
    assert.match(untrustedFileReason(write(path.join(rootDir, 'b.conf'), 'x', 0o664)) ?? '', /\(mode 0664\) can be written by group or others/);
    assert.match(untrustedFileReason(write(path.join(rootDir, 'c.conf'), 'x', 0o646)) ?? '', /can be written by group or others/);
    const open = mkdir(path.join(dir, 'open'), 0o777);
    assert.match(untrustedFileReason(write(path.join(open, 'd.conf'), 'x')) ?? '', /the directory .*open \(mode 0777\) can be written by group or others, without the sticky bit/);
    const nested = mkdir(path.join(open, 'deeper'), 0o755);
    assert.match(untrustedFileReason(write(path.join(nested, 'e.conf'), 'x')) ?? '', /open \(mode 0777\)/, 'any ancestor counts');
});
test('root-owned files in /etc and in /tmp (sticky) pass; so do root symlinks; nobody\'s symlinks do not', (t) => {
    if (!prerequisite(t, isRoot, 'needs root'))
        return;
    assert.equal(untrustedFileReason('/etc/passwd'), undefined);
    const inTmp = write(path.join(os.tmpdir(), `mrsocko-trust-${process.pid}.conf`), 'x');
    try {
        assert.equal(fs.statSync(os.tmpdir()).mode & 0o1777, 0o1777, 'the test assumes a sticky, world-writable /tmp');
        assert.equal(untrustedFileReason(inTmp), undefined);
        // a mkdtemp directory (0700 root) under /tmp, as the tests use
        const good = write(path.join(dir, 'good.conf'), evilConfig().replace('exec = ', 'exec = /bin/true ; '));
        assert.equal(untrustedFileReason(good), undefined);
        assert.equal(loadConfig(good, { asRoot: true }).file, good);
        // symlinks: a root one to a root file is followed; one of nobody's is refused, wherever it points
        const rootLink = path.join(dir, 'root-link.conf');
        fs.symlinkSync(good, rootLink);
        assert.equal(untrustedFileReason(rootLink), undefined);
        const sticky = mkdir(path.join(dir, 'sticky'), 0o1777);
        const nobodyLink = path.join(sticky, 'nobody-link.conf');
        fs.symlinkSync(good, nobodyLink);
        fs.lchownSync(nobodyLink, NOBODY, NOBODY);
        assert.match(untrustedFileReason(nobodyLink) ?? '', /nobody-link.conf is a symlink owned by uid 65534, not root/);
        // a root symlink into a directory others can write: the resolved path is judged
        const open = mkdir(path.join(dir, 'open2'), 0o777);
        const target = write(path.join(open, 'x.conf'), 'x');
        const viaLink = path.join(dir, 'via-link.conf');
        fs.symlinkSync(target, viaLink);
        assert.match(untrustedFileReason(viaLink) ?? '', /open2 \(mode 0777\)/);
        const relative = path.join(dir, 'relative-link.conf');
        fs.symlinkSync('open2/../open2/x.conf', relative);
        assert.match(untrustedFileReason(relative) ?? '', /open2 \(mode 0777\)/);
        // not root: a user's own files are that user's business
        assert.doesNotThrow(() => loadConfig(write(path.join(open, 'mine.conf'), evilConfig()), { asRoot: false }));
    }
    finally {
        fs.rmSync(inTmp, { force: true });
    }
});
// ---- [log] file ----
const logConfig = (logFile, extra = '') => `[service]
exec = /bin/true
[socket.web]
listen = 127.0.0.1:18551
backend = 127.0.0.1:1
[log]
file = ${logFile}
${extra}`;
/** What file-stream-rotator (under winston-daily-rotate-file) names today's file and hashes in its audit file. */
function datedName(logFile) {
    const now = new Date();
    const date = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
    return logFile.replace(/\.log$/, `-${date}.log`);
}
async function logOnce(logFile, extra = {}) {
    const stream = new PassThrough();
    let out = '';
    stream.on('data', (c) => (out += c.toString()));
    const logger = createLogger({}, { stream, journal: true });
    await logger.configure({ level: 'info', file: logFile, ...extra });
    logger.info('a line root wrote');
    await new Promise((r) => setTimeout(r, 300));
    await logger.close();
    return out;
}
test('the attack on [log] file: a symlink of a lesser user in the log directory; refused at check, never followed', async (t) => {
    if (!prerequisite(t, isRoot, 'needs root'))
        return;
    const victim = write(path.join(dir, 'root-only.txt'), 'root secret\n', 0o600);
    const logs = mkdir(path.join(dir, 'logs-open'), 0o777, NOBODY);
    const logFile = path.join(logs, 'app.log');
    const planted = datedName(logFile);
    fs.symlinkSync(victim, planted);
    fs.lchownSync(planted, NOBODY, NOBODY);
    const conf = write(path.join(dir, 'log-open.conf'), logConfig(logFile));
    for (const cmd of ['check', 'run']) {
        const r = cli([cmd, '--config', conf]);
        assert.equal(r.status, 78, `${cmd}: ${r.stderr}`);
        assert.match(r.stderr, /log-open\.conf:7: \[log\] file: .*logs-open is owned by uid 65534, not root; mrsocko writes and deletes log files there as root/);
    }
    // The logger itself (a directory changed after the check, SIGHUP): it does not open it either.
    const out = await logOnce(logFile);
    assert.match(out, /\[log\] file .*app\.log: cannot write it: .*not trusted/);
    assert.equal(fs.readFileSync(victim, 'utf8'), 'root secret\n', 'before the fix root appended its log to the victim');
    // Sticky directories are refused too: others can still plant names there.
    const sticky = mkdir(path.join(dir, 'logs-sticky'), 0o1777);
    assert.match(untrustedDirectoryReason(sticky) ?? '', /\(mode 1777\) can be written by group or others \(the sticky bit does not stop them/);
    assert.match(untrustedDirectoryReason(path.join(sticky, 'new/sub')) ?? '', /logs-sticky, where .* would be created,/);
    assert.equal(untrustedDirectoryReason(mkdir(path.join(dir, 'logs-root'), 0o755)), undefined);
});
test('the attack on [log] file: a forged rotation audit file naming a root file to delete', async (t) => {
    if (!prerequisite(t, isRoot, 'needs root'))
        return;
    const victim = write(path.join(dir, 'precious.txt'), 'keep me\n', 0o600);
    const logs = mkdir(path.join(dir, 'logs-forged'), 0o777);
    const logFile = path.join(logs, 'app.log');
    // What file-stream-rotator trusts: its own audit format, with a hash anyone can compute.
    const date = Date.now() - 86_400_000 * 30;
    const hash = createHash('sha256').update(`${victim}LOG_FILE${date}`).digest('hex');
    write(`${logFile}.audit.json`, JSON.stringify({
        keep: { days: false, amount: 1 }, auditLog: `${logFile}.audit.json`, hashType: 'sha256',
        files: [{ date, name: victim, hash }, { date: date + 1, name: path.join(logs, 'other.log'), hash: 'x' }],
    }), 0o666, NOBODY);
    const conf = write(path.join(dir, 'log-forged.conf'), logConfig(logFile, 'max_files = 1\n'));
    const r = cli(['check', '--config', conf]);
    assert.equal(r.status, 78, r.stderr);
    assert.match(r.stderr, /\[log\] file: .*logs-forged \(mode 0777\) can be written by group or others/);
    await logOnce(logFile, { maxFiles: '1' });
    assert.equal(fs.existsSync(victim), true, 'before the fix the rotation deleted the file the forged audit named');
});
test('[log] file in a directory of root\'s: written, and a symlink at the dated name is not followed (O_NOFOLLOW)', async (t) => {
    if (!prerequisite(t, isRoot, 'needs root'))
        return;
    const logs = mkdir(path.join(dir, 'logs-good'), 0o755);
    const logFile = path.join(logs, 'app.log');
    const conf = write(path.join(dir, 'log-good.conf'), logConfig(logFile));
    assert.equal(cli(['check', '--config', conf]).status, 0);
    await logOnce(logFile);
    assert.match(fs.readFileSync(datedName(logFile), 'utf8'), /a line root wrote/);
    const logs2 = mkdir(path.join(dir, 'logs-link'), 0o755);
    const victim = write(path.join(dir, 'linked-victim.txt'), 'untouched\n', 0o600);
    fs.symlinkSync(victim, datedName(path.join(logs2, 'app.log')));
    const out = await logOnce(path.join(logs2, 'app.log'));
    assert.match(out, /cannot write it: ELOOP/);
    assert.equal(fs.readFileSync(victim, 'utf8'), 'untouched\n');
});
// ---- gen-unit --output ----
const unitConfig = `[service]
unit = app.service
[socket.web]
listen = 127.0.0.1:18555
backend = 127.0.0.1:18556
`;
test('the attack on gen-unit --output: symlinks at the temp names root would use, in a directory of another user', (t) => {
    if (!prerequisite(t, isRoot, 'needs root'))
        return;
    const conf = write(path.join(dir, 'gen.conf'), unitConfig);
    const victim = write(path.join(dir, 'gen-victim.txt'), 'root only\n', 0o600);
    const out = mkdir(path.join(dir, 'out-open'), 0o777, NOBODY);
    // The old name was .FILE.PID.tmp: plant one for each of the next pids.
    const last = Number(fs.readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8'));
    for (let pid = last + 1; pid <= last + 200; pid++) {
        const link = path.join(out, `.mrsocko@.service.${pid}.tmp`);
        fs.symlinkSync(victim, link);
        fs.lchownSync(link, NOBODY, NOBODY);
    }
    const r = cli(['gen-unit', 'gen', '--config', conf, '--output', out]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /refusing to write .*out-open\/mrsocko@\.service: .*out-open is owned by uid 65534, not root/);
    assert.equal(fs.readFileSync(victim, 'utf8'), 'root only\n', 'before the fix root wrote the unit into the victim');
    assert.equal(fs.existsSync(path.join(out, 'mrsocko@.service')), false, 'nothing written');
    // Sticky, or a missing directory to create under an open one: refused as well.
    const sticky = mkdir(path.join(dir, 'out-sticky'), 0o1777);
    assert.equal(cli(['gen-unit', 'gen', '--config', conf, '--output', sticky]).status, 1);
    const under = cli(['gen-unit', 'gen', '--config', conf, '--output', path.join(out, 'new')]);
    assert.equal(under.status, 1);
    assert.match(under.stderr, /out-open.* is owned by uid 65534, not root/);
    // A directory of root's: written, with no temporary file left behind.
    const good = mkdir(path.join(dir, 'out-root'), 0o755);
    const ok = cli(['gen-unit', 'gen', '--config', conf, '--output', good]);
    assert.equal(ok.status, 0, ok.stderr);
    const written = fs.readdirSync(good, { recursive: true }).map(String).sort();
    assert.deepEqual(written.filter((f) => f.endsWith('.tmp')), []);
    assert.ok(written.includes('mrsocko@gen.socket.d/50-listen.conf'), written.join(' '));
});
//# sourceMappingURL=trust.test.js.map