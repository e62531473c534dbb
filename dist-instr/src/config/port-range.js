// A backend port inside net.ipv4.ip_local_port_range can be taken, just when the backend
// binds it, by the source port of some outgoing connection (the kernel picks those from
// that range) — the backend then fails with "address already in use", at random. `check`
// warns about it; ports listed in net.ipv4.ip_local_reserved_ports are never picked, so
// those are fine.
import fs from 'node:fs';
import os from 'node:os';
const PORT_RANGE_FILE = '/proc/sys/net/ipv4/ip_local_port_range';
const RESERVED_PORTS_FILE = '/proc/sys/net/ipv4/ip_local_reserved_ports';
/** What the kernel says; undefined when it cannot be read (not Linux, no /proc). */
export function readEphemeralPorts(rangeFile = PORT_RANGE_FILE, reservedFile = RESERVED_PORTS_FILE) {
    let range;
    try {
        range = fs.readFileSync(rangeFile, 'utf8');
    }
    catch {
        return undefined;
    }
    const [low, high] = range.trim().split(/\s+/).map(Number);
    if (!Number.isInteger(low) || !Number.isInteger(high))
        return undefined;
    let reserved = '';
    try {
        reserved = fs.readFileSync(reservedFile, 'utf8');
    }
    catch {
        // none reserved
    }
    return { low: low, high: high, reserved: parseReserved(reserved) };
}
/** "8080,9000-9010" → [[8080, 8080], [9000, 9010]]. */
export function parseReserved(text) {
    return text.trim().split(',').filter(Boolean).map((item) => {
        const [a, b] = item.split('-').map(Number);
        return [a, (b ?? a)];
    });
}
/** One warning per backend port on this machine that an outgoing connection's source port may hold. */
export function ephemeralPortWarnings(config, ports, local = localAddresses()) {
    if (ports === undefined)
        return [];
    const warnings = [];
    const seen = new Set();
    for (const s of config.sockets) {
        const b = s.backend;
        if (b.kind !== 'inet' || !local(b.host))
            continue;
        if (b.port < ports.low || b.port > ports.high)
            continue;
        if (ports.reserved.some(([a, z]) => b.port >= a && b.port <= z))
            continue;
        if (seen.has(`${s.protocol} ${b.port}`))
            continue;
        seen.add(`${s.protocol} ${b.port}`);
        warnings.push(`${config.file}:${s.line}: [socket.${s.name}] backend: port ${b.port} lies in net.ipv4.ip_local_port_range ` +
            `(${ports.low}-${ports.high}): an outgoing connection's source port may hold it just when the backend binds it. ` +
            `Pick a port below ${ports.low}, or reserve it: sysctl -w net.ipv4.ip_local_reserved_ports=${b.port} ` +
            '(and in /etc/sysctl.d/ to keep it)');
    }
    return warnings;
}
/** Whether a backend host is this machine: loopback, localhost, the unspecified address, or one of its interfaces. */
function localAddresses() {
    const mine = new Set(Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address)));
    return (host) => host === 'localhost' || host.startsWith('127.') || host === '::1' || host === '0.0.0.0' || host === '::' ||
        /^::ffff:127\./i.test(host) || mine.has(host);
}
//# sourceMappingURL=port-range.js.map