// The `mrsocko status` report (../control/report.ts documents the fields) and the STATUS=
// line (./status-line.ts) from the daemon's parts, read at one moment.
import type { BackendPhase, Manual } from '../backend/lifecycle.js';
import type { IdleConfig } from '../config/types.js';
import { STATUS_VERSION, type ManualReport, type StatusReport } from '../control/report.js';
import { formatSpan } from '../util/format.js';
import { explainIdle } from '../idle/explain.js';
import { formatStatus } from './status-line.js';
import type { ClientStats } from '../session/clients.js';
import { monotonicMs, wallMs } from '../util/clock.js';

/** The daemon's parts a report is read from (the Daemon passes its own). */
export interface StatusParts {
  instance: string;
  pid: number;
  driver: { readonly description: string; readonly pid?: number | undefined };
  lifecycle: {
    readonly phase: BackendPhase;
    readonly phaseAgeMs: number;
    readonly launchCount: number;
    readonly retry: { inMs: number; delayMs: number; failures: number } | undefined;
  };
  idleConfig: IdleConfig;
  idle: { remainingMs(): number; readonly bytesTowardRestart: number };
  clients: { readonly countedOpen: number; readonly activeClients: number; snapshot(): ClientStats[] };
  /** While starting: what readiness waits for (`ready =`, the backend addresses, ready_delay). */
  waitingFor: string | undefined;
  /** Clients waiting for the backend, and open connections and flows that are not. */
  waiting: number;
  connected: number;
  /** Refusals since start, and connections and flows closed to make room at max_connections. */
  refused: number;
  evicted: number;
  /** Connections that sent nothing under `wake_on = data` and so never started the backend. */
  silent: number;
  /** Addresses that knocked, and until when ([knock]). */
  knocked: StatusReport['knocked'];
  /** `mrsocko hold` and `mrsocko stop --for` in force (monotonicMs() times). */
  hold: Manual | undefined;
  block: Manual | undefined;
}

/** A hold or block for the report: the wall-clock end (null: until release) and who asked. */
function manualReport(m: Manual | undefined, now: number): ManualReport | null {
  if (m === undefined) return null;
  const finite = Number.isFinite(m.until);
  return {
    until: finite ? new Date(wallMs(m.until, now)).toISOString() : null,
    remainingMs: finite ? Math.max(0, Math.round(m.until - now)) : null,
    by: m.by,
  };
}

/** "until release" or "for 4min 10s more", for STATUS= and the idle reason. */
function manualSpan(m: Manual, now: number): string {
  return Number.isFinite(m.until) ? `for ${formatSpan(m.until - now)} more` : 'until mrsocko release';
}

/** Reads every part at this moment (monotonicMs() for ages, the wall clock for `time`). */
export function buildStatusReport(p: StatusParts): StatusReport {
  const now = monotonicMs();
  const wall = (t: number): string => new Date(wallMs(t, now)).toISOString();
  const clients = p.clients.snapshot();
  let connections = 0;
  let flows = 0;
  for (const c of clients) {
    connections += c.connections;
    flows += c.flows;
  }
  const { lifecycle, idleConfig: idle } = p;
  const phaseAgeMs = lifecycle.phaseAgeMs;
  const r = lifecycle.retry;
  let idleExplained = explainIdle(idle, { phase: lifecycle.phase, phaseAgeMs, remainingMs: p.idle.remainingMs(), countedOpen: p.clients.countedOpen });
  if (p.hold !== undefined && lifecycle.phase === 'running') {
    idleExplained = { state: 'held-up', stopInMs: null, reason: `held up by ${p.hold.by} ${manualSpan(p.hold, now)}; then ${idleExplained.reason}` };
  }
  return {
    version: STATUS_VERSION,
    instance: p.instance,
    pid: p.pid,
    time: new Date().toISOString(),
    backend: {
      name: p.driver.description,
      state: lifecycle.phase,
      stateForMs: Math.round(phaseAgeMs),
      pid: p.driver.pid ?? null,
      starts: lifecycle.launchCount,
      retry: r === undefined ? null : { inMs: Math.round(r.inMs), failures: r.failures },
      waitingFor: p.waitingFor ?? null,
    },
    idle: {
      ...idleExplained,
      timeoutMs: Number.isFinite(idle.timeoutMs) ? idle.timeoutMs : null,
      keepalive: [...idle.keepalive],
      minBytes: idle.minBytes,
      bytesTowardRestart: p.idle.bytesTowardRestart,
      freezeMs: Number.isFinite(idle.freezeMs) ? idle.freezeMs : null,
    },
    totals: { clients: p.clients.activeClients, connections, flows, held: p.waiting, refused: p.refused, evicted: p.evicted, silent: p.silent },
    clients: clients.map((c) => ({
      address: c.address,
      connections: c.connections,
      flows: c.flows,
      bytesUp: c.bytesUp,
      bytesDown: c.bytesDown,
      bytesIn: c.bytesUp,
      bytesOut: c.bytesDown,
      firstSeen: wall(c.firstSeen),
      lastActivity: wall(c.lastActivity),
      idleMs: Math.max(0, Math.round(now - c.lastActivity)),
      counted: c.counted,
    })),
    knocked: p.knocked,
    control: { hold: manualReport(p.hold, now), block: manualReport(p.block, now) },
  };
}

/** The STATUS= line. */
export function buildStatusLine(p: StatusParts): string {
  const { lifecycle, idleConfig: idle } = p;
  return formatStatus({
    backend: p.driver.description,
    phase: lifecycle.phase,
    retry: lifecycle.retry,
    waitingFor: p.waitingFor,
    held: p.waiting,
    open: p.connected,
    clients: p.clients.activeClients,
    idleTimeoutMs: idle.timeoutMs,
    keepalive: idle.keepalive.length > 0,
    holdingConnections: idle.connectionsCount ? p.clients.countedOpen : 0,
    hold: p.hold !== undefined ? `held by mrsocko hold ${manualSpan(p.hold, monotonicMs())}` : undefined,
    block: p.block !== undefined ? `blocked by mrsocko stop --for ${manualSpan(p.block, monotonicMs())}; clients refused` : undefined,
  });
}
