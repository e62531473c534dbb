// `mrsocko knock`: the packet it sends verifies with the key (and the --open address is
// in it), --new-key, and usage errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { verifyPacket } from '../../src/access/knock/packet.js';
import { tempDir } from '../helpers/daemon.js';
async function run(args) {
    let out = '';
    let err = '';
    const code = await main(['knock', ...args], { env: {}, out: (t) => (out += t), err: (t) => (err += t) });
    return { code, out, err };
}
test('mrsocko knock sends one 80-byte packet that verifies with the key; --open is signed in it', async () => {
    const dir = tempDir();
    const keyFile = path.join(dir, 'k.key');
    assert.equal((await run(['--new-key', keyFile])).code, 0);
    const key = fs.readFileSync(keyFile);
    assert.equal(key.length, 32);
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
    const again = await run(['--new-key', keyFile]);
    assert.equal(again.code, 1);
    assert.match(again.err, /exists already; it is kept/);
    assert.deepEqual(fs.readFileSync(keyFile), key);
    for (const [host, family] of [['127.0.0.1', 'udp4'], ['::1', 'udp6']]) {
        const server = dgram.createSocket(family);
        await new Promise((resolve) => server.bind(0, host, resolve));
        const got = [];
        server.on('message', (m) => got.push(m));
        const port = server.address().port;
        const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
        const r = await run([target, '--key', keyFile, '--open', '::ffff:192.0.2.9']);
        assert.equal(r.code, 0, r.err);
        assert.match(r.out, /knock sent to .* \(opens ::ffff:192\.0\.2\.9\)/);
        await new Promise((resolve) => setTimeout(resolve, 100));
        server.close();
        assert.equal(got.length, 1);
        const v = verifyPacket(key, got[0], Date.now());
        assert.ok(v.ok);
        assert.equal(v.packet.open, '192.0.2.9');
    }
});
test('mrsocko knock: usage errors exit 2, a bad key file exits 1', async () => {
    const dir = tempDir();
    assert.equal((await run([])).code, 2);
    assert.equal((await run(['127.0.0.1:1'])).code, 2, '--key is needed');
    assert.equal((await run(['127.0.0.1:1', '--key', 'x', '--open', 'nope'])).code, 2);
    assert.equal((await run(['a', 'b', '--key', 'x'])).code, 2);
    assert.equal((await run(['--new-key', path.join(dir, 'n'), '127.0.0.1'])).code, 2);
    const short = path.join(dir, 'short.key');
    fs.writeFileSync(short, 'short');
    const r = await run(['127.0.0.1:9', '--key', short]);
    assert.equal(r.code, 1);
    assert.match(r.err, /holds 5 bytes; a key needs at least 16/);
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /--new-key FILE/);
});
//# sourceMappingURL=knock.test.js.map