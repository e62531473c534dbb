// The one-line summary sent as STATUS= (shown by `systemctl status`): the backend's state,
// who is connected, and the idle countdown's rule or what holds it up. It is sent on
// every change of state or of the connected clients, not on every byte, so it names the
// rule ("stops after 15min without traffic") rather than a countdown that would go stale;
// `mrsocko status NAME` has the live figures.
import type { BackendPhase } from '../backend/lifecycle.js';
import { formatTimespan } from '../config/timespan.js';
import { formatSpan, plural } from '../util/format.js';

export interface StatusFacts {
  backend: string;
  phase: BackendPhase;
  /** While starting: a back-off wait of `delayMs` after `failures` failed starts in a row. */
  retry?: { delayMs: number; failures: number } | undefined;
  held: number;
  /** Open connections and flows, held ones excluded. */
  open: number;
  /** Distinct client addresses with something open. */
  clients: number;
  idleTimeoutMs: number;
  /** `[idle] keepalive` is set: only some clients' traffic counts. */
  keepalive: boolean;
  /** With `connections_count = yes`: open connections of counted clients, which hold the countdown. */
  holdingConnections: number;
  /** While starting: what readiness waits for (`ready =`, the backend addresses, ready_delay). */
  waitingFor?: string | undefined;
  /** `mrsocko hold` / `mrsocko stop --for` in force, in words. */
  hold?: string | undefined;
  block?: string | undefined;
}

export function formatStatus(f: StatusFacts): string {
  const manual = [f.hold, f.block].filter((x) => x !== undefined).map((x) => `; ${x}`).join('');
  return phaseStatus(f) + manual;
}

function phaseStatus(f: StatusFacts): string {
  switch (f.phase) {
    case 'stopped':
      return `Backend ${f.backend} stopped; waiting for clients`;
    case 'starting':
      // the wait as a whole, not a countdown: this line is not re-sent every second
      if (f.retry !== undefined) {
        return `Waiting ${formatSpan(f.retry.delayMs)} to retry ${f.backend} after ${plural(f.retry.failures, 'failed start')}; ${plural(f.held, 'client')} waiting`;
      }
      return `Starting ${f.backend} for ${plural(f.held, 'client')}${f.waitingFor !== undefined ? `; waiting for ${f.waitingFor}` : ''}`;
    case 'running': {
      const who = f.open === 0 ? 'no clients' : `${plural(f.open, 'connection')} from ${plural(f.clients, 'client')}`;
      const traffic = f.keepalive ? 'traffic from keepalive clients' : 'traffic';
      const idle = !Number.isFinite(f.idleTimeoutMs)
        ? 'idle stop off'
        : f.holdingConnections > 0
          ? `idle stop held up by ${plural(f.holdingConnections, 'open connection')}`
          : `stops after ${formatTimespan(f.idleTimeoutMs)} without ${traffic}`;
      return `Backend ${f.backend} running; ${who}; ${idle}`;
    }
    case 'frozen':
      return `Backend ${f.backend} frozen; the next client thaws it${Number.isFinite(f.idleTimeoutMs) ? `; stopped after ${formatTimespan(f.idleTimeoutMs)} without ${f.keepalive ? 'traffic from keepalive clients' : 'traffic'}` : ''}`;
    case 'thawing':
      return `Thawing ${f.backend} for ${plural(f.held, 'client')}`;
    case 'stopping':
      return `Stopping ${f.backend}${f.held > 0 ? `; ${plural(f.held, 'client')} waiting for the restart` : ''}`;
  }
}
