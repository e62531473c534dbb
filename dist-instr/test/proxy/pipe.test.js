// One direction of a proxied connection on its own, over real loopback sockets: every byte
// arrives in order through backpressure (a slow receiver), reads land in mrsocko's own
// buffers on accepted and on connected sockets alike, slots are lent only for bulk data and
// all come back, and the sender's end becomes the receiver's end. What is not about the
// JavaScript path's own buffers runs on both data paths: the JavaScript Pipe and the native
// addon's SplicePipe (test/proxy/splice-pipe.test.ts has what only the native path does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { BURST_BYTES, Pipe } from '../../src/proxy/pipe.js';
import { waitFor } from '../helpers/net.js';
import { ReadBuffers, canUseOwnBuffers, useOwnBuffers, SLOT_BYTES } from '../../src/proxy/read-buffers.js';
import { SplicePipe } from '../../src/proxy/splice-pipe.js';
import { loadSpliceAddon } from '../../src/proxy/data-path.js';
import { prerequisite } from '../helpers/require.js';
const addon = loadSpliceAddon();
const PATHS = ['js', 'native'];
/** A pipe on data path `path`, or undefined when the test is skipped (the addon not built, outside CI). */
function newPipe(t, path, buffers, count) {
    if (path === 'js')
        return new Pipe(buffers, count);
    if (typeof addon === 'string') {
        prerequisite(t, false, `the native addon is not built (${addon}): npm run build:native`);
        return undefined;
    }
    return new SplicePipe(buffers, count, addon);
}
/** Bytes moved so far: the native path reports its count at most every REPORT_MS, its own total is exact. */
const movedBy = (pipe, counted) => (pipe instanceof SplicePipe ? pipe.moved : counted);
/** On the native path, a bulk transfer moved to the addon (a direction starts on the JavaScript path). */
function assertNativeUsed(pipe) {
    if (pipe instanceof SplicePipe)
        assert.ok(pipe.nativeUsed, 'the bulk transfer never moved to the addon');
}
/** A connected pair on loopback: `local` as net.connect made it, `accepted` paused, as mrsocko gets it. */
async function socketPair(onread) {
    const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address();
    const accepting = once(server, 'connection');
    const options = { port, host: '127.0.0.1', allowHalfOpen: true, ...(onread ? { onread } : {}) };
    const local = net.connect(options);
    await once(local, 'connect');
    const [accepted] = (await accepting);
    server.close();
    return { local, accepted };
}
/**
 * `pipe` from an accepted socket (as mrsocko gets a client) to a connected one (as it
 * reaches a backend), started and reading: `sender` writes into it, `receiver` gets what
 * it passes on (paused), `target` is the pipe's `to`.
 */
async function pipeThrough(pipe, ownBuffers = true) {
    const inbound = await socketPair();
    const outbound = await socketPair();
    if (ownBuffers)
        useOwnBuffers(inbound.accepted, pipe.source, pipe.onRead);
    pipe.start(inbound.accepted, outbound.local, ownBuffers);
    inbound.accepted.resume();
    return {
        sender: inbound.local,
        target: outbound.local,
        receiver: outbound.accepted,
        close: () => {
            for (const s of [inbound.local, inbound.accepted, outbound.local, outbound.accepted])
                s.destroy();
        },
    };
}
/** Reads everything from `socket` until its end, pausing now and then like a slow client. */
async function drainSlowly(socket) {
    const hash = createHash('sha256');
    let bytes = 0;
    let chunks = 0;
    socket.on('data', (chunk) => {
        hash.update(chunk);
        bytes += chunk.length;
        if (++chunks % 50 === 0) {
            socket.pause();
            setTimeout(() => socket.resume(), 5);
        }
    });
    socket.resume();
    await once(socket, 'end');
    return { bytes, sha256: hash.digest('hex') };
}
async function sendAll(socket, total) {
    const hash = createHash('sha256');
    let sent = 0;
    while (sent < total) {
        // varied sizes: small writes and bulk ones, so reads go both to the landing buffer and to slots
        const size = Math.min(total - sent, sent % 3 === 0 ? 1 + (sent % 700) : 200_000);
        const chunk = randomBytes(size);
        hash.update(chunk);
        sent += size;
        if (!socket.write(chunk))
            await once(socket, 'drain');
        if (sent % 7 === 0)
            await sleep(1);
    }
    socket.end();
    return hash.digest('hex');
}
test('accepted sockets on this Node.js read into mrsocko\'s own buffers (the fast path is in use)', { timeout: 60_000 }, async () => {
    const { local, accepted } = await socketPair();
    assert.equal(canUseOwnBuffers(accepted), true, 'Node.js no longer offers the onread fields: accepted sockets fall back to slower reads');
    local.destroy();
    accepted.destroy();
});
for (const [path, mode] of PATHS.flatMap((p) => ['own buffers', 'data events'].map((m) => [p, m]))) {
    test(`${path}: accepted → connected, ${mode}: 24 MiB arrive byte-exact through a slow receiver, end passes on, slots come back`, { timeout: 60_000 }, async (t) => {
        const buffers = new ReadBuffers();
        let counted = 0;
        const pipe = newPipe(t, path, buffers, (n) => (counted += n));
        if (pipe === undefined)
            return;
        const { sender, receiver, close } = await pipeThrough(pipe, mode === 'own buffers');
        const total = 24 * 1024 * 1024;
        const [sent, received] = await Promise.all([sendAll(sender, total), drainSlowly(receiver)]);
        assert.equal(received.bytes, total);
        assert.equal(received.sha256, sent);
        assert.equal(counted, total);
        if (mode === 'own buffers')
            assertNativeUsed(pipe); // Node's own reads may have read ahead: they stay on the JavaScript path
        pipe.stop();
        assert.equal(buffers.lent, 0);
        close();
    });
}
for (const path of PATHS)
    test(`${path}: connected → accepted with onread (the backend → client direction): byte-exact, end passes on, slots come back`, { timeout: 60_000 }, async (t) => {
        const buffers = new ReadBuffers();
        let counted = 0;
        const pipe = newPipe(t, path, buffers, (n) => (counted += n));
        if (pipe === undefined)
            return;
        const upstream = await socketPair({ buffer: pipe.source, callback: pipe.onRead });
        const downstream = await socketPair();
        pipe.start(upstream.local, downstream.accepted, true);
        const total = 24 * 1024 * 1024;
        upstream.accepted.resume();
        const [sent, received] = await Promise.all([sendAll(upstream.accepted, total), drainSlowly(downstream.local)]);
        assert.equal(received.sha256, sent);
        assert.equal(counted, total);
        assertNativeUsed(pipe);
        pipe.stop();
        assert.equal(buffers.lent, 0);
        for (const s of [upstream.local, upstream.accepted, downstream.local, downstream.accepted])
            s.destroy();
    });
