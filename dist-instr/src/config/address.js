// Socket addresses in systemd's Listen syntax (systemd.socket(5), ListenStream=):
// `PORT`, `IPV4:PORT`, `[IPV6]:PORT`, `/path/to.sock`, and the backend's `HOST:PORT`,
// where HOST may also be a name such as localhost (resolved when connecting).
import net from 'node:net';
import path from 'node:path';
import { ValueError } from '../errors.js';
const LISTEN_FORMS = 'expected PORT, IPV4:PORT, [IPV6]:PORT or /path/to.sock';
const BACKEND_FORMS = 'expected HOST:PORT, [IPV6]:PORT or /path/to.sock';
/** sun_path is 108 bytes on Linux, including the terminating NUL. */
const UNIX_PATH_MAX = 107;
/** A bare PORT is one dual-stack socket on [::], as systemd binds it (BindIPv6Only=default). */
export const DUAL_STACK_HOST = '::';
/** Parses `listen =`. Hosts must be IP addresses: like systemd, names are not resolved here. */
export function parseListen(input) {
    const text = input.trim();
    const bad = (why) => { throw new ValueError(`"${text}" is not a listen address: ${why}`); };
    if (text === '')
        bad(`empty; ${LISTEN_FORMS}`);
    if (/^\d+$/.test(text)) {
        return { kind: 'inet', host: DUAL_STACK_HOST, port: parsePort(text, bad), family: 6, text };
    }
    const unix = parseUnixPath(text, bad);
    if (unix !== undefined)
        return { kind: 'unix', path: unix, text };
    const { host, portText } = splitHostPort(text, LISTEN_FORMS, bad);
    const family = net.isIP(host);
    if (family === 0) {
        bad(looksLikeIPv4(host)
            ? `"${host}" is not a valid IPv4 address`
            : `"${host}" is not an IP address (listen takes IPV4:PORT or [IPV6]:PORT; names are not resolved)`);
    }
    return { kind: 'inet', host, port: parsePort(portText, bad), family: family, text };
}
/** Parses `backend =`. HOST may be an IP address or a host name such as localhost. */
export function parseBackend(input) {
    const text = input.trim();
    const bad = (why) => { throw new ValueError(`"${text}" is not a backend address: ${why}`); };
    if (text === '')
        bad(`empty; ${BACKEND_FORMS}`);
    if (/^\d+$/.test(text))
        bad(`a backend needs a host too, e.g. 127.0.0.1:${text}`);
    const unix = parseUnixPath(text, bad);
    if (unix !== undefined)
        return { kind: 'unix', path: unix, text };
    const { host, portText } = splitHostPort(text, BACKEND_FORMS, bad);
    if (net.isIP(host) === 0) {
        if (looksLikeIPv4(host))
            bad(`"${host}" is not a valid IPv4 address`);
        if (!isHostName(host))
            bad(`"${host}" is neither an IP address nor a valid host name`);
    }
    return { kind: 'inet', host, port: parsePort(portText, bad), text };
}
/**
 * True when two listening sockets of the same protocol cannot both be bound: same unix
 * path, or same port where one host covers the other (the dual-stack `::` covers every
 * address, `0.0.0.0` every IPv4 address).
 */
export function listenAddressesOverlap(a, b) {
    if (a.kind === 'unix' || b.kind === 'unix') {
        return a.kind === 'unix' && b.kind === 'unix' && path.normalize(a.path) === path.normalize(b.path);
    }
    if (a.port !== b.port)
        return false;
    return covers(a, b) || covers(b, a);
}
/** True when connecting to `backend` would reach the listening socket itself (a proxy loop). */
export function backendLoopsToListen(backend, listen) {
    if (backend.kind === 'unix' || listen.kind === 'unix') {
        return backend.kind === 'unix' && listen.kind === 'unix' &&
            path.normalize(backend.path) === path.normalize(listen.path);
    }
    if (backend.port !== listen.port)
        return false;
    const listenHost = canonicalIP(listen.host);
    if (canonicalIP(backend.host) === listenHost)
        return true;
    // Beyond the same address, only hosts certain to reach this machine's wildcard socket:
    // a remote backend on the same port is fine, and so is an ambiguous "localhost".
    if (listenHost === DUAL_STACK_HOST)
        return backend.host === 'localhost' || isLoopback(backend.host);
    if (listenHost === '0.0.0.0')
        return net.isIPv4(backend.host) && isLoopback(backend.host);
    return false;
}
function covers(wide, narrow) {
    const w = canonicalIP(wide.host);
    if (w === DUAL_STACK_HOST)
        return true;
    if (w === '0.0.0.0')
        return narrow.family === 4;
    return w === canonicalIP(narrow.host);
}
/** One spelling per address ("0:0::1" → "::1"), keeping an IPv6 zone ("%eth0"). */
function canonicalIP(host) {
    const family = net.isIP(host);
    if (family === 0)
        return host;
    const [address = host, zone] = host.split('%');
    const canonical = new net.SocketAddress({ address, family: family === 6 ? 'ipv6' : 'ipv4' }).address;
    return zone === undefined ? canonical : `${canonical}%${zone}`;
}
function isLoopback(host) {
    return (net.isIPv4(host) && host.startsWith('127.')) || (net.isIPv6(host) && canonicalIP(host) === '::1');
}
/** Returns the path for `/abs/path`, undefined when the text is not meant as a path. */
function parseUnixPath(text, bad) {
    if (text.startsWith('@'))
        bad('abstract unix sockets (@name) are not supported; use a /path/to.sock');
    if (!text.includes('/'))
        return undefined;
    if (!path.isAbsolute(text))
        bad(`unix socket paths must be absolute, e.g. /run/${path.basename(text)}`);
    if (Buffer.byteLength(text) > UNIX_PATH_MAX)
        bad(`unix socket paths are limited to ${UNIX_PATH_MAX} bytes`);
    return text;
}
function splitHostPort(text, forms, bad) {
    if (text.startsWith('[')) {
        const m = /^\[([^\]]*)\]:(.*)$/.exec(text);
        if (m === null)
            bad(`write an IPv6 address as [IPV6]:PORT, e.g. [::1]:8080`);
        const [, host = '', portText = ''] = m;
        if (!net.isIPv6(host))
            bad(`"${host}" is not an IPv6 address (brackets are only for IPv6)`);
        return { host, portText };
    }
    const colon = text.lastIndexOf(':');
    if (colon < 0)
        bad(forms);
    const host = text.slice(0, colon);
    if (host === '')
        bad(`missing host before ":"; ${forms}`);
    if (host.includes(':'))
        bad(`put IPv6 addresses in brackets, e.g. [${host}]:${text.slice(colon + 1)}`);
    return { host, portText: text.slice(colon + 1) };
}
function parsePort(text, bad) {
    if (!/^\d+$/.test(text))
        bad(`port "${text}" is not a number (1-65535)`);
    const port = Number(text);
    if (port < 1 || port > 65535)
        bad(`port ${text} is out of range 1-65535`);
    return port;
}
function looksLikeIPv4(host) {
    return /^[\d.]+$/.test(host);
}
/** RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens. */
function isHostName(host) {
    if (host.length > 253)
        return false;
    return host.split('.').every((label) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}
//# sourceMappingURL=address.js.map