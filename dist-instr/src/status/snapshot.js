import { STATUS_VERSION } from '../control/report.js';
import { formatSpan } from '../util/format.js';
import { explainIdle } from '../idle/explain.js';
import { formatStatus } from './status-line.js';
/** A hold or block for the report: the wall-clock end (null: until release) and who asked. */
function manualReport(m, now) {
    if (m === undefined)
        return null;
    const finite = Number.isFinite(m.until);
    return {
        until: finite ? new Date(performance.timeOrigin + m.until).toISOString() : null,
        remainingMs: finite ? Math.max(0, Math.round(m.until - now)) : null,
        by: m.by,
    };
}
/** "until release" or "for 4min 10s more", for STATUS= and the idle reason. */
function manualSpan(m, now) {
    return Number.isFinite(m.until) ? `for ${formatSpan(m.until - now)} more` : 'until mrsocko release';
}
/** Reads every part at this moment (performance.now() for ages, the wall clock for `time`). */
export function buildStatusReport(p) {
    const now = performance.now();
    const wall = (t) => new Date(performance.timeOrigin + t).toISOString();
    const clients = p.clients.snapshot();
    let connections = 0;
    let flows = 0;
    for (const c of clients) {
        connections += c.connections;
        flows += c.flows;
    }
    const { lifecycle, idleConfig: idle } = p;
    const phaseAgeMs = lifecycle.phaseAgeMs;
    const r = lifecycle.retry;
    let idleExplained = explainIdle(idle, { phase: lifecycle.phase, phaseAgeMs, remainingMs: p.idle.remainingMs(), countedOpen: p.clients.countedOpen });
    if (p.hold !== undefined && lifecycle.phase === 'running') {
        idleExplained = { state: 'held-up', stopInMs: null, reason: `held up by ${p.hold.by} ${manualSpan(p.hold, now)}; then ${idleExplained.reason}` };
    }
    return {
        version: STATUS_VERSION,
        instance: p.instance,
        pid: p.pid,
        time: new Date().toISOString(),
        backend: {
            name: p.driver.description,
            state: lifecycle.phase,
            stateForMs: Math.round(phaseAgeMs),
            pid: p.driver.pid ?? null,
            starts: lifecycle.launchCount,
            retry: r === undefined ? null : { inMs: Math.round(r.inMs), failures: r.failures },
            waitingFor: p.waitingFor ?? null,
        },
        idle: {
            ...idleExplained,
            timeoutMs: Number.isFinite(idle.timeoutMs) ? idle.timeoutMs : null,
            keepalive: [...idle.keepalive],
            minBytes: idle.minBytes,
            bytesTowardRestart: p.idle.bytesTowardRestart,
            freezeMs: Number.isFinite(idle.freezeMs) ? idle.freezeMs : null,
        },
        totals: { clients: p.clients.activeClients, connections, flows, held: p.waiting, refused: p.refused, evicted: p.evicted, silent: p.silent },
        clients: clients.map((c) => ({
            address: c.address,
            connections: c.connections,
            flows: c.flows,
            bytesUp: c.bytesUp,
            bytesDown: c.bytesDown,
            bytesIn: c.bytesUp,
            bytesOut: c.bytesDown,
            firstSeen: wall(c.firstSeen),
            lastActivity: wall(c.lastActivity),
            idleMs: Math.max(0, Math.round(now - c.lastActivity)),
            counted: c.counted,
        })),
        knocked: p.knocked,
        control: { hold: manualReport(p.hold, now), block: manualReport(p.block, now) },
    };
}
/** The STATUS= line. */
export function buildStatusLine(p) {
    const { lifecycle, idleConfig: idle } = p;
    return formatStatus({
        backend: p.driver.description,
        phase: lifecycle.phase,
        retry: lifecycle.retry,
        waitingFor: p.waitingFor,
        held: p.waiting,
        open: p.connected,
        clients: p.clients.activeClients,
        idleTimeoutMs: idle.timeoutMs,
        keepalive: idle.keepalive.length > 0,
        holdingConnections: idle.connectionsCount ? p.clients.countedOpen : 0,
        hold: p.hold !== undefined ? `held by mrsocko hold ${manualSpan(p.hold, performance.now())}` : undefined,
        block: p.block !== undefined ? `blocked by mrsocko stop --for ${manualSpan(p.block, performance.now())}; clients refused` : undefined,
    });
}
//# sourceMappingURL=snapshot.js.map