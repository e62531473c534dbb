// The connections and flows closed to make room at max_connections (../session/eviction.ts), logged
// with the bound of refusals (./refusal-log.ts): the first closure at a source is a
// line of its own, later ones are summed up per window, at most 33 lines a minute.
import type { LogEvent } from '../log/events.js';
import { SourceLimiter } from './refusal-log.js';
import type { Choice, EvictionReason, Victim } from '../session/eviction.js';

export interface EvictionLogOptions {
  emit(event: LogEvent): void;
  windowMs?: number;
  maxSources?: number;
  now?: () => number;
}

const LABEL: Readonly<Record<EvictionReason, string>> = {
  'one-datagram': 'one-datagram flows',
  silent: 'silent',
  busy: 'busy, from the largest holder',
};

export class EvictionLog {
  /** Every connection and flow closed to make room since start. */
  total = 0;
  private readonly emit: (event: LogEvent) => void;
  private readonly limiter: SourceLimiter<EvictionReason>;

  constructor(options: EvictionLogOptions) {
    this.emit = options.emit;
    this.limiter = new SourceLimiter<EvictionReason>({
      ...options,
      labels: LABEL,
      summary: (source, c, windowMs) => ({ kind: 'evictions-summary', source, ...c, windowMs }),
      other: (sources, sourcesCapped, c, windowMs) => ({ kind: 'evictions-other', sources, sourcesCapped, ...c, windowMs }),
    });
  }

  /** `victim` was closed for a newcomer `newcomer` (its peer) at max_connections = `max`. */
  evicted(choice: Choice, victim: Victim, newcomer: string, max: number): void {
    this.total += 1;
    const source = choice.slot.holder.key;
    const traffic = choice.slot.kind === 'connection' ? 'connection' : 'datagram';
    if (!this.limiter.count(source, choice.reason, traffic)) return;
    this.emit({
      kind: 'client-evicted',
      socket: victim.socketName,
      client: victim.peer,
      what: choice.slot.kind,
      reason: choice.reason,
      source,
      holds: choice.holds,
      quietMs: Math.round(choice.quietMs),
      newcomer,
      maxConnections: max,
      windowMs: this.limiter.windowMs,
    });
  }

  shutdown(): void {
    this.limiter.shutdown();
  }
}
