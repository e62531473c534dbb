// The effective settings, written as a config file: every key with the value mrsocko will
// use, defaults filled in, spans in systemd's notation, command lines re-quoted. Unset
// optional keys appear commented out with what happens instead. The text is itself a
// valid config that loads to the same settings.
import { quoteArgv } from './argv.js';
import { DUAL_STACK_HOST } from './address.js';
import { formatTimespan } from './timespan.js';
/** Column where trailing `; …` explanations start. */
const COMMENT_COLUMN = 34;
export function describeConfig(config) {
    const blocks = [
        [`# mrsocko: effective settings of ${config.file}`, '# (defaults filled in; ";key =" lines are not set)'],
        describeService(config.service),
        ...config.sockets.map(describeSocket),
        describeIdle(config.idle),
        describeAccess(config.access),
        ...(config.knock !== undefined ? [describeKnock(config.knock)] : []),
        describeLog(config.log),
    ];
    return blocks.map((lines) => lines.join('\n')).join('\n\n') + '\n';
}
function describeService(s) {
    const lines = ['[service]'];
    if (s.mode === 'unit') {
        lines.push(set('unit', s.unit));
    }
    else {
        lines.push(set('exec', quoteArgv(s.exec)), optional('user', s.user, 'same user as mrsocko'), optional('group', s.group, s.user !== undefined ? `primary group of ${s.user}` : 'same group as mrsocko'), optional('directory', s.directory, "mrsocko's working directory"), optional('pidfile', s.pidfile, 'the exec process itself is the backend'));
    }
    const defaultStop = s.mode === 'unit'
        ? `systemctl stop ${s.unit}`
        : 'SIGTERM to its process group, SIGKILL after stop_timeout';
    lines.push(optional('stop', s.stop && quoteArgv(s.stop), defaultStop), set('start_timeout', formatTimespan(s.startTimeoutMs)), set('stop_timeout', formatTimespan(s.stopTimeoutMs)), describeReady(s.ready), set('ready_delay', formatTimespan(s.readyDelayMs)));
    return lines;
}
function describeReady(r) {
    switch (r.kind) {
        case 'connect':
            return set('ready', 'connect', 'ready once every checked backend address accepts');
        case 'http':
            return set('ready', r.url, '... and a GET to it answers 2xx or 3xx');
        case 'exec':
            return set('ready', `exec ${quoteArgv(r.argv)}`);
        case 'notify':
            return set('ready', 'notify', 'READY=1 on $NOTIFY_SOCKET, then every checked backend address accepts');
    }
}
function describeSocket(s) {
    const dualStack = s.listen.kind === 'inet' && s.listen.host === DUAL_STACK_HOST && !s.listen.text.startsWith('[')
        ? `[::]:${s.listen.port}, IPv6 and IPv4 (dual-stack)`
        : undefined;
    const lines = [
        `[socket.${s.name}]`,
        set('listen', s.listen.text, dualStack),
        set('protocol', s.protocol),
        set('backend', s.backend.text),
        set('ready_check', yesNo(s.readyCheck), s.readyCheck ? undefined : 'readiness does not wait for this backend address'),
        set('counts', yesNo(s.counts), s.counts ? undefined : 'never activity, never starts the backend'),
    ];
    if (s.protocol === 'tcp') {
        lines.push(set('proxy_protocol', s.proxyProtocol, s.proxyProtocol === 'off' ? undefined : 'a PROXY header with the client\'s address goes first upstream'));
    }
    if (s.protocol === 'udp')
        lines.push(set('flow_timeout', formatTimespan(s.flowTimeoutMs)));
    else {
        const page = s.startingPage;
        lines.push(page === undefined
            ? set('starting_page', 'no', 'browsers wait like every other client')
            : set('starting_page', page.file ?? 'yes', `a browser request still waiting after starting_page_after gets a 503 page that reloads`));
        if (page !== undefined)
            lines.push(set('starting_page_after', formatTimespan(page.afterMs)));
    }
    return lines;
}
function describeIdle(i) {
    return [
        '[idle]',
        set('timeout', formatTimespan(i.timeoutMs), i.timeoutMs === Infinity ? 'never stopped for inactivity' : undefined),
        set('max_runtime', formatTimespan(i.maxRuntimeMs)),
        set('min_runtime', formatTimespan(i.minRuntimeMs)),
        optional('keepalive', list(i.keepalive), "every admitted client's activity counts"),
        set('connections_count', yesNo(i.connectionsCount)),
        set('exit', yesNo(i.exit)),
        set('min_bytes', String(i.minBytes), i.minBytes === 0
            ? 'any counted byte restarts the countdown'
            : `the countdown restarts only once counted clients moved ${i.minBytes} bytes since it last did`),
        optional('freeze', Number.isFinite(i.freezeMs) ? formatTimespan(i.freezeMs) : undefined, 'never frozen: stopped after timeout'),
    ];
}
function describeAccess(a) {
    return [
        '[access]',
        optional('allow', list(a.allow), 'anyone may connect'),
        optional('deny', list(a.deny), 'no address is refused'),
        optional('wake', list(a.wake), 'any admitted client may start the backend'),
        set('max_connections', String(a.maxConnections)),
        optional('max_per_source', a.maxPerSource === undefined ? undefined : String(a.maxPerSource), 'no per-address limit; at max_connections the address holding the most makes room'),
        set('wake_on', a.wakeOn, a.wakeOn === 'data' ? 'a connection starts the backend once it has sent a byte' : undefined),
    ];
}
function describeKnock(k) {
    const lines = ['[knock]'];
    if (k.sequence.length > 0) {
        lines.push(set('sequence', k.sequence.map((s) => `${s.listen.text}${s.protocol === 'udp' ? '/udp' : ''}`).join(', ')), set('window', formatTimespan(k.windowMs), 'for the whole sequence, from its first port'));
    }
    else {
        lines.push(withNote(';sequence =', 'not set: no port-knock sequence'));
    }
    lines.push(optional('key', k.key, 'no single-packet knocks'));
    if (k.listen !== undefined)
        lines.push(set('listen', k.listen.text, 'udp, single-packet knocks'));
    lines.push(set('open_for', formatTimespan(k.openForMs), 'a knocking address counts as knocked this long'));
    return lines;
}
function describeLog(l) {
    const lines = ['[log]', set('level', l.level), optional('file', l.file, 'journal (stdout/stderr) only')];
    if (l.file !== undefined) {
        lines.push(optional('max_size', l.maxSize, 'no size limit'), optional('max_files', l.maxFiles, 'all kept'));
    }
    return lines;
}
function set(key, value, note) {
    return withNote(`${key} = ${value}`, note);
}
/** An unset key is printed commented out, with what happens instead. */
function optional(key, value, whenUnset) {
    return value !== undefined ? set(key, value) : withNote(`;${key} =`, `not set: ${whenUnset}`);
}
function withNote(text, note) {
    return note === undefined ? text : `${text.padEnd(COMMENT_COLUMN - 1)} ; ${note}`;
}
function list(items) {
    return items.length > 0 ? items.join(', ') : undefined;
}
function yesNo(value) {
    return value ? 'yes' : 'no';
}
//# sourceMappingURL=describe.js.map