// A client's address, normalised once at accept: the form every rule and every per-client
// figure uses. IPv4-mapped IPv6 (`::ffff:10.1.2.3`, how a dual-stack `[::]` socket shows
// IPv4 clients) becomes plain IPv4; a unix-socket peer (no remoteAddress) is "local".
import { ipaddr, type IPv4, type IPv6 } from './ipaddr.js';

export type IP = IPv4 | IPv6;

export interface ClientAddress {
  /** Normalised text and the key of per-client accounting: `10.1.2.3`, `2001:db8::1`
   *  (RFC 5952 form, with `%zone` for link-local), or `local` for a unix-socket peer. */
  readonly key: string;
  /** undefined for a unix-socket peer. */
  readonly ip: IP | undefined;
}

/** The key of unix-socket peers. */
const LOCAL_KEY = 'local';

export const LOCAL_CLIENT: ClientAddress = Object.freeze({ key: LOCAL_KEY, ip: undefined });

/**
 * `remoteAddress` as Node reports it (net.Socket, or a datagram's rinfo.address).
 * undefined means a unix-socket peer. A string that is not an IP address (it never
 * happens with kernel-reported addresses) yields undefined, and the caller drops the client.
 */
export function clientAddress(remoteAddress: string | undefined): ClientAddress | undefined {
  if (remoteAddress === undefined) return LOCAL_CLIENT;
  let ip: IP;
  try {
    ip = ipaddr.process(remoteAddress); // ::ffff:a.b.c.d → a.b.c.d
  } catch {
    return undefined;
  }
  return { key: ip.toString(), ip };
}
