import { ValueError } from '../errors.js';
import { nativeClass } from '../native/addon.js';
const EXPECTED = 'connect, http://HOST:PORT/PATH or exec COMMAND, or notify';
export function readReadyCheck(f) {
    if (f.text('ready', EXPECTED) === undefined)
        return { kind: 'connect' };
    // From the raw line, as exec = is read: `ini` would cut `sh -c "a; b"` at the `;`.
    const words = f.argv('ready') ?? [];
    const [first, ...rest] = words;
    if (first === 'connect' && rest.length === 0)
        return { kind: 'connect' };
    if (first === 'notify' && rest.length === 0)
        return { kind: 'notify' };
    if (first === 'exec') {
        if (rest.length === 0 || rest[0] === '')
            f.fail('ready', 'exec needs a command to run, e.g. ready = exec /usr/bin/pg_isready -q');
        return { kind: 'exec', argv: rest };
    }
    if (first !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(first) && rest.length === 0) {
        return f.parse('ready', first, parseReadyUrl);
    }
    return f.fail('ready', `"${words.join(' ')}" is not one of: ${EXPECTED}`);
}
/**
 * `ready = notify` needs an exec backend (mrsocko makes the socket and gives it to the
 * command) and the native addon (Node core cannot receive on it).
 */
export function checkNotifyPossible(f, ready, mode) {
    if (ready.kind !== 'notify')
        return;
    if (mode === 'unit') {
        f.fail('ready', 'notify applies to exec = backends; for unit =, give the unit Type=notify ' +
            '(systemctl start then returns once the service said READY=1) and use ready = connect');
    }
    const addon = nativeClass('NotifySocket');
    if (typeof addon === 'string') {
        f.fail('ready', `notify needs mrsocko's native addon, which is not available (${addon}); build it with ` +
            '`npm run build:native` (needs g++, make, python3 and Node.js headers; see docs/native.md), or use another ready =');
    }
}
/** http://HOST[:PORT]/PATH → where to send the GET. Only plain http: the backend is local or trusted. */
function parseReadyUrl(text) {
    let url;
    try {
        url = new URL(text);
    }
    catch {
        throw new ValueError(`"${text}" is not a URL; expected http://HOST:PORT/PATH`);
    }
    if (url.protocol !== 'http:') {
        throw new ValueError(`"${text}": only http:// URLs can be checked (the check talks to the backend directly, without TLS)`);
    }
    if (url.username !== '' || url.password !== '')
        throw new ValueError(`"${text}": a user or password in the URL is not supported`);
    if (url.hash !== '')
        throw new ValueError(`"${text}": a #fragment is never sent to a server; remove it`);
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    if (host === '')
        throw new ValueError(`"${text}" names no host`);
    return { kind: 'http', host, port: url.port === '' ? 80 : Number(url.port), path: `${url.pathname}${url.search}`, url: url.href };
}
//# sourceMappingURL=ready.js.map