import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatElapsed, renderStartingPage, startingPageResponse, RELOAD_SECONDS } from '../../src/session/starting-page.js';

test('the built-in page: name, elapsed time, reloads itself (meta refresh and script)', () => {
  const html = renderStartingPage({ name: 'jellyfin', elapsedMs: 65_400 });
  assert.match(html, /<title>jellyfin is starting<\/title>/);
  assert.match(html, /<h1>jellyfin is starting<\/h1>/);
  assert.match(html, />1min 5s</);
  assert.match(html, new RegExp(`<meta http-equiv="refresh" content="${RELOAD_SECONDS}">`));
  assert.match(html, /let s = 65;/);
  assert.match(html, /location\.reload\(\)/);
  assert.doesNotMatch(html, /\{\{/);
});

test('placeholders are filled HTML-escaped; unknown ones stay as written', () => {
  const html = renderStartingPage({ name: '<b>"x"&\'y\'</b>', elapsedMs: 7_999 },
    '{{name}} {{elapsed}} {{seconds}} {{reload}} {{other}} {name}');
  assert.equal(html, `&#60;b&#62;&#34;x&#34;&#38;&#39;y&#39;&#60;/b&#62; 7s 7 ${RELOAD_SECONDS} {{other}} {name}`);
});

test('the response: 503, Retry-After, no-store, text/html utf-8, Content-Length, Connection: close', () => {
  const bytes = startingPageResponse({ name: 'wiki', elapsedMs: 1000 }, 'é {{name}}');
  const text = bytes.toString('utf8');
  const [head, body] = text.split('\r\n\r\n') as [string, string];
  assert.deepEqual(head.split('\r\n'), [
    'HTTP/1.1 503 Service Unavailable',
    `Retry-After: ${RELOAD_SECONDS}`,
    'Cache-Control: no-store',
    'Content-Type: text/html; charset=utf-8',
    `Content-Length: ${Buffer.byteLength('é wiki')}`,
    'Connection: close',
  ]);
  assert.equal(body, 'é wiki');
});

test('elapsed time format', () => {
  assert.equal(formatElapsed(0), '0s');
  assert.equal(formatElapsed(-5), '0s');
  assert.equal(formatElapsed(59_999), '59s');
  assert.equal(formatElapsed(3_600_000), '60min 0s');
});
