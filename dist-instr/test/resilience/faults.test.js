// Faults, in process (a real Daemon, real backend processes): a backend that crashes
// mid-transfer, one that never becomes ready, start commands that fail at once, a stop
// command that hangs, `systemctl` missing or failing. After each scenario every fd,
// handle, timer and process it opened must be gone (hygienic()).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, waitFor } from '../helpers/net.js';
import { fixture } from '../helpers/paths.js';
import { hygienic, markedProcesses, startMarkedDaemon } from '../helpers/resources.js';
import { exchange, streamer } from '../helpers/traffic.js';
import { phaseReached, tempDir } from '../helpers/daemon.js';
const lineCount = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').length : 0);
const count = (lines, pattern) => lines.filter((l) => pattern.test(l)).length;
test('backend crashes mid-transfer: every client is closed (nothing corrupted, none hangs); the next client restarts it', async () => {
    await hygienic('crash mid-transfer', async () => {
        const dir = tempDir();
        const [port, backendPort] = [await freePort(), await freePort()];
        const starts = path.join(dir, 'starts');
        // crasher.mjs: an echo server that SIGKILLs itself 1.5 s after it starts
        const d = await startMarkedDaemon(`[service]\nexec = ${process.execPath} ${fixture('crasher.mjs')} ${backendPort} later 1500 ${starts}\nstop_timeout = 2s\n` +
            `[socket.main]\nlisten = 127.0.0.1:${port}\nbackend = 127.0.0.1:${backendPort}\n[idle]\ntimeout = 1min\n`, dir);
        try {
            const streams = Array.from({ length: 20 }, (_, i) => streamer({ host: '127.0.0.1', port }, 1000 + i));
            // everyone is streaming before the crash
            assert.ok(await waitFor(() => streams.every((s) => s.received() > 0), 5000), 'not every client got echoes before the crash');
            const results = await Promise.all(streams.map((s) => s.done));
            const crashed = performance.now();
            for (const [i, r] of results.entries()) {
                assert.ok(r.intact, `client ${i}: echoed bytes differ from what it sent`);
                assert.ok(r.received > 0 && r.received <= r.sent, `client ${i}: ${r.received} back of ${r.sent}`);
            }
            const spread = Math.max(...results.map((r) => r.endedAt)) - Math.min(...results.map((r) => r.endedAt));
            assert.ok(spread < 2000, `clients were closed over ${Math.round(spread)} ms`);
            const logged = await waitFor(() => d.lines.some((l) => /warning .*exited on its own \(killed by SIGKILL\); closed \d+ client/.test(l)), 3000);
            assert.ok(logged, d.lines.join('\n'));
            assert.ok(performance.now() - crashed < 5000);
            // the next client starts it again and is served byte-exact
            const again = await exchange({ host: '127.0.0.1', port }, Buffer.alloc(200_000, 9), { timeoutMs: 10_000 });
            assert.ok(again.ok, again.problem);
            assert.equal(lineCount(starts), 2);
            assert.equal(d.daemon.statusReport().totals.connections, 0);
            const mib = results.reduce((n, r) => n + r.received, 0) / 1048576;
            console.log(`# crash mid-transfer: 20 streaming clients, ${mib.toFixed(0)} MiB echoed intact before the crash, all closed within ${Math.round(spread)} ms of each other`);
        }
        finally {
            await d.stop();
        }
    });
});
test('a backend that never becomes ready: 50 held clients are reset at start_timeout, logged once, nothing left', async () => {
    await hygienic('never ready', async () => {
        const dir = tempDir();
        const [port, backendPort] = [await freePort(), await freePort()];
        // slow-echo.mjs waits 60 s before listening: far past start_timeout
        const d = await startMarkedDaemon(`[service]\nexec = ${process.execPath} ${fixture('slow-echo.mjs')} ${backendPort} 60000 ${path.join(dir, 'starts')}\n` +
            `start_timeout = 800ms\nstop_timeout = 2s\n[socket.main]\nlisten = 127.0.0.1:${port}\nbackend = 127.0.0.1:${backendPort}\n`, dir);
        try {
            const t0 = performance.now();
            const results = await Promise.all(Array.from({ length: 50 }, (_, i) => exchange({ host: '127.0.0.1', port }, Buffer.from(`client ${i}`), { timeoutMs: 10_000 })));
            const ms = performance.now() - t0;
            assert.ok(ms >= 750 && ms < 3000, `closed after ${Math.round(ms)} ms (start_timeout 800ms)`);
            for (const r of results) {
                assert.equal(r.ok, false);
                assert.match(r.problem ?? '', /^ECONNRESET after 0 bytes/, 'a held client that cannot be served is reset, unanswered');
            }
            assert.equal(count(d.lines, /failed to start/), 1, d.lines.join('\n'));
            console.log(`# never ready: 50 held clients reset ${Math.round(ms)} ms after they came (start_timeout 800ms), one error line`);
            assert.ok(d.lines.some((l) => /^\S+ error +backend .*failed to start: not accepting connections within start_timeout \(800 ms\); closed 50 held clients$/.test(l)), d.lines.join('\n'));
            assert.ok(await phaseReached(d.daemon, 'stopped', 3000), d.daemon.backendPhase);
            assert.deepEqual(markedProcesses(), [], 'the backend that never listened is stopped');
            const report = d.daemon.statusReport();
            assert.equal(report.totals.connections, 0);
            assert.equal(report.totals.held, 0);
        }
        finally {
            await d.stop();
        }
    });
});
/** Clients in `parallel` loops for `ms`, each reconnecting as soon as it is closed; none may be served. */
async function hammer(port, parallel, ms) {
    const t0 = Date.now();
    let attempts = 0;
    let longestMs = 0;
    await Promise.all(Array.from({ length: parallel }, async () => {
        while (Date.now() - t0 < ms) {
            attempts += 1;
            const r = await exchange({ host: '127.0.0.1', port }, Buffer.from('x'), { timeoutMs: 10_000 });
            assert.equal(r.ok, false, 'served by a backend that cannot start?');
            longestMs = Math.max(longestMs, r.ms);
        }
    }));
    return { attempts, longestMs };
}
for (const [label, exec] of [
    ['does not exist', '/nonexistent/backend --serve'],
    ['exits at once with status 1', '/bin/false'],
]) {
    test(`a start command that ${label}: clients are closed, retries back off (no hot loop)`, async () => {
        await hygienic(`start command ${label}`, async () => {
            const port = await freePort();
            const d = await startMarkedDaemon(`[service]\nexec = ${exec}\nstart_timeout = 30s\n[socket.main]\nlisten = 127.0.0.1:${port}\nbackend = 127.0.0.1:1\n`);
            try {
                const cpu0 = process.cpuUsage();
                const { attempts, longestMs } = await hammer(port, 10, 3000);
                const cpu = process.cpuUsage(cpu0);
                const launches = d.daemon.backendStarts;
                // no delay for the first two attempts, then 1 s, 2 s, ...: at most 4 launches in 3 s
                assert.ok(launches >= 2 && launches <= 4, `${launches} launches for ${attempts} clients in 3 s`);
                assert.ok(d.lines.some((l) => /failed 2 times in a row; next start in 1 s/.test(l)), d.lines.join('\n'));
                // one error line per failed launch, not per client
                assert.ok(count(d.lines, /failed to start/) <= launches, d.lines.join('\n'));
                // held at most until the next attempt (2 s back-off at most within 3 s)
                assert.ok(longestMs < 3500, `a client waited ${longestMs} ms`);
                const busyMs = (cpu.user + cpu.system) / 1000;
                assert.ok(busyMs < 2500, `${Math.round(busyMs)} ms of CPU in 3 s: a hot loop?`);
                console.log(`# start command ${label}: ${attempts} clients, ${launches} launches, ${Math.round(busyMs)} ms CPU in 3 s`);
            }
            finally {
                await d.stop();
            }
        });
    });
}
test('while a failing backend backs off, no client is held past start_timeout, and it is retried once the back-off is over', async () => {
    await hygienic('back-off and start_timeout', async () => {
        const port = await freePort();
        const d = await startMarkedDaemon(`[service]\nexec = /bin/false\nstart_timeout = 500ms\n[socket.main]\nlisten = 127.0.0.1:${port}\nbackend = 127.0.0.1:1\n`);
        try {
            // back-offs of 1 s, 2 s, 4 s come to exceed start_timeout: clients are closed at 500 ms, not held for them
            const { attempts, longestMs } = await hammer(port, 3, 4000);
            assert.ok(longestMs < 1500, `a client was held ${longestMs} ms (start_timeout 500ms)`);
            assert.ok(d.lines.some((l) => /failed to start: not retried within start_timeout \(500 ms\): waiting \d+ s after \d+ failed starts in a row/.test(l)), d.lines.join('\n'));
            const launches = d.daemon.backendStarts;
            assert.ok(launches >= 3 && launches <= 5, `${launches} launches for ${attempts} clients in 4 s`);
            // clients that kept coming did not push the retry away: once the back-off is over, the next client launches it
            const backoff = d.lines.map((l) => /next start in (\d+) s/.exec(l)?.[1]).filter(Boolean).map(Number).pop() ?? 0;
            await sleep(backoff * 1000 + 100);
            const r = await exchange({ host: '127.0.0.1', port }, Buffer.from('x'), { timeoutMs: 10_000 });
            assert.equal(r.ok, false);
            assert.equal(d.daemon.backendStarts, launches + 1, d.lines.join('\n'));
        }
        finally {
            await d.stop();
        }
    });
});
test('a stop command that hangs, for a backend that ignores SIGTERM: killed at stop_timeout, the client that came meanwhile is served after a restart', async () => {
    await hygienic('stop command hangs', async () => {
        const [port, backendPort] = [await freePort(), await freePort()];
        // stubborn.mjs ignores SIGTERM and has a child that does too
        const d = await startMarkedDaemon(`[service]\nexec = ${process.execPath} ${fixture('stubborn.mjs')} ${backendPort}\nstop = /bin/sleep 600\nstop_timeout = 700ms\n` +
            `[socket.main]\nlisten = 127.0.0.1:${port}\nbackend = 127.0.0.1:${backendPort}\n[idle]\ntimeout = 300ms\n`);
        try {
            const first = await exchange({ host: '127.0.0.1', port }, Buffer.from('first'));
            assert.ok(first.ok, first.problem);
            const pid = d.daemon.backendPid;
            assert.ok(await phaseReached(d.daemon, 'stopping', 3000), 'idle stop did not begin');
            const stopBegan = performance.now();
            // arrives while the stop command hangs: held, then served by a fresh backend
            const during = await exchange({ host: '127.0.0.1', port }, Buffer.from('while stopping'), { timeoutMs: 10_000 });
            assert.ok(during.ok, during.problem);
            const ms = performance.now() - stopBegan;
            assert.ok(ms >= 600 && ms < 4000, `served ${Math.round(ms)} ms after the stop began (stop_timeout 700ms)`);
            assert.notEqual(d.daemon.backendPid, pid, 'a new backend');
            assert.ok(d.lines.some((l) => /stop command sleep: timed out after 700 ms \(killed\)/.test(l)), d.lines.join('\n'));
            assert.ok(d.lines.some((l) => /still running 700 ms after the stop command; sending SIGKILL/.test(l)), d.lines.join('\n'));
            assert.ok(!markedProcesses().some((p) => p.pid === pid || p.command.includes('sleep 600')), 'old backend or stop command left');
        }
        finally {
            await d.stop();
        }
    });
});
function unitConfig(port, unit = 'no-such-backend.service') {
    return `[service]\nunit = ${unit}\nstart_timeout = 1s\nstop_timeout = 2s\n` +
        `[socket.main]\nlisten = 127.0.0.1:${port}\nbackend = 127.0.0.1:1\n`;
}
test('unit = with no systemctl on PATH: clients closed at once with the reason logged, retries back off, the daemon serves on', async () => {
    await hygienic('systemctl missing', async () => {
        const port = await freePort();
        const empty = tempDir();
        const d = await startMarkedDaemon(unitConfig(port), tempDir(), { env: { PATH: empty } });
        try {
            const t0 = performance.now();
            const r = await exchange({ host: '127.0.0.1', port }, Buffer.from('x'), { timeoutMs: 10_000 });
            assert.equal(r.ok, false);
            assert.ok(performance.now() - t0 < 2000, 'closed at once, not at start_timeout');
            assert.ok(d.lines.some((l) => /error +backend no-such-backend\.service failed to start: systemctl start no-such-backend\.service failed \(systemctl not found\)/.test(l)), d.lines.join('\n'));
            const { longestMs } = await hammer(port, 5, 3000);
            assert.ok(longestMs < 2000, `a client waited ${longestMs} ms (start_timeout 1s)`);
            assert.ok(d.daemon.backendStarts <= 5, `${d.daemon.backendStarts} launches in 3 s`);
        }
        finally {
            await d.stop();
        }
    });
});
test('unit = where systemctl fails: its message is logged, clients closed, no hot loop', async () => {
    await hygienic('systemctl fails', async () => {
        const port = await freePort();
        const bin = tempDir();
        const calls = path.join(bin, 'calls');
        fs.writeFileSync(path.join(bin, 'systemctl'), 
        // systemctl --no-ask-password --quiet start -- UNIT (the unit is the last word)
        `#!/bin/sh\necho "$*" >> ${calls}\nfor u; do :; done\ncase "$3" in start) echo "Failed to start $u: Unit $u not found." >&2; exit 5;; esac\nexit 0\n`, { mode: 0o755 });
        const d = await startMarkedDaemon(unitConfig(port), tempDir(), { env: { PATH: `${bin}:/usr/bin:/bin` } });
        try {
            const { attempts, longestMs } = await hammer(port, 5, 3000);
            assert.ok(longestMs < 2000, `a client waited ${longestMs} ms (start_timeout 1s)`);
            assert.ok(d.lines.some((l) => /failed to start: systemctl start no-such-backend\.service failed \(5\): Failed to start no-such-backend\.service: Unit no-such-backend\.service not found\./.test(l)), d.lines.join('\n'));
            const starts = fs.readFileSync(calls, 'utf8').split('\n').filter((l) => l.includes(' start ')).length;
            assert.ok(starts >= 2 && starts <= 5, `systemctl start ran ${starts} times for ${attempts} clients in 3 s`);
        }
        finally {
            await d.stop();
        }
    });
});
test('connections from a client that gives up while held are released, and do not start a second backend', async () => {
    await hygienic('abandoned held clients', async () => {
        const dir = tempDir();
        const [port, backendPort] = [await freePort(), await freePort()];
        const starts = path.join(dir, 'starts');
        const d = await startMarkedDaemon(`[service]\nexec = ${process.execPath} ${fixture('slow-echo.mjs')} ${backendPort} 700 ${starts}\n` +
            `[socket.main]\nlisten = 127.0.0.1:${port}\nbackend = 127.0.0.1:${backendPort}\n`, dir);
        try {
            const quitters = Array.from({ length: 30 }, (_, i) => {
                const s = net.connect({ host: '127.0.0.1', port });
                s.on('error', () => undefined);
                s.once('connect', () => {
                    s.write(`quitter ${i}`);
                    setTimeout(() => (i % 2 === 0 ? s.resetAndDestroy() : s.destroy()), 100 + i * 5);
                });
                return new Promise((r) => s.once('close', r));
            });
            const stayer = exchange({ host: '127.0.0.1', port }, Buffer.alloc(100_000, 3));
            await Promise.all(quitters);
            const r = await stayer;
            assert.ok(r.ok, r.problem);
            assert.ok(await waitFor(() => d.daemon.statusReport().totals.connections === 0, 3000), JSON.stringify(d.daemon.statusReport().totals));
            assert.equal(lineCount(starts), 1);
        }
        finally {
            await d.stop();
        }
    });
});
test('a client connecting just as the idle timeout runs out is served, not cut off by the stop', async () => {
    await hygienic('idle-stop race', async () => {
        const [port, backendPort] = [await freePort(), await freePort()];
        const d = await startMarkedDaemon(`[service]\nexec = ${process.execPath} ${fixture('slow-echo.mjs')} ${backendPort} 0\nstop_timeout = 2s\n` +
            `[socket.main]\nlisten = 127.0.0.1:${port}\nbackend = 127.0.0.1:${backendPort}\n[idle]\ntimeout = 150ms\n`);
        try {
            const failures = [];
            // the last byte, then a pause of 146..154 ms: the next client arrives within a few ms of the idle stop
            for (let i = 0; i < 80; i++) {
                const warm = await exchange({ host: '127.0.0.1', port }, Buffer.from('warm'));
                if (!warm.ok)
                    failures.push(`warm-up ${i}: ${warm.problem}`);
                const pause = 146 + (i % 17) * 0.5;
                await sleep(pause);
                const r = await exchange({ host: '127.0.0.1', port }, Buffer.from(`after ${pause} ms`));
                if (!r.ok)
                    failures.push(`after a pause of ${pause} ms: ${r.problem}`);
            }
            assert.deepEqual(failures, []);
        }
        finally {
            await d.stop();
        }
    });
});
//# sourceMappingURL=faults.test.js.map