import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readKeyFile, writeNewKey, KeyFileError } from '../../../src/access/knock/key.js';
import { tempDir } from '../../helpers/daemon.js';
import { isRoot, prerequisite } from '../../helpers/require.js';
const key = (dir, content, mode = 0o600) => {
    const file = path.join(dir, 'k.key');
    fs.writeFileSync(file, content, { mode });
    fs.chmodSync(file, mode);
    return file;
};
const refuses = (file, trusted, pattern) => {
    assert.throws(() => readKeyFile(file, trusted), (err) => err instanceof KeyFileError && pattern.test(err.message));
};
test('a key is the whole content, any bytes, at least 16; not a symlink, not a directory', () => {
    const dir = tempDir();
    const bytes = Buffer.from([0, 1, 2, 255, 10, 13, 0, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    assert.deepEqual(readKeyFile(key(dir, bytes), false), bytes, 'newlines and NULs included');
    refuses(key(dir, '0123456789abcde'), false, /15 bytes; a key needs at least 16/);
    refuses(path.join(dir, 'missing'), false, /no such file.*--new-key/);
    fs.symlinkSync(key(dir, 'x'.repeat(32)), path.join(dir, 'link'));
    refuses(path.join(dir, 'link'), false, /symbolic link/);
    refuses(dir, false, /not a regular file/);
    refuses(key(dir, Buffer.alloc(70_000)), false, /at most 65536/);
});
test('as root: owned by root, mode 0600 or stricter, no directory above writable by others', (t) => {
    if (!prerequisite(t, isRoot, 'needs root (chown)'))
        return;
    const dir = tempDir();
    const file = key(dir, 'y'.repeat(32));
    assert.equal(readKeyFile(file, true).length, 32, 'a root-owned 0600 file under /tmp (sticky) passes');
    fs.chmodSync(file, 0o640);
    refuses(file, true, /accessible to group or others \(mode 0640\)/);
    assert.equal(readKeyFile(file, false).length, 32, 'not held to the rules when not trusted (mrsocko knock)');
    fs.chmodSync(file, 0o600);
    fs.chownSync(file, 65534, 65534);
    refuses(file, true, /owned by uid 65534, not root/);
    fs.chownSync(file, 0, 0);
    fs.chmodSync(dir, 0o777);
    refuses(file, true, /(writable|can be written) by group or others/);
    fs.chmodSync(dir, 0o700);
    fs.chownSync(dir, 65534, 65534);
    refuses(file, true, /owned by uid 65534/);
    fs.chownSync(dir, 0, 0);
    assert.equal(readKeyFile(file, true).length, 32);
});
test('--new-key: 32 bytes, mode 0600 whatever the umask, an existing file is kept', () => {
    const dir = tempDir();
    const file = path.join(dir, 'new.key');
    const old = process.umask(0);
    try {
        writeNewKey(file, Buffer.alloc(32, 7));
    }
    finally {
        process.umask(old);
    }
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(fs.readFileSync(file), Buffer.alloc(32, 7));
    assert.throws(() => writeNewKey(file, Buffer.alloc(32, 8)), /EEXIST/);
    assert.deepEqual(fs.readFileSync(file), Buffer.alloc(32, 7));
});
//# sourceMappingURL=key.test.js.map