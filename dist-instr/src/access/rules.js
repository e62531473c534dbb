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
import { ipaddr } from '../net/ipaddr.js';
import { parseAddressRule } from '../net/address-rule.js';
const NOBODY_KNOCKED = () => false;
const LOOPBACK_V4 = ipaddr.parse('127.0.0.1');
const LOOPBACK_V6 = ipaddr.parse('::1');
/** A compiled list (one config key). Empty means "no rules": each caller decides what that implies. */
export class AddressRules {
    isKnocked;
    rules;
    any;
    v4 = [];
    v4Bits = [];
    v6 = [];
    v6Bits = [];
    local;
    knocked;
    /** Throws a ValueError for the first bad entry; load.ts validates every list this way. */
    static parse(entries, isKnocked) {
        return new AddressRules(entries.map(parseAddressRule), isKnocked);
    }
    constructor(rules, isKnocked = NOBODY_KNOCKED) {
        this.isKnocked = isKnocked;
        this.rules = rules;
        this.any = rules.some((r) => r.any);
        this.knocked = rules.some((r) => r.knocked === true);
        for (const r of rules) {
            for (const [ip, bits] of r.networks) {
                if (ip.kind() === 'ipv4') {
                    this.v4.push(ip);
                    this.v4Bits.push(bits);
                }
                else {
                    this.v6.push(ip);
                    this.v6Bits.push(bits);
                }
            }
        }
        this.local = this.any || this.matchesIp(LOOPBACK_V4) || this.matchesIp(LOOPBACK_V6);
    }
    get empty() {
        return this.rules.length === 0;
    }
    matches(address) {
        if (address.ip === undefined)
            return this.local;
        return this.any || this.matchesIp(address.ip) || (this.knocked && this.isKnocked(address));
    }
    /** The first entry (as written) that matches, for log lines. */
    firstMatch(address) {
        return this.rules.find((r) => new AddressRules([r], this.isKnocked).matches(address))?.text;
    }
    matchesIp(ip) {
        if (ip.kind() === 'ipv4') {
            const { v4, v4Bits } = this;
            for (let i = 0; i < v4.length; i++)
                if (ip.match(v4[i], v4Bits[i]))
                    return true;
        }
        else {
            const { v6, v6Bits } = this;
            for (let i = 0; i < v6.length; i++)
                if (ip.match(v6[i], v6Bits[i]))
                    return true;
        }
        return false;
    }
}
//# sourceMappingURL=rules.js.map