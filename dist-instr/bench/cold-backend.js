// The cold-start backend: a TCP server that becomes ready a known time after its process
// began, and records exactly when. argv: PORT REPORT_FILE DELAY_FILE.
// It reads its ready time (ms after its own process start) from DELAY_FILE and listens
// then. REPORT_FILE gets one JSON line when it listens — `start` (when this process began,
// from performance.timeOrigin) and `listen` — and one per connection that sent something:
// `accept`, `data` (its first byte arrived) and `respond` (about to write "ok\n").
// Times are CLOCK_MONOTONIC ns (process.hrtime), the clock the bench's client reads too.
// Connections that send nothing (readiness probes) are counted in `probes` of the next line.
import net from 'node:net';
import fs from 'node:fs';
const nowNs = process.hrtime.bigint();
// performance.now() counts from this process's start: the monotonic time it began.
const startNs = nowNs - BigInt(Math.round(performance.now() * 1e6));
const [portText, report, delayFile] = process.argv.slice(2);
const readyAtMs = Number(fs.readFileSync(delayFile, 'utf8').trim());
let probes = 0;
let firstAccept;
const server = net.createServer((socket) => {
    const accept = process.hrtime.bigint();
    firstAccept ??= accept;
    let answered = false;
    socket.on('error', () => undefined);
    socket.once('data', () => {
        const data = process.hrtime.bigint();
        answered = true;
        const respond = process.hrtime.bigint();
        socket.end('ok\n');
        fs.appendFileSync(report, JSON.stringify({
            type: 'conn', pid: process.pid, accept: String(accept), data: String(data), respond: String(respond),
            firstAccept: String(firstAccept), probes,
        }) + '\n');
    });
    socket.once('close', () => {
        if (!answered)
            probes += 1;
    });
});
setTimeout(() => {
    server.listen(Number(portText), '127.0.0.1', () => {
        const listenNs = process.hrtime.bigint();
        fs.appendFileSync(report, JSON.stringify({ type: 'listen', pid: process.pid, start: String(startNs), listen: String(listenNs) }) + '\n');
    });
}, Math.max(0, readyAtMs - performance.now()));
process.on('SIGTERM', () => process.exit(0));
//# sourceMappingURL=cold-backend.js.map