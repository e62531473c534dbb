// The starting page with a real daemon, a real slow backend (test/fixtures/slow-http.mjs,
// ready after 3 s) and real clients: curl as a browser gets the page and later the
// backend; curl as an API client, a non-HTTP client and a TLS client stay held and get the
// backend's answer; a large POST sent while held arrives byte-exact, and mrsocko's
// read-ahead stops at its bound instead of taking in the whole body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fixture } from '../helpers/paths.js';
import { phaseReached, startDaemon, tempDir } from '../helpers/daemon.js';
import { freePort } from '../helpers/net.js';
import { haveCommand, prerequisite } from '../helpers/require.js';
const BACKEND_DELAY_MS = 3000;
async function pageDaemon(socketKeys, name = 'media') {
    const dir = tempDir();
    const [port, backendPort] = [await freePort(), await freePort()];
    const d = await startDaemon(`[service]
exec = ${process.execPath} ${fixture('slow-http.mjs')} ${backendPort} ${BACKEND_DELAY_MS}
stop_timeout = 2s
[socket.web]
listen = 127.0.0.1:${port}
backend = 127.0.0.1:${backendPort}
${socketKeys}
[log]
level = debug
`, dir, { name });
    return { d, port, dir, url: `http://127.0.0.1:${port}/` };
}
/** curl -i, with these extra arguments; the status line, headers and body, and how long it took. */
function curl(args) {
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
        execFile('curl', ['-s', '-i', '-m', '20', ...args], { encoding: 'latin1', maxBuffer: 1 << 20 }, (err, stdout) => {
            if (err)
                return reject(err);
            const [headers = '', body = ''] = stdout.split(/\r\n\r\n(.*)/s);
            resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(headers)?.[1]), headers, body, ms: performance.now() - t0 });
        });
    });
}
/** Raw bytes to the port; everything answered until the server closes. */
function raw(port, bytes) {
    return new Promise((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port });
        const got = [];
        socket.on('data', (c) => got.push(c));
        socket.on('error', reject);
        socket.on('close', () => resolve(Buffer.concat(got).toString('latin1')));
        socket.end(bytes);
    });
}
const BROWSER_ACCEPT = 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8';
test('a browser gets the page after starting_page_after, everyone else is held and gets the backend', async (t) => {
    if (!prerequisite(t, haveCommand('curl'), 'needs curl'))
        return;
    const { d, port, url } = await pageDaemon('starting_page = yes');
    try {
        const t0 = performance.now();
        const [browser, api, plain, text, tls] = await Promise.all([
            curl(['-H', BROWSER_ACCEPT, url]),
            curl(['-H', 'Accept: application/json', url]),
            curl([url]), // curl's own Accept: */*
            raw(port, Buffer.from('hello, not HTTP\r\n\r\n')),
            // a TLS ClientHello's first bytes: record type 22, version 3.1
            raw(port, Buffer.from('16030100f5010000f10303', 'hex')),
        ]);
        assert.equal(browser.status, 503, browser.headers);
        assert.ok(browser.ms >= 900 && browser.ms < BACKEND_DELAY_MS - 500, `the page came after ${browser.ms.toFixed(0)} ms`);
        for (const header of ['Retry-After: 2', 'Cache-Control: no-store', 'Content-Type: text/html; charset=utf-8', 'Connection: close']) {
            assert.ok(browser.headers.split('\r\n').includes(header), `${header} in\n${browser.headers}`);
        }
        assert.match(browser.body, /<h1>media is starting<\/h1>/);
        assert.match(browser.body, /<meta http-equiv="refresh" content="2">/);
        assert.match(browser.body, /for <span id="elapsed">1s<\/span>/);
        for (const [who, answer] of [['api', api], ['plain', plain]]) {
            assert.equal(answer.status, 200, `${who}: ${answer.headers}`);
            assert.equal(JSON.parse(answer.body).from, 'backend', who);
            assert.ok(answer.ms >= BACKEND_DELAY_MS - 200, `${who} answered after ${answer.ms.toFixed(0)} ms: it was held`);
        }
        // the backend's own answer to bytes it cannot parse: they reached it, held and intact
        assert.match(text, /^HTTP\/1\.1 400 Bad Request/);
        assert.match(tls, /^HTTP\/1\.1 400 Bad Request/);
        assert.ok(performance.now() - t0 >= BACKEND_DELAY_MS - 200);
        assert.ok(d.lines.some((l) => /web: 127\.0\.0\.1:\d+ got the starting page after waiting \d+ ms/.test(l)), d.lines.join('\n'));
        // the page did not stop the start: the reload gets the backend
        assert.ok(await phaseReached(d.daemon, 'running', 5000));
        const reload = await curl(['-H', BROWSER_ACCEPT, url]);
        assert.equal(reload.status, 200);
        assert.equal(JSON.parse(reload.body).accept, BROWSER_ACCEPT.slice('Accept: '.length));
        assert.equal(d.daemon.backendStarts, 1);
    }
    finally {
        await d.stop();
    }
});
test('a browser whose backend is ready before starting_page_after never sees the page', async (t) => {
    if (!prerequisite(t, haveCommand('curl'), 'needs curl'))
        return;
    const { d, url } = await pageDaemon('starting_page = yes\nstarting_page_after = 10s');
    try {
        const answer = await curl(['-H', 'Accept: text/html', url]);
        assert.equal(answer.status, 200);
        assert.equal(JSON.parse(answer.body).from, 'backend');
    }
    finally {
        await d.stop();
    }
});
test('a custom page with placeholders, HTML-escaped', async (t) => {
    if (!prerequisite(t, haveCommand('curl'), 'needs curl'))
        return;
    const dir = tempDir();
    const page = path.join(dir, 'page.html');
    fs.writeFileSync(page, '<p>{{name}} wakes up: {{elapsed}} ({{seconds}} s), back in {{reload}} s {{unknown}}</p>\n');
    const { d, url } = await pageDaemon(`starting_page = ${page}\nstarting_page_after = 300ms`, 'wiki<&>');
    try {
        const answer = await curl(['-H', 'Accept: text/html', url]);
        assert.equal(answer.status, 503);
        assert.equal(answer.body, '<p>wiki&#60;&#38;&#62; wakes up: 0s (0 s), back in 2 s {{unknown}}</p>\n');
        assert.ok(answer.ms >= 250 && answer.ms < 2000, `${answer.ms} ms`);
    }
    finally {
        await d.stop();
    }
});
test('a 32 MiB POST sent while held arrives byte-exact; the read-ahead stops at its bound', async () => {
    const { d, port } = await pageDaemon('starting_page = yes\nstarting_page_after = 200ms');
    try {
        const body = Buffer.alloc(32 * 1024 * 1024);
        for (let i = 0; i < body.length; i += 4)
            body.writeUInt32LE((i * 2654435761) >>> 0, i);
        const sha256 = createHash('sha256').update(body).digest('hex');
        const head = `POST /upload HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
        const t0 = performance.now();
        let writtenAt = 0;
        let readyAt = 0;
        d.daemon.events.once('released', () => (readyAt = performance.now() - t0));
        const answer = await new Promise((resolve, reject) => {
            const socket = net.connect({ host: '127.0.0.1', port });
            const got = [];
            socket.on('data', (c) => got.push(c));
            socket.on('error', reject);
            socket.on('close', () => resolve(Buffer.concat(got).toString('latin1')));
            socket.write(head);
            socket.write(body, () => (writtenAt = performance.now() - t0));
        });
        const json = JSON.parse(answer.split('\r\n\r\n')[1] ?? '{}');
        assert.deepEqual(json, { from: 'backend', method: 'POST', accept: 'application/json', bytes: body.length, sha256 });
        // Had mrsocko read the whole body while holding the client, the client's write would
        // have been done long before the backend was up; it can finish only after the release.
        assert.ok(readyAt > 0 && writtenAt > readyAt, `written at ${writtenAt.toFixed(0)} ms, released at ${readyAt.toFixed(0)} ms`);
    }
    finally {
        await d.stop();
    }
});
test('a browser\'s form POST (Accept: text/html) is held and reaches the backend, not the page', async (t) => {
    if (!prerequisite(t, haveCommand('curl'), 'needs curl'))
        return;
    const { d, url } = await pageDaemon('starting_page = yes\nstarting_page_after = 200ms');
    try {
        const answer = await curl(['-H', BROWSER_ACCEPT, '-H', 'Expect:', '--data-binary', 'name=value&more=1', url]);
        assert.equal(answer.status, 200, answer.headers);
        assert.deepEqual({ ...JSON.parse(answer.body), sha256: undefined }, { from: 'backend', method: 'POST', accept: BROWSER_ACCEPT.slice('Accept: '.length), bytes: 17, sha256: undefined });
    }
    finally {
        await d.stop();
    }
});
test('a client that sends its request and ends its side while held: request and end reach the backend', async () => {
    const { d, port } = await pageDaemon('starting_page = yes');
    try {
        const answer = await raw(port, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n'));
        assert.match(answer, /^HTTP\/1\.1 200 OK/);
        assert.match(answer, /"from":"backend"/);
    }
    finally {
        await d.stop();
    }
});
test('a client that sent its head while held and its 32 MiB body after the release: byte-exact', async () => {
    const { d, port } = await pageDaemon('starting_page = yes\nstarting_page_after = 200ms');
    try {
        const body = Buffer.alloc(32 * 1024 * 1024);
        for (let i = 0; i < body.length; i += 4)
            body.writeUInt32LE((i * 2246822519) >>> 0, i);
        const sha256 = createHash('sha256').update(body).digest('hex');
        const head = `PUT /later HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
        const answer = await new Promise((resolve, reject) => {
            const socket = net.connect({ host: '127.0.0.1', port });
            const got = [];
            socket.on('data', (c) => got.push(c));
            socket.on('error', reject);
            socket.on('close', () => resolve(Buffer.concat(got).toString('latin1')));
            socket.write(head);
            d.daemon.events.once('released', () => setTimeout(() => socket.write(body), 100));
        });
        const json = JSON.parse(answer.split('\r\n\r\n')[1] ?? '{}');
        assert.deepEqual(json, { from: 'backend', method: 'PUT', accept: null, bytes: body.length, sha256 });
    }
    finally {
        await d.stop();
    }
});
test('a browser that drips its request a byte at a time gets the page once its head is complete', async () => {
    const { d, port } = await pageDaemon('starting_page = yes\nstarting_page_after = 100ms');
    try {
        const request = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n\r\n');
        const answer = await new Promise((resolve, reject) => {
            const socket = net.connect({ host: '127.0.0.1', port });
            socket.setNoDelay(true);
            const got = [];
            socket.on('data', (c) => got.push(c));
            socket.on('error', reject);
            socket.on('close', () => resolve(Buffer.concat(got).toString('latin1')));
            let i = 0;
            const drip = setInterval(() => {
                if (i < request.length)
                    socket.write(request.subarray(i, ++i));
                else
                    clearInterval(drip);
            }, 10);
        });
        assert.match(answer, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
        assert.match(answer, /<h1>media is starting<\/h1>/);
    }
    finally {
        await d.stop();
    }
});
//# sourceMappingURL=starting-page-daemon.test.js.map