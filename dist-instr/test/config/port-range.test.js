// `check` warns about backend ports in net.ipv4.ip_local_port_range (src/config/port-range.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseConfig } from '../../src/config/load.js';
import { ephemeralPortWarnings, parseReserved, readEphemeralPorts } from '../../src/config/port-range.js';
import { cliPath } from '../helpers/paths.js';
import { prerequisite } from '../helpers/require.js';
const conf = (...backends) => `[service]\nexec = /usr/bin/true\n` +
    backends.map((b, i) => `[socket.s${i}]\nlisten = ${20000 + i}\nbackend = ${b}\n`).join('');
test('warns for local backend ports inside the range, not for reserved ones, lower ones or remote hosts', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mrsocko-ports-'));
    try {
        fs.writeFileSync(path.join(dir, 'range'), '32768\t60999\n');
        fs.writeFileSync(path.join(dir, 'reserved'), '40001,41000-41010\n');
        const ports = readEphemeralPorts(path.join(dir, 'range'), path.join(dir, 'reserved'));
        assert.deepEqual(ports, { low: 32768, high: 60999, reserved: [[40001, 40001], [41000, 41010]] });
        const config = parseConfig(conf('127.0.0.1:40000', '127.0.0.1:40001', 'localhost:41005', '127.0.0.1:18096', '[::1]:60999', '192.0.2.7:45000', 'db.example:45001'), 'x.conf');
        const warnings = ephemeralPortWarnings(config, ports, (h) => h === 'localhost' || h.startsWith('127.') || h === '::1');
        assert.equal(warnings.length, 2, warnings.join('\n'));
        assert.match(warnings[0], /x\.conf:3: \[socket\.s0\] backend: port 40000 lies in net\.ipv4\.ip_local_port_range \(32768-60999\)/);
        assert.match(warnings[0], /ip_local_reserved_ports=40000/);
        assert.match(warnings[1], /\[socket\.s4\] backend: port 60999/);
        assert.deepEqual(readEphemeralPorts(path.join(dir, 'none')), undefined);
        assert.deepEqual(parseReserved(''), []);
    }
    finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
test('mrsocko check: the warning on stderr, exit 0, the settings on stdout', (t) => {
    const ports = readEphemeralPorts();
    if (!prerequisite(t, ports !== undefined && ports.high - ports.low >= 10 && ports.low > 1, 'a Linux /proc/sys/net/ipv4/ip_local_port_range'))
        return;
    if (ports === undefined)
        return;
    let inside = Math.floor((ports.low + ports.high) / 2);
    while (ports.reserved.some(([a, z]) => inside >= a && inside <= z))
        inside += 1;
    const outside = ports.low - 1;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mrsocko-ports-'));
    try {
        const run = (text) => {
            const file = path.join(dir, 'a.conf');
            fs.writeFileSync(file, text);
            return spawnSync(process.execPath, [cliPath, 'check', '--config', file], { encoding: 'utf8', env: { PATH: process.env.PATH } });
        };
        const warned = run(conf(`127.0.0.1:${inside}`));
        assert.equal(warned.status, 0, warned.stderr);
        assert.match(warned.stderr, new RegExp(`^mrsocko: warning: .*a\\.conf:3: \\[socket\\.s0\\] backend: port ${inside} lies in net\\.ipv4\\.ip_local_port_range`, 'm'));
        assert.match(warned.stdout, new RegExp(`^backend = 127\\.0\\.0\\.1:${inside}$`, 'm'));
        const clean = run(conf(`127.0.0.1:${outside}`));
        assert.equal(clean.status, 0, clean.stderr);
        assert.equal(clean.stderr, '');
    }
    finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
//# sourceMappingURL=port-range.test.js.map