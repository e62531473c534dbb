// The addresses that knocked successfully, each until its `open_for` runs out: what the
// `knocked` entry of `allow`, `deny`, `wake` and `keepalive` matches. Bounded like every
// table a client can grow (a sequence can be sniffed and replayed from many addresses):
// past `max`, the entry that expires first goes. Insertion order is knock order, and a
// re-knock moves an address to the end, so with one `open_for` the first entry is always
// the one expiring first.
const DEFAULT_MAX_KNOCKED = 4096;
export class KnockedSet {
    now;
    max;
    entries = new Map();
    constructor(now, max = DEFAULT_MAX_KNOCKED) {
        this.now = now;
        this.max = max;
    }
    /** Knocked until now + openForMs (a later knock extends, never shortens). Returns the entry. */
    open(address, method, openForMs) {
        const at = this.now();
        this.expire(at);
        const previous = this.entries.get(address);
        const until = Math.max(at + openForMs, previous?.until ?? -Infinity);
        this.entries.delete(address);
        while (this.entries.size >= this.max) {
            const first = this.entries.keys().next().value;
            if (first === undefined)
                break;
            this.entries.delete(first);
        }
        const entry = { address, method, until };
        this.entries.set(address, entry);
        return entry;
    }
    has(address) {
        const entry = this.entries.get(address);
        if (entry === undefined)
            return false;
        if (entry.until > this.now())
            return true;
        this.entries.delete(address);
        return false;
    }
    /** Live entries, soonest expiry first. */
    list() {
        const at = this.now();
        this.expire(at);
        return [...this.entries.values()].filter((e) => e.until > at).sort((a, b) => a.until - b.until);
    }
    get size() {
        return this.entries.size;
    }
    expire(at) {
        for (const [address, entry] of this.entries) {
            if (entry.until > at)
                break;
            this.entries.delete(address);
        }
    }
}
//# sourceMappingURL=knocked.js.map