// A minimal DNS client for UDP tests: hand-made A queries (RFC 1035 §4.1) and just
// enough parsing of the answer to check it is the answer to *this* query, for *this*
// client: same id, same question, and the A record's address.
import dgram from 'node:dgram';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { haveCommand } from './require.js';
import { repoRoot } from './paths.js';
/** The dnsmasq binary tests use as a real UDP (and TCP) backend, if installed. */
export const DNSMASQ = ['/usr/sbin/dnsmasq', 'dnsmasq'].find((c) => haveCommand(c));
/** Every name under this domain resolves to ANSWER in the tests' dnsmasq. */
export const DOMAIN = 'example.test';
export const ANSWER = '10.9.8.7';
/**
 * The argv of a dnsmasq answering *.example.test on 127.0.0.1:port (UDP and TCP), in the
 * foreground, reading no system files, logging to stderr; `delayMs` > 0 sleeps first (a
 * slow cold start). Run as root it needs --user=root (else it switches to a user "dnsmasq"
 * that may not exist); run as another user (`user =`), `root: false` leaves that out.
 */
export function dnsmasqArgv(port, delayMs = 0, o = {}) {
    const dnsmasq = `${o.binary ?? DNSMASQ ?? 'dnsmasq'} --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts ` +
        `--port=${port} --listen-address=127.0.0.1 --bind-interfaces --address=/${DOMAIN}/${ANSWER} ` +
        `${o.root === false ? '' : '--user=root '}--pid-file= --log-facility=-`;
    const fixtures = o.fixtures ?? path.join(repoRoot, 'test/fixtures');
    return delayMs > 0 ? `/bin/sh ${fixtures}/after-delay.sh ${delayMs / 1000} ${dnsmasq}` : dnsmasq;
}
/** Whether `dnsmasq` runs here (it needs root for --user=root). */
export function dnsmasqUsable() {
    return DNSMASQ !== undefined && spawnSync(DNSMASQ, ['--version'], { stdio: 'ignore' }).status === 0;
}
/** An A/IN query with recursion desired. */
export function dnsQuery(id, name) {
    const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')]));
    const header = Buffer.alloc(12);
    header.writeUInt16BE(id, 0);
    header.writeUInt16BE(0x0100, 2); // RD
    header.writeUInt16BE(1, 4); // QDCOUNT
    const tail = Buffer.alloc(4);
    tail.writeUInt16BE(1, 0); // QTYPE A
    tail.writeUInt16BE(1, 2); // QCLASS IN
    return Buffer.concat([header, ...labels, Buffer.from([0]), tail]);
}
/** Parses an answer to a dnsQuery(); throws on anything malformed. */
export function parseDnsAnswer(msg) {
    if (msg.length < 12)
        throw new Error(`short DNS message (${msg.length} bytes)`);
    const id = msg.readUInt16BE(0);
    const flags = msg.readUInt16BE(2);
    if ((flags & 0x8000) === 0)
        throw new Error('not a response');
    const qd = msg.readUInt16BE(4);
    const an = msg.readUInt16BE(6);
    let at = 12;
    const labels = [];
    if (qd !== 1)
        throw new Error(`QDCOUNT ${qd}`);
    for (let len = msg[at] ?? 0; len !== 0; len = msg[at] ?? 0) {
        labels.push(msg.toString('ascii', at + 1, at + 1 + len));
        at += 1 + len;
    }
    at += 1 + 4;
    let address;
    for (let i = 0; i < an && address === undefined; i++) {
        at += (msg[at] ?? 0) >= 0xc0 ? 2 : skipName(msg, at);
        const type = msg.readUInt16BE(at);
        const rdlength = msg.readUInt16BE(at + 8);
        if (type === 1 && rdlength === 4)
            address = [...msg.subarray(at + 10, at + 14)].join('.');
        at += 10 + rdlength;
    }
    return { id, rcode: flags & 0x0f, name: labels.join('.'), address };
}
function skipName(msg, at) {
    let n = 0;
    for (let len = msg[at + n] ?? 0; len !== 0; len = msg[at + n] ?? 0) {
        if (len >= 0xc0)
            return n + 2;
        n += 1 + len;
    }
    return n + 1;
}
/**
 * One client socket sends `queries` queries to host:port (each with its own id and name,
 * tagged with `tag`), one every `spacingMs` (0: all at once), and waits up to `timeoutMs`
 * for every answer. No retries: each query must be answered the first time.
 */
export function dnsClient(host, port, tag, queries, timeoutMs, spacingMs = 0) {
    return new Promise((resolve) => {
        const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
        const expected = new Map();
        const problems = [];
        let answered = 0;
        let local = '';
        let finished = false;
        const done = () => {
            if (finished)
                return;
            finished = true;
            clearTimeout(timer);
            if (answered < queries)
                problems.push(`${tag}: ${queries - answered} of ${queries} queries unanswered`);
            socket.close();
            resolve({ answered, problems, local });
        };
        const timer = setTimeout(done, timeoutMs);
        socket.on('error', (err) => problems.push(`${tag}: ${err.message}`));
        socket.on('message', (msg) => {
            let a;
            try {
                a = parseDnsAnswer(msg);
            }
            catch (err) {
                problems.push(`${tag}: ${err.message}`);
                return;
            }
            const name = expected.get(a.id);
            if (name === undefined)
                problems.push(`${tag}: answer with unexpected id ${a.id} (${a.name})`);
            else if (a.name !== name)
                problems.push(`${tag}: answer ${a.id} is for ${a.name}, not ${name}`);
            else if (a.rcode !== 0 || a.address !== ANSWER)
                problems.push(`${tag}: ${name}: rcode ${a.rcode}, address ${a.address}`);
            else {
                answered += 1;
                expected.delete(a.id);
                if (answered === queries)
                    done();
            }
        });
        const send = (i) => {
            let id;
            do
                id = Math.floor(Math.random() * 0x10000);
            while (expected.has(id));
            const name = `q${i}.${tag}.${DOMAIN}`;
            expected.set(id, name);
            socket.send(dnsQuery(id, name), port, host);
        };
        socket.bind(0, () => {
            const a = socket.address();
            local = a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
            if (spacingMs === 0)
                for (let i = 0; i < queries; i++)
                    send(i);
            else {
                let i = 0;
                const next = () => {
                    if (finished || i >= queries)
                        return;
                    send(i++);
                    if (i < queries)
                        setTimeout(next, spacingMs);
                };
                next();
            }
        });
    });
}
/** `count` clients at once, `queries` each (one every `spacingMs`); totals. */
export async function dnsClients(host, port, count, queries, timeoutMs, spacingMs = 0) {
    const results = await Promise.all(Array.from({ length: count }, (_, i) => dnsClient(host, port, `c${i}`, queries, timeoutMs, spacingMs)));
    return {
        answered: results.reduce((n, r) => n + r.answered, 0),
        problems: results.flatMap((r) => r.problems),
        locals: results.map((r) => r.local),
    };
}
//# sourceMappingURL=dns.js.map