// Bounded output lines: the module on its own, and the real daemon in front of a backend
// that writes one 600 MB line without a newline (which crashed root mrsocko before).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { readLines } from '../../src/backend/line-reader.js';
import { repoRoot } from '../helpers/paths.js';
import { startDaemon } from '../helpers/daemon.js';
import { echoRoundTrip, freePort, waitFor } from '../helpers/net.js';
const fixture = (name) => path.join(repoRoot, 'test/fixtures', name);
async function linesOf(chunks, max) {
    const input = new PassThrough();
    const lines = [];
    readLines(input, (l) => lines.push(l), max);
    for (const c of chunks)
        input.write(c);
    input.end();
    await new Promise((r) => input.once('end', r));
    return lines;
}
test('lines: split at newlines across chunks, CRLF, a last line without newline', async () => {
    assert.deepEqual(await linesOf(['one\ntw', 'o\r\nthr', 'ee\n\nlast'], 100), ['one', 'two', 'three', '', 'last']);
});
test('a line above the bound is cut there, said so, and the rest of it dropped until its newline', async () => {
    const lines = await linesOf(['a'.repeat(30), 'b'.repeat(30), 'c'.repeat(50), '\nnext\n', 'z'.repeat(40)], 32);
    assert.deepEqual(lines, [
        `${'a'.repeat(30)}bb [line cut at 32 bytes: longer lines are not kept]`,
        '[the line cut above ended after 110 bytes]',
        'next',
        `${'z'.repeat(32)} [line cut at 32 bytes: longer lines are not kept]`,
        '[the line cut above ended after 40 bytes, without a newline]',
    ]);
});
test('a cut never splits a UTF-8 character', async () => {
    const lines = await linesOf([Buffer.from(`${'a'.repeat(9)}é${'b'.repeat(20)}\n`)], 10);
    assert.equal(lines[0], `${'a'.repeat(9)} [line cut at 10 bytes: longer lines are not kept]`);
});
test('a backend writing one 600 MB line without a newline: the daemon keeps running, memory bounded, the cut logged', async () => {
    const dir = (await import('../helpers/daemon.js')).tempDir();
    const [listenPort, backendPort] = [await freePort(), await freePort()];
    const d = await startDaemon(`[service]
exec = ${fixture('huge-line.sh')} 600000000 ${process.execPath} ${fixture('slow-echo.mjs')} 127.0.0.1:${backendPort} 0
start_timeout = 2min
stop_timeout = 2s
[socket.main]
listen = 127.0.0.1:${listenPort}
backend = 127.0.0.1:${backendPort}
`, dir);
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    try {
        const payload = Buffer.from('served after the flood');
        assert.deepEqual(await echoRoundTrip({ host: '127.0.0.1', port: listenPort }, payload, 120_000), payload);
        assert.ok(await waitFor(() => d.lines.some((l) => l.includes('line cut at 16384 bytes')), 5000), d.lines.map((l) => l.slice(0, 200)).join('\n'));
        await sleep(50);
        const cut = d.lines.find((l) => l.includes('line cut at 16384 bytes'));
        assert.ok(cut.length < 17_000, `the logged line is ${cut.length} characters`);
        // The backend's next output (no newline between) ends the long line: 600 MB and a few bytes.
        const short = d.lines.map((l) => l.slice(0, 200)).join('\n');
        assert.ok(d.lines.some((l) => /\[the line cut above ended after 6000000\d\d bytes/.test(l)), short);
        const grew = (peak - rss0) / 2 ** 20;
        console.log(`RSS grew by at most ${grew.toFixed(1)} MiB while 600 MB of one line went through`);
        assert.ok(grew < 100, `RSS grew by ${grew.toFixed(1)} MiB`);
    }
    finally {
        clearInterval(sampler);
        await d.stop();
    }
});
test('the stop command\'s output is bounded the same way', async () => {
    const { runStopCommand } = await import('../../src/backend/stop-command.js');
    const lines = [];
    const result = await runStopCommand(['sh', '-c', 'head -c 1000000 /dev/zero | tr "\\0" y; echo; echo done'], {
        env: { PATH: process.env.PATH },
        timeoutMs: 10_000,
        output: (line) => lines.push(line),
    });
    assert.equal(result.ok, true, result.status);
    assert.equal(lines.length, 3, lines.map((l) => l.slice(0, 80)).join('\n'));
    assert.ok(lines[0].endsWith('[line cut at 16384 bytes: longer lines are not kept]') && lines[0].length < 16_500);
    assert.equal(lines[1], '[the line cut above ended after 1000000 bytes]');
    assert.equal(lines[2], 'done');
});
//# sourceMappingURL=line-reader.test.js.map