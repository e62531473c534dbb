// A seeded PRNG for tests that explore: the same seed gives the same run (printed, replayable).
/** mulberry32: small, fast, good enough to drive tests; the same seed gives the same run. */
export class Prng {
    seed;
    state;
    constructor(seed) {
        this.seed = seed;
        this.state = seed >>> 0;
    }
    next() {
        let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    }
    /** An integer in [0, n). */
    int(n) {
        return Math.floor(this.next() * n);
    }
    pick(items) {
        return items[this.int(items.length)];
    }
    chance(p) {
        return this.next() < p;
    }
    bytes(n) {
        const b = Buffer.allocUnsafe(n);
        for (let i = 0; i < n; i += 4) {
            const v = (this.next() * 4294967296) >>> 0;
            b[i] = v & 0xff;
            if (i + 1 < n)
                b[i + 1] = (v >>> 8) & 0xff;
            if (i + 2 < n)
                b[i + 2] = (v >>> 16) & 0xff;
            if (i + 3 < n)
                b[i + 3] = v >>> 24;
        }
        return b;
    }
}
/** The seed for this run: $RESILIENCE_SEED to replay one, else a fresh one (printed). */
export function seedFor(what) {
    const given = process.env.RESILIENCE_SEED;
    const seed = given !== undefined && given !== '' ? Number(given) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
    console.log(`# ${what}: seed ${seed} (replay with RESILIENCE_SEED=${seed})`);
    return seed;
}
/** A number from the environment (durations, counts), else the default. */
export function envNumber(name, fallback) {
    const v = Number(process.env[name]);
    return process.env[name] !== undefined && process.env[name] !== '' && Number.isFinite(v) && v > 0 ? v : fallback;
}
//# sourceMappingURL=prng.js.map