// [idle] min_bytes against a real daemon and real traffic shapes, time compressed 100×:
// a Jellyfin tab's WebSocket KeepAlive (about 60 bytes every 30 s → every 300 ms) and a
// 1 Mbit/s video stream (125 kB/s → 12.5 kB every 100 ms), with timeout = 1s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../helpers/paths.js';
import { startDaemon, phaseReached } from '../helpers/daemon.js';
import { freePort } from '../helpers/net.js';
async function echoDaemon(idle) {
    const [port, backendPort] = [await freePort(), await freePort()];
    const d = await startDaemon(`[service]
exec = ${process.execPath} ${path.join(repoRoot, 'test/fixtures/slow-echo.mjs')} ${backendPort} 0
stop_timeout = 2s
[socket.main]
listen = 127.0.0.1:${port}
backend = 127.0.0.1:${backendPort}
[idle]
timeout = 1s
${idle}
`);
    return { d, port };
}
/** One connection sending `bytes` every `everyMs` (echoed back: both directions count). */
function periodic(port, bytes, everyMs) {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    const payload = Buffer.alloc(bytes, 'k');
    socket.write(payload);
    const timer = setInterval(() => {
        if (!socket.destroyed)
            socket.write(payload);
    }, everyMs);
    return { socket, stop: () => { clearInterval(timer); socket.destroy(); } };
}
for (const minBytes of ['', 'min_bytes = 64K']) {
    const held = minBytes === '';
    test(`a Jellyfin-like keep-alive (60 bytes every 300 ms) ${held ? 'holds the backend without min_bytes' : 'does not hold it with min_bytes = 64K'}`, async () => {
        const { d, port } = await echoDaemon(minBytes);
        const client = periodic(port, 60, 300);
        try {
            assert.ok(await phaseReached(d.daemon, 'running', 10_000));
            if (held) {
                await sleep(3000);
                assert.equal(d.daemon.backendPhase, 'running', 'every keep-alive restarts the countdown');
            }
            else {
                const t0 = Date.now();
                assert.ok(await phaseReached(d.daemon, 'stopped', 4000), 'stopped although the keep-alive goes on');
                assert.ok(Date.now() - t0 < 3000, `stopped ${Date.now() - t0} ms after running`);
                assert.match(d.lines.find((l) => l.includes('stopping backend')) ?? '', /no traffic for 1s/);
            }
        }
        finally {
            client.stop();
            await d.stop();
        }
    });
}
test('a 1 Mbit/s-like stream (12.5 kB every 100 ms) holds the backend with min_bytes = 64K; it stops once the stream ends', async () => {
    const { d, port } = await echoDaemon('min_bytes = 64K');
    const stream = periodic(port, 12_500, 100);
    try {
        assert.ok(await phaseReached(d.daemon, 'running', 10_000));
        let sawProgress = false;
        for (let i = 0; i < 12; i += 1) {
            await sleep(250);
            assert.equal(d.daemon.backendPhase, 'running', `still running after ${(i + 1) * 250} ms of streaming`);
            const idle = d.daemon.statusReport().idle;
            assert.equal(idle.minBytes, 65536);
            assert.ok((idle.bytesTowardRestart ?? -1) >= 0 && (idle.bytesTowardRestart ?? 0) < 65536, String(idle.bytesTowardRestart));
            if ((idle.bytesTowardRestart ?? 0) > 0)
                sawProgress = true;
        }
        assert.ok(sawProgress, 'status shows the bytes toward the next restart');
        stream.stop();
        assert.ok(await phaseReached(d.daemon, 'stopped', 3000), 'stops a timeout after the stream ended');
    }
    finally {
        stream.stop();
        await d.stop();
    }
});
//# sourceMappingURL=traffic-shapes.test.js.map