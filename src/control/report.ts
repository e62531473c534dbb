// What `mrsocko status` shows: the JSON the control socket sends (`status --json` prints
// it as is) and its rendering as text. Times are ISO 8601 (UTC), durations milliseconds,
// `null` where a duration is infinite or does not apply. The format is versioned: fields
// may be added, none renamed or removed without bumping `version`.
import type { BackendPhase } from '../backend/lifecycle.js';
import { formatTimespan } from '../config/timespan.js';

export const STATUS_VERSION = 1;

export type IdleState =
  /** The backend is running and the countdown runs. */
  | 'counting'
  /** Running, but something keeps the countdown from running (see `reason`). */
  | 'held-up'
  /** `timeout = infinity`. */
  | 'off'
  /** The backend is not running: nothing to count down. */
  | 'not-running';

export interface ClientReport {
  /** Normalised: `10.1.2.3` (also for `::ffff:10.1.2.3`), `2001:db8::1`, `local` (unix socket). */
  address: string;
  connections: number;
  flows: number;
  /** client → backend */
  bytesIn: number;
  /** backend → client */
  bytesOut: number;
  firstSeen: string;
  lastActivity: string;
  /** Since the last activity. */
  idleMs: number;
  /** Its traffic counts for the idle countdown (`[idle] keepalive`). */
  counted: boolean;
}

export interface StatusReport {
  version: typeof STATUS_VERSION;
  instance: string;
  pid: number;
  time: string;
  backend: {
    name: string;
    state: BackendPhase;
    /** How long it has been in this state (its uptime when running). */
    stateForMs: number;
    pid: number | null;
    /** Launches since mrsocko started. */
    starts: number;
  };
  idle: {
    state: IdleState;
    timeoutMs: number | null;
    /** When counting: the backend stops after this long without counted traffic. */
    stopInMs: number | null;
    /** Why, in words (held-up: what holds it up). */
    reason: string;
    /** `[idle] keepalive` as written; empty = every admitted client counts. */
    keepalive: string[];
  };
  totals: {
    /** Clients with a connection or flow open. */
    clients: number;
    connections: number;
    flows: number;
    /** Connections waiting for the backend. */
    held: number;
    /** Refused connections and datagrams since mrsocko started. */
    refused: number;
    /** Connections and flows closed to make room at max_connections since mrsocko started. */
    evicted: number;
  };
  /** Open ones first, then by last activity; clients with nothing open are remembered up to 256. */
  clients: ClientReport[];
}

const span = (ms: number): string => (ms < 1000 ? `${Math.round(ms)}ms` : formatTimespan(Math.round(ms / 1000) * 1000));
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function renderStatus(r: StatusReport): string {
  const b = r.backend;
  const lines: string[] = [`mrsocko@${r.instance} (pid ${r.pid})`];
  const state = b.state === 'running' ? `running for ${span(b.stateForMs)}` : `${b.state} for ${span(b.stateForMs)}`;
  const pid = b.pid !== null ? `pid ${b.pid}, ` : '';
  lines.push(`backend: ${b.name} ${state} (${pid}started ${plural(b.starts, 'time')})`);
  lines.push(`idle:    ${r.idle.reason}`);
  const t = r.totals;
  const open = [plural(t.connections, 'connection'), ...(t.flows > 0 ? [plural(t.flows, 'flow')] : []), ...(t.held > 0 ? [`${t.held} held`] : [])];
  lines.push(`clients: ${t.clients} connected (${open.join(', ')}); ${t.refused} refused` +
    `${t.evicted > 0 ? `, ${t.evicted} closed to make room` : ''} since start`);
  if (r.clients.length > 0) {
    const rows = [
      ['ADDRESS', 'CONN', 'FLOWS', 'BYTES IN', 'BYTES OUT', 'LAST ACTIVITY', 'COUNTED'],
      ...r.clients.map((c) => [
        c.address,
        String(c.connections),
        String(c.flows),
        String(c.bytesIn),
        String(c.bytesOut),
        `${span(c.idleMs)} ago`,
        c.counted ? 'yes' : 'no',
      ]),
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
    const numeric = new Set([1, 2, 3, 4]);
    for (const row of rows) {
      lines.push(`  ${row.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd()}`);
    }
  }
  return lines.join('\n') + '\n';
}
