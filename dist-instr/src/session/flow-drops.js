import { DEFAULT_QUEUE_LIMITS } from '../proxy/udp-flow.js';
/** Why UDP datagrams are dropped while the backend starts (the queue bounds of ../proxy/udp-flow.ts). */
export const QUEUE_FULL = `queue full while waiting for the backend (${DEFAULT_QUEUE_LIMITS.flowDatagrams} datagrams or ` +
    `${DEFAULT_QUEUE_LIMITS.flowBytes / 1024} KiB per client, ${DEFAULT_QUEUE_LIMITS.totalBytes / 1024 / 1024} MiB in all)`;
export function logFlowDrops(log, flows, take, why) {
    let datagrams = 0;
    let bytes = 0;
    let clients = 0;
    let first;
    for (const f of flows) {
        const d = take(f);
        if (d.datagrams === 0)
            continue;
        datagrams += d.datagrams;
        bytes += d.bytes;
        clients += 1;
        first ??= f;
    }
    if (first === undefined)
        return;
    const socket = new Set(flows.map((f) => f.socketName)).size === 1 ? first.socketName : 'udp';
    const client = clients === 1 ? first.peer : `${clients} clients`;
    log.event({ kind: 'flow-dropped', socket, client, datagrams, bytes, why });
}
/** The UDP flows among waiting or released clients. */
export function flowsOf(clients) {
    return clients.filter((c) => c.kind === 'flow');
}
//# sourceMappingURL=flow-drops.js.map