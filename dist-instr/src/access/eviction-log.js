import { SourceLimiter } from './refusal-log.js';
const LABEL = {
    'one-datagram': 'one-datagram flows',
    silent: 'silent',
    busy: 'busy, from the largest holder',
};
export class EvictionLog {
    /** Every connection and flow closed to make room since start. */
    total = 0;
    emit;
    limiter;
    constructor(options) {
        this.emit = options.emit;
        this.limiter = new SourceLimiter({
            ...options,
            labels: LABEL,
            summary: (source, c, windowMs) => ({ kind: 'evictions-summary', source, ...c, windowMs }),
            other: (sources, sourcesCapped, c, windowMs) => ({ kind: 'evictions-other', sources, sourcesCapped, ...c, windowMs }),
        });
    }
    /** `victim` was closed for a newcomer `newcomer` (its peer) at max_connections = `max`. */
    evicted(choice, victim, newcomer, max) {
        this.total += 1;
        const source = choice.slot.holder.key;
        const traffic = choice.slot.kind === 'connection' ? 'connection' : 'datagram';
        if (!this.limiter.count(source, choice.reason, traffic))
            return;
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
    shutdown() {
        this.limiter.shutdown();
    }
}
//# sourceMappingURL=eviction-log.js.map