import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { encodePacket, verifyPacket, PACKET_LENGTH, PACKET_SKEW_MS, } from '../../../src/access/knock/packet.js';
import { ReplayCache } from '../../../src/access/knock/replay.js';
const key = Buffer.from('0123456789abcdef0123456789abcdef');
const now = 1_780_000_000_000;
const nonce = Buffer.alloc(16, 0xab);
test('round trip: open the sender, an IPv4 and an IPv6 address', () => {
    for (const open of [undefined, '192.0.2.7', '2001:db8::1']) {
        const p = encodePacket(key, { timestamp: now / 1000, nonce, open });
        assert.equal(p.length, PACKET_LENGTH);
        const r = verifyPacket(key, p, now);
        assert.ok(r.ok, String(open));
        assert.equal(r.packet.open, open);
        assert.deepEqual(r.packet.nonce, nonce);
        assert.equal(r.packet.timestamp, now / 1000);
    }
    const mapped = verifyPacket(key, encodePacket(key, { timestamp: now / 1000, nonce, open: '::ffff:10.1.2.3' }), now);
    assert.ok(mapped.ok);
    assert.equal(mapped.packet.open, '10.1.2.3', 'an IPv4-mapped address is the IPv4 address');
});
test('the worked example of docs/knock-protocol.md', () => {
    const p = encodePacket(Buffer.from('correct horse battery staple'), {
        timestamp: 1767225600,
        nonce: Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex'),
        open: '192.0.2.7',
    });
    assert.equal(p.toString('hex'), '6d72736b01040000' + '000000006955b900' + '000102030405060708090a0b0c0d0e0f' + 'c0000207000000000000000000000000' +
        p.subarray(48).toString('hex'));
    // pinned so that the document's MAC can be checked against it
    assert.equal(p.subarray(48).toString('hex'), EXAMPLE_MAC);
});
// computed independently: printf %s HEX | xxd -r -p | openssl dgst -sha256 -mac HMAC -macopt hexkey:...
const EXAMPLE_MAC = '7b1a004da929b9290c892934bc1b7e51e6f7b9b7f1a6c97937d676d5223c8bdc';
test('a wrong key, a tampered byte, an expired or future timestamp are refused', () => {
    const p = encodePacket(key, { timestamp: now / 1000, nonce, open: '192.0.2.7' });
    assert.deepEqual(verifyPacket(Buffer.from('another key of sixteen+'), p, now), { ok: false, problem: 'bad-mac' });
    for (const at of [16, 20, 32, 35, 50, 79]) {
        const t = Buffer.from(p);
        t[at] = t[at] ^ 1;
        assert.deepEqual(verifyPacket(key, t, now), { ok: false, problem: 'bad-mac' }, `byte ${at}`);
    }
    assert.ok(verifyPacket(key, p, now + PACKET_SKEW_MS).ok, '60 s late is still in time');
    assert.ok(verifyPacket(key, p, now - PACKET_SKEW_MS).ok, '60 s early too');
    assert.deepEqual(verifyPacket(key, p, now + PACKET_SKEW_MS + 1000), { ok: false, problem: 'expired' });
    assert.deepEqual(verifyPacket(key, p, now - PACKET_SKEW_MS - 1000), { ok: false, problem: 'expired' });
});
test('malformed: length, magic, version, type, reserved bytes, stray address bytes', () => {
    const good = encodePacket(key, { timestamp: now / 1000, nonce, open: undefined });
    const bad = (f) => verifyPacket(key, f(Buffer.from(good)), now);
    const malformed = { ok: false, problem: 'malformed' };
    assert.deepEqual(bad((b) => b.subarray(0, 79)), malformed);
    assert.deepEqual(bad((b) => Buffer.concat([b, Buffer.alloc(1)])), malformed);
    assert.deepEqual(bad((b) => (b.write('MRSK', 0, 'latin1'), b)), malformed);
    assert.deepEqual(bad((b) => ((b[4] = 2), b)), malformed);
    assert.deepEqual(bad((b) => ((b[5] = 5), b)), malformed);
    assert.deepEqual(bad((b) => ((b[7] = 1), b)), malformed);
    assert.deepEqual(bad((b) => ((b[40] = 1), b)), malformed, 'open-the-sender with address bytes');
    const v4 = Buffer.from(encodePacket(key, { timestamp: now / 1000, nonce, open: '192.0.2.7' }));
    v4[40] = 1;
    assert.deepEqual(verifyPacket(key, v4, now), malformed, 'IPv4 with bytes past the fourth');
});
test('fuzz: random datagrams never throw and never verify', () => {
    const good = encodePacket(key, { timestamp: now / 1000, nonce, open: '2001:db8::1' });
    let verified = 0;
    for (let i = 0; i < 100_000; i++) {
        let data;
        const kind = i % 4;
        if (kind === 0)
            data = randomBytes(Math.floor(Math.random() * 200));
        else if (kind === 1)
            data = randomBytes(PACKET_LENGTH);
        else {
            // a valid header with random flips: the parser's branches past the magic
            data = Buffer.from(good);
            const flips = 1 + Math.floor(Math.random() * 4);
            for (let f = 0; f < flips; f++)
                data[Math.floor(Math.random() * PACKET_LENGTH)] ^= 1 << Math.floor(Math.random() * 8);
            if (kind === 3)
                data = data.subarray(0, Math.floor(Math.random() * PACKET_LENGTH) + 1);
            if (data.equals(good))
                continue;
        }
        const r = verifyPacket(key, data, now);
        if (r.ok)
            verified += 1;
    }
    assert.equal(verified, 0);
});
test('ReplayCache: a nonce is accepted once while its packet could pass; bounded, fails closed', () => {
    let wall = now;
    const cache = new ReplayCache(() => wall, 3);
    const ts = now / 1000;
    assert.equal(cache.admit(nonce, ts), 'fresh');
    assert.equal(cache.admit(nonce, ts), 'replayed');
    wall += PACKET_SKEW_MS;
    assert.equal(cache.admit(nonce, ts), 'replayed', 'still valid at +60 s, so still remembered');
    wall += 1;
    assert.equal(cache.size, 1);
    assert.equal(cache.admit(Buffer.alloc(16, 1), wall / 1000), 'fresh');
    assert.equal(cache.size, 1, 'the expired nonce was forgotten (its packet would fail the timestamp check)');
    assert.equal(cache.admit(Buffer.alloc(16, 2), wall / 1000), 'fresh');
    assert.equal(cache.admit(Buffer.alloc(16, 3), wall / 1000), 'fresh');
    assert.equal(cache.admit(Buffer.alloc(16, 4), wall / 1000), 'full', 'no nonce is forgotten early');
    assert.equal(cache.admit(Buffer.alloc(16, 2), wall / 1000), 'replayed');
    wall += 2 * PACKET_SKEW_MS;
    assert.equal(cache.admit(Buffer.alloc(16, 4), wall / 1000), 'fresh', 'room again once they expired');
});
//# sourceMappingURL=packet.test.js.map