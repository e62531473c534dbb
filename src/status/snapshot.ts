// The `mrsocko status` report (../control/report.ts documents the fields) from the daemon's
// parts, read at one moment. Pure but for the clock readings passed in.
import type { BackendPhase } from '../backend/lifecycle.js';
import type { IdleConfig } from '../config/types.js';
import { STATUS_VERSION, type StatusReport } from '../control/report.js';
import { explainIdle } from '../idle/explain.js';
import type { ClientStats } from '../session/clients.js';

export interface StatusFacts {
  instance: string;
  pid: number;
  backend: {
    name: string;
    phase: BackendPhase;
    phaseAgeMs: number;
    pid: number | undefined;
    starts: number;
    retry: { inMs: number; failures: number } | undefined;
  };
  idle: IdleConfig;
  /** The idle countdown's remaining time. */
  remainingMs: number;
  countedOpen: number;
  activeClients: number;
  clients: ClientStats[];
  waiting: number;
  refused: number;
  /** performance.now() at this moment, performance.timeOrigin (for ISO times of those readings), and the wall clock. */
  now: number;
  timeOrigin: number;
  wallNow: Date;
}

export function buildStatusReport(f: StatusFacts): StatusReport {
  const wall = (t: number): string => new Date(f.timeOrigin + t).toISOString();
  let connections = 0;
  let flows = 0;
  for (const c of f.clients) {
    connections += c.connections;
    flows += c.flows;
  }
  const { idle, backend } = f;
  const retry = backend.retry === undefined ? null : { inMs: Math.round(backend.retry.inMs), failures: backend.retry.failures };
  return {
    version: STATUS_VERSION,
    instance: f.instance,
    pid: f.pid,
    time: f.wallNow.toISOString(),
    backend: {
      name: backend.name,
      state: backend.phase,
      stateForMs: Math.round(backend.phaseAgeMs),
      pid: backend.pid ?? null,
      starts: backend.starts,
      retry,
    },
    idle: {
      ...explainIdle(idle, { phase: backend.phase, phaseAgeMs: backend.phaseAgeMs, remainingMs: f.remainingMs, countedOpen: f.countedOpen }),
      timeoutMs: Number.isFinite(idle.timeoutMs) ? idle.timeoutMs : null,
      keepalive: [...idle.keepalive],
    },
    totals: { clients: f.activeClients, connections, flows, held: f.waiting, refused: f.refused },
    clients: f.clients.map((c) => ({
      address: c.address,
      connections: c.connections,
      flows: c.flows,
      bytesUp: c.bytesIn,
      bytesDown: c.bytesOut,
      bytesIn: c.bytesIn,
      bytesOut: c.bytesOut,
      firstSeen: wall(c.firstSeen),
      lastActivity: wall(c.lastActivity),
      idleMs: Math.max(0, Math.round(f.now - c.lastActivity)),
      counted: c.counted,
    })),
  };
}
