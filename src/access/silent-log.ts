// `[access] wake_on = data`: connections that sent nothing while the backend was stopped
// (port scanners, uptime monitors' TCP checks) never start it (../session/session.ts holds
// them). They are counted (for `mrsocko status`, by the gate) and logged with the bound of refusals (../access/refusal-log.ts): the
// first one from a source is a line of its own, later ones are summed up per window.
import type { LogEvent } from '../log/events.js';
import type { SilentEnd } from '../session/silent-connections.js';
import { SourceLimiter } from './refusal-log.js';

const LABEL: Readonly<Record<SilentEnd, string>> = {
  closed: 'closed without a byte',
  'timed-out': 'silent until start_timeout',
};

export class SilentLog {
  /** Every such connection since start. */
  total = 0;
  private readonly limiter: SourceLimiter<SilentEnd>;

  constructor(private readonly emit: (event: LogEvent) => void) {
    this.limiter = new SourceLimiter<SilentEnd>({
      emit,
      labels: LABEL,
      summary: (source, c, windowMs) => ({ kind: 'silent-summary', source, connections: c.connections, reasons: c.reasons, windowMs }),
      other: (sources, sourcesCapped, c, windowMs) => ({ kind: 'silent-other', sources, sourcesCapped, connections: c.connections, reasons: c.reasons, windowMs }),
    });
  }

  /** A connection from `source` (its normalised address) on `socket` ended without a byte. */
  silent(source: string, socket: string, client: string, end: SilentEnd): void {
    this.total += 1;
    if (this.limiter.count(source, end, 'connection')) {
      this.emit({ kind: 'client-silent', socket, client, end, source, windowMs: this.limiter.windowMs });
    }
  }

  shutdown(): void {
    this.limiter.shutdown();
  }
}
