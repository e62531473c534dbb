// The one-line summary sent as STATUS= (shown by `systemctl status`).
import type { BackendPhase } from './backend/lifecycle.js';
import { formatTimespan } from './config/timespan.js';

export interface StatusFacts {
  backend: string;
  phase: BackendPhase;
  held: number;
  open: number;
  idleTimeoutMs: number;
}

const clients = (n: number): string => `${n} client${n === 1 ? '' : 's'}`;

export function formatStatus(f: StatusFacts): string {
  switch (f.phase) {
    case 'stopped':
      return `Backend ${f.backend} stopped; waiting for clients`;
    case 'starting':
      return `Starting ${f.backend} for ${clients(f.held)}`;
    case 'running': {
      const idle = Number.isFinite(f.idleTimeoutMs) ? `stops after ${formatTimespan(f.idleTimeoutMs)} without traffic` : 'idle stop off';
      return `Backend ${f.backend} running; ${clients(f.open)} connected; ${idle}`;
    }
    case 'stopping':
      return `Stopping ${f.backend}${f.held > 0 ? `; ${clients(f.held)} waiting for the restart` : ''}`;
  }
}
