// The PROXY protocol header against HAProxy's protocol description: v1's line for the
// description's own examples and its longest forms, v2's signature, command, family,
// length and address block, IPv4-mapped clients as IPv4, unix clients as UNKNOWN / LOCAL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localHeader, proxyHeader } from '../../src/net/proxy-header.js';
const v4 = (address, port) => ({ address, port });
test('v1: the description\'s TCP4 example, byte for byte', () => {
    assert.equal(proxyHeader('v1', v4('192.168.0.1', 56324), v4('192.168.0.11', 443)).toString('latin1'), 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n');
});
test('v1: the longest TCP4 and TCP6 lines are 56 and 104 bytes, as the description bounds them', () => {
    const tcp4 = proxyHeader('v1', v4('255.255.255.255', 65535), v4('255.255.255.255', 65535));
    assert.equal(tcp4.toString('latin1'), 'PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n');
    assert.equal(tcp4.length, 56);
    const all = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
    const tcp6 = proxyHeader('v1', v4(all, 65535), v4(all, 65535));
    assert.equal(tcp6.toString('latin1'), `PROXY TCP6 ${all} ${all} 65535 65535\r\n`);
    assert.equal(tcp6.length, 104);
});
test('v1: IPv6 clients in the compressed form; IPv4-mapped ones (a dual-stack socket) as TCP4', () => {
    assert.equal(proxyHeader('v1', v4('::1', 40000), v4('::1', 8080)).toString('latin1'), 'PROXY TCP6 ::1 ::1 40000 8080\r\n');
    assert.equal(proxyHeader('v1', v4('::ffff:10.1.2.3', 40000), v4('::ffff:127.0.0.1', 8080)).toString('latin1'), 'PROXY TCP4 10.1.2.3 127.0.0.1 40000 8080\r\n');
    assert.equal(proxyHeader('v1', v4('fe80::1%eth0', 1), v4('fe80::2%eth0', 2)).toString('latin1'), 'PROXY TCP6 fe80::1 fe80::2 1 2\r\n');
});
test('v1: a unix-socket client is UNKNOWN', () => {
    assert.equal(proxyHeader('v1', { address: undefined, port: undefined }, { address: undefined, port: undefined }).toString('latin1'), 'PROXY UNKNOWN\r\n');
});
test('v2 TCP over IPv4: signature, \\x21, \\x11, length 12, addresses then ports in network order', () => {
    const h = proxyHeader('v2', v4('192.168.0.1', 56324), v4('192.168.0.11', 443));
    assert.deepEqual(h.subarray(0, 12), Buffer.from('\r\n\r\n\0\r\nQUIT\n', 'latin1'));
    assert.equal(h[12], 0x21);
    assert.equal(h[13], 0x11);
    assert.equal(h.readUInt16BE(14), 12);
    assert.equal(h.length, 16 + 12);
    assert.deepEqual([...h.subarray(16, 24)], [192, 168, 0, 1, 192, 168, 0, 11]);
    assert.equal(h.readUInt16BE(24), 56324);
    assert.equal(h.readUInt16BE(26), 443);
});
test('v2 TCP over IPv6: \\x21, length 36; an IPv4-mapped pair is written as IPv4', () => {
    const h = proxyHeader('v2', v4('2001:db8::1', 1234), v4('::1', 80));
    assert.equal(h[12], 0x21);
    assert.equal(h[13], 0x21);
    assert.equal(h.readUInt16BE(14), 36);
    assert.equal(h.length, 16 + 36);
    assert.deepEqual([...h.subarray(16, 32)], [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    assert.deepEqual([...h.subarray(32, 48)], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    assert.equal(h.readUInt16BE(48), 1234);
    assert.equal(h.readUInt16BE(50), 80);
    const mapped = proxyHeader('v2', v4('::ffff:10.0.0.7', 5), v4('::ffff:127.0.0.1', 6));
    assert.equal(mapped[13], 0x11);
    assert.deepEqual([...mapped.subarray(16, 24)], [10, 0, 0, 7, 127, 0, 0, 1]);
});
test('v2: one IPv4 and one IPv6 end are both written as IPv6 (the families must match)', () => {
    const h = proxyHeader('v2', v4('10.0.0.7', 5), v4('::1', 6));
    assert.equal(h[13], 0x21);
    assert.deepEqual([...h.subarray(16, 32)], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 7]);
});
test('v2: a unix-socket client is LOCAL with UNSPEC and no address block', () => {
    const h = proxyHeader('v2', { address: undefined, port: undefined }, { address: undefined, port: undefined });
    assert.deepEqual(h, localHeader());
    assert.equal(h.length, 16);
    assert.equal(h[12], 0x20);
    assert.equal(h[13], 0x00);
    assert.equal(h.readUInt16BE(14), 0);
});
test('an address that is not an IP (never from the kernel) gives UNKNOWN / LOCAL, not a broken header', () => {
    assert.equal(proxyHeader('v1', v4('not-an-ip', 1), v4('127.0.0.1', 2)).toString('latin1'), 'PROXY UNKNOWN\r\n');
    assert.deepEqual(proxyHeader('v2', v4('127.0.0.1', 70000), v4('127.0.0.1', 2)), localHeader());
});
test('a dotted address with an octet over 255 is not an IPv4 address', () => {
    assert.equal(proxyHeader('v1', v4('256.1.1.1', 1), v4('127.0.0.1', 2)).toString('latin1'), 'PROXY UNKNOWN\r\n');
    assert.equal(proxyHeader('v1', v4('::FFFF:10.0.0.1', 1), v4('127.0.0.1', 2)).toString('latin1'), 'PROXY TCP4 10.0.0.1 127.0.0.1 1 2\r\n');
});
//# sourceMappingURL=proxy-header.test.js.map