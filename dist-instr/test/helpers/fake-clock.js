export class FakeClock {
    t = 0;
    seq = 0;
    timers = new Map();
    now() {
        return this.t;
    }
    after(ms, fn) {
        const id = ++this.seq;
        if (Number.isFinite(ms))
            this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
        return () => this.timers.delete(id);
    }
    /** Timers not yet run. */
    get pending() {
        return this.timers.size;
    }
    /** Move time forward by `ms`, running each timer at its moment (timers they set included). */
    advance(ms) {
        const end = this.t + ms;
        for (;;) {
            let next;
            for (const entry of this.timers)
                if (entry[1].at <= end && (next === undefined || entry[1].at < next[1].at))
                    next = entry;
            if (next === undefined)
                break;
            this.timers.delete(next[0]);
            this.t = next[1].at;
            next[1].fn();
        }
        this.t = end;
    }
}
//# sourceMappingURL=fake-clock.js.map