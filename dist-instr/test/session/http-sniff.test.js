import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptsHtml, sniffHttpRequest } from '../../src/session/http-sniff.js';
import { Prng } from '../helpers/prng.js';
const b = (text) => Buffer.from(text, 'latin1');
const FIREFOX = 'GET /web/index.html HTTP/1.1\r\nHost: media.lan:8096\r\nUser-Agent: Mozilla/5.0\r\n' +
    'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nCookie: a=b\r\n\r\n';
test('a browser request: method, version and headers, names lower-cased, repeats kept', () => {
    const seen = sniffHttpRequest(b(FIREFOX + 'body bytes are not looked at'));
    assert.equal(seen.kind, 'request');
    if (seen.kind !== 'request')
        return;
    assert.equal(seen.method, 'GET');
    assert.equal(seen.version, '1.1');
    assert.deepEqual(seen.headers.get('host'), ['media.lan:8096']);
    assert.ok(acceptsHtml(seen.headers.get('accept')));
    const twice = sniffHttpRequest(b('POST /x HTTP/1.0\nAccept: application/json\naccept: text/html;q=0.5\n\n'));
    assert.equal(twice.kind, 'request');
    if (twice.kind === 'request')
        assert.deepEqual(twice.headers.get('accept'), ['application/json', 'text/html;q=0.5']);
});
test('every prefix of a request is incomplete, and complete once the bytes stop', () => {
    for (let i = 0; i < FIREFOX.length - 2; i++) {
        assert.equal(sniffHttpRequest(b(FIREFOX.slice(0, i))).kind, 'incomplete', JSON.stringify(FIREFOX.slice(0, i)));
        assert.equal(sniffHttpRequest(b(FIREFOX.slice(0, i)), true).kind, 'other');
    }
});
test('not HTTP/1.x: TLS, SSH, HTTP/2, PostgreSQL, RESP, bare text, broken heads', () => {
    const tls = Buffer.from('160301020001000200fe03', 'hex');
    const others = [
        tls, b('SSH-2.0-OpenSSH_9.2\r\n'), b('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from('0000000804d2162f', 'hex'),
        b('*1\r\n$4\r\nPING\r\n'), b('hello world\n'), b('GET / HTTP/1.1\r\nno colon here\r\n\r\n'),
        b('GET / HTTP/3.0\r\n\r\n'), b('GET  / HTTP/1.1\r\n\r\n'), b(`${'A'.repeat(40)} / HTTP/1.1`),
    ];
    for (const bytes of others)
        assert.equal(sniffHttpRequest(bytes).kind, 'other', bytes.toString('latin1'));
});
test('never throws on garbage, and is quick about it', () => {
    const rng = new Prng(15);
    const random = () => rng.next();
    const t0 = performance.now();
    for (let i = 0; i < 2000; i++) {
        const bytes = Buffer.alloc(Math.floor(random() * 300));
        for (let j = 0; j < bytes.length; j++)
            bytes[j] = random() < 0.5 ? Math.floor(random() * 256) : FIREFOX.charCodeAt(j % FIREFOX.length);
        const seen = sniffHttpRequest(bytes, random() < 0.5);
        assert.ok(['incomplete', 'other', 'request'].includes(seen.kind));
    }
    // 16 KiB of header (the read-ahead's bound), the worst a client can send
    const big = b(`GET / HTTP/1.1\r\nX: ${'y'.repeat(16 * 1024)}`);
    const t1 = performance.now();
    for (let i = 0; i < 100; i++)
        sniffHttpRequest(big);
    const perBig = (performance.now() - t1) / 100;
    assert.ok(perBig < 5, `${perBig.toFixed(3)} ms for a 16 KiB head`);
    assert.ok(performance.now() - t0 < 10_000);
});
test('Accept: text/html counts, */* and q=0 do not', () => {
    assert.ok(acceptsHtml(['text/html']));
    assert.ok(acceptsHtml(['application/json, TEXT/HTML ; q=0.1']));
    assert.ok(!acceptsHtml(['*/*']));
    assert.ok(!acceptsHtml(['text/*']));
    assert.ok(!acceptsHtml(['application/json']));
    assert.ok(!acceptsHtml(['text/html;q=0']));
    assert.ok(!acceptsHtml(['text/htmlx']));
    assert.ok(!acceptsHtml(undefined));
});
//# sourceMappingURL=http-sniff.test.js.map