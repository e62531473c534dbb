// Clients that check every byte: a one-shot exchange with an echo backend through mrsocko,
// and a streamer that keeps sending until the connection is cut and checks that what came
// back is exactly a prefix of what it sent.
import net from 'node:net';
import { Prng } from './prng.js';
/**
 * Connects, sends `payload` (in chunks of up to `chunk` bytes), half-closes, reads until
 * the other side closes, and compares. Never rejects: look at `ok`.
 */
export function exchange(target, payload, opts = {}) {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const started = performance.now();
    return new Promise((resolve) => {
        const socket = net.connect(target);
        const received = [];
        let length = 0;
        let settled = false;
        const finish = (problem) => {
            if (settled)
                return;
            settled = true;
            clearTimeout(timer);
            socket.destroy();
            const ms = Math.round(performance.now() - started);
            if (problem !== undefined)
                return resolve({ ok: false, problem, bytes: length, ms });
            const back = Buffer.concat(received, length);
            if (back.equals(payload))
                resolve({ ok: true, bytes: length, ms });
            else
                resolve({ ok: false, problem: `got ${length} bytes back, not the ${payload.length} sent${firstDifference(back, payload)}`, bytes: length, ms });
        };
        const timer = setTimeout(() => finish(`timed out after ${timeoutMs} ms with ${length} of ${payload.length} bytes back`), timeoutMs);
        socket.on('data', (c) => {
            received.push(c);
            length += c.length;
        });
        socket.once('end', () => finish());
        socket.once('error', (err) => finish(`${err.code ?? err.message} after ${length} bytes back`));
        const chunk = opts.chunk ?? payload.length;
        let at = 0;
        const write = () => {
            while (at < payload.length) {
                const piece = payload.subarray(at, Math.min(at + Math.max(1, chunk), payload.length));
                at += piece.length;
                if (!socket.write(piece)) {
                    socket.once('drain', write);
                    return;
                }
            }
            socket.end();
        };
        write();
    });
}
function firstDifference(a, b) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++)
        if (a[i] !== b[i])
            return ` (first difference at byte ${i})`;
    return '';
}
/**
 * Streams pseudo-random bytes (seeded) to an echo backend for as long as the connection
 * lives (flat out, or one chunk every `intervalMs`), with backpressure, checking each
 * echoed byte against what was sent.
 */
export function streamer(target, seed, chunkSize = 16 * 1024, intervalMs = 0) {
    const socket = net.connect(target);
    const prng = new Prng(seed);
    const pending = []; // sent, not yet echoed
    let pendingOffset = 0;
    let sent = 0;
    let received = 0;
    let intact = true;
    let finishing = false;
    const done = new Promise((resolve) => {
        let settled = false;
        const finish = (how) => {
            if (settled)
                return;
            settled = true;
            socket.destroy();
            resolve({ sent, received, intact, how, endedAt: performance.now() });
        };
        socket.on('data', (c) => {
            let at = 0;
            while (at < c.length && intact) {
                const head = pending[0];
                if (head === undefined) {
                    intact = false; // more came back than was sent
                    break;
                }
                const n = Math.min(head.length - pendingOffset, c.length - at);
                if (!c.subarray(at, at + n).equals(head.subarray(pendingOffset, pendingOffset + n)))
                    intact = false;
                at += n;
                pendingOffset += n;
                if (pendingOffset === head.length) {
                    pending.shift();
                    pendingOffset = 0;
                }
            }
            received += c.length;
        });
        socket.once('end', () => finish('end'));
        socket.once('close', () => finish('close'));
        socket.once('error', (err) => finish(err.code ?? err.message));
        const pump = () => {
            while (!socket.destroyed && !finishing) {
                const chunk = prng.bytes(chunkSize);
                pending.push(chunk);
                sent += chunk.length;
                if (!socket.write(chunk)) {
                    socket.once('drain', pump);
                    return;
                }
                if (intervalMs > 0) {
                    // paced: one chunk per interval, so the stream goes on without eating the CPU
                    setTimeout(pump, intervalMs);
                    return;
                }
            }
        };
        socket.once('connect', pump);
    });
    return {
        done,
        received: () => received,
        finish() {
            finishing = true;
            socket.end();
            return done;
        },
    };
}
/** Runs `tasks` with at most `limit` at a time; results in order. */
export async function limited(limit, tasks) {
    const results = new Array(tasks.length);
    let next = 0;
    const worker = async () => {
        while (next < tasks.length) {
            const i = next++;
            results[i] = await tasks[i]();
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
    return results;
}
//# sourceMappingURL=traffic.js.map