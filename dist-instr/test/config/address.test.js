import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backendLoopsToListen, listenAddressesOverlap, parseBackend, parseListen, } from '../../src/config/address.js';
import { ValueError } from '../../src/errors.js';
test('listen: a bare PORT is one dual-stack [::] socket, as systemd binds it', () => {
    assert.deepEqual(parseListen('8096'), { kind: 'inet', host: '::', port: 8096, family: 6, text: '8096' });
});
test('listen: IPV4:PORT, [IPV6]:PORT and /path', () => {
    assert.deepEqual(parseListen(' 127.0.0.1:80 '), { kind: 'inet', host: '127.0.0.1', port: 80, family: 4, text: '127.0.0.1:80' });
    assert.deepEqual(parseListen('[::1]:443'), { kind: 'inet', host: '::1', port: 443, family: 6, text: '[::1]:443' });
    assert.deepEqual(parseListen('[::]:65535'), { kind: 'inet', host: '::', port: 65535, family: 6, text: '[::]:65535' });
    assert.deepEqual(parseListen('/run/app.sock'), { kind: 'unix', path: '/run/app.sock', text: '/run/app.sock' });
});
function rejects(parse, text, pattern) {
    assert.throws(() => parse(text), (err) => {
        assert.ok(err instanceof ValueError, `${text}: ${String(err)}`);
        assert.match(err.message, pattern, text);
        return true;
    });
}
test('listen: clear messages for bad addresses', () => {
    rejects(parseListen, '', /expected PORT, IPV4:PORT, \[IPV6\]:PORT or \/path\/to.sock/);
    rejects(parseListen, '0', /out of range 1-65535/);
    rejects(parseListen, '65536', /out of range 1-65535/);
    rejects(parseListen, '127.0.0.1:0', /out of range/);
    rejects(parseListen, '127.0.0.1:http', /not a number/);
    rejects(parseListen, '127.0.0.1:', /not a number/);
    rejects(parseListen, '127.0.0.256:80', /not a valid IPv4 address/);
    rejects(parseListen, 'localhost:80', /not an IP address.*names are not resolved/);
    rejects(parseListen, '::1:80', /brackets/);
    rejects(parseListen, '[::1]80', /\[IPV6\]:PORT/);
    rejects(parseListen, '[127.0.0.1]:80', /brackets are only for IPv6/);
    rejects(parseListen, ':80', /missing host/);
    rejects(parseListen, 'web', /expected PORT/);
    rejects(parseListen, 'run/app.sock', /must be absolute/);
    rejects(parseListen, '@abstract', /abstract/);
    rejects(parseListen, `/${'x'.repeat(107)}`, /107 bytes/);
});
test('backend: HOST:PORT with an IP or a host name, [V6]:PORT, /path', () => {
    assert.deepEqual(parseBackend('127.0.0.1:18096'), { kind: 'inet', host: '127.0.0.1', port: 18096, text: '127.0.0.1:18096' });
    assert.deepEqual(parseBackend('localhost:8080'), { kind: 'inet', host: 'localhost', port: 8080, text: 'localhost:8080' });
    assert.deepEqual(parseBackend('db-1.example.org:5432'), { kind: 'inet', host: 'db-1.example.org', port: 5432, text: 'db-1.example.org:5432' });
    assert.deepEqual(parseBackend('[fd00::2]:80'), { kind: 'inet', host: 'fd00::2', port: 80, text: '[fd00::2]:80' });
    assert.deepEqual(parseBackend('/run/app/app.sock'), { kind: 'unix', path: '/run/app/app.sock', text: '/run/app/app.sock' });
});
test('backend: clear messages for bad addresses', () => {
    rejects(parseBackend, '8080', /needs a host too, e.g. 127.0.0.1:8080/);
    rejects(parseBackend, 'localhost', /expected HOST:PORT/);
    rejects(parseBackend, 'localhost:99999', /out of range/);
    rejects(parseBackend, '-bad-:80', /neither an IP address nor a valid host name/);
    rejects(parseBackend, 'a b:80', /neither an IP address nor a valid host name/);
    rejects(parseBackend, '300.1.1.1:80', /not a valid IPv4/);
    rejects(parseBackend, 'fd00::2:80', /brackets/);
    rejects(parseBackend, 'app.sock/x', /must be absolute/);
});
test('overlap: same protocol sockets that cannot both be bound', () => {
    const l = parseListen;
    assert.equal(listenAddressesOverlap(l('80'), l('80')), true);
    assert.equal(listenAddressesOverlap(l('80'), l('127.0.0.1:80')), true, 'dual-stack [::] covers IPv4');
    assert.equal(listenAddressesOverlap(l('[::]:80'), l('[::1]:80')), true);
    assert.equal(listenAddressesOverlap(l('0.0.0.0:80'), l('10.0.0.1:80')), true);
    assert.equal(listenAddressesOverlap(l('[0:0::1]:80'), l('[::1]:80')), true, 'one spelling per address');
    assert.equal(listenAddressesOverlap(l('/run/a.sock'), l('/run//a.sock')), true);
    assert.equal(listenAddressesOverlap(l('0.0.0.0:80'), l('[::1]:80')), false);
    assert.equal(listenAddressesOverlap(l('10.0.0.1:80'), l('10.0.0.2:80')), false);
    assert.equal(listenAddressesOverlap(l('80'), l('81')), false);
    assert.equal(listenAddressesOverlap(l('/run/a.sock'), l('/run/b.sock')), false);
    assert.equal(listenAddressesOverlap(l('/run/a.sock'), l('80')), false);
});
test('loop: a backend that is the listening socket itself', () => {
    const b = parseBackend;
    const l = parseListen;
    assert.equal(backendLoopsToListen(b('127.0.0.1:80'), l('80')), true);
    assert.equal(backendLoopsToListen(b('localhost:80'), l('80')), true);
    assert.equal(backendLoopsToListen(b('[::1]:80'), l('[::]:80')), true);
    assert.equal(backendLoopsToListen(b('127.0.0.1:80'), l('0.0.0.0:80')), true);
    assert.equal(backendLoopsToListen(b('10.0.0.1:80'), l('10.0.0.1:80')), true);
    assert.equal(backendLoopsToListen(b('/run/a.sock'), l('/run/a.sock')), true);
    assert.equal(backendLoopsToListen(b('192.168.1.5:80'), l('80')), false, 'may be another machine');
    assert.equal(backendLoopsToListen(b('127.0.0.1:81'), l('80')), false);
    assert.equal(backendLoopsToListen(b('localhost:80'), l('0.0.0.0:80')), false, 'localhost may be ::1');
    assert.equal(backendLoopsToListen(b('/run/b.sock'), l('/run/a.sock')), false);
});
//# sourceMappingURL=address.test.js.map