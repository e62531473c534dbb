const REFUSAL_WINDOW_MS = 60_000;
export const REFUSAL_MAX_SOURCES = 16;
/** Distinct "other" sources counted exactly per window; beyond it, "more than N". */
const OTHER_SOURCES_CAP = 10_000;
/** Short names of the reasons, for summaries. */
const LABEL = {
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
class Counts {
    connections = 0;
    datagrams = 0;
    reasons = new Map();
    add(reason, traffic) {
        if (traffic === 'connection')
            this.connections += 1;
        else
            this.datagrams += 1;
        this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
    }
    get total() {
        return this.connections + this.datagrams;
    }
    reasonText(label) {
        const parts = [...this.reasons].map(([r, n]) => (this.reasons.size === 1 ? label[r] : `${label[r]}: ${n}`));
        return parts.join(', ');
    }
}
/**
 * The bound of the header, for any kind of per-source line: count() says when a source's
 * own first line is due (the caller writes it); everything else becomes summaries.
 */
export class SourceLimiter {
    windowMs;
    o;
    maxSources;
    now;
    /** Tracked sources → counts since their last line. */
    tracked = new Map();
    other = new Counts();
    otherSources = new Set();
    windowStart = 0;
    timer;
    constructor(options) {
        this.o = options;
        this.windowMs = options.windowMs ?? REFUSAL_WINDOW_MS;
        this.maxSources = options.maxSources ?? REFUSAL_MAX_SOURCES;
        this.now = options.now ?? (() => performance.now());
    }
    /** The most lines one window can produce (see the header). */
    get linesPerWindow() {
        return 2 * this.maxSources + 1;
    }
    /** One more for `source`; true when the caller is to write the source's first line now. */
    count(source, reason, traffic) {
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
        if (this.otherSources.size < OTHER_SOURCES_CAP)
            this.otherSources.add(source);
        return false;
    }
    /** Write the pending summaries and stop the timer (shutdown). */
    shutdown() {
        this.summarise();
        this.tracked.clear();
        if (this.timer)
            clearInterval(this.timer);
        this.timer = undefined;
    }
    arm() {
        if (this.timer)
            return;
        this.windowStart = this.now();
        this.timer = setInterval(() => this.tick(), this.windowMs);
        this.timer.unref();
    }
    tick() {
        this.summarise();
        if (this.tracked.size === 0 && this.timer) {
            clearInterval(this.timer);
            this.timer = undefined;
        }
    }
    /** One line per tracked source with counts since its last line; quiet ones are forgotten. */
    summarise() {
        const windowMs = Math.round(this.now() - this.windowStart);
        this.windowStart = this.now();
        const text = (c) => ({ connections: c.connections, datagrams: c.datagrams, reasons: c.reasonText(this.o.labels) });
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
    emit;
    explain;
    limiter;
    constructor(options) {
        this.emit = options.emit;
        this.explain = options.explain;
        this.limiter = new SourceLimiter({
            ...options,
            labels: LABEL,
            summary: (source, c, windowMs) => ({ kind: 'refusals-summary', source, ...c, windowMs }),
            other: (sources, sourcesCapped, c, windowMs) => ({ kind: 'refusals-other', sources, sourcesCapped, ...c, windowMs }),
        });
    }
    /** The most lines one window can produce (see the header). */
    get linesPerWindow() {
        return this.limiter.linesPerWindow;
    }
    /** `client` is the peer as shown in logs (address and port); `address` its normalised source. */
    refused(address, socket, client, refusal, traffic) {
        this.total += 1;
        if (!this.limiter.count(address.key, refusal, traffic))
            return;
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
    shutdown() {
        this.limiter.shutdown();
    }
}
//# sourceMappingURL=refusal-log.js.map