import { SourceLimiter } from './refusal-log.js';
const LABEL = {
    closed: 'closed without a byte',
    'timed-out': 'silent until start_timeout',
};
export class SilentLog {
    emit;
    /** Every such connection since start. */
    total = 0;
    limiter;
    constructor(emit) {
        this.emit = emit;
        this.limiter = new SourceLimiter({
            emit,
            labels: LABEL,
            summary: (source, c, windowMs) => ({ kind: 'silent-summary', source, connections: c.connections, reasons: c.reasons, windowMs }),
            other: (sources, sourcesCapped, c, windowMs) => ({ kind: 'silent-other', sources, sourcesCapped, connections: c.connections, reasons: c.reasons, windowMs }),
        });
    }
    /** A connection from `source` (its normalised address) on `socket` ended without a byte. */
    silent(source, socket, client, end) {
        this.total += 1;
        if (this.limiter.count(source, end, 'connection')) {
            this.emit({ kind: 'client-silent', socket, client, end, source, windowMs: this.limiter.windowMs });
        }
    }
    shutdown() {
        this.limiter.shutdown();
    }
}
//# sourceMappingURL=silent-log.js.map