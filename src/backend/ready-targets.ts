// Which backend addresses readiness waits for, and what a start_timeout that ran out
// says about them: the sockets not ready are named (a mixed TCP+UDP instance whose UDP
// side never came up must not read as a TCP failure).
import type { Config, SocketConfig } from '../config/types.js';
import { describeTarget, type ReadyTarget, type ReadyWait } from './ready-check.js';

/** The backend addresses of the sockets with `ready_check = yes`, each once, with the sockets naming it. */
export function readyTargets(sockets: readonly SocketConfig[]): ReadyTarget[] {
  const targets = new Map<string, { sockets: string[]; protocol: SocketConfig['protocol']; backend: SocketConfig['backend'] }>();
  for (const s of sockets) {
    if (!s.readyCheck) continue;
    const key = `${s.protocol} ${s.backend.text}`;
    const target = targets.get(key) ?? { sockets: [], protocol: s.protocol, backend: s.backend };
    target.sockets.push(s.name);
    targets.set(key, target);
  }
  return [...targets.values()];
}

export function startTimeoutReason(ms: number, config: Pick<Config, 'sockets'>, wait: ReadyWait | undefined): string {
  const pending = wait?.pendingTargets ?? [];
  const waitingFor = wait?.waitingFor;
  if (pending.length > 0 || waitingFor === undefined) {
    const base = `not accepting connections within start_timeout (${ms} ms)`;
    // one address only: it is the one; several: say which did not come up
    if (readyTargets(config.sockets).length <= 1) return base;
    return `${base}: still waiting for ${pending.map(describeTarget).join(', ')}`;
  }
  return `not ready within start_timeout (${ms} ms): still waiting for ${waitingFor}`;
}
