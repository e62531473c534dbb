// Everything mrsocko reports about its work is one of these events. Each kind has exactly
// one formatter and one priority, so a new kind cannot be added without deciding both.
import type { LogLevel } from '../config/types.js';
import { formatTimespan } from '../config/timespan.js';
import { plural } from '../util/format.js';

export type LogEvent =
  | { kind: 'listening'; socket: string; address: string; adopted: boolean; backlog?: number; protocol?: 'udp' }
  | { kind: 'ready'; sockets: number; mode: 'socket-activated' | 'standalone' }
  | { kind: 'data-path'; description: string }
  | { kind: 'client-held'; socket: string; client: string; held: number }
  | { kind: 'starting-page'; socket: string; client: string; ms: number }
  | { kind: 'client-closed'; socket: string; client: string; bytesUp: number; bytesDown: number; ms: number }
  | { kind: 'client-error'; socket: string; client: string; side: 'downstream' | 'upstream'; error: string }
  | { kind: 'flow-closed'; socket: string; client: string; reason: string; datagramsUp: number; bytesUp: number; datagramsDown: number; bytesDown: number; ms: number }
  | { kind: 'flow-dropped'; socket: string; client: string; datagrams: number; bytes: number; why: string }
  | { kind: 'socket-error'; socket: string; error: string }
  | { kind: 'backend-connect-failed'; socket: string; client: string; backend: string; error: string }
  | { kind: 'backend-start'; backend: string; trigger: string }
  | { kind: 'backend-launched'; backend: string; pid?: number }
  | { kind: 'backend-ready'; backend: string; ms: number; released: number }
  | { kind: 'backend-start-failed'; backend: string; reason: string; closed: number }
  | { kind: 'backend-stop'; backend: string; reason: string }
  | { kind: 'backend-stopped'; backend: string; ms: number }
  | { kind: 'backend-report'; backend: string; level: 'info' | 'warning'; message: string }
  | { kind: 'backend-backoff'; backend: string; failures: number; delayMs: number }
  /** Manual control (`mrsocko start/stop/hold/release`) and the end of a hold or block. */
  | { kind: 'backend-control'; backend: string; message: string }
  /** A command on the control socket, and who asked (as the client says; see control/server.ts). */
  | { kind: 'control-command'; command: string; by: string }
  | { kind: 'backend-idle-exit' }
  | { kind: 'backend-exited'; backend: string; status: string; closed: number }
  | { kind: 'backend-output'; backend: string; stream: 'stdout' | 'stderr' | 'stop'; line: string }
  | { kind: 'client-refused'; socket: string; client: string; traffic: 'connection' | 'datagram'; reason: string; source: string; windowMs: number }
  | { kind: 'refusals-summary'; source: string; connections: number; datagrams: number; reasons: string; windowMs: number }
  | { kind: 'refusals-other'; sources: number; sourcesCapped: boolean; connections: number; datagrams: number; reasons: string; windowMs: number }
  | { kind: 'client-silent'; socket: string; client: string; end: 'closed' | 'timed-out'; source: string; windowMs: number }
  | { kind: 'silent-summary'; source: string; connections: number; reasons: string; windowMs: number }
  | { kind: 'silent-other'; sources: number; sourcesCapped: boolean; connections: number; reasons: string; windowMs: number }
  | { kind: 'knock-opened'; address: string; method: 'sequence' | 'packet'; until: string; from?: string }
  | { kind: 'knock-queued'; hits: number }
  | {
    kind: 'client-evicted'; socket: string; client: string; what: 'connection' | 'flow'; reason: 'one-datagram' | 'silent' | 'busy';
    source: string; holds: number; quietMs: number; newcomer: string; maxConnections: number; windowMs: number;
  }
  /** `connections` and `datagrams` (= flows) closed to make room. */
  | { kind: 'evictions-summary'; source: string; connections: number; datagrams: number; reasons: string; windowMs: number }
  | { kind: 'evictions-other'; sources: number; sourcesCapped: boolean; connections: number; datagrams: number; reasons: string; windowMs: number }
  | { kind: 'control-socket'; path: string; problem?: string }
  | { kind: 'shutdown'; signal: string }
  | { kind: 'reload'; ok: boolean; detail: string };

export interface FormattedEvent {
  level: LogLevel;
  message: string;
}

const refusedTraffic = (e: { connections: number; datagrams: number }): string =>
  [e.connections > 0 || e.datagrams === 0 ? plural(e.connections, 'connection') : '', e.datagrams > 0 ? plural(e.datagrams, 'datagram') : '']
    .filter(Boolean)
    .join(' and ');

const closedTraffic = (e: { connections: number; datagrams: number }): string =>
  [e.connections > 0 || e.datagrams === 0 ? plural(e.connections, 'connection') : '', e.datagrams > 0 ? plural(e.datagrams, 'udp flow') : '']
    .filter(Boolean)
    .join(' and ');

const roundSeconds = (ms: number): number => (ms >= 1000 ? Math.round(ms / 1000) * 1000 : Math.max(1, Math.round(ms)));

export function formatEvent(e: LogEvent): FormattedEvent {
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
