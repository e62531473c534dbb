// The address rules (src/access/rules.ts, built on ipaddr.js) against an independent
// reference written here with BigInt arithmetic on the address bits: ≥ 10 000 random IPv4,
// IPv6 and IPv4-mapped client addresses against random rule sets, from a seeded PRNG
// (MRSOCKO_SEED=N reproduces a run; the seed is printed on failure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressRules } from '../../src/access/rules.js';
import { parseAddressRule } from '../../src/net/address-rule.js';
import { clientAddress, LOCAL_CLIENT } from '../../src/net/address.js';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
const WIDTH = { 4: 32, 6: 128 };
function refParseV4(text) {
    const parts = text.split('.');
    assert.equal(parts.length, 4, text);
    return parts.reduce((acc, p) => {
        const n = Number(p);
        assert.ok(/^\d{1,3}$/.test(p) && n <= 255, text);
        return (acc << 8n) | BigInt(n);
    }, 0n);
}
function refParseV6(input) {
    // a trailing dotted IPv4 part is two groups: rewrite it as hex first
    let text = input;
    const lastColon = text.lastIndexOf(':');
    const tail = text.slice(lastColon + 1);
    if (tail.includes('.')) {
        const v = refParseV4(tail);
        text = `${text.slice(0, lastColon + 1)}${(v >> 16n).toString(16)}:${(v & 0xffffn).toString(16)}`;
    }
    const split = (s) => (s === '' ? [] : s.split(':'));
    let groups;
    if (text.includes('::')) {
        const [head, rest] = text.split('::');
        const h = split(head);
        const r = split(rest);
        groups = [...h, ...Array(8 - h.length - r.length).fill('0'), ...r];
    }
    else
        groups = split(text);
    assert.equal(groups.length, 8, input);
    return groups.reduce((acc, g) => {
        assert.ok(/^[0-9a-f]{1,4}$/i.test(g), input);
        return (acc << 16n) | BigInt(parseInt(g, 16));
    }, 0n);
}
function refParse(text) {
    return text.includes(':') ? { family: 6, value: refParseV6(text) } : { family: 4, value: refParseV4(text) };
}
/** ::ffff:a.b.c.d is a.b.c.d. */
function refNormalise(a) {
    if (a.family === 6 && a.value >> 32n === 0xffffn)
        return { family: 4, value: a.value & 0xffffffffn };
    return a;
}
function refNetwork(text) {
    const [host, bitsText] = text.split('/');
    const a = refParse(host);
    let n = { ...a, bits: bitsText === undefined ? WIDTH[a.family] : Number(bitsText) };
    if (n.family === 6 && n.value >> 32n === 0xffffn && n.bits >= 96)
        n = { family: 4, value: n.value & 0xffffffffn, bits: n.bits - 96 };
    return n;
}
const REF_KEYWORDS = {
    any: 'any',
    all: 'any',
    localhost: ['127.0.0.0/8', '::1'].map(refNetwork),
    private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', 'fc00::/7', 'fe80::/10'].map(refNetwork),
    lan: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', 'fc00::/7', 'fe80::/10'].map(refNetwork),
};
function refRule(text) {
    return REF_KEYWORDS[text.toLowerCase()] ?? [refNetwork(text)];
}
function refInNetwork(a, n) {
    if (a.family !== n.family)
        return false;
    const shift = BigInt(WIDTH[a.family] - n.bits);
    return a.value >> shift === n.value >> shift;
}
function refMatches(rules, client) {
    if (client === 'local') {
        return refMatches(rules, refNormalise(refParse('127.0.0.1'))) || refMatches(rules, refParse('::1'));
    }
    return rules.some((r) => r === 'any' || r.some((n) => refInNetwork(client, n)));
}
// ---- random generation -----------------------------------------------------------------
/** mulberry32 */
function prng(seed) {
    let s = seed >>> 0;
    return () => {
        s = (s + 0x6d2b79f5) >>> 0;
        let t = s;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}
class Gen {
    random;
    constructor(random) {
        this.random = random;
    }
    int(n) {
        return Math.floor(this.random() * n);
    }
    pick(list) {
        return list[this.int(list.length)];
    }
    bits(width) {
        let v = 0n;
        for (let i = 0; i < width; i += 16)
            v = (v << 16n) | BigInt(this.int(0x10000));
        return v & ((1n << BigInt(width)) - 1n);
    }
}
const v4Text = (v) => [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
/** Several spellings of one IPv6 address: full, compressed, upper case, leading zeros. */
function v6Text(g, v) {
    const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((s) => Number((v >> s) & 0xffffn));
    const style = g.int(4);
    let parts = groups.map((x) => x.toString(16));
    if (style === 1)
        parts = groups.map((x) => x.toString(16).padStart(4, '0'));
    let text = parts.join(':');
    if (style >= 2) {
        // compress the longest run of zero groups
        let best = { at: -1, len: 0 };
        for (let i = 0; i < 8;) {
            let j = i;
            while (j < 8 && groups[j] === 0)
                j++;
            if (j - i > best.len)
                best = { at: i, len: j - i };
            i = j === i ? i + 1 : j;
        }
        if (best.len >= 1)
            text = `${parts.slice(0, best.at).join(':')}::${parts.slice(best.at + best.len).join(':')}`;
    }
    return style === 3 ? text.toUpperCase() : text;
}
function randomNetwork(g) {
    const kind = g.int(10);
    if (kind < 4) {
        const bits = g.int(3) === 0 ? g.int(33) : g.pick([8, 12, 16, 24, 32]);
        const value = g.bits(32) & ~((1n << BigInt(32 - bits)) - 1n) & 0xffffffffn;
        return { family: 4, value, bits, mapped: false };
    }
    if (kind < 6) {
        // an IPv4 range written in the IPv4-mapped form
        const bits = g.pick([0, 8, 16, 24, 31, 32]);
        const value = g.bits(32) & ~((1n << BigInt(32 - bits)) - 1n) & 0xffffffffn;
        return { family: 4, value, bits, mapped: true };
    }
    const bits = g.int(3) === 0 ? g.int(129) : g.pick([0, 7, 10, 32, 48, 64, 96, 127, 128]);
    let value = g.bits(128);
    if (g.int(4) === 0)
        value = (0xffffn << 32n) | g.bits(32); // inside ::ffff:0:0/96
    value &= ~((1n << BigInt(128 - bits)) - 1n) & ((1n << 128n) - 1n);
    return { family: 6, value, bits, mapped: false };
}
function networkText(g, n) {
    if (n.mapped) {
        const prefix = n.bits + 96;
        const text = g.int(2) === 0 ? `::ffff:${v4Text(n.value)}` : v6Text(g, (0xffffn << 32n) | n.value);
        return prefix === 128 && g.int(2) === 0 ? text : `${text}/${prefix}`;
    }
    const text = n.family === 4 ? v4Text(n.value) : v6Text(g, n.value);
    return n.bits === WIDTH[n.family] && g.int(2) === 0 ? text : `${text}/${n.bits}`;
}
/** A client near a pool network (host bits random) or anywhere; as Node would report it, or not. */
function randomClient(g, pool) {
    const kind = g.int(20);
    if (kind === 0)
        return undefined; // a unix-socket peer
    const near = g.int(3) > 0 ? g.pick(pool) : undefined;
    const family = near?.family ?? (g.int(2) === 0 ? 4 : 6);
    const width = WIDTH[family];
    let value = g.bits(width);
    if (near) {
        const hostBits = BigInt(width - near.bits);
        // mostly inside, sometimes one bit outside the prefix
        value = near.value | (value & ((1n << hostBits) - 1n));
        if (g.int(4) === 0 && near.bits > 0)
            value ^= 1n << hostBits;
    }
    if (family === 4) {
        const style = g.int(3);
        if (style === 0)
            return v4Text(value);
        if (style === 1)
            return `::ffff:${v4Text(value)}`; // how a dual-stack socket shows IPv4 clients
        return v6Text(g, (0xffffn << 32n) | value);
    }
    return v6Text(g, value);
}
const KEYWORD_TEXTS = ['localhost', 'private', 'lan', 'any', 'all', 'LocalHost'];
test('the matcher agrees with a BigInt reference on ≥ 10 000 random IPv4, IPv6 and IPv4-mapped clients', () => {
    const seed = Number(process.env.MRSOCKO_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const g = new Gen(prng(seed));
    const CLIENTS = 20_000;
    let checked = 0;
    let matched = 0;
    const perFamily = { v4: 0, v6: 0, mapped: 0, local: 0 };
    try {
        while (checked < CLIENTS) {
            const pool = Array.from({ length: 1 + g.int(6) }, () => randomNetwork(g));
            const texts = pool.map((n) => networkText(g, n));
            if (g.int(5) === 0)
                texts.push(g.pick(KEYWORD_TEXTS));
            const rules = AddressRules.parse(texts);
            const reference = texts.map(refRule);
            for (let i = 0; i < 20; i++) {
                const text = randomClient(g, pool);
                const client = clientAddress(text);
                assert.ok(client, `clientAddress(${text})`);
                const ref = text === undefined ? 'local' : refNormalise(refParse(text));
                const expected = refMatches(reference, ref);
                assert.equal(rules.matches(client), expected, `seed ${seed}: ${text ?? '(unix peer)'} against [${texts.join(', ')}]: expected ${expected}`);
                if (ref !== 'local' && ref.family === 4) {
                    assert.equal(client.key, v4Text(ref.value), `seed ${seed}: ${text} normalises to ${client.key}`);
                }
                if (ref === 'local')
                    perFamily.local++;
                else if (ref.family === 6)
                    perFamily.v6++;
                else if (text?.includes(':'))
                    perFamily.mapped++;
                else
                    perFamily.v4++;
                if (expected)
                    matched++;
                checked++;
            }
        }
    }
    catch (err) {
        console.log(`# rules property test failed with MRSOCKO_SEED=${seed}`);
        throw err;
    }
    // The generator must exercise every kind of client, and both outcomes.
    assert.ok(perFamily.v4 > 2000 && perFamily.v6 > 2000 && perFamily.mapped > 2000 && perFamily.local > 200, JSON.stringify(perFamily));
    assert.ok(matched > checked / 5 && matched < (checked * 4) / 5, `matched ${matched} of ${checked} (seed ${seed})`);
    console.log(`${checked} clients checked (${JSON.stringify(perFamily)}), ${matched} matched, seed ${seed}`);
});
test('the reference itself: a few hand-checked cases', () => {
    assert.equal(refParseV6('::ffff:1.2.3.4'), (0xffffn << 32n) | 0x01020304n);
    assert.equal(refParseV6('2001:db8::1'), (0x20010db8n << 96n) | 1n);
    assert.equal(refParseV6('::'), 0n);
    assert.equal(refParseV6('1::'), 1n << 112n);
    assert.deepEqual(refNetwork('::ffff:10.0.0.0/104'), { family: 4, value: 0x0a000000n, bits: 8 });
});
test('normalisation: IPv4-mapped is IPv4, unix peers are local', () => {
    assert.equal(clientAddress('::ffff:127.0.0.1')?.key, '127.0.0.1');
    assert.equal(clientAddress('::ffff:7f00:2')?.key, '127.0.0.2');
    assert.equal(clientAddress('2001:DB8:0::1')?.key, '2001:db8::1');
    assert.equal(clientAddress(undefined), LOCAL_CLIENT);
    assert.equal(clientAddress('not an address'), undefined);
});
test('keywords and edge cases', () => {
    const m = (rules, client) => AddressRules.parse(rules).matches(clientAddress(client));
    assert.ok(m(['localhost'], '127.8.9.10'));
    assert.ok(m(['localhost'], '::ffff:127.0.0.1'));
    assert.ok(m(['localhost'], '::1'));
    assert.ok(m(['localhost'], undefined), 'a unix-socket peer is local');
    assert.ok(!m(['localhost'], '10.0.0.1'));
    assert.ok(m(['127.0.0.1'], undefined), 'a unix-socket peer matches a loopback address');
    assert.ok(!m(['10.0.0.0/8'], undefined));
    assert.ok(m(['private'], '192.168.1.20') && m(['lan'], 'fd00::1') && m(['private'], 'fe80::1%eth0'));
    assert.ok(!m(['private'], '8.8.8.8') && !m(['private'], '127.0.0.1'));
    assert.ok(m(['any'], '8.8.8.8') && m(['all'], '2001:db8::1') && m(['any'], undefined));
    assert.ok(m(['0.0.0.0/0'], '::ffff:1.2.3.4'), 'an IPv4 range matches IPv4 clients seen over IPv6');
    assert.ok(!m(['::/0'], '1.2.3.4'), 'an IPv6 range does not match IPv4 clients');
    assert.ok(m(['::/0'], '2001:db8::1'));
    assert.ok(m(['::ffff:10.0.0.0/104'], '10.9.8.7'), 'a mapped range is an IPv4 range');
    assert.ok(m(['::ffff:10.1.2.3'], '10.1.2.3'));
    assert.ok(!m(['10.0.0.0/8'], '110.0.0.1'), 'no substring matching');
    assert.equal(AddressRules.parse([]).empty, true);
    assert.equal(parseAddressRule(' 10.0.0.0/8 ').text, '10.0.0.0/8');
});
test('bad entries are config errors naming file, line and key', () => {
    const base = '[service]\nexec = /bin/true\n[socket.a]\nlisten = 8080\nbackend = 127.0.0.1:9090\n';
    const cases = [
        ['[access]\nallow = 10.0.0.0/33\n', 'allow', /"\/33" is not a prefix length for IPv4 \(0-32\)/],
        ['[access]\ndeny = 10.1.2.3/8\n', 'deny', /host bits are set.*10\.0\.0\.0\/8/],
        ['[access]\nwake = 300.1.1.1\n', 'wake', /not a valid IPv4 address/],
        ['[access]\nallow = 10.0.0\n', 'allow', /not a valid IPv4 address/],
        ['[access]\nallow = ::1, example.com\n', 'allow', /names are not resolved/],
        ['[access]\nallow = fe80::1%eth0\n', 'allow', /zone indexes/],
        ['[access]\nallow = 2001:db8::/129\n', 'allow', /not a prefix length for IPv6 \(0-128\)/],
        ['[access]\nallow = 2001:db8::1/32\n', 'allow', /host bits are set.*2001:db8::\/32/],
        ['[idle]\nkeepalive = 10.0.0.1, nope\n', 'keepalive', /not an address rule/],
        ['[access]\nallow = 1.2.3.4/\n', 'allow', /not a prefix length/],
    ];
    for (const [text, key, message] of cases) {
        assert.throws(() => parseConfig(base + text, '/etc/mrsocko/x.conf'), (err) => {
            assert.ok(err instanceof ConfigError, String(err));
            assert.equal(err.location.line, 7, err.message);
            assert.equal(err.location.key, key, err.message);
            assert.match(err.message, /^\/etc\/mrsocko\/x\.conf:7: \[(access|idle)\] \w+: /);
            assert.match(err.message, message);
            return true;
        });
    }
    const ok = parseConfig(`${base}[access]\nallow = 10.0.0.0/8, ::1, localhost, LAN\n`, '/x.conf');
    assert.deepEqual(ok.access.allow, ['10.0.0.0/8', '::1', 'localhost', 'LAN'], 'kept as written');
});
//# sourceMappingURL=rules.test.js.map