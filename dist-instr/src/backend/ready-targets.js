import { describeTarget } from './ready-check.js';
/** The backend addresses of the sockets with `ready_check = yes`, each once, with the sockets naming it. */
export function readyTargets(sockets) {
    const targets = new Map();
    for (const s of sockets) {
        if (!s.readyCheck)
            continue;
        const key = `${s.protocol} ${s.backend.text}`;
        const target = targets.get(key) ?? { sockets: [], protocol: s.protocol, backend: s.backend };
        target.sockets.push(s.name);
        targets.set(key, target);
    }
    return [...targets.values()];
}
export function startTimeoutReason(ms, config, wait) {
    const pending = wait?.pendingTargets ?? [];
    const waitingFor = wait?.waitingFor;
    if (pending.length > 0 || waitingFor === undefined) {
        const base = `not accepting connections within start_timeout (${ms} ms)`;
        // one address only: it is the one; several: say which did not come up
        if (readyTargets(config.sockets).length <= 1)
            return base;
        return `${base}: still waiting for ${pending.map(describeTarget).join(', ')}`;
    }
    return `not ready within start_timeout (${ms} ms): still waiting for ${waitingFor}`;
}
//# sourceMappingURL=ready-targets.js.map