// Opens N TCP connections to 127.0.0.1:PORT, sends nothing, and holds them open.
// Prints "open N failed M" once all are connected or refused, then holds them until
// SIGTERM. Run with a raised `ulimit -n` (the bench uses prlimit).
// argv: PORT N
import net from 'node:net';
const port = Number(process.argv[2]);
const count = Number(process.argv[3]);
const sockets = [];
let failed = 0;
const BATCH = 200;
async function openAll() {
    for (let i = 0; i < count; i += BATCH) {
        await Promise.all(Array.from({ length: Math.min(BATCH, count - i) }, () => new Promise((resolve) => {
            const s = net.connect({ host: '127.0.0.1', port });
            s.once('connect', () => {
                sockets.push(s);
                resolve();
            });
            s.once('error', () => {
                failed += 1;
                resolve();
            });
        })));
    }
}
await openAll();
process.stdout.write(`open ${sockets.length} failed ${failed}\n`);
const quit = () => {
    for (const s of sockets)
        s.destroy();
    process.exit(0);
};
process.on('SIGTERM', quit);
//# sourceMappingURL=hold-connections.js.map