// What `mrsocko status` shows: the JSON the control socket sends (`status --json` prints
// it as is) and its rendering as text. Times are ISO 8601 (UTC), durations milliseconds,
// `null` where a duration is infinite or does not apply. The format is versioned: fields
// may be added, none renamed or removed without bumping `version`. So the downstream /
// upstream names (`bytesUp`, `bytesDown`) were added beside `bytesIn`/`bytesOut`, which
// stay (same values) and keep version 1 readable as it was.
import type { BackendPhase } from '../backend/lifecycle.js';
import { formatSpan, plural } from '../util/format.js';
import { escapeControlCharacters } from '../text/control-chars.js';

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
  /** downstream → upstream (client → backend); the same as `bytesIn`. */
  bytesUp: number;
  /** upstream → downstream (backend → client); the same as `bytesOut`. */
  bytesDown: number;
  /** client → backend (the version 1 name of `bytesUp`) */
  bytesIn: number;
  /** backend → client (the version 1 name of `bytesDown`) */
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
    /**
     * While `starting` after repeated failures: the back-off before the next launch
     * (`inMs` still to wait, `failures` in a row). `null` otherwise.
     */
    retry: { inMs: number; failures: number } | null;
    /**
     * While starting: what readiness waits for, in words — the backend addresses not
     * accepting yet, `ready =` with its last answer ("http://127.0.0.1:8096/health (last:
     * 503)"), or `ready_delay`; null otherwise.
     */
    waitingFor: string | null;
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
    /** `[idle] min_bytes` (0: any byte restarts the countdown); absent from older instances. */
    minBytes?: number;
    /** Counted bytes moved since the countdown last restarted, toward min_bytes. */
    bytesTowardRestart?: number;
    /** `[idle] freeze` (null: never frozen); absent from older instances. */
    freezeMs?: number | null;
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
    /** `wake_on = data`: connections that closed or timed out without a byte, so never started the backend (absent from older versions). */
    silent?: number;
  };
  /** Open ones first, then by last activity; clients with nothing open are remembered up to 256. */
  clients: ClientReport[];
  /** `[knock]`: addresses that count as `knocked` now, soonest expiry first (absent from older versions). */
  knocked?: KnockedReport[];
  /** `mrsocko hold` and `mrsocko stop --for` in force, or null (absent from older versions). */
  control?: { hold: ManualReport | null; block: ManualReport | null };
}

export interface ManualReport {
  /** When it ends; null: at `mrsocko release`. */
  until: string | null;
  remainingMs: number | null;
  /** Who asked: "mrsocko hold (pid 812, uid 0 (alice))", as the client said. */
  by: string;
}

export interface KnockedReport {
  /** Normalised, as `clients[].address`. */
  address: string;
  /** How it knocked: the port sequence or a single packet. */
  method: 'sequence' | 'packet';
  /** When it stops counting as knocked. */
  until: string;
  remainingMs: number;
}

const span = formatSpan;

/** The report as JSON for a terminal: JSON.stringify escapes C0 controls but leaves DEL
 *  and C1 raw, so those become \u escapes too (the same JSON once parsed). */
export function statusJson(r: StatusReport): string {
  return jsonText(r);
}

/** Any value as JSON for a terminal (see statusJson). */
export function jsonText(r: unknown): string {
  return JSON.stringify(r, null, 2).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The report as text. Every string in it may come from a client, a backend's argv or a
 *  name in the config: control characters are shown escaped, never sent to the terminal. */
export function renderStatus(report: StatusReport): string {
  const r = escapeStrings(report);
  const b = r.backend;
  const lines: string[] = [`mrsocko@${r.instance} (pid ${r.pid})`];
  const state = b.retry !== null && b.retry !== undefined
    ? `waiting to retry: next start in ${span(b.retry.inMs)}, after ${plural(b.retry.failures, 'failed start')} in a row`
    : `${b.state} for ${span(b.stateForMs)}`;
  const pid = b.pid !== null ? `pid ${b.pid}, ` : '';
  lines.push(`backend: ${b.name} ${state} (${pid}started ${plural(b.starts, 'time')})`);
  // older instances do not send it
  if (b.waitingFor !== undefined && b.waitingFor !== null) lines.push(`         waiting for ${b.waitingFor}`);
  lines.push(`idle:    ${r.idle.reason}`);
  const minBytes = r.idle.minBytes ?? 0;
  if (minBytes > 0 && r.idle.state === 'counting') {
    lines.push(`         ${r.idle.bytesTowardRestart ?? 0} of ${minBytes} bytes toward the next restart of the countdown (min_bytes)`);
  }
  for (const [what, m] of [['hold', r.control?.hold], ['block', r.control?.block]] as const) {
    if (m === undefined || m === null) continue;
    const until = m.until === null ? 'until mrsocko release' : `until ${m.until} (${span(m.remainingMs ?? 0)} left)`;
    lines.push(`${`${what}:`.padEnd(8)} ${until}, by ${m.by}${what === 'block' ? '; clients are refused' : ''}`);
  }
  const t = r.totals;
  const open = [plural(t.connections, 'connection'), ...(t.flows > 0 ? [plural(t.flows, 'flow')] : []), ...(t.held > 0 ? [`${t.held} held`] : [])];
  lines.push(`clients: ${t.clients} connected (${open.join(', ')}); ${t.refused} refused` +
    `${t.evicted > 0 ? `, ${t.evicted} closed to make room` : ''}` +
    `${(t.silent ?? 0) > 0 ? `, ${t.silent} sent nothing (not woken: wake_on = data)` : ''} since start`);
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
  const knocked = r.knocked ?? [];
  if (knocked.length > 0) {
    lines.push(`knocked: ${knocked.length} ${knocked.length === 1 ? 'address' : 'addresses'}`);
    const width = Math.max(...knocked.map((k) => k.address.length));
    for (const k of knocked) {
      lines.push(`  ${k.address.padEnd(width)}  until ${k.until} (${span(k.remainingMs)} left, ${k.method === 'sequence' ? 'port sequence' : 'single packet'})`);
    }
  }
  return lines.join('\n') + '\n';
}

export function escapeStrings<T>(value: T): T {
  if (typeof value === 'string') return escapeControlCharacters(value) as T;
  if (Array.isArray(value)) return value.map(escapeStrings) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeStrings(v)])) as T;
  }
  return value;
}
