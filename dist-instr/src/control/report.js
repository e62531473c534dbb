import { formatSpan, plural } from '../util/format.js';
import { escapeControlCharacters } from '../text/control-chars.js';
export const STATUS_VERSION = 1;
const span = formatSpan;
/** The report as JSON for a terminal: JSON.stringify escapes C0 controls but leaves DEL
 *  and C1 raw, so those become \u escapes too (the same JSON once parsed). */
export function statusJson(r) {
    return jsonText(r);
}
/** Any value as JSON for a terminal (see statusJson). */
export function jsonText(r) {
    return JSON.stringify(r, null, 2).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
/** The report as text. Every string in it may come from a client, a backend's argv or a
 *  name in the config: control characters are shown escaped, never sent to the terminal. */
export function renderStatus(report) {
    const r = escapeStrings(report);
    const b = r.backend;
    const lines = [`mrsocko@${r.instance} (pid ${r.pid})`];
    const state = b.retry !== null && b.retry !== undefined
        ? `waiting to retry: next start in ${span(b.retry.inMs)}, after ${plural(b.retry.failures, 'failed start')} in a row`
        : `${b.state} for ${span(b.stateForMs)}`;
    const pid = b.pid !== null ? `pid ${b.pid}, ` : '';
    lines.push(`backend: ${b.name} ${state} (${pid}started ${plural(b.starts, 'time')})`);
    // older instances do not send it
    if (b.waitingFor !== undefined && b.waitingFor !== null)
        lines.push(`         waiting for ${b.waitingFor}`);
    lines.push(`idle:    ${r.idle.reason}`);
    const minBytes = r.idle.minBytes ?? 0;
    if (minBytes > 0 && r.idle.state === 'counting') {
        lines.push(`         ${r.idle.bytesTowardRestart ?? 0} of ${minBytes} bytes toward the next restart of the countdown (min_bytes)`);
    }
    for (const [what, m] of [['hold', r.control?.hold], ['block', r.control?.block]]) {
        if (m === undefined || m === null)
            continue;
        const until = m.until === null ? 'until mrsocko release' : `until ${m.until} (${span(m.remainingMs ?? 0)} left)`;
        lines.push(`${`${what}:`.padEnd(8)} ${until}, by ${m.by}${what === 'block' ? '; clients are refused' : ''}`);
    }
    const t = r.totals;
    const open = [plural(t.connections, 'connection'), ...(t.flows > 0 ? [plural(t.flows, 'flow')] : []), ...(t.held > 0 ? [`${t.held} held`] : [])];
    lines.push(`clients: ${t.clients} connected (${open.join(', ')}); ${t.refused} refused` +
        `${t.evicted > 0 ? `, ${t.evicted} closed to make room` : ''}` +
        `${(t.silent ?? 0) > 0 ? `, ${t.silent} sent nothing (not woken: wake_on = data)` : ''} since start`);
    if (r.clients.length > 0) {
        const rows = [
            ['ADDRESS', 'CONN', 'FLOWS', 'BYTES IN', 'BYTES OUT', 'LAST ACTIVITY', 'COUNTED'],
            ...r.clients.map((c) => [
                c.address,
                String(c.connections),
                String(c.flows),
                String(c.bytesIn),
                String(c.bytesOut),
                `${span(c.idleMs)} ago`,
                c.counted ? 'yes' : 'no',
            ]),
        ];
        const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
        const numeric = new Set([1, 2, 3, 4]);
        for (const row of rows) {
            lines.push(`  ${row.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd()}`);
        }
    }
    const knocked = r.knocked ?? [];
    if (knocked.length > 0) {
        lines.push(`knocked: ${knocked.length} ${knocked.length === 1 ? 'address' : 'addresses'}`);
        const width = Math.max(...knocked.map((k) => k.address.length));
        for (const k of knocked) {
            lines.push(`  ${k.address.padEnd(width)}  until ${k.until} (${span(k.remainingMs)} left, ${k.method === 'sequence' ? 'port sequence' : 'single packet'})`);
        }
    }
    return lines.join('\n') + '\n';
}
export function escapeStrings(value) {
    if (typeof value === 'string')
        return escapeControlCharacters(value);
    if (Array.isArray(value))
        return value.map(escapeStrings);
    if (typeof value === 'object' && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeStrings(v)]));
    }
    return value;
}
//# sourceMappingURL=report.js.map