// Refusal logging that a flood cannot turn into a flood of log lines.
//
// The first refusal of a source gets its own line (notice) and the source is tracked;
// later refusals of a tracked source are only counted, and once per window (60 s) each
// tracked source with refusals gets one summary line ("refused N more connections from
// X"). A tracked source that had none in a window is forgotten. At most `maxSources` (16)
// sources are tracked at once; refusals from any other source are summed into one line
// per window ("... from M other sources").
//
// Bound: a window starts with at most maxSources tracked sources and can take in at most
// maxSources new ones, so per window there are at most maxSources first lines,
// maxSources summaries and one "other sources" line: 2 × 16 + 1 = 33 lines a minute,
// however many connections or addresses. shutdown() writes the pending summaries.
// SourceLimiter is that bound on its own, for other per-source lines (the connections
// closed to make room at max_connections, ../session/eviction-log.ts).
import type { LogEvent } from '../log/events.js';
import type { ClientAddress } from '../net/address.js';
import type { Refusal } from './admission.js';
import { monotonicMs } from '../util/clock.js';

export type RefusedTraffic = 'connection' | 'datagram';

export interface RefusalLogOptions {
  emit(event: LogEvent): void;
  /** The full reason of a refusal, for a first line. */
  explain(refusal: Refusal, address: ClientAddress): string;
  windowMs?: number;
  maxSources?: number;
  now?: () => number;
}

const REFUSAL_WINDOW_MS = 60_000;
export const REFUSAL_MAX_SOURCES = 16;
/** Distinct "other" sources counted exactly per window; beyond it, "more than N". */
const OTHER_SOURCES_CAP = 10_000;

/** Short names of the reasons, for summaries. */
const LABEL: Readonly<Record<Refusal, string>> = {
  denied: 'deny',
  'not-allowed': 'not in allow',
  'no-wake': 'not in wake',
  'not-counted': 'counts = no',
  'max-connections': 'max_connections',
  'max-per-source': 'max_per_source',
  blocked: 'mrsocko stop --for',
  'knock-sequence': 'knock out of sequence',
  'knock-malformed': 'not a knock packet',
  'knock-bad-key': 'knock with a wrong key',
  'knock-expired': 'expired knock',
  'knock-replayed': 'replayed knock',
  'knock-replay-full': 'too many knocks',
};

class Counts<R extends string> {
  connections = 0;
  datagrams = 0;
  readonly reasons = new Map<R, number>();

  add(reason: R, traffic: RefusedTraffic): void {
    if (traffic === 'connection') this.connections += 1;
    else this.datagrams += 1;
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
  }

  get total(): number {
    return this.connections + this.datagrams;
  }

  reasonText(label: Readonly<Record<R, string>>): string {
    const parts = [...this.reasons].map(([r, n]) => (this.reasons.size === 1 ? label[r] : `${label[r]}: ${n}`));
    return parts.join(', ');
  }
}

/** What a window's summary lines say: per tracked source, and for all other sources together. */
export interface SummaryCounts {
  connections: number;
  datagrams: number;
  /** The reasons with their counts ("max_connections: 3, deny: 2"), or the one reason. */
  reasons: string;
}

export interface SourceLimiterOptions<R extends string> {
  emit(event: LogEvent): void;
  /** Short names of the reasons, for summaries. */
  labels: Readonly<Record<R, string>>;
  summary(source: string, counts: SummaryCounts, windowMs: number): LogEvent;
  other(sources: number, capped: boolean, counts: SummaryCounts, windowMs: number): LogEvent;
  windowMs?: number;
  maxSources?: number;
  now?: () => number;
}

/**
 * The bound of the header, for any kind of per-source line: count() says when a source's
 * own first line is due (the caller writes it); everything else becomes summaries.
 */
export class SourceLimiter<R extends string> {
  readonly windowMs: number;
  private readonly o: SourceLimiterOptions<R>;
  private readonly maxSources: number;
  private readonly now: () => number;
  /** Tracked sources → counts since their last line. */
  private readonly tracked = new Map<string, Counts<R>>();
  private other = new Counts<R>();
  private readonly otherSources = new Set<string>();
  private windowStart = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: SourceLimiterOptions<R>) {
    this.o = options;
    this.windowMs = options.windowMs ?? REFUSAL_WINDOW_MS;
    this.maxSources = options.maxSources ?? REFUSAL_MAX_SOURCES;
    this.now = options.now ?? monotonicMs;
  }

  /** The most lines one window can produce (see the header). */
  get linesPerWindow(): number {
    return 2 * this.maxSources + 1;
  }

  /** One more for `source`; true when the caller is to write the source's first line now. */
  count(source: string, reason: R, traffic: RefusedTraffic): boolean {
    const counts = this.tracked.get(source);
    if (counts !== undefined) {
      counts.add(reason, traffic);
      return false;
    }
    this.arm();
    if (this.tracked.size < this.maxSources) {
      this.tracked.set(source, new Counts());
      return true;
    }
    this.other.add(reason, traffic);
    if (this.otherSources.size < OTHER_SOURCES_CAP) this.otherSources.add(source);
    return false;
  }

  /** Write the pending summaries and stop the timer (shutdown). */
  shutdown(): void {
    this.summarise();
    this.tracked.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.timer) return;
    this.windowStart = this.now();
    this.timer = setInterval(() => this.tick(), this.windowMs);
    this.timer.unref();
  }

  private tick(): void {
    this.summarise();
    if (this.tracked.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** One line per tracked source with counts since its last line; quiet ones are forgotten. */
  private summarise(): void {
    const windowMs = Math.round(this.now() - this.windowStart);
    this.windowStart = this.now();
    const text = (c: Counts<R>): SummaryCounts => ({ connections: c.connections, datagrams: c.datagrams, reasons: c.reasonText(this.o.labels) });
    for (const [source, counts] of this.tracked) {
      if (counts.total === 0) {
        this.tracked.delete(source);
        continue;
      }
      this.o.emit(this.o.summary(source, text(counts), windowMs));
      this.tracked.set(source, new Counts());
    }
    if (this.other.total > 0) {
      this.o.emit(this.o.other(this.otherSources.size, this.otherSources.size >= OTHER_SOURCES_CAP, text(this.other), windowMs));
      this.other = new Counts();
      this.otherSources.clear();
    }
  }
}

export class RefusalLog {
  /** Every refusal since start. */
  total = 0;
  private readonly emit: (event: LogEvent) => void;
  private readonly explain: (refusal: Refusal, address: ClientAddress) => string;
  private readonly limiter: SourceLimiter<Refusal>;

  constructor(options: RefusalLogOptions) {
    this.emit = options.emit;
    this.explain = options.explain;
    this.limiter = new SourceLimiter<Refusal>({
      ...options,
      labels: LABEL,
      summary: (source, c, windowMs) => ({ kind: 'refusals-summary', source, ...c, windowMs }),
      other: (sources, sourcesCapped, c, windowMs) => ({ kind: 'refusals-other', sources, sourcesCapped, ...c, windowMs }),
    });
  }

  /** The most lines one window can produce (see the header). */
  get linesPerWindow(): number {
    return this.limiter.linesPerWindow;
  }

  /** `client` is the peer as shown in logs (address and port); `address` its normalised source. */
  refused(address: ClientAddress, socket: string, client: string, refusal: Refusal, traffic: RefusedTraffic): void {
    this.total += 1;
    if (!this.limiter.count(address.key, refusal, traffic)) return;
    this.emit({
      kind: 'client-refused',
      socket,
      client,
      traffic,
      reason: this.explain(refusal, address),
      source: address.key,
      windowMs: this.limiter.windowMs,
    });
  }

  /** Write the pending summaries and stop the timer (shutdown). */
  shutdown(): void {
    this.limiter.shutdown();
  }
}
