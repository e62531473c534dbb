// Preloaded into mrsocko by the soak test (NODE_OPTIONS="--expose-gc --import=THIS"): on
// SIGUSR2 it runs a full garbage collection and writes process.memoryUsage() as one JSON
// line to $MRSOCKO_MEMORY_PROBE. Heap in use after a full collection is what grows when
// something leaks; RSS also moves with the heap's own sizing and the allocator.
import fs from 'node:fs';
const out = process.env.MRSOCKO_MEMORY_PROBE;
const gc = globalThis.gc;
if (out !== undefined && gc !== undefined) {
    process.on('SIGUSR2', () => {
        gc();
        fs.appendFileSync(out, `${JSON.stringify({ at: Date.now(), ...process.memoryUsage() })}\n`);
    });
}
//# sourceMappingURL=memory-probe.js.map