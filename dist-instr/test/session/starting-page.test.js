import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startingPageResponse } from '../../src/session/starting-page.js';
/** The page's body (what renderStartingPage made). */
const page = (name, elapsedMs, template) => startingPageResponse({ name, elapsedMs }, template).toString('utf8').split('\r\n\r\n')[1];
test('the built-in page: name, elapsed time, reloads itself (meta refresh and script)', () => {
    const html = page('jellyfin', 65_400);
    assert.match(html, /<title>jellyfin is starting<\/title>/);
    assert.match(html, /<h1>jellyfin is starting<\/h1>/);
    assert.match(html, />1min 5s</);
    assert.match(html, /<meta http-equiv="refresh" content="2">/);
    assert.match(html, /let s = 65;/);
    assert.match(html, /location\.reload\(\)/);
    assert.doesNotMatch(html, /\{\{/);
});
test('placeholders are filled HTML-escaped; unknown ones stay as written', () => {
    assert.equal(page('<b>"x"&\'y\'</b>', 7_999, '{{name}} {{elapsed}} {{seconds}} {{reload}} {{other}} {name}'), '&#60;b&#62;&#34;x&#34;&#38;&#39;y&#39;&#60;/b&#62; 7s 7 2 {{other}} {name}');
});
test('the response: 503, Retry-After, no-store, text/html utf-8, Content-Length, Connection: close', () => {
    const bytes = startingPageResponse({ name: 'wiki', elapsedMs: 1000 }, 'é {{name}}');
    const text = bytes.toString('utf8');
    const [head, body] = text.split('\r\n\r\n');
    assert.deepEqual(head.split('\r\n'), [
        'HTTP/1.1 503 Service Unavailable',
        'Retry-After: 2',
        'Cache-Control: no-store',
        'Content-Type: text/html; charset=utf-8',
        `Content-Length: ${Buffer.byteLength('é wiki')}`,
        'Connection: close',
    ]);
    assert.equal(body, 'é wiki');
});
test('elapsed time format', () => {
    const elapsed = (ms) => page('x', ms, '{{elapsed}}/{{seconds}}');
    assert.equal(elapsed(0), '0s/0');
    assert.equal(elapsed(-5), '0s/0');
    assert.equal(elapsed(59_999), '59s/59');
    assert.equal(elapsed(3_600_000), '60min 0s/3600');
});
//# sourceMappingURL=starting-page.test.js.map