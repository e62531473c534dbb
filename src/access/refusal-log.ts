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
import type { LogEvent } from '../log/events.js';
import type { ClientAddress } from './address.js';
import type { Refusal } from './admission.js';

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
  'max-connections': 'max_connections',
  'max-per-source': 'max_per_source',
};

class Counts {
  connections = 0;
  datagrams = 0;
  readonly reasons = new Map<Refusal, number>();

  add(refusal: Refusal, traffic: RefusedTraffic): void {
    if (traffic === 'connection') this.connections += 1;
    else this.datagrams += 1;
    this.reasons.set(refusal, (this.reasons.get(refusal) ?? 0) + 1);
  }

  get total(): number {
    return this.connections + this.datagrams;
  }

  reasonText(): string {
    const parts = [...this.reasons].map(([r, n]) => (this.reasons.size === 1 ? LABEL[r] : `${LABEL[r]}: ${n}`));
    return parts.join(', ');
  }
}

export class RefusalLog {
  /** Every refusal since start. */
  total = 0;
  private readonly emit: (event: LogEvent) => void;
  private readonly explain: (refusal: Refusal, address: ClientAddress) => string;
  private readonly windowMs: number;
  private readonly maxSources: number;
  private readonly now: () => number;
  /** Tracked sources → refusals since their last line. */
  private readonly tracked = new Map<string, Counts>();
  private other = new Counts();
  private readonly otherSources = new Set<string>();
  private windowStart = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: RefusalLogOptions) {
    this.emit = options.emit;
    this.explain = options.explain;
    this.windowMs = options.windowMs ?? REFUSAL_WINDOW_MS;
    this.maxSources = options.maxSources ?? REFUSAL_MAX_SOURCES;
    this.now = options.now ?? (() => performance.now());
  }

  /** The most lines one window can produce (see the header). */
  get linesPerWindow(): number {
    return 2 * this.maxSources + 1;
  }

  /** `client` is the peer as shown in logs (address and port); `address` its normalised source. */
  refused(address: ClientAddress, socket: string, client: string, refusal: Refusal, traffic: RefusedTraffic): void {
    this.total += 1;
    const counts = this.tracked.get(address.key);
    if (counts !== undefined) {
      counts.add(refusal, traffic);
      return;
    }
    this.arm();
    if (this.tracked.size < this.maxSources) {
      this.tracked.set(address.key, new Counts());
      this.emit({
        kind: 'client-refused',
        socket,
        client,
        traffic,
        reason: this.explain(refusal, address),
        source: address.key,
        windowMs: this.windowMs,
      });
      return;
    }
    this.other.add(refusal, traffic);
    if (this.otherSources.size < OTHER_SOURCES_CAP) this.otherSources.add(address.key);
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

  /** One line per tracked source with refusals since its last line; quiet ones are forgotten. */
  private summarise(): void {
    const windowMs = Math.round(this.now() - this.windowStart);
    this.windowStart = this.now();
    for (const [source, counts] of this.tracked) {
      if (counts.total === 0) {
        this.tracked.delete(source);
        continue;
      }
      this.emit({
        kind: 'refusals-summary',
        source,
        connections: counts.connections,
        datagrams: counts.datagrams,
        reasons: counts.reasonText(),
        windowMs,
      });
      this.tracked.set(source, new Counts());
    }
    if (this.other.total > 0) {
      this.emit({
        kind: 'refusals-other',
        sources: this.otherSources.size,
        sourcesCapped: this.otherSources.size >= OTHER_SOURCES_CAP,
        connections: this.other.connections,
        datagrams: this.other.datagrams,
        reasons: this.other.reasonText(),
        windowMs,
      });
      this.other = new Counts();
      this.otherSources.clear();
    }
  }
}
