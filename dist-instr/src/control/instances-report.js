// `mrsocko status` without NAME as text: one line per instance (./instances.ts). Every
// string may come from a config, a client or a unit name: control characters are escaped.
import { formatSpan, plural } from '../util/format.js';
import { escapeStrings } from './report.js';
export function renderInstances(list) {
    if (list.instances.length === 0)
        return 'no mrsocko instances found\n';
    const rows = escapeStrings(list.instances).map((i) => [i.name, i.state, detail(i)]);
    const widths = [0, 1].map((c) => Math.max(...rows.map((r) => r[c].length)));
    return rows.map((r) => `${r[0].padEnd(widths[0])}  ${r[1].padEnd(widths[1])}  ${r[2]}`.trimEnd()).join('\n') + '\n';
}
function detail(i) {
    const r = i.report;
    if (r !== null) {
        const b = r.backend;
        const state = b.retry !== null ? `waiting to retry (${plural(b.retry.failures, 'failed start')})` : `${b.state} for ${formatSpan(b.stateForMs)}`;
        const parts = [`backend ${b.name} ${state}`, `${plural(r.totals.clients, 'client')} (${`${r.totals.connections + r.totals.flows} open`})`];
        parts.push(r.idle.state === 'counting' && r.idle.stopInMs !== null ? `idle stop in ${formatSpan(r.idle.stopInMs)}` : r.idle.reason);
        const hold = r.control?.hold;
        const block = r.control?.block;
        if (hold && r.idle.state !== 'held-up')
            parts.push(`held ${hold.until === null ? 'until release' : `until ${hold.until}`}`);
        if (block)
            parts.push(`blocked ${block.until === null ? 'until release' : `until ${block.until}`}`);
        return parts.join('; ');
    }
    const units = i.units;
    const unitText = units === null ? '' : [units.socket && `socket ${units.socket.active} (${units.socket.sub})`, units.service && `service ${units.service.active} (${units.service.sub})`].filter(Boolean).join(', ');
    switch (i.state) {
        case 'dormant':
            return `socket listening, mrsocko not running; the next client starts it${unitText ? ` [${unitText}]` : ''}`;
        case 'failed':
            return `${unitText}; see systemctl status mrsocko@${i.name}`;
        default:
            return [unitText, i.problem].filter(Boolean).join('; ');
    }
}
//# sourceMappingURL=instances-report.js.map