// Everything mrsocko reports about its work is one of these events. Each kind has exactly
// one formatter and one priority, so a new kind cannot be added without deciding both.
import type { LogLevel } from '../config/types.js';

export type LogEvent =
  | { kind: 'listening'; socket: string; address: string; adopted: boolean; backlog?: number }
  | { kind: 'ready'; sockets: number; mode: 'socket-activated' | 'standalone' }
  | { kind: 'client-held'; socket: string; client: string; held: number }
  | { kind: 'client-open'; socket: string; client: string }
  | { kind: 'client-closed'; socket: string; client: string; bytesIn: number; bytesOut: number; ms: number }
  | { kind: 'client-error'; socket: string; client: string; side: 'client' | 'backend'; error: string }
  | { kind: 'backend-connect-failed'; socket: string; client: string; backend: string; error: string }
  | { kind: 'backend-start'; backend: string; trigger: string }
  | { kind: 'backend-launched'; backend: string; pid?: number }
  | { kind: 'backend-ready'; backend: string; ms: number; released: number }
  | { kind: 'backend-start-failed'; backend: string; reason: string; closed: number }
  | { kind: 'backend-stop'; backend: string; reason: string }
  | { kind: 'backend-stopped'; backend: string; ms: number }
  | { kind: 'backend-stop-problem'; backend: string; problem: string }
  | { kind: 'backend-exited'; backend: string; status: string; closed: number }
  | { kind: 'backend-output'; backend: string; stream: 'stdout' | 'stderr'; line: string }
  | { kind: 'shutdown'; signal: string }
  | { kind: 'reload'; ok: boolean; detail: string };

export interface FormattedEvent {
  level: LogLevel;
  message: string;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function formatEvent(e: LogEvent): FormattedEvent {
  switch (e.kind) {
    case 'listening':
      return {
        level: 'info',
        message: `socket ${e.socket}: ${e.adopted ? 'adopted from systemd' : 'listening'} on ${e.address}` +
          (e.backlog !== undefined ? ` (backlog ${e.backlog})` : ''),
      };
    case 'ready':
      return { level: 'notice', message: `ready: ${plural(e.sockets, 'socket')} (${e.mode})` };
    case 'client-held':
      return { level: 'debug', message: `${e.socket}: ${e.client} held until the backend is ready (${e.held} held)` };
    case 'client-open':
      return { level: 'debug', message: `${e.socket}: ${e.client} connected to the backend` };
    case 'client-closed':
      return {
        level: 'debug',
        message: `${e.socket}: ${e.client} closed after ${e.ms} ms, ${e.bytesIn} bytes in, ${e.bytesOut} bytes out`,
      };
    case 'client-error':
      return { level: 'info', message: `${e.socket}: ${e.client}: ${e.side} side: ${e.error}` };
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
    case 'backend-stop-problem':
      return { level: 'warning', message: `backend ${e.backend}: ${e.problem}` };
    case 'backend-exited':
      return {
        level: 'warning',
        message: `backend ${e.backend} exited on its own (${e.status}); closed ${plural(e.closed, 'client')}`,
      };
    case 'backend-output':
      return { level: 'info', message: `${e.backend}${e.stream === 'stderr' ? ' (stderr)' : ''}: ${e.line}` };
    case 'shutdown':
      return { level: 'notice', message: `${e.signal}: shutting down` };
    case 'reload':
      return e.ok
        ? { level: 'notice', message: `configuration reloaded: ${e.detail}` }
        : { level: 'error', message: `reload failed, keeping the previous configuration: ${e.detail}` };
  }
}