test('small reads never take a slot; a bulk burst takes one and gives it back when reads get small again', { timeout: 60_000 }, async () => {
    const buffers = new ReadBuffers();
    let taken = 0;
    const take = buffers.take.bind(buffers);
    buffers.take = () => {
        taken++;
        return take();
    };
    const pipe = new Pipe(buffers, () => undefined);
    const { sender, receiver, close } = await pipeThrough(pipe);
    const received = [];
    receiver.on('data', (c) => received.push(c));
    receiver.resume();
    let maxLent = 0;
    const track = setInterval(() => (maxLent = Math.max(maxLent, buffers.lent)), 1);
    for (let i = 0; i < 50; i++) {
        sender.write(`request ${i}\n`);
        await sleep(2);
    }
    assert.equal(maxLent, 0, 'a slot was lent for small reads');
    assert.equal(buffers.lent, 0);
    const bulk = randomBytes(4 * SLOT_BYTES);
    sender.write(bulk);
    await sleep(100);
    for (let i = 0; i < 5; i++) {
        sender.write('tail\n');
        await sleep(5);
    }
    await sleep(50);
    clearInterval(track);
    assert.ok(taken > 0, 'the bulk burst never got a slot');
    assert.equal(buffers.lent, 0, 'the slot was not given back after the burst');
    const all = Buffer.concat(received);
    assert.equal(all.length, 50 * 'request N\n'.length + 40 + bulk.length + 25);
    pipe.stop();
    close();
});
for (const path of PATHS)
    test(`${path}: the far side closed its direction first: later bytes still reach it, then its end`, { timeout: 60_000 }, async (t) => {
        const buffers = new ReadBuffers();
        const pipe = newPipe(t, path, buffers, () => undefined);
        if (pipe === undefined)
            return;
        const { sender, target, receiver, close } = await pipeThrough(pipe);
        // the far side says it has nothing more to send; the pipe's target sees that end
        receiver.end();
        target.resume();
        await once(target, 'end');
        const received = [];
        receiver.on('data', (c) => received.push(c));
        receiver.resume();
        const late = randomBytes(300_000);
        sender.end(late);
        await once(receiver, 'end');
        assert.ok(Buffer.concat(received).equals(late), 'the bytes sent after the far side closed its direction did not all arrive');
        assertNativeUsed(pipe);
        pipe.stop();
        close();
    });
for (const path of PATHS)
    test(`${path}: a bulk direction lets the event loop go round every BURST_BYTES (others are not kept waiting)`, { timeout: 60_000 }, async (t) => {
        const buffers = new ReadBuffers();
        let counted = 0;
        const pipe = newPipe(t, path, buffers, (n) => (counted += n));
        if (pipe === undefined)
            return;
        const { sender, receiver, close } = await pipeThrough(pipe);
        receiver.resume();
        // the most bytes moved in one turn of the event loop, while a bulk sender keeps the socket full
        let most = 0;
        let before = 0;
        let watching = true;
        const turn = () => {
            const moved = movedBy(pipe, counted);
            most = Math.max(most, moved - before);
            before = moved;
            if (watching)
                setImmediate(turn);
        };
        setImmediate(turn);
        const total = 64 * 1024 * 1024;
        const block = randomBytes(4 * 1024 * 1024);
        for (let sent = 0; sent < total; sent += block.length) {
            if (!sender.write(block))
                await once(sender, 'drain');
        }
        await waitFor(() => movedBy(pipe, counted) >= total, 30_000);
        watching = false;
        assert.ok(most <= 2 * BURST_BYTES, `${most} bytes moved in one turn of the event loop`);
        assertNativeUsed(pipe);
        pipe.stop();
        close();
    });
//# sourceMappingURL=pipe.test.js.map