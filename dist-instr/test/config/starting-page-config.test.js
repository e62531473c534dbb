// `[socket.X] starting_page` and `starting_page_after`: what loads, what is refused (with
// file:line:key), what `mrsocko check` prints, and the trust rules for a custom page as root.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { describeConfig } from '../../src/config/describe.js';
import { parseConfig } from '../../src/config/load.js';
import { isRoot, prerequisite } from '../helpers/require.js';
const FILE = 'test.conf';
let dir;
before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mrsocko-page-')); });
after(() => { fs.rmSync(dir, { recursive: true, force: true }); });
const config = (socket, protocol = 'tcp') => `[service]\nunit = app\n[socket.web]\nlisten = 8080\nprotocol = ${protocol}\nbackend = 127.0.0.1:18080\n${socket}`;
function fails(text, line, key, detail, asRoot = false) {
    assert.throws(() => parseConfig(text, FILE, { asRoot }), (err) => {
        assert.ok(err instanceof ConfigError, `not a ConfigError: ${String(err)}`);
        assert.deepEqual(err.location, { file: FILE, line, section: 'socket.web', key }, err.message);
        assert.match(err.detail, detail);
        return true;
    });
}
test('starting_page: no by default, yes = the built-in page after 1s, a file read at load', () => {
    assert.equal(parseConfig(config(''), FILE).sockets[0]?.startingPage, undefined);
    assert.equal(parseConfig(config('starting_page = no\n'), FILE).sockets[0]?.startingPage, undefined);
    assert.deepEqual(parseConfig(config('starting_page = yes\n'), FILE).sockets[0]?.startingPage, { afterMs: 1000 });
    const page = path.join(dir, 'page.html');
    fs.writeFileSync(page, '<h1>{{name}} wakes up ({{elapsed}})</h1>');
    assert.deepEqual(parseConfig(config(`starting_page = ${page}\nstarting_page_after = 0\n`), FILE).sockets[0]?.startingPage, { file: page, template: '<h1>{{name}} wakes up ({{elapsed}})</h1>', afterMs: 0 });
});
test('mrsocko check prints both keys, and its output loads to the same settings', () => {
    const page = path.join(dir, 'check.html');
    fs.writeFileSync(page, 'starting');
    for (const [socket, expected] of [
        ['', /^starting_page = no +; browsers wait like every other client$/m],
        ['starting_page = yes\n', /^starting_page = yes .*\nstarting_page_after = 1s$/m],
        [`starting_page = ${page}\nstarting_page_after = 2.5s\n`, new RegExp(`^starting_page = ${page} .*\\nstarting_page_after = 2s 500ms$`, 'm')],
    ]) {
        const c = parseConfig(config(socket), FILE);
        const text = describeConfig(c);
        assert.match(text, expected);
        const withoutLines = (x) => ({ ...x, sockets: x.sockets.map((s) => ({ ...s, line: 0 })) });
        assert.deepEqual(withoutLines(parseConfig(text, FILE)), withoutLines(c), text);
    }
    assert.doesNotMatch(describeConfig(parseConfig(config('', 'udp'), FILE)), /starting_page/);
});
test('refused with file:line:key: a relative path, a missing, oversized or non-UTF-8 file, udp, after without a page', () => {
    fails(config('starting_page = page.html\n'), 7, 'starting_page', /neither yes, no nor an absolute path/);
    fails(config('starting_page = /nonexistent/page.html\n'), 7, 'starting_page', /cannot read \/nonexistent\/page\.html: no such file/);
    fails(config(`starting_page = ${dir}\n`), 7, 'starting_page', /is not a regular file/);
    const big = path.join(dir, 'big.html');
    fs.writeFileSync(big, 'x'.repeat(64 * 1024 + 1));
    fails(config(`starting_page = ${big}\n`), 7, 'starting_page', /larger than 64 KiB/);
    fs.writeFileSync(big, 'x'.repeat(64 * 1024));
    assert.equal(parseConfig(config(`starting_page = ${big}\n`), FILE).sockets[0]?.startingPage?.template?.length, 64 * 1024);
    const latin1 = path.join(dir, 'latin1.html');
    fs.writeFileSync(latin1, Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    fails(config(`starting_page = ${latin1}\n`), 7, 'starting_page', /not UTF-8 text/);
    fails(config('starting_page = yes\n', 'udp'), 7, 'starting_page', /only applies to protocol = tcp/);
    fails(config('starting_page_after = 2s\n'), 7, 'starting_page_after', /only applies with starting_page = yes or FILE/);
    fails(config('starting_page = yes\nstarting_page_after = soon\n'), 8, 'starting_page_after', /soon/);
    fails(config('starting_page =\n'), 7, 'starting_page', /empty value/);
});
test('the attack: as root, a page another user can change is refused (it is served to every browser)', (t) => {
    if (!prerequisite(t, isRoot, 'needs root (a file of nobody; the check applies only to root)'))
        return;
    const page = path.join(dir, 'nobody.html');
    fs.writeFileSync(page, '<script>steal()</script>');
    fs.chownSync(page, 65534, 65534);
    fails(config(`starting_page = ${page}\n`), 7, 'starting_page', /not trusted as a starting page: it is owned by uid 65534, not root/, true);
    fs.chownSync(page, 0, 0);
    fs.chmodSync(page, 0o666);
    fails(config(`starting_page = ${page}\n`), 7, 'starting_page', /can be written by group or others/, true);
    fs.chmodSync(page, 0o644);
    assert.equal(parseConfig(config(`starting_page = ${page}\n`), FILE, { asRoot: true }).sockets[0]?.startingPage?.file, page);
    // not as root, a user's own page is that user's business
    fs.chownSync(page, 65534, 65534);
    assert.equal(parseConfig(config(`starting_page = ${page}\n`), FILE, { asRoot: false }).sockets[0]?.startingPage?.file, page);
});
//# sourceMappingURL=starting-page-config.test.js.map