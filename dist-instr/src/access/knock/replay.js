// Each single-packet nonce is accepted once: remembered for as long as a packet carrying
// it could still pass the timestamp check (until its timestamp + PACKET_SKEW_MS, at most
// twice the skew from now). Only authenticated packets get here, so only the key's holder
// can fill the cache; if it is full anyway, new packets are refused rather than an old
// nonce forgotten early (that would let its packet be replayed).
import { PACKET_SKEW_MS } from './packet.js';
const DEFAULT_REPLAY_CAPACITY = 8192;
export class ReplayCache {
    now;
    capacity;
    /** nonce (hex) → wall-clock ms after which its packet is expired anyway. */
    seen = new Map();
    constructor(
    /** Wall clock in milliseconds (packet timestamps are wall-clock). */
    now, capacity = DEFAULT_REPLAY_CAPACITY) {
        this.now = now;
        this.capacity = capacity;
    }
    get size() {
        return this.seen.size;
    }
    /** 'fresh' (and now remembered), 'replayed', or 'full' (refused: see the header). */
    admit(nonce, timestampSeconds) {
        const at = this.now();
        const key = nonce.toString('hex');
        const forgetAt = this.seen.get(key);
        if (forgetAt !== undefined && forgetAt >= at)
            return 'replayed';
        this.prune(at);
        if (this.seen.size >= this.capacity)
            return 'full';
        this.seen.delete(key);
        this.seen.set(key, timestampSeconds * 1000 + PACKET_SKEW_MS);
        return 'fresh';
    }
    prune(at) {
        // Entries are not strictly in expiry order (timestamps vary by up to twice the skew):
        // drop expired ones from the front, then, when full, sweep once.
        for (const [key, forgetAt] of this.seen) {
            if (forgetAt >= at)
                break;
            this.seen.delete(key);
        }
        if (this.seen.size >= this.capacity) {
            for (const [key, forgetAt] of this.seen)
                if (forgetAt < at)
                    this.seen.delete(key);
        }
    }
}
//# sourceMappingURL=replay.js.map