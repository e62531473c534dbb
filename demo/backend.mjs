// The demo backend: a tiny HTTP server that, like a real service, takes a while to start.
// mrsocko starts it on the first request and stops it after the idle timeout.
import http from 'node:http';

const port = Number(process.argv[2] ?? 18081);
const startupMs = Number(process.argv[3] ?? 1000);
const startedAt = new Date();
let requests = 0;

console.log(`demo backend (pid ${process.pid}): starting, this takes ${startupMs} ms...`);
setTimeout(() => {
  const server = http.createServer((req, res) => {
    requests += 1;
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end(
      `Hello from the demo backend!\n` +
        `pid ${process.pid}, started ${startedAt.toISOString()}, request #${requests}\n` +
        `Stop sending requests and mrsocko stops me when the idle timeout passes.\n`,
    );
  });
  server.listen(port, '127.0.0.1', () => console.log(`demo backend: listening on 127.0.0.1:${port}`));
  process.on('SIGTERM', () => {
    console.log(`demo backend: SIGTERM after ${requests} requests, bye`);
    server.close();
    server.closeAllConnections();
  });
}, startupMs);
