import { formatTimespan } from '../config/timespan.js';
import { formatSpan, plural } from '../util/format.js';
export function formatStatus(f) {
    const manual = [f.hold, f.block].filter((x) => x !== undefined).map((x) => `; ${x}`).join('');
    return phaseStatus(f) + manual;
}
function phaseStatus(f) {
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
//# sourceMappingURL=status-line.js.map