// Load, against the real CLI (standalone, its fd limit raised): 2 000 clients arriving
// during a cold start, every byte verified; and a soak of connections opening and closing
// while the idle timer stops and restarts the backend over and over, with no failed
// connection and no growth in mrsocko's fds or memory between its first and last ten
// seconds. RESILIENCE_SOAK_SECONDS (default 60) and RESILIENCE_CLIENTS (default 2000)
// scale them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, waitFor } from '../helpers/net.js';
import { controlStatus } from '../helpers/control.js';
import { tempDir } from '../helpers/daemon.js';
import { fixture } from '../helpers/paths.js';
import { envNumber, Prng, seedFor } from '../helpers/prng.js';
import { fdCount, fdTable, markedProcesses, rssKiB, spawnMrsocko } from '../helpers/resources.js';
import { exchange } from '../helpers/traffic.js';
const MiB = 1024 * 1024;
function echoConfig(o) {
    return `[service]
exec = ${process.execPath} ${fixture('slow-echo.mjs')} ${o.backendPort} ${o.delayMs} ${o.starts}
start_timeout = 60s
stop_timeout = 5s
[socket.web]
listen = 127.0.0.1:${o.port}
backend = 127.0.0.1:${o.backendPort}
[idle]
timeout = ${o.timeout}
[access]
max_connections = 100000
max_per_source = 100000
[log]
level = ${o.level ?? 'notice'}
`;
}
const lines = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).length : 0);
test('2 000 concurrent clients arriving during a cold start: every byte of every one comes back, one backend start, fds back to baseline', async () => {
    const clients = envNumber('RESILIENCE_CLIENTS', 2000);
    const size = 64 * 1024;
    const dir = tempDir();
    const runtime = tempDir();
    const [port, backendPort] = [await freePort(), await freePort()];
    const starts = path.join(dir, 'starts');
    const file = path.join(dir, 'load.conf');
    fs.writeFileSync(file, echoConfig({ port, backendPort, delayMs: 2500, starts, timeout: '2s' }));
    const m = spawnMrsocko(file, { env: { MRSOCKO_RUNTIME_DIR: runtime } });
    const control = path.join(runtime, 'load', 'control.sock');
    try {
        await m.waitForLine(/ready: 1 socket/);
        const baseFds = fdCount(m.pid);
        const baseRss = rssKiB(m.pid);
        const prng = new Prng(seedFor('cold start payloads'));
        const payloads = Array.from({ length: clients }, () => prng.bytes(size));
        const t0 = performance.now();
        const results = await Promise.all(payloads.map((p) => exchange({ host: '127.0.0.1', port }, p, { timeoutMs: 120_000 })));
        const ms = Math.round(performance.now() - t0);
        const failed = results.map((r, i) => (r.ok ? '' : `client ${i}: ${r.problem}`)).filter(Boolean);
        assert.deepEqual(failed.slice(0, 20), [], `${failed.length} of ${clients} clients failed`);
        const released = Number(/releasing (\d+) held clients/.exec(m.output())?.[1] ?? 0);
        assert.equal(released, clients, `every client arrived during the cold start and was held (${m.output().slice(-2000)})`);
        assert.equal(lines(starts), 1, 'one backend start for all of them');
        const peakRss = rssKiB(m.pid);
        // the idle stop follows; then only the listening socket and what mrsocko had at start remain
        assert.ok(await waitFor(() => lines(starts) === 1 && /backend slow-echo\.mjs stopped/.test(m.output()), 10_000), m.output().slice(-2000));
        const status = await controlStatus(control);
        assert.equal(status.totals.connections, 0);
        assert.equal(status.backend.state, 'stopped');
        assert.ok(await waitFor(() => fdCount(m.pid) <= baseFds, 5000), `fds: ${baseFds} at start, ${fdCount(m.pid)} now: ${[...fdTable(m.pid).values()].join(' ')}`);
        const bytes = clients * size;
        console.log(`# cold start: ${clients} clients × ${size / 1024} KiB = ${(bytes / MiB).toFixed(0)} MiB each way, verified byte for byte, ` +
            `in ${ms} ms (backend ready after 2.5 s); mrsocko fds ${baseFds} → ${fdCount(m.pid)} after, RSS ${Math.round(baseRss / 1024)} MiB → ` +
            `${Math.round(peakRss / 1024)} MiB at the peak`);
    }
    finally {
        assert.equal(await m.stop(), 0, m.output().slice(-3000));
    }
    assert.deepEqual(markedProcesses(), []);
});
test('soak: connections opening and closing while the idle timer stops and restarts the backend; zero failures, no fd or memory growth', async () => {
    const seconds = envNumber('RESILIENCE_SOAK_SECONDS', 60);
    const dir = tempDir();
    const runtime = tempDir();
    const [port, backendPort] = [await freePort(), await freePort()];
    const starts = path.join(dir, 'starts');
    const file = path.join(dir, 'soak.conf');
    // idle timeout 300 ms; the backend takes 100 ms to come up
    fs.writeFileSync(file, echoConfig({ port, backendPort, delayMs: 100, starts, timeout: '300ms' }));
    const probe = path.join(dir, 'memory');
    const m = spawnMrsocko(file, {
        env: { MRSOCKO_RUNTIME_DIR: runtime, MRSOCKO_MEMORY_PROBE: probe },
        // memory-probe.ts, and V8's young generation at its full (default maximum) size from
        // the start, so that it growing under the first bursts is not mistaken for a leak
        nodeArgs: [
            '--expose-gc',
            `--import=${pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), 'memory-probe.js')).href}`,
            '--min-semi-space-size=16',
            '--max-semi-space-size=16',
        ],
    });
    const control = path.join(runtime, 'soak', 'control.sock');
    const prng = new Prng(seedFor('soak'));
    const sources = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];
    try {
        await m.waitForLine(/ready: 1 socket/);
        let connections = 0;
        let bytes = 0;
        const failures = [];
        let cycles = 0;
        // Bursts: 1-8 clients at a time, each connection with its own random payload (a few
        // large), some from other loopback addresses, opening one after another for up to
        // 400 ms; then a pause drawn around the idle timeout: shorter (the backend stays up),
        // just about as long (a client meets the idle stop as it happens) or longer (the
        // backend is stopped, or still stopping, and the next client starts it again).
        const cycle = async (maxWorkers, maxBurstMs) => {
            cycles += 1;
            const workers = 1 + prng.int(maxWorkers);
            const burstEnd = performance.now() + prng.int(maxBurstMs);
            const n = cycles;
            await Promise.all(Array.from({ length: workers }, async (_, w) => {
                await sleep(prng.int(30));
                do {
                    const payload = prng.bytes(1 + prng.int(prng.chance(0.05) ? 256 * 1024 : 16 * 1024));
                    const from = prng.pick(sources);
                    const chunk = 1 + prng.int(payload.length);
                    const r = await exchange({ host: '127.0.0.1', port, localAddress: from }, payload, { timeoutMs: 30_000, chunk });
                    connections += 1;
                    bytes += payload.length;
                    if (!r.ok)
                        failures.push(`burst ${n} worker ${w} from ${from}: ${r.problem} (${r.ms} ms)`);
                } while (performance.now() < burstEnd);
            }));
            return prng.pick([prng.int(250), 280 + prng.int(60), 300 + prng.int(40), 350 + prng.int(400)]);
        };
        // warming up (not measured): the JIT and the allocator settle under the heaviest bursts
        const warmUntil = performance.now() + 5000;
        while (performance.now() < warmUntil)
            await sleep(await cycle(8, 400));
        const samples = [];
        const t0 = performance.now();
        const wallStart = Date.now();
        const end = t0 + seconds * 1000;
        const sampler = setInterval(() => samples.push({ at: performance.now() - t0, fds: fdCount(m.pid), rss: rssKiB(m.pid) }), 250);
        let lastProbe = 0;
        while (performance.now() < end) {
            const pause = await cycle(8, 400);
            // about once a second, in a pause: heap in use after a full collection (memory-probe.ts)
            if (performance.now() - lastProbe > 1000) {
                lastProbe = performance.now();
                process.kill(m.pid, 'SIGUSR2');
            }
            await sleep(pause);
        }
        clearInterval(sampler);
        const launched = lines(starts);
        assert.deepEqual(failures.slice(0, 20), [], `${failures.length} of ${connections} connections failed`);
        assert.ok(launched >= seconds / 4, `only ${launched} backend starts in ${seconds} s: the idle timer did not cycle it`);
        // fds: the quietest moment of the first ten seconds against that of the last ten;
        // RSS: the highest of each, allowing 4 MiB of allocator noise; heap in use after a full
        // collection (memory-probe.ts), where a leak of JS objects shows first: the medians.
        const heap = fs.readFileSync(probe, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
        const inFirst = (at) => at < 10_000;
        const inLast = (at) => at >= seconds * 1000 - 10_000;
        const first = samples.filter((s) => inFirst(s.at));
        const last = samples.filter((s) => inLast(s.at));
        const heapFirst = heap.filter((h) => inFirst(h.at - wallStart)).map((h) => h.heapUsed);
        const heapLast = heap.filter((h) => inLast(h.at - wallStart)).map((h) => h.heapUsed);
        const minFds = (list) => Math.min(...list.map((s) => s.fds));
        const maxRss = (list) => Math.max(...list.map((s) => s.rss));
        const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? NaN;
        const mib = (kib) => (kib / 1024).toFixed(1);
        const figures = `${seconds} s, ${cycles} bursts, ${connections} connections, ${(bytes / MiB).toFixed(1)} MiB each way verified, ` +
            `${launched} backend starts; fds (fewest) ${minFds(first)} in the first 10 s, ${minFds(last)} in the last 10 s; ` +
            `heap after GC (median) ${(median(heapFirst) / MiB).toFixed(2)} MiB → ${(median(heapLast) / MiB).toFixed(2)} MiB; ` +
            `RSS (highest) ${mib(maxRss(first))} MiB in the first 10 s, ${mib(maxRss(last))} MiB in the last 10 s`;
        console.log(`# soak: ${figures}`);
        if (process.env.RESILIENCE_DEBUG) {
            for (let t = 0; t < seconds; t += 5) {
                const w = samples.filter((s) => s.at >= t * 1000 && s.at < (t + 5) * 1000);
                const h = heap.filter((x) => x.at - wallStart >= t * 1000 && x.at - wallStart < (t + 5) * 1000).map((x) => (x.heapUsed / MiB).toFixed(2));
                console.log(`# ${t}s: fds ${minFds(w)}-${Math.max(...w.map((s) => s.fds))} rss ${mib(Math.min(...w.map((s) => s.rss)))}-${mib(maxRss(w))} heap ${h.join(' ')}`);
            }
        }
        assert.ok(heapFirst.length >= 3 && heapLast.length >= 3, `too few heap probes: ${heap.length}`);
        assert.ok(minFds(last) <= minFds(first), `fds grew: ${figures}`);
        assert.ok(median(heapLast) <= median(heapFirst) + MiB, `heap grew: ${figures}`);
        assert.ok(maxRss(last) <= maxRss(first) + 4096, `RSS grew: ${figures}`);
        // and at rest, after the last idle stop: nothing open but the listener and the control socket
        assert.ok(await waitFor(async () => (await controlStatus(control)).backend.state === 'stopped', 5000));
        const status = await controlStatus(control);
        assert.equal(status.totals.connections, 0);
        assert.equal(status.totals.held, 0);
        assert.equal(status.backend.starts, launched);
    }
    finally {
        assert.equal(await m.stop(), 0, m.output().slice(-3000));
    }
    assert.deepEqual(markedProcesses(), []);
});
//# sourceMappingURL=load.test.js.map