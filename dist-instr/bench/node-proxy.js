// A plain Node.js proxy, a peer in the bench: what Node.js itself costs per connection and
// per byte, with nothing of mrsocko's (no admission, accounting or own read buffers). It
// takes the listening socket systemd-socket-activate passes as fd 3, like mrsocko, and
// connects every client to 127.0.0.1:PORT with pipe() both ways. argv: PORT.
import net from 'node:net';
const backendPort = Number(process.argv[2]);
const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ port: backendPort, host: '127.0.0.1', noDelay: true, allowHalfOpen: true });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    upstream.once('connect', () => {
        client.setNoDelay(true);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
    });
});
server.listen({ fd: 3 });
//# sourceMappingURL=node-proxy.js.map