// The one validator: config file text → the frozen, typed Config (./types.ts).
// Structure and line numbers come from the locator (./locate.ts), values from `ini`
// (./fields.ts), checks that span keys or sections are here. The first problem found is
// thrown as a ConfigError naming file, line, section and key.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { backendLoopsToListen, listenAddressesOverlap, parseBackend, parseListen } from './address.js';
import { Fields } from './fields.js';
import { locate } from './locate.js';
import { parseAddressRule } from '../net/address-rule.js';
import { checkNotifyPossible, readReadyCheck } from './ready.js';
import { checkTrustedFile, runningAsRoot, untrustedDirectoryReason } from './trust.js';
import { normalizeUnitName } from './unit-name.js';
import { closeEnough, suggest } from './suggest.js';
import { deepFreeze } from './freeze.js';
import { formatTimespan } from './timespan.js';
import { describeReadError } from './read-error.js';
import { readStartingPage } from './starting-page.js';
import { readKnock, refuseKnockedWithoutKnock } from './knock.js';
const DEFAULTS = {
    startTimeoutMs: 90_000,
    stopTimeoutMs: 30_000,
    protocol: 'tcp',
    flowTimeoutMs: 60_000,
    idleTimeoutMs: 15 * 60_000,
    maxRuntimeMs: Infinity,
    minRuntimeMs: 0,
    maxConnections: 1024,
    /** None: a reverse proxy on the same host is one address; fairness at max_connections comes from ../session/eviction.ts. */
    maxPerSource: undefined,
    logLevel: 'info',
    startingPageAfterMs: 1000,
};
/** Keys per section kind; `socket` stands for every [socket.NAME]. */
const KEYS = {
    service: ['unit', 'exec', 'user', 'group', 'directory', 'pidfile', 'stop', 'start_timeout', 'stop_timeout', 'ready', 'ready_delay'],
    socket: ['listen', 'protocol', 'backend', 'flow_timeout', 'ready_check', 'starting_page', 'starting_page_after', 'proxy_protocol', 'counts'],
    idle: ['timeout', 'max_runtime', 'min_runtime', 'keepalive', 'connections_count', 'exit', 'min_bytes', 'freeze'],
    access: ['allow', 'deny', 'wake', 'max_connections', 'max_per_source', 'wake_on'],
    knock: ['sequence', 'window', 'open_for', 'key', 'listen'],
    log: ['level', 'file', 'max_size', 'max_files'],
};
const EXEC_ONLY_KEYS = ['user', 'group', 'directory', 'pidfile'];
const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error'];
const PROTOCOLS = ['tcp', 'udp'];
const PROXY_PROTOCOLS = ['off', 'v1', 'v2'];
const WAKE_ON = ['connect', 'data'];
/** Like systemd's FileDescriptorName=, minus what LISTEN_FDNAMES cannot carry (":" separates
 * names there) and what would not survive a section header or a unit file. */
const SOCKET_NAME = /^[A-Za-z0-9_.-]{1,255}$/;
export function loadConfig(file, options = {}) {
    const asRoot = options.asRoot ?? runningAsRoot();
    checkTrustedFile(file, 'the config', undefined, asRoot);
    let text;
    try {
        text = fs.readFileSync(file, 'utf8');
    }
    catch (err) {
        throw new ConfigError({ file, line: 0 }, `cannot read the config: ${describeReadError(err)}`);
    }
    return parseConfig(text, file, { asRoot });
}
export function parseConfig(text, file, options = {}) {
    const raw = locate(text, file);
    const kinds = new Map(raw.sections.map((s) => [s, sectionKind(s, file)]));
    for (const [section, kind] of kinds)
        checkKeys(section, kind, file);
    const fields = (kind) => {
        const section = raw.sections.find((s) => kinds.get(s) === kind);
        return new Fields(file, section, kind);
    };
    // Read in the order of a typical file, so the first problem reported is the topmost one.
    const service = readService(requireSection(raw, 'service', file), file);
    const sockets = readSockets(raw, kinds, file, service, options.asRoot ?? false);
    const idle = readIdle(fields('idle'));
    const access = readAccess(fields('access'));
    const knockSection = raw.sections.find((s) => kinds.get(s) === 'knock');
    const knock = knockSection !== undefined ? readKnock(fields('knock'), sockets) : undefined;
    if (knock === undefined)
        refuseKnockedWithoutKnock(fields('access'), fields('idle'));
    const config = {
        file: path.resolve(file),
        service,
        sockets,
        idle,
        access,
        knock,
        log: readLog(fields('log'), options.asRoot ?? false),
    };
    // Not enumerable: where a setting was written is not a setting (two configs with the same
    // settings compare equal, and reload compares them).
    const lines = Object.fromEntries(raw.sections.flatMap((s) => [...s.entries.values()].map((e) => [`${s.name}.${e.key}`, e.line])));
    Object.defineProperty(config, 'lines', { value: Object.freeze(lines), enumerable: false });
    return deepFreeze(config);
}
/** The line of `[section] key` in the config, 0 when it is not set there. */
export function lineOf(config, section, key) {
    return config.lines[`${section}.${key}`] ?? 0;
}
function requireSection(raw, name, file) {
    const section = raw.sections.find((s) => s.name === name);
    if (section !== undefined)
        return section;
    throw new ConfigError({ file, line: raw.lastLine, section: name }, 'missing section; add [service] with unit = NAME.service or exec = COMMAND');
}
function sectionKind(section, file) {
    const { name, line } = section;
    const fail = (detail) => { throw new ConfigError({ file, line, section: name }, detail); };
    if (name === 'service' || name === 'idle' || name === 'access' || name === 'knock' || name === 'log')
        return name;
    if (name === 'socket')
        fail('a socket section needs a name: [socket.NAME], e.g. [socket.web]');
    if (name.startsWith('socket.')) {
        const socketName = name.slice('socket.'.length);
        if (!SOCKET_NAME.test(socketName)) {
            fail(`socket name "${socketName}" may only use letters, digits, "_", "." and "-" (1-255 characters), ` +
                'as it becomes FileDescriptorName= (":" separates names in LISTEN_FDNAMES)');
        }
        return 'socket';
    }
    const dot = name.indexOf('.');
    const guess = dot > 0 && closeEnough(name.slice(0, dot), 'socket')
        ? `socket${name.slice(dot)}`
        : suggest(name, ['service', 'idle', 'access', 'knock', 'log', 'socket.NAME']);
    fail(`unknown section${guess !== undefined ? `; did you mean [${guess}]?` : ''} ` +
        '(sections: [service], [socket.NAME], [idle], [access], [knock], [log])');
}
function checkKeys(section, kind, file) {
    const allowed = KEYS[kind];
    for (const entry of section.entries.values()) {
        if (allowed.includes(entry.key))
            continue;
        const guess = suggest(entry.key, allowed);
        const home = Object.keys(KEYS).find((k) => KEYS[k].includes(entry.key));
        const hint = guess !== undefined ? `did you mean ${guess}?`
            : home !== undefined ? `${entry.key} belongs in [${home === 'socket' ? 'socket.NAME' : home}]`
                : `[${kind === 'socket' ? 'socket.NAME' : kind}] takes: ${allowed.join(', ')}`;
        throw new ConfigError({ file, line: entry.line, section: section.name, key: entry.key }, `unknown key; ${hint}`);
    }
}
function readService(section, file) {
    const f = new Fields(file, section, 'service');
    const common = {
        stop: f.argv('stop'),
        startTimeoutMs: f.span('start_timeout', DEFAULTS.startTimeoutMs, { positive: true }),
        stopTimeoutMs: f.span('stop_timeout', DEFAULTS.stopTimeoutMs, { positive: true }),
        ready: readReadyCheck(f),
        readyDelayMs: f.span('ready_delay', 0),
    };
    if (f.has('unit') && f.has('exec')) {
        const later = f.line('unit') > f.line('exec') ? 'unit' : 'exec';
        const other = later === 'unit' ? 'exec' : 'unit';
        f.fail(later, `cannot be used together with ${other} = (line ${f.line(other)}): ` +
            'unit = starts a systemd unit, exec = runs a command; keep one');
    }
    if (f.has('unit')) {
        for (const key of EXEC_ONLY_KEYS) {
            if (f.has(key))
                f.fail(key, `only applies to exec = backends; with unit =, set it in the unit file instead`);
        }
        checkNotifyPossible(f, common.ready, 'unit');
        const text = f.required('unit', 'a systemd service name such as jellyfin.service');
        return { mode: 'unit', unit: f.parse('unit', text, normalizeUnitName), ...common };
    }
    const exec = f.argv('exec');
    if (exec === undefined)
        f.fail(undefined, 'needs unit = NAME.service (a systemd unit) or exec = COMMAND (run directly)');
    checkNotifyPossible(f, common.ready, 'exec');
    return {
        mode: 'exec',
        exec,
        user: accountName(f, 'user'),
        group: accountName(f, 'group'),
        directory: f.absolutePath('directory'),
        pidfile: f.absolutePath('pidfile'),
        ...common,
    };
}
function accountName(f, key) {
    const text = f.text(key, `a ${key} name or numeric id`);
    if (text !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(text)) {
        f.fail(key, `"${text}" is not a valid ${key} name or numeric id`);
    }
    return text;
}
function readSockets(raw, kinds, file, service, asRoot) {
    const read = [];
    for (const section of raw.sections) {
        if (kinds.get(section) !== 'socket')
            continue;
        const f = new Fields(file, section, section.name);
        const socket = readSocket(f, section, asRoot);
        const disagrees = read.find((r) => r.socket.protocol === 'tcp' && socket.protocol === 'tcp' &&
            r.socket.backend.text === socket.backend.text && r.socket.proxyProtocol !== socket.proxyProtocol);
        if (disagrees !== undefined) {
            f.fail('proxy_protocol', `is ${socket.proxyProtocol} but [${disagrees.f.name}] proxy_protocol = ${disagrees.socket.proxyProtocol} ` +
                `for the same backend ${socket.backend.text}: a backend port either reads the PROXY header or not; make them agree`);
        }
        const clash = read.find((r) => clashes(r.socket, socket));
        if (clash !== undefined) {
            f.fail('listen', `"${socket.listen.text}" clashes with [${clash.f.name}] listen = ${clash.socket.listen.text} ` +
                `(line ${clash.f.line('listen')}); two ${socket.protocol} sockets cannot bind the same address and port`);
        }
        read.push({ socket, f });
    }
    if (read.length === 0) {
        throw new ConfigError({ file, line: raw.lastLine, section: 'socket.NAME' }, 'no sockets; add at least one [socket.NAME] section with listen = and backend =');
    }
    for (const { socket, f } of read) {
        const loop = read.find((r) => r.socket.protocol === socket.protocol && backendLoopsToListen(socket.backend, r.socket.listen));
        if (loop !== undefined) {
            f.fail('backend', `"${socket.backend.text}" is mrsocko's own listen address ([${loop.f.name}] listen = ` +
                `${loop.socket.listen.text}); the backend must listen on another address or port`);
        }
    }
    if (service.ready.kind === 'connect' && read.every((r) => !r.socket.readyCheck)) {
        read[read.length - 1].f.fail('ready_check', 'every socket has ready_check = no and [service] ready = connect: ' +
            'nothing would tell when the backend is ready; keep one socket checked, or set ready = http://… or ready = exec …');
    }
    return read.map((r) => r.socket);
}
/** TCP and UDP may share a port; unix paths may never be shared. */
function clashes(a, b) {
    const bothUnix = a.listen.kind === 'unix' && b.listen.kind === 'unix';
    return (bothUnix || a.protocol === b.protocol) && listenAddressesOverlap(a.listen, b.listen);
}
function readSocket(f, section, asRoot) {
    const listen = f.parse('listen', f.required('listen', 'PORT, IPV4:PORT, [IPV6]:PORT or /path/to.sock'), parseListen);
    const protocol = f.choice('protocol', PROTOCOLS, DEFAULTS.protocol);
    const backend = f.parse('backend', f.required('backend', 'HOST:PORT, [IPV6]:PORT or /path/to.sock'), parseBackend);
    if (protocol === 'udp' && listen.kind === 'unix') {
        f.fail('protocol', `udp cannot listen on a unix socket path (${listen.text}): unix datagram sockets are not supported`);
    }
    if (protocol === 'udp' && backend.kind === 'unix') {
        f.fail('backend', `udp cannot forward to a unix socket path (${backend.text}): unix datagram sockets are not supported`);
    }
    if (protocol === 'tcp' && f.has('flow_timeout')) {
        f.fail('flow_timeout', 'only applies to protocol = udp (a TCP connection ends when it is closed)');
    }
    const proxyProtocol = f.choice('proxy_protocol', PROXY_PROTOCOLS, 'off');
    if (protocol === 'udp' && proxyProtocol !== 'off') {
        f.fail('proxy_protocol', 'only applies to protocol = tcp (a header starts each upstream connection; datagrams carry none)');
    }
    for (const key of ['starting_page', 'starting_page_after']) {
        if (protocol === 'udp' && f.has(key))
            f.fail(key, 'only applies to protocol = tcp (a page is an HTTP answer)');
    }
    const page = readStartingPage(f, asRoot);
    if (page === undefined && f.has('starting_page_after')) {
        f.fail('starting_page_after', 'only applies with starting_page = yes or FILE');
    }
    const startingPage = page && { ...page, afterMs: f.span('starting_page_after', DEFAULTS.startingPageAfterMs) };
    return {
        name: section.name.slice('socket.'.length),
        listen,
        protocol,
        backend,
        flowTimeoutMs: f.span('flow_timeout', DEFAULTS.flowTimeoutMs, { positive: true }),
        readyCheck: f.bool('ready_check', true),
        proxyProtocol,
        counts: f.bool('counts', true),
        ...(startingPage !== undefined ? { startingPage } : {}),
        line: section.line,
    };
}
function readIdle(f) {
    const maxRuntimeMs = f.span('max_runtime', DEFAULTS.maxRuntimeMs, { positive: true });
    const minRuntimeMs = f.span('min_runtime', DEFAULTS.minRuntimeMs);
    if (minRuntimeMs > maxRuntimeMs) {
        f.fail('min_runtime', `is longer than max_runtime (line ${f.line('max_runtime')}); the backend could never be stopped in time`);
    }
    const timeoutMs = f.span('timeout', DEFAULTS.idleTimeoutMs);
    const freezeMs = f.span('freeze', Infinity, { positive: true });
    if (Number.isFinite(freezeMs) && freezeMs >= timeoutMs) {
        f.fail('freeze', `must be shorter than timeout (${formatTimespan(timeoutMs)}${f.has('timeout') ? `, line ${f.line('timeout')}` : ', the default'}): the backend would be stopped before it is ever frozen`);
    }
    return {
        timeoutMs,
        maxRuntimeMs,
        minRuntimeMs,
        keepalive: addressRules(f, 'keepalive'),
        connectionsCount: f.bool('connections_count', false),
        exit: f.bool('exit', false),
        minBytes: f.bytes('min_bytes', 0),
        freezeMs,
    };
}
function readAccess(f) {
    return {
        allow: addressRules(f, 'allow'),
        deny: addressRules(f, 'deny'),
        wake: addressRules(f, 'wake'),
        maxConnections: f.positiveInt('max_connections', DEFAULTS.maxConnections),
        maxPerSource: f.has('max_per_source') ? f.positiveInt('max_per_source', 1) : DEFAULTS.maxPerSource,
        wakeOn: f.choice('wake_on', WAKE_ON, 'connect'),
    };
}
/** A list of address rules (../access/rules.ts), kept as written once each entry parses. */
function addressRules(f, key) {
    const items = f.list(key);
    for (const item of items)
        f.parse(key, item, parseAddressRule);
    return items;
}
function readLog(f, asRoot) {
    const file = f.absolutePath('file');
    if (file !== undefined && asRoot) {
        // Root appends to files there, replaces the current-file symlink and deletes the files
        // the rotation's audit file lists: another user who can write there could point any
        // of those at a file of root's (a symlink, a forged audit file).
        const reason = untrustedDirectoryReason(path.dirname(file));
        if (reason !== undefined) {
            f.fail('file', `${reason}; mrsocko writes and deletes log files there as root, so the directory must be ` +
                'writable by root alone (no sticky /tmp either): use /var/log/mrsocko/NAME.log');
        }
    }
    for (const key of ['max_size', 'max_files']) {
        if (file === undefined && f.has(key))
            f.fail(key, 'only applies with file = (the extra log file it rotates)');
    }
    // The forms winston-daily-rotate-file understands; a bare number of bytes would be
    // silently ignored by it, so a unit is required.
    const maxSize = f.text('max_size', 'a size such as 500k, 20m or 1g');
    if (maxSize !== undefined && !/^[1-9]\d*[kmg]$/i.test(maxSize)) {
        f.fail('max_size', `"${maxSize}" is not a size; expected a number with k, m or g, such as 500k, 20m or 1g`);
    }
    const maxFiles = f.text('max_files', 'a count such as 14, or days such as 14d');
    if (maxFiles !== undefined && !/^[1-9]\d*d?$/.test(maxFiles)) {
        f.fail('max_files', `"${maxFiles}" is neither a number of files (14) nor of days (14d)`);
    }
    return {
        level: f.choice('level', LOG_LEVELS, DEFAULTS.logLevel),
        file,
        maxSize: maxSize?.toLowerCase(),
        maxFiles,
    };
}
//# sourceMappingURL=load.js.map