// The grammar of one address rule, as written in `allow`, `deny`, `wake` and `keepalive`
// (../access/rules.ts matches lists of them): single addresses, CIDR ranges (IPv4 and
// IPv6) and the keywords localhost, private/lan, any/all and knocked. Here, below both
// the config loader (which checks every entry at load) and access (which matches).
import net from 'node:net';
import { ValueError } from '../errors.js';
import { ipaddr, type IPv6 } from './ipaddr.js';
import type { IP } from './address.js';

export type Network = readonly [IP, number];

export interface AddressRule {
  /** As written. */
  readonly text: string;
  /** Every client. */
  readonly any: boolean;
  /** `knocked`. */
  readonly knocked?: boolean;
  readonly networks: readonly Network[];
}


const cidr = (text: string): Network => {
  const [ip, bits] = ipaddr.parseCIDR(text);
  return [ip, bits];
};

// The keywords' ranges are parsed where a rule names them, not at every start: most
// configs name none, and a socket-activated mrsocko starts while its first client waits.
const KEYWORDS: ReadonlyMap<string, readonly string[] | 'any'> = new Map<string, readonly string[] | 'any'>([
  ['any', 'any'],
  ['all', 'any'],
  ['localhost', ['127.0.0.0/8', '::1/128']],
  ['private', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', 'fc00::/7', 'fe80::/10']],
]);
const ALIASES: ReadonlyMap<string, string> = new Map([['lan', 'private']]);

const FORMS = 'expected an IP address, a CIDR range (10.0.0.0/8, 2001:db8::/32) or one of localhost, private, lan, any, knocked';


/** Parses one list entry; a ValueError says what is wrong with it. */
export function parseAddressRule(input: string): AddressRule {
  const text = input.trim();
  const keyword = text.toLowerCase();
  const known = KEYWORDS.get(ALIASES.get(keyword) ?? keyword);
  if (known === 'any') return { text, any: true, networks: [] };
  if (keyword === 'knocked') return { text, any: false, knocked: true, networks: [] };
  if (known !== undefined) return { text, any: false, networks: known.map(cidr) };
  return { text, any: false, networks: [parseNetwork(text)] };
}

function parseNetwork(text: string): Network {
  const bad = (why: string): never => {
    throw new ValueError(`"${text}" is not an address rule: ${why}`);
  };
  const slash = text.indexOf('/');
  const host = slash === -1 ? text : text.slice(0, slash);
  const prefixText = slash === -1 ? undefined : text.slice(slash + 1);
  if (host.includes('%')) bad('zone indexes (%eth0) are not supported; write the address or range without it');
  const family = net.isIP(host);
  if (family === 0) {
    if (/^[\d.]+$/.test(host)) bad(`"${host}" is not a valid IPv4 address (four numbers 0-255, such as 192.168.1.20)`);
    if (/^[A-Za-z][\w.-]*$/.test(host) && slash === -1) bad(`unknown keyword or host name; names are not resolved, ${FORMS}`);
    bad(FORMS);
  }
  const width = family === 4 ? 32 : 128;
  let bits = width;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > width) {
      bad(`"/${prefixText}" is not a prefix length for IPv${family} (0-${width})`);
    }
    bits = Number(prefixText);
  }
  let ip: IP = family === 4 ? ipaddr.IPv4.parse(host) : ipaddr.IPv6.parse(host);
  // ::ffff:a.b.c.d/96+ is an IPv4 range in disguise: clients are matched as IPv4.
  if (ip.kind() === 'ipv6' && (ip as IPv6).isIPv4MappedAddress() && bits >= 96) {
    ip = (ip as IPv6).toIPv4Address();
    bits -= 96;
  }
  const network = networkAddress(ip, bits);
  if (network.toString() !== ip.toString()) {
    bad(`host bits are set after the /${prefixText ?? bits} prefix; the range is ${network.toString()}/${bits}` +
      `${ip.kind() === 'ipv4' ? ` (or write ${ip.toString()} alone for one address)` : ''}`);
  }
  return [ip, bits];
}

function networkAddress(ip: IP, bits: number): IP {
  return ip.kind() === 'ipv4'
    ? ipaddr.IPv4.networkAddressFromCIDR(`${ip.toString()}/${bits}`)
    : ipaddr.IPv6.networkAddressFromCIDR(`${ip.toString()}/${bits}`);
}
