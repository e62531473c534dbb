// Port-knock sequences (`[knock] sequence`, `window`): which addresses are part-way
// through the sequence, and whether one more hit completes it. Pure: hits and a clock in,
// verdicts out; the sockets are ./gate.ts.
//
// A hit is one connection or one datagram to a knock port, from a normalised address.
// The sequence must be hit in order within `window` of its first step; any other port
// resets that address's progress (a hit on the first step starts over from there, as
// knockd does). At most `maxInProgress` addresses are tracked: a new one past that drops
// the one that started longest ago. Map insertion order is start order, so every step is
// O(1).
const DEFAULT_MAX_IN_PROGRESS = 4096;
export class SequenceTracker {
    steps;
    windowMs;
    now;
    maxInProgress;
    progress = new Map();
    /**
     * `steps`: the id of each step's port, in order (a port may appear more than once).
     * `now`: a monotonic clock in milliseconds.
     */
    constructor(steps, windowMs, now, maxInProgress = DEFAULT_MAX_IN_PROGRESS) {
        this.steps = steps;
        this.windowMs = windowMs;
        this.now = now;
        this.maxInProgress = maxInProgress;
        if (steps.length === 0)
            throw new Error('a knock sequence needs at least one step');
    }
    /** Addresses part-way through the sequence now. */
    get size() {
        return this.progress.size;
    }
    hit(address, port) {
        const at = this.now();
        const current = this.progress.get(address);
        if (current !== undefined) {
            if (at - current.startedAt <= this.windowMs && this.steps[current.next] === port) {
                current.next += 1;
                if (current.next < this.steps.length)
                    return 'progress';
                this.progress.delete(address);
                return 'complete';
            }
            this.progress.delete(address);
        }
        if (this.steps[0] !== port)
            return 'wrong';
        if (this.steps.length === 1)
            return 'complete';
        if (this.progress.size >= this.maxInProgress) {
            const oldest = this.progress.keys().next().value;
            if (oldest !== undefined)
                this.progress.delete(oldest);
        }
        this.progress.set(address, { next: 1, startedAt: at });
        // A fresh start after a wrong step or an expired window is not itself a failure.
        return 'progress';
    }
    /** Forget everything (a reload that changes the sequence). */
    clear() {
        this.progress.clear();
    }
}
//# sourceMappingURL=sequence.js.map