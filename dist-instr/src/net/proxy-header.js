// The PROXY protocol header (`[socket.X] proxy_protocol = v1 | v2`): the first bytes of an
// upstream connection, telling a backend that reads it which client the connection is for
// (the client's address and port, and the address and port it connected to). Version 1 is
// one line of text, version 2 a binary block; both as HAProxy's protocol description
// defines them. A client on a unix socket has no address: v1 says `UNKNOWN`, v2 `LOCAL`
// (the backend then uses the connection's own addresses). Pure: addresses in, bytes out.
import { ipaddr } from './ipaddr.js';
/** The twelve bytes every v2 header starts with. */
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V2_VERSION = 0x20;
const V2_LOCAL = 0x00;
const V2_PROXY = 0x01;
const V2_UNSPEC = 0x00;
const V2_TCP4 = 0x11;
const V2_TCP6 = 0x21;
/**
 * The header for a connection from `source` (the client) to `destination` (mrsocko's
 * listening address it reached). IPv4-mapped IPv6 addresses (a dual-stack socket's IPv4
 * clients) are written as IPv4; when only one side is IPv4 both are written as IPv6.
 */
export function proxyHeader(version, source, destination) {
    const pair = addressPair(source, destination);
    if (pair === undefined)
        return version === 'v1' ? Buffer.from('PROXY UNKNOWN\r\n', 'latin1') : localHeader();
    const sourcePort = source.port;
    const destinationPort = destination.port;
    if (version === 'v1') {
        // without a zone (`%eth0`): the line carries addresses only
        const text = (ip) => (ip.kind() === 'ipv4' ? ip.toString() : ipaddr.fromByteArray(ip.toByteArray()).toString());
        return Buffer.from(`PROXY TCP${pair.family} ${text(pair.source)} ${text(pair.destination)} ${sourcePort} ${destinationPort}\r\n`, 'latin1');
    }
    const addressBytes = pair.family === 4 ? 4 : 16;
    const body = 2 * addressBytes + 4;
    const header = Buffer.alloc(16 + body);
    V2_SIGNATURE.copy(header, 0);
    header[12] = V2_VERSION | V2_PROXY;
    header[13] = pair.family === 4 ? V2_TCP4 : V2_TCP6;
    header.writeUInt16BE(body, 14);
    header.set(pair.source.toByteArray(), 16);
    header.set(pair.destination.toByteArray(), 16 + addressBytes);
    header.writeUInt16BE(sourcePort, 16 + 2 * addressBytes);
    header.writeUInt16BE(destinationPort, 18 + 2 * addressBytes);
    return header;
}
/** A v2 `LOCAL` header: a connection mrsocko makes on its own behalf (no client's addresses). */
export function localHeader() {
    const header = Buffer.alloc(16);
    V2_SIGNATURE.copy(header, 0);
    header[12] = V2_VERSION | V2_LOCAL;
    header[13] = V2_UNSPEC;
    return header;
}
function addressPair(source, destination) {
    const s = parse(source);
    const d = parse(destination);
    if (s === undefined || d === undefined)
        return undefined;
    if (s.kind() === 'ipv4' && d.kind() === 'ipv4')
        return { family: 4, source: s, destination: d };
    return { family: 6, source: asIPv6(s), destination: asIPv6(d) };
}
/** Dotted IPv4, bare or IPv4-mapped (`::ffff:a.b.c.d`), as the kernel reports it: the common case, without ipaddr's general parser (~10 µs). */
const DOTTED = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/i;
function parse(endpoint) {
    const { address, port } = endpoint;
    if (address === undefined || port === undefined || !Number.isInteger(port) || port < 0 || port > 65535)
        return undefined;
    const dotted = DOTTED.exec(address);
    if (dotted !== null) {
        const octets = dotted.slice(1).map(Number);
        return octets.every((o) => o <= 255) ? new ipaddr.IPv4(octets) : undefined;
    }
    try {
        return ipaddr.process(address); // ::ffff:a.b.c.d → a.b.c.d
    }
    catch {
        return undefined;
    }
}
function asIPv6(ip) {
    return ip.kind() === 'ipv4' ? ip.toIPv4MappedAddress() : ip;
}
//# sourceMappingURL=proxy-header.js.map