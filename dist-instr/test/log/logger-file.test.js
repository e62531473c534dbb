// `[log] file`: a second sink rotated by winston-daily-rotate-file (src/log/logger.ts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/log/logger.js';
let dir;
before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mrsocko-logfile-')); });
after(() => { fs.rmSync(dir, { recursive: true, force: true }); });
function capture() {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (c) => (text += c.toString()));
    return { stream, text: () => text };
}
test('rotates at max_size, keeps max_files, and links the configured name to the current file', async () => {
    const file = path.join(dir, 'rotate', 'demo.log');
    const out = capture();
    const logger = createLogger({}, { stream: out.stream, journal: true });
    await logger.configure({ level: 'info', file, maxSize: '1k', maxFiles: '3' });
    const line = `a log line of some length ${'x'.repeat(60)}`;
    for (let i = 0; i < 120; i++) {
        logger.info(`${i} ${line}`);
        if (i % 10 === 9)
            await sleep(5); // let the stream write
    }
    await logger.close();
    await sleep(50);
    const names = fs.readdirSync(path.dirname(file)).sort();
    const rotated = names.filter((n) => /^demo-\d{4}-\d{2}-\d{2}\.log(\.\d+)?$/.test(n));
    assert.equal(rotated.length, 3, `max_files = 3 kept: ${names.join(' ')}`);
    for (const n of rotated) {
        const size = fs.statSync(path.join(path.dirname(file), n)).size;
        // Rotation happens once a file passes the limit: at most one line over it.
        assert.ok(size <= 1024 + line.length + 64, `${n}: ${size} bytes for max_size = 1k`);
    }
    assert.ok(fs.lstatSync(file).isSymbolicLink(), `${file} is a link to the current file`);
    const current = fs.readFileSync(file, 'utf8');
    assert.match(current, /119 a log line/);
    assert.match(current, /^\d{4}-\d{2}-\d{2}T[\d:.]+Z info +119 /m, 'file lines are timestamped, not prefixed');
    assert.ok(names.includes('demo.log.audit.json'));
    assert.doesNotMatch(out.text(), /cannot write/);
});
test('a file that cannot be written is reported once at error level; logging goes on', async () => {
    const blocker = path.join(dir, 'not-a-dir');
    fs.writeFileSync(blocker, '');
    const out = capture();
    const logger = createLogger({}, { stream: out.stream, journal: true });
    await logger.configure({ level: 'info', file: path.join(blocker, 'x.log') });
    logger.info('still here');
    await logger.close();
    assert.match(out.text(), /^<3>\[log\] file .*not-a-dir\/x\.log: cannot write it: (ENOTDIR|EEXIST).*logging without it$/m);
    assert.match(out.text(), /^<6>still here$/m);
});
//# sourceMappingURL=logger-file.test.js.map