// `mrsocko start/stop/hold/release` (../cli/control.ts) as the daemon carries them out:
// each becomes a lifecycle command (../backend/lifecycle.ts), and `start`/`stop` answer
// once the backend got there, so the CLI's exit status says what happened.
import { blockedReason } from '../backend/lifecycle.js';
import { formatSpan } from '../util/format.js';
export class ManualControl {
    o;
    constructor(o) {
        this.o = o;
    }
    /**
     * `mrsocko start/stop/hold/release` from the control socket (control/protocol.ts).
     * start answers once the backend is ready or failed; stop once it is stopped.
     */
    async run(request, by) {
        const { lifecycle } = this.o;
        const backend = this.o.backend;
        if (this.o.closing())
            return { ok: false, message: 'mrsocko is shutting down' };
        switch (request.command) {
            case 'start': {
                const block = lifecycle.block;
                if (block !== undefined)
                    return { ok: false, message: `not started: ${blockedReason(block)}; mrsocko release ends it` };
                if (lifecycle.phase === 'running')
                    return { ok: true, message: `${backend} is running already` };
                const outcome = this.nextPhase((phase, seen) => phase === 'running' || ((phase === 'stopping' || phase === 'stopped') && seen.has('starting')));
                const wasStarting = lifecycle.phase === 'starting';
                lifecycle.command({ type: 'start', by });
                const phase = await outcome(wasStarting);
                return phase === 'running'
                    ? { ok: true, message: `${backend} is ready` }
                    : { ok: false, message: `${backend} failed to start: ${lifecycle.lastFailure ?? `it is ${phase}`}` };
            }
            case 'stop': {
                const span = request.forMs !== undefined ? `; nothing starts it for ${formatSpan(request.forMs)}` : '';
                const already = lifecycle.phase === 'stopped';
                const outcome = this.nextPhase((phase, seen) => phase === 'stopped' || (phase === 'starting' && seen.has('stopping')));
                lifecycle.command({ type: 'stop', by, forMs: request.forMs });
                if (already)
                    return { ok: true, message: `${backend} was not running${span}` };
                const phase = await outcome(lifecycle.phase === 'stopping');
                return phase === 'stopped'
                    ? { ok: true, message: `${backend} stopped${span}` }
                    : { ok: true, message: `${backend} stopped, and started again for a client that arrived meanwhile` };
            }
            case 'hold': {
                const forMs = request.forMs ?? Infinity;
                lifecycle.command({ type: 'hold', by, forMs });
                const until = Number.isFinite(forMs) ? `for ${formatSpan(forMs)}` : 'until mrsocko release';
                return { ok: true, message: `${backend} held ${until}: no idle stop meanwhile (${lifecycle.phase} now)` };
            }
            case 'release': {
                const had = [lifecycle.hold && 'hold', lifecycle.block && 'block'].filter(Boolean);
                lifecycle.command({ type: 'release', by });
                return { ok: true, message: had.length > 0 ? `${had.join(' and ')} released` : 'nothing was held or blocked' };
            }
        }
    }
    /**
     * Listens before the command is given (its first phase change is synchronous); the
     * returned function resolves with the first phase `done` accepts, given the phases seen
     * since (`countCurrent`: the phase the backend is in counts as seen).
     */
    nextPhase(done) {
        const seen = new Set();
        let resolve = () => undefined;
        const result = new Promise((r) => (resolve = r));
        const listener = (phase) => {
            if (done(phase, seen)) {
                this.o.events.off('phase', listener);
                resolve(phase);
            }
            seen.add(phase);
        };
        this.o.events.on('phase', listener);
        return (current) => {
            if (current)
                seen.add(this.o.lifecycle.phase);
            return result;
        };
    }
}
//# sourceMappingURL=commands.js.map