// What a held connection's first bytes say about its client: an HTTP/1.x request head
// (method, version, headers), not HTTP at all, or too little to tell yet. Pure and
// tolerant: any bytes in, a verdict out, never an exception. Only what the starting page
// needs (./starting-page.ts): the request is not validated beyond telling a browser's
// request from everything else, and the bytes themselves are passed on untouched.
const INCOMPLETE = { kind: 'incomplete' };
const OTHER = { kind: 'other' };
/** RFC 9110 token characters (methods and header names). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Longest method looked for before the first space; real ones are far shorter. */
const MAX_METHOD = 32;
/**
 * Reads `bytes` as the start of an HTTP/1.x request. `complete` says no more bytes will
 * come (the read-ahead reached its bound, or the client ended): a head still unfinished
 * then is `other`.
 */
export function sniffHttpRequest(bytes, complete = false) {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    const end = headEnd(text);
    if (end < 0)
        return complete || !startsLikeRequest(text) ? OTHER : INCOMPLETE;
    const lines = text.slice(0, end).split(/\r?\n/);
    const request = /^([^ ]+) ([^ ]+) HTTP\/(1\.[01])$/.exec(lines[0] ?? '');
    if (request === null || !TOKEN.test(request[1]))
        return OTHER;
    const headers = new Map();
    for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon);
        if (colon <= 0 || !TOKEN.test(name))
            return OTHER;
        const key = name.toLowerCase();
        const values = headers.get(key) ?? [];
        values.push(line.slice(colon + 1).trim());
        headers.set(key, values);
    }
    return { kind: 'request', method: request[1], version: request[3], headers };
}
/** Where the head ends (the empty line), or -1. LF-only lines are accepted, as servers do. */
function headEnd(text) {
    const crlf = text.indexOf('\r\n\r\n');
    const lf = text.indexOf('\n\n');
    if (crlf < 0)
        return lf;
    return lf < 0 ? crlf : Math.min(crlf, lf);
}
/** Whether an unfinished head could still become a request line `METHOD SP TARGET SP HTTP/1.x`. */
function startsLikeRequest(text) {
    const lineEnd = text.indexOf('\n');
    const line = (lineEnd < 0 ? text : text.slice(0, lineEnd)).replace(/\r$/, '');
    const space = line.indexOf(' ');
    const method = space < 0 ? line : line.slice(0, space);
    if (method.length > MAX_METHOD || (method !== '' && !TOKEN.test(method)))
        return false;
    if (space < 0)
        return lineEnd < 0;
    const rest = line.slice(space + 1);
    const second = rest.indexOf(' ');
    if (second < 0)
        return lineEnd < 0 && !/[\x00-\x20\x7f]/.test(rest);
    const version = rest.slice(second + 1);
    if (lineEnd < 0)
        return 'HTTP/1.1'.startsWith(version) || 'HTTP/1.0'.startsWith(version);
    return /^HTTP\/1\.[01]$/.test(version);
}
/**
 * Whether an Accept header value lists `text/html` with a q above 0 (`*\/*` alone does not
 * count: curl, apps and API clients send that, browsers name text/html first).
 */
export function acceptsHtml(values) {
    if (values === undefined)
        return false;
    for (const range of values.join(',').split(',')) {
        const [type, ...params] = range.split(';').map((p) => p.trim().toLowerCase());
        if (type !== 'text/html')
            continue;
        const q = params.find((p) => p.startsWith('q='));
        if (q === undefined || Number(q.slice(2)) > 0)
            return true;
    }
    return false;
}
//# sourceMappingURL=http-sniff.js.map