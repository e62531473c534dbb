import { formatTimespan } from '../config/timespan.js';
import { formatSpan, plural } from '../util/format.js';
export function explainIdle(idle, f) {
    if (f.phase === 'frozen' && Number.isFinite(idle.timeoutMs)) {
        return {
            state: 'counting',
            stopInMs: Math.round(f.remainingMs),
            reason: `frozen (freeze = ${formatTimespan(idle.freezeMs)}): the next client thaws it; stopped in ${formatSpan(f.remainingMs)} without traffic (timeout = ${formatTimespan(idle.timeoutMs)})`,
        };
    }
    if (f.phase !== 'running')
        return { state: 'not-running', stopInMs: null, reason: `nothing to count down: the backend is ${f.phase}` };
    const maxLeft = idle.maxRuntimeMs - f.phaseAgeMs;
    const anyway = Number.isFinite(maxLeft) ? `; stops in ${formatSpan(maxLeft)} anyway (max_runtime)` : '';
    if (!Number.isFinite(idle.timeoutMs)) {
        const stopInMs = Number.isFinite(maxLeft) ? Math.round(maxLeft) : null;
        return { state: 'off', stopInMs, reason: `idle stop off (timeout = infinity)${anyway}` };
    }
    if (idle.connectionsCount && f.countedOpen > 0) {
        const whose = idle.keepalive.length > 0 ? ' of keepalive clients' : '';
        return {
            state: 'held-up',
            stopInMs: null,
            reason: `held up by ${plural(f.countedOpen, 'open connection')}${whose} (connections_count = yes)${anyway}`,
        };
    }
    const stopIn = Math.min(Math.max(f.remainingMs, idle.minRuntimeMs - f.phaseAgeMs), maxLeft);
    const who = idle.keepalive.length > 0 ? 'traffic from keepalive clients' : 'traffic';
    const traffic = (idle.minBytes ?? 0) > 0 ? `${idle.minBytes} bytes of ${who}` : who;
    return {
        state: 'counting',
        stopInMs: Math.round(stopIn),
        reason: `stops in ${formatSpan(stopIn)} without ${traffic} (timeout = ${formatTimespan(idle.timeoutMs)})`,
    };
}
//# sourceMappingURL=explain.js.map