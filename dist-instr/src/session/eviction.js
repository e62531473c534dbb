/** A connection or flow with nothing through it either way for this long is silent. */
export const SILENT_MS = 1000;
/** At most this many addresses are looked at for a silent connection per admission. */
export const HOLDERS_LOOKED_AT = 8;
/** One open connection or flow of a holder: a node of its holder's activity list. */
export class Slot {
    holder;
    kind;
    lastActivity;
    /** Set by the owner right after admission; a slot without one is never chosen. */
    victim;
    /** @internal links of the holder's list, least recently active first */
    prev;
    next;
    linked = false;
    constructor(holder, kind, at) {
        this.holder = holder;
        this.kind = kind;
        this.lastActivity = at;
    }
    /** Traffic through it at `at`: it becomes the most recently active of its holder. */
    touch(at) {
        this.lastActivity = at;
        const h = this.holder;
        if (h.tail === this || !this.linked)
            return;
        h.unlink(this);
        h.append(this);
    }
}
/** One client address, as far as room is concerned. */
export class Holder {
    key;
    /** Open connections and flows. */
    size = 0;
    /** Least recently active first. */
    head;
    tail;
    /** Flows that may still have seen a single datagram, oldest first. */
    oneShot = new Set();
    /** @internal the bucket of its size */
    bucket;
    constructor(key) {
        this.key = key;
    }
    /** @internal */
    append(slot) {
        slot.prev = this.tail;
        slot.next = undefined;
        if (this.tail)
            this.tail.next = slot;
        else
            this.head = slot;
        this.tail = slot;
        slot.linked = true;
    }
    /** @internal */
    unlink(slot) {
        if (slot.prev)
            slot.prev.next = slot.next;
        else
            this.head = slot.next;
        if (slot.next)
            slot.next.prev = slot.prev;
        else
            this.tail = slot.prev;
        slot.prev = slot.next = undefined;
        slot.linked = false;
    }
}
/** Holders of the same size. */
class Bucket {
    count;
    holders = new Set();
    prev;
    next;
    constructor(count) {
        this.count = count;
    }
}
export class Eviction {
    /** Smallest and largest bucket. */
    low;
    top;
    /** A connection or flow of `slot.holder` was admitted. */
    add(slot) {
        const h = slot.holder;
        h.append(slot);
        if (slot.kind === 'flow')
            h.oneShot.add(slot);
        h.size += 1;
        this.moveUp(h);
    }
    /** It closed (or was evicted). Idempotent. */
    remove(slot) {
        if (!slot.linked)
            return;
        const h = slot.holder;
        h.unlink(slot);
        h.oneShot.delete(slot);
        h.size -= 1;
        this.moveDown(h);
    }
    /** The address holding the most (one of them), and how much. */
    get largest() {
        return this.top?.holders.values().next().value;
    }
    /** What to close so that a newcomer from `newcomer` (undefined: nothing open yet) gets in; undefined = refuse. */
    choose(newcomer, now) {
        const holds = newcomer?.size ?? 0;
        let looked = 0;
        // 1: those holding more than the newcomer's address, largest first
        for (let b = this.top; b !== undefined && b.count > holds && looked < HOLDERS_LOOKED_AT; b = b.prev) {
            for (const h of b.holders) {
                if (looked++ >= HOLDERS_LOOKED_AT)
                    break;
                const choice = quietest(h, now);
                if (choice !== undefined)
                    return choice;
            }
        }
        // 2: its own
        if (newcomer !== undefined && holds > 0) {
            const choice = quietest(newcomer, now);
            if (choice !== undefined)
                return choice;
        }
        // 3: the largest holder's least recently active one, busy, if it holds two more
        const top = this.top;
        if (top === undefined || top.count < holds + 2)
            return undefined;
        for (const h of top.holders) {
            const s = h.head;
            // only the slot admitted in this same turn has no victim yet, and it is the most recent
            if (s?.victim !== undefined)
                return { slot: s, reason: 'busy', holds: h.size, quietMs: now - s.lastActivity };
            if (looked++ >= 2 * HOLDERS_LOOKED_AT)
                break;
        }
        return undefined;
    }
    moveUp(h) {
        const from = h.bucket;
        let to;
        if (from === undefined) {
            to = this.low?.count === h.size ? this.low : this.insertAfter(undefined, h.size);
        }
        else {
            to = from.next?.count === h.size ? from.next : this.insertAfter(from, h.size);
            this.leave(from, h);
        }
        to.holders.add(h);
        h.bucket = to;
    }
    moveDown(h) {
        const from = h.bucket;
        if (h.size > 0) {
            const to = from.prev?.count === h.size ? from.prev : this.insertAfter(from.prev, h.size);
            to.holders.add(h);
            h.bucket = to;
        }
        else
            h.bucket = undefined;
        this.leave(from, h);
    }
    /** A new bucket after `prev` (undefined: first). */
    insertAfter(prev, count) {
        const b = new Bucket(count);
        b.prev = prev;
        b.next = prev === undefined ? this.low : prev.next;
        if (b.next)
            b.next.prev = b;
        else
            this.top = b;
        if (prev)
            prev.next = b;
        else
            this.low = b;
        return b;
    }
    leave(b, h) {
        b.holders.delete(h);
        if (b.holders.size > 0)
            return;
        if (b.prev)
            b.prev.next = b.next;
        else
            this.low = b.next;
        if (b.next)
            b.next.prev = b.prev;
        else
            this.top = b.prev;
    }
}
/** A holder's oldest one-datagram flow, else its least recently active slot if silent. */
function quietest(h, now) {
    for (const s of h.oneShot) {
        const datagrams = s.victim?.clientDatagrams?.();
        if (datagrams !== undefined && datagrams <= 1)
            return { slot: s, reason: 'one-datagram', holds: h.size, quietMs: now - s.lastActivity };
        // No owner yet: only the flow admitted in this same turn, and it is the newest. Else a
        // second datagram came: it leaves this set for good (still in the activity list).
        if (datagrams === undefined)
            break;
        h.oneShot.delete(s);
    }
    const s = h.head;
    if (s !== undefined && s.victim !== undefined && now - s.lastActivity >= SILENT_MS) {
        return { slot: s, reason: 'silent', holds: h.size, quietMs: now - s.lastActivity };
    }
    return undefined;
}
//# sourceMappingURL=eviction.js.map