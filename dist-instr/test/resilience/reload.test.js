// SIGHUP with a broken config, against the real CLI: every kind of broken file is refused
// with an error naming it, the previous configuration stays in force, and no connection
// is dropped or corrupted meanwhile; a valid one then applies. A burst of SIGHUPs
// alternating good and bad files changes nothing either.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../helpers/net.js';
import { controlStatus } from '../helpers/control.js';
import { tempDir } from '../helpers/daemon.js';
import { fixture } from '../helpers/paths.js';
import { markedProcesses, spawnMrsocko } from '../helpers/resources.js';
import { exchange, streamer } from '../helpers/traffic.js';
test('SIGHUP with an invalid config: old config kept, error logged, no connection dropped; a valid one applies', async () => {
    const dir = tempDir();
    const runtime = tempDir();
    const [port, backendPort] = [await freePort(), await freePort()];
    const file = path.join(dir, 'hup.conf');
    const good = (timeout) => `[service]\nexec = ${process.execPath} ${fixture('slow-echo.mjs')} ${backendPort} 200\nstop_timeout = 2s\n` +
        `[socket.web]\nlisten = 127.0.0.1:${port}\nbackend = 127.0.0.1:${backendPort}\n` +
        `[idle]\ntimeout = ${timeout}\n[access]\nallow = 127.0.0.0/8\nmax_per_source = 200\n`;
    const broken = [
        ['a bad value', () => fs.writeFileSync(file, good('banana')), /hup\.conf:8: \[idle\] timeout: "banana" is not a time span/],
        ['an unknown key', () => fs.writeFileSync(file, good('5s') + 'max_conections = 5\n'), /hup\.conf:12: \[access\] max_conections: unknown key; did you mean max_connections\?/],
        ['a bad address rule', () => fs.writeFileSync(file, good('5s').replace('127.0.0.0/8', '10.1.2.3/8')), /\[access\] allow: .*10\.0\.0\.0\/8/],
        ['no [service]', () => fs.writeFileSync(file, good('5s').replace('[service]', '[servcie]')), /hup\.conf:1: \[servcie\]: unknown section; did you mean \[service\]\?/],
        ['binary garbage', () => fs.writeFileSync(file, Buffer.from([0x5b, 0xff, 0x00, 0xfe, 0x0a, 0x3d, 0x3d, 0x0a, 0x80, 0x81])), /hup\.conf/],
        ['an empty file', () => fs.writeFileSync(file, ''), /hup\.conf.*missing section/],
        ['the file deleted', () => fs.rmSync(file), /hup\.conf: cannot read the config: no such file/],
        ['a directory in its place', () => fs.mkdirSync(file), /hup\.conf: cannot read the config: it is a directory/],
    ];
    fs.writeFileSync(file, good('5s'));
    const m = spawnMrsocko(file, { env: { MRSOCKO_RUNTIME_DIR: runtime } });
    const control = path.join(runtime, 'hup', 'control.sock');
    const failures = /error +reload failed, keeping the previous configuration: /;
    try {
        await m.waitForLine(/ready: 1 socket/);
        const streams = Array.from({ length: 10 }, (_, i) => streamer({ host: '127.0.0.1', port }, 500 + i, 4096, 5));
        await sleep(500);
        assert.equal((await controlStatus(control)).totals.connections, 10);
        for (const [i, [label, breakIt, expected]] of broken.entries()) {
            breakIt();
            process.kill(m.pid, 'SIGHUP');
            const lines = await m.waitForCount(failures, i + 1).catch(() => m.output().split('\n').filter((l) => failures.test(l)));
            assert.equal(lines.length, i + 1, `${label}: ${m.output().slice(-2000)}`);
            assert.match(lines[i], expected, label);
            assert.doesNotMatch(m.output(), /\n\s+at /, `${label}: a stack trace`);
            const status = await controlStatus(control);
            assert.equal(status.idle.timeoutMs, 5000, `${label}: the previous [idle] timeout is kept`);
            assert.equal(status.totals.connections, 10, `${label}: connections dropped`);
            const fresh = await exchange({ host: '127.0.0.1', port }, Buffer.from(`after ${label}`));
            assert.ok(fresh.ok, `${label}: a new client: ${fresh.problem}`);
            if (fs.existsSync(file) && fs.statSync(file).isDirectory())
                fs.rmdirSync(file);
        }
        // a burst: good and bad files alternating as fast as signals go
        for (let i = 0; i < 20; i++) {
            fs.writeFileSync(file, i % 2 === 0 ? good('banana') : good('5s'));
            process.kill(m.pid, 'SIGHUP');
            await sleep(5);
        }
        fs.writeFileSync(file, good('7s'));
        process.kill(m.pid, 'SIGHUP');
        await sleep(300);
        assert.equal((await controlStatus(control)).idle.timeoutMs, 7000, 'the valid config applies');
        assert.match(m.output(), /notice +configuration reloaded: idle, access and log settings applied/);
        const results = await Promise.all(streams.map((s) => s.finish()));
        for (const [i, r] of results.entries()) {
            assert.ok(r.intact && r.received === r.sent, `client ${i}: ${r.received} of ${r.sent} bytes back, intact: ${r.intact}, ended by ${r.how}`);
        }
        console.log(`# reload: ${broken.length} broken configs and 20 rapid SIGHUPs; 10 clients streamed ${results.reduce((n, r) => n + r.sent, 0)} bytes through them, all echoed intact`);
    }
    finally {
        assert.equal(await m.stop(), 0, m.output().slice(-3000));
    }
    assert.deepEqual(markedProcesses(), []);
});
//# sourceMappingURL=reload.test.js.map