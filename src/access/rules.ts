// Address rules, as written in `allow`, `deny`, `wake` and `keepalive`: single addresses,
// CIDR ranges (IPv4 and IPv6) and a few keywords. Parsed and matched with ipaddr.js.
//
//   10.1.2.3, 10.0.0.0/8, 2001:db8::1, 2001:db8::/32, ::ffff:10.0.0.0/104 (= 10.0.0.0/8)
//   localhost        127.0.0.0/8, ::1 (and unix-socket peers)
//   private, lan     10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 169.254.0.0/16, fc00::/7, fe80::/10
//   any, all         every client
//   knocked          an address that knocked ([knock]) within `open_for`
//
// `knocked` is the one rule that depends on state: the list is given a predicate that
// answers it (the knock state, src/access/knock/), so matching stays a pure function.
//
// Client addresses arrive normalised (./address.ts): an IPv4 client is matched by IPv4
// rules only, whether it came over IPv4 or as `::ffff:a.b.c.d`; rules written in the
// IPv4-mapped form (a prefix of /96 or longer inside ::ffff:0:0/96) are IPv4 rules. Other
// IPv6 ranges, even `::/0`, match IPv6 clients only. A unix-socket peer is local: it
// matches a rule when the rule matches 127.0.0.1 or ::1.
import net from 'node:net';
import { ipaddr, type IPv4, type IPv6 } from './ipaddr.js';
import { ValueError } from '../config/value-error.js';
import type { ClientAddress, IP } from './address.js';

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

/** Answers `knocked` for a client. */
export type KnockedPredicate = (address: ClientAddress) => boolean;
const NOBODY_KNOCKED: KnockedPredicate = () => false;

const cidr = (text: string): Network => {
  const [ip, bits] = ipaddr.parseCIDR(text);
  return [ip, bits];
};

const KEYWORDS: ReadonlyMap<string, readonly Network[] | 'any'> = new Map<string, readonly Network[] | 'any'>([
  ['any', 'any'],
  ['all', 'any'],
  ['localhost', ['127.0.0.0/8', '::1/128'].map(cidr)],
  ['private', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', 'fc00::/7', 'fe80::/10'].map(cidr)],
]);
const ALIASES: ReadonlyMap<string, string> = new Map([['lan', 'private']]);

const FORMS = 'expected an IP address, a CIDR range (10.0.0.0/8, 2001:db8::/32) or one of localhost, private, lan, any, knocked';

const LOOPBACK_V4 = ipaddr.parse('127.0.0.1');
const LOOPBACK_V6 = ipaddr.parse('::1');

/** Parses one list entry; a ValueError says what is wrong with it. */
export function parseAddressRule(input: string): AddressRule {
  const text = input.trim();
  const keyword = text.toLowerCase();
  const known = KEYWORDS.get(ALIASES.get(keyword) ?? keyword);
  if (known === 'any') return { text, any: true, networks: [] };
  if (keyword === 'knocked') return { text, any: false, knocked: true, networks: [] };
  if (known !== undefined) return { text, any: false, networks: known };
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

/** A compiled list (one config key). Empty means "no rules": each caller decides what that implies. */
export class AddressRules {
  readonly rules: readonly AddressRule[];
  private readonly any: boolean;
  private readonly v4: IPv4[] = [];
  private readonly v4Bits: number[] = [];
  private readonly v6: IPv6[] = [];
  private readonly v6Bits: number[] = [];
  private readonly local: boolean;
  private readonly knocked: boolean;

  /** Throws a ValueError for the first bad entry; load.ts validates every list this way. */
  static parse(entries: readonly string[], isKnocked?: KnockedPredicate): AddressRules {
    return new AddressRules(entries.map(parseAddressRule), isKnocked);
  }

  constructor(
    rules: readonly AddressRule[],
    private readonly isKnocked: KnockedPredicate = NOBODY_KNOCKED,
  ) {
    this.rules = rules;
    this.any = rules.some((r) => r.any);
    this.knocked = rules.some((r) => r.knocked === true);
    for (const r of rules) {
      for (const [ip, bits] of r.networks) {
        if (ip.kind() === 'ipv4') {
          this.v4.push(ip as IPv4);
          this.v4Bits.push(bits);
        } else {
          this.v6.push(ip as IPv6);
          this.v6Bits.push(bits);
        }
      }
    }
    this.local = this.any || this.matchesIp(LOOPBACK_V4) || this.matchesIp(LOOPBACK_V6);
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  matches(address: ClientAddress): boolean {
    if (address.ip === undefined) return this.local;
    return this.any || this.matchesIp(address.ip) || (this.knocked && this.isKnocked(address));
  }

  /** The first entry (as written) that matches, for log lines. */
  firstMatch(address: ClientAddress): string | undefined {
    return this.rules.find((r) => new AddressRules([r], this.isKnocked).matches(address))?.text;
  }

  private matchesIp(ip: IP): boolean {
    if (ip.kind() === 'ipv4') {
      const { v4, v4Bits } = this;
      for (let i = 0; i < v4.length; i++) if ((ip as IPv4).match(v4[i] as IPv4, v4Bits[i])) return true;
    } else {
      const { v6, v6Bits } = this;
      for (let i = 0; i < v6.length; i++) if ((ip as IPv6).match(v6[i] as IPv6, v6Bits[i])) return true;
    }
    return false;
  }
}
