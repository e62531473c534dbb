// The page a browser gets while the backend starts (`starting_page`): a whole HTTP
// response, 503 with Retry-After, made from a template with placeholders. The built-in
// template is below; a custom one is a file read at load (../config/load.ts).
//
// Placeholders, each replaced HTML-escaped wherever it appears:
//   {{name}}     the instance name (mrsocko@NAME)
//   {{elapsed}}  how long the backend has been starting, e.g. `7s`, `1min 5s`
//   {{seconds}}  the same in whole seconds, e.g. `65` (for a script that counts on)
//   {{reload}}   the seconds until the page reloads itself (also sent as Retry-After)
// Anything else between braces is left as written.
/** Seconds between reloads, and the Retry-After given. */
const RELOAD_SECONDS = 2;
const BUILT_IN = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{{reload}}">
<title>{{name}} is starting</title>
<style>
  :root { color-scheme: light dark; }
  body { margin: 0; min-height: 100vh; display: grid; place-items: center;
         font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; background: #f4f5f7; color: #1f2328; }
  main { text-align: center; padding: 2.5rem 3rem; border-radius: 12px; background: #fff; box-shadow: 0 2px 12px #0002; }
  h1 { margin: 1rem 0 .25rem; font-size: 1.5rem; font-weight: 600; }
  p { margin: .25rem 0; color: #59636e; }
  .spinner { width: 2.5rem; height: 2.5rem; margin: 0 auto; border: 4px solid #d0d7de; border-top-color: #0969da;
             border-radius: 50%; animation: spin 1s linear infinite; }
  @keyframes spin { to { transform: rotate(360deg); } }
  @media (prefers-color-scheme: dark) {
    body { background: #0d1117; color: #e6edf3; } main { background: #161b22; } p { color: #9198a1; }
  }
</style>
</head>
<body>
<main>
  <div class="spinner" aria-hidden="true"></div>
  <h1>{{name}} is starting</h1>
  <p>for <span id="elapsed">{{elapsed}}</span> now; this page reloads by itself.</p>
</main>
<script>
  // count on between reloads; the meta refresh above reloads even without scripts
  let s = {{seconds}};
  const fmt = (n) => n < 60 ? n + 's' : Math.floor(n / 60) + 'min ' + (n % 60) + 's';
  setInterval(() => { document.getElementById('elapsed').textContent = fmt(++s); }, 1000);
  setTimeout(() => location.reload(), {{reload}} * 1000 + 250);
</script>
</body>
</html>
`;
/** `7s`, `1min 5s`: the format of {{elapsed}} (the built-in page's script counts on in it). */
function formatElapsed(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    return s < 60 ? `${s}s` : `${Math.floor(s / 60)}min ${s % 60}s`;
}
function escapeHtml(text) {
    return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
/** The page's HTML: `template` (default: the built-in one) with its placeholders filled in. */
function renderStartingPage(values, template = BUILT_IN) {
    const fills = {
        name: values.name,
        elapsed: formatElapsed(values.elapsedMs),
        seconds: String(Math.max(0, Math.floor(values.elapsedMs / 1000))),
        reload: String(RELOAD_SECONDS),
    };
    return template.replace(/\{\{(\w+)\}\}/g, (whole, key) => (key in fills ? escapeHtml(fills[key]) : whole));
}
/** The whole answer, status line to body; the connection is closed after it. */
export function startingPageResponse(values, template) {
    const body = Buffer.from(renderStartingPage(values, template), 'utf8');
    const head = [
        'HTTP/1.1 503 Service Unavailable',
        `Retry-After: ${RELOAD_SECONDS}`,
        'Cache-Control: no-store',
        'Content-Type: text/html; charset=utf-8',
        `Content-Length: ${body.length}`,
        'Connection: close',
        '', '',
    ].join('\r\n');
    return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}
//# sourceMappingURL=starting-page.js.map