import { formatTimespan } from '../config/timespan.js';
import { plural } from '../util/format.js';
const refusedTraffic = (e) => [e.connections > 0 || e.datagrams === 0 ? plural(e.connections, 'connection') : '', e.datagrams > 0 ? plural(e.datagrams, 'datagram') : '']
    .filter(Boolean)
    .join(' and ');
const closedTraffic = (e) => [e.connections > 0 || e.datagrams === 0 ? plural(e.connections, 'connection') : '', e.datagrams > 0 ? plural(e.datagrams, 'udp flow') : '']
    .filter(Boolean)
    .join(' and ');
const roundSeconds = (ms) => (ms >= 1000 ? Math.round(ms / 1000) * 1000 : Math.max(1, Math.round(ms)));
export function formatEvent(e) {
    switch (e.kind) {
        case 'listening':
            return {
                level: 'info',
                message: `socket ${e.socket}: ${e.adopted ? 'adopted from systemd' : 'listening'} on ${e.address}` +
                    (e.protocol === 'udp' ? ' (udp)' : '') +
                    (e.backlog !== undefined ? ` (backlog ${e.backlog})` : ''),
            };
        case 'flow-closed':
            return {
                level: 'debug',
                message: `${e.socket}: udp flow ${e.client} ended (${e.reason}) after ${e.ms} ms, ` +
                    `${plural(e.datagramsUp, 'datagram')} (${e.bytesUp} bytes) in, ${plural(e.datagramsDown, 'datagram')} (${e.bytesDown} bytes) out`,
            };
        case 'flow-dropped':
            return {
                level: 'warning',
                message: `${e.socket}: ${e.client}: dropped ${plural(e.datagrams, 'datagram')} (${e.bytes} bytes): ${e.why}`,
            };
        case 'socket-error':
            return { level: 'warning', message: `socket ${e.socket}: ${e.error}` };
        case 'data-path':
            return { level: 'notice', message: e.description };
        case 'ready':
            return { level: 'notice', message: `ready: ${plural(e.sockets, 'socket')} (${e.mode})` };
        case 'client-held':
            return { level: 'debug', message: `${e.socket}: ${e.client} held until the backend is ready (${e.held} held)` };
        case 'starting-page':
            return { level: 'debug', message: `${e.socket}: ${e.client} got the starting page after waiting ${e.ms} ms (a browser; it reloads)` };
        case 'client-closed':
            return {
                level: 'debug',
                message: `${e.socket}: ${e.client} closed after ${e.ms} ms, ${e.bytesUp} bytes in, ${e.bytesDown} bytes out`,
            };
        case 'client-error':
            return { level: 'info', message: `${e.socket}: ${e.client}: ${e.side === 'downstream' ? 'client' : 'backend'} side: ${e.error}` };
        case 'backend-connect-failed':
            return {
                level: 'warning',
                message: `${e.socket}: cannot reach backend ${e.backend} for ${e.client}: ${e.error}`,
            };
        case 'backend-start':
            return { level: 'notice', message: `starting backend ${e.backend} (for ${e.trigger})` };
        case 'backend-launched':
            return { level: 'info', message: `backend ${e.backend} launched${e.pid !== undefined ? ` as pid ${e.pid}` : ''}` };
        case 'backend-ready':
            return {
                level: 'notice',
                message: `backend ${e.backend} ready after ${e.ms} ms; releasing ${plural(e.released, 'held client')}`,
            };
        case 'backend-start-failed':
            return {
                level: 'error',
                message: `backend ${e.backend} failed to start: ${e.reason}; closed ${plural(e.closed, 'held client')}`,
            };
        case 'backend-stop':
            return { level: 'notice', message: `stopping backend ${e.backend}: ${e.reason}` };
        case 'backend-stopped':
            return { level: 'notice', message: `backend ${e.backend} stopped after ${e.ms} ms` };
        case 'backend-report':
            return { level: e.level, message: `backend ${e.backend}: ${e.message}` };
        case 'backend-backoff':
            return {
                level: 'warning',
                message: `backend ${e.backend} failed ${e.failures} times in a row; next start in ${Math.round(e.delayMs / 1000)} s`,
            };
        case 'backend-control':
            return { level: 'notice', message: `backend ${e.backend}: ${e.message}` };
        case 'control-command':
            return { level: 'notice', message: `control: ${e.command} (asked by ${e.by})` };
        case 'backend-idle-exit':
            return { level: 'notice', message: 'backend stopped and no client connected: exiting ([idle] exit = yes)' };
        case 'backend-exited':
            return {
                level: 'warning',
                message: `backend ${e.backend} exited on its own (${e.status}); closed ${plural(e.closed, 'client')}`,
            };
        case 'backend-output':
            return {
                level: 'info',
                message: `${e.backend}${e.stream === 'stdout' ? '' : ` (${e.stream === 'stop' ? 'stop command' : 'stderr'})`}: ${e.line}`,
            };
        case 'client-refused':
            return {
                level: 'notice',
                message: `${e.socket}: refused ${e.traffic === 'connection' ? 'connection' : 'datagram'} from ${e.client}: ${e.reason} ` +
                    `(further refusals of ${e.source} are summed up every ${formatTimespan(e.windowMs)})`,
            };
        case 'refusals-summary':
            return {
                level: 'notice',
                message: `refused another ${refusedTraffic(e)} from ${e.source} in the last ${formatTimespan(roundSeconds(e.windowMs))} (${e.reasons})`,
            };
        case 'refusals-other':
            return {
                level: 'notice',
                message: `refused ${refusedTraffic(e)} from ${e.sourcesCapped ? 'more than ' : ''}${plural(e.sources, 'other source')} ` +
                    `in the last ${formatTimespan(roundSeconds(e.windowMs))} (${e.reasons}; too many sources to log each)`,
            };
        case 'client-silent':
            return {
                level: 'info',
                message: `${e.socket}: ${e.client} ${e.end === 'closed' ? 'closed its connection' : 'was closed after start_timeout'} without sending a byte; ` +
                    `the backend was not started (wake_on = data; further ones from ${e.source} are summed up every ${formatTimespan(e.windowMs)})`,
            };
        case 'silent-summary':
            return {
                level: 'info',
                message: `${plural(e.connections, 'more connection')} from ${e.source} sent nothing in the last ` +
                    `${formatTimespan(roundSeconds(e.windowMs))} (${e.reasons}); the backend was not started`,
            };
        case 'silent-other':
            return {
                level: 'info',
                message: `${plural(e.connections, 'connection')} from ${e.sourcesCapped ? 'more than ' : ''}${plural(e.sources, 'other source')} ` +
                    `sent nothing in the last ${formatTimespan(roundSeconds(e.windowMs))} (${e.reasons}); the backend was not started`,
            };
        case 'knock-opened':
            return {
                level: 'notice',
                message: `knock: ${e.address} knocked (${e.method === 'sequence' ? 'port sequence' : 'single packet'}` +
                    `${e.from !== undefined ? ` sent from ${e.from}` : ''}); knocked until ${e.until}`,
            };
        case 'knock-queued':
            return {
                level: 'info',
                message: `knock: ${plural(e.hits, 'sequence knock')} arrived before mrsocko was started; their order is unknown, ` +
                    'so they do not count (knock again; a single-packet knock has no order and does count)',
            };
        case 'client-evicted': {
            const why = e.reason === 'one-datagram'
                ? `a flow of one datagram, ${e.source} holding ${e.holds}`
                : e.reason === 'silent'
                    ? `silent for ${formatTimespan(roundSeconds(e.quietMs))}, ${e.source} holding ${e.holds}`
                    : `nothing silent to close, and ${e.source} held the most (${e.holds}); its least recently active`;
            return {
                level: 'notice',
                message: `${e.socket}: closed ${e.what === 'connection' ? 'connection' : 'udp flow'} ${e.client} to make room for ${e.newcomer} ` +
                    `(max_connections = ${e.maxConnections} reached): ${why} ` +
                    `(further closures at ${e.source} are summed up every ${formatTimespan(e.windowMs)})`,
            };
        }
        case 'evictions-summary':
            return {
                level: 'notice',
                message: `closed another ${closedTraffic(e)} of ${e.source} in the last ${formatTimespan(roundSeconds(e.windowMs))} ` +
                    `to make room at max_connections (${e.reasons})`,
            };
        case 'evictions-other':
            return {
                level: 'notice',
                message: `closed ${closedTraffic(e)} of ${e.sourcesCapped ? 'more than ' : ''}${plural(e.sources, 'other source')} ` +
                    `in the last ${formatTimespan(roundSeconds(e.windowMs))} to make room at max_connections (${e.reasons}; too many sources to log each)`,
            };
        case 'control-socket':
            return e.problem === undefined
                ? { level: 'info', message: `status: control socket ${e.path} (mrsocko status)` }
                : { level: 'warning', message: `status: no control socket at ${e.path}: ${e.problem}; mrsocko status will not work` };
        case 'shutdown':
            return { level: 'notice', message: `${e.signal}: shutting down` };
        case 'reload':
            return e.ok
                ? { level: 'notice', message: `configuration reloaded: ${e.detail}` }
                : { level: 'error', message: `reload failed, keeping the previous configuration: ${e.detail}` };
    }
}
//# sourceMappingURL=events.js.map