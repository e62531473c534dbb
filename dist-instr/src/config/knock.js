// `[knock]`: port sequences and single-packet knocks (../access/knock/). Every knock port
// is a socket of the instance, so it may share no address with another socket of its
// protocol; `knocked` in a rule list needs this section.
import { ValueError } from '../errors.js';
import { listenAddressesOverlap, parseListen } from './address.js';
const KNOCK_DEFAULTS = {
    windowMs: 10_000,
    openForMs: 60 * 60_000,
    listen: '62201',
};
/** `knocked` in a rule list with no [knock] section could never match: a mistake. */
export function refuseKnockedWithoutKnock(access, idle) {
    for (const [f, key] of [[access, 'allow'], [access, 'deny'], [access, 'wake'], [idle, 'keepalive']]) {
        if (f.list(key).some((entry) => entry.toLowerCase() === 'knocked')) {
            f.fail(key, 'knocked needs a [knock] section (sequence = or key =); without one no address is ever knocked');
        }
    }
}
export function readKnock(f, sockets) {
    const sequence = f.list('sequence').map((item) => f.parse('sequence', item, parseKnockStep));
    const key = f.absolutePath('key');
    if (f.has('listen') && key === undefined)
        f.fail('listen', 'is the port of single-packet knocks: it needs key = FILE too');
    if (sequence.length === 0 && key === undefined) {
        f.fail(undefined, 'needs sequence = PORT, ... (port knocking) or key = FILE (single-packet knocks), or both');
    }
    if (f.has('window') && sequence.length === 0)
        f.fail('window', 'only applies to sequence = (the time the whole sequence may take)');
    const listen = key === undefined ? undefined
        : f.parse('listen', f.text('listen', 'a UDP port such as 62201, IPV4:PORT or [IPV6]:PORT') ?? KNOCK_DEFAULTS.listen, parseKnockListen);
    const taken = sockets
        .filter((s) => s.listen.kind === 'inet')
        .map((s) => ({ listen: s.listen, protocol: s.protocol, key: 'socket', what: `[socket.${s.name}] listen = ${s.listen.text}` }));
    const claim = (key, step) => {
        const repeat = (t) => t.key === 'sequence' && key === 'sequence' && t.listen.text === step.listen.text;
        const clash = taken.find((t) => t.protocol === step.protocol && listenAddressesOverlap(t.listen, step.listen) && !repeat(t));
        if (clash !== undefined) {
            f.fail(key, `"${step.text}" clashes with ${clash.what}; a knock port must be a ${step.protocol} port of its own`);
        }
        taken.push({ listen: step.listen, protocol: step.protocol, key, what: `${key} = ${step.text}` });
    };
    for (const step of sequence)
        claim('sequence', step);
    if (listen !== undefined)
        claim('listen', { listen, protocol: 'udp', text: listen.text });
    return {
        sequence,
        windowMs: f.span('window', KNOCK_DEFAULTS.windowMs, { positive: true }),
        openForMs: f.span('open_for', KNOCK_DEFAULTS.openForMs, { positive: true }),
        key,
        listen,
        line: f.line(),
        keyLine: f.line('key'),
        sequenceLine: f.line('sequence'),
        listenLine: f.line('listen'),
    };
}
/** `7000`, `8000/udp`, `127.0.0.1:9000/tcp`, `[::1]:9000`. */
export function parseKnockStep(text) {
    const m = /^(.*?)(?:\/(tcp|udp))?$/i.exec(text.trim());
    const protocol = (m[2]?.toLowerCase() ?? 'tcp');
    const where = m[1];
    if (/^\d+:(tcp|udp)$/i.test(where)) {
        throw new ValueError(`"${text}" is knockd's client syntax; write ${where.replace(':', '/')} here`);
    }
    if (where.includes('/') || where.includes(':') && !where.startsWith('[') && !/^[\d.]+:\d+$/.test(where)) {
        throw new ValueError(`"${text}" is not a knock port; expected PORT, IPV4:PORT or [IPV6]:PORT, optionally with /udp or /tcp`);
    }
    return { listen: parseKnockListen(where), protocol, text: text.trim() };
}
function parseKnockListen(text) {
    const listen = parseListen(text);
    if (listen.kind !== 'inet')
        throw new ValueError(`"${text}" is not a port: knocks arrive over IP`);
    return listen;
}
//# sourceMappingURL=knock.js.map