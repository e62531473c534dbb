// A client's address, normalised once at accept: the form every rule and every per-client
// figure uses. IPv4-mapped IPv6 (`::ffff:10.1.2.3`, how a dual-stack `[::]` socket shows
// IPv4 clients) becomes plain IPv4; a unix-socket peer (no remoteAddress) is "local".
import { ipaddr } from './ipaddr.js';
/** The key of unix-socket peers. */
const LOCAL_KEY = 'local';
export const LOCAL_CLIENT = Object.freeze({ key: LOCAL_KEY, ip: undefined });
/**
 * `remoteAddress` as Node reports it (net.Socket, or a datagram's rinfo.address).
 * undefined means a unix-socket peer. A string that is not an IP address (it never
 * happens with kernel-reported addresses) yields undefined, and the caller drops the client.
 */
export function clientAddress(remoteAddress) {
    if (remoteAddress === undefined)
        return LOCAL_CLIENT;
    let ip;
    try {
        ip = ipaddr.process(remoteAddress); // ::ffff:a.b.c.d → a.b.c.d
    }
    catch {
        return undefined;
    }
    return { key: ip.toString(), ip };
}
//# sourceMappingURL=address.js.map