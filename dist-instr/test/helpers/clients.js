// Test clients that keep a connection open and exchange bytes with an echo backend through
// mrsocko, from a chosen source address (127.0.0.1, 127.0.0.2, ::1: distinct clients, all
// on this machine), and a check that a connection is refused (closed unread, nothing back).
import net from 'node:net';
export function connectClient(t, timeoutMs = 10_000) {
    return new Promise((resolve, reject) => {
        const socket = net.connect({ host: t.host, port: t.port, ...(t.from ? { localAddress: t.from } : {}) });
        let buffered = [];
        let waiting;
        const client = {
            socket,
            sent: 0,
            received: 0,
            echo(payload) {
                const data = Buffer.from(payload);
                if (closed)
                    return Promise.reject(new Error('the connection is closed'));
                client.sent += data.length;
                return new Promise((res, rej) => {
                    const timer = setTimeout(() => rej(new Error(`no echo of ${data.length} bytes within ${timeoutMs} ms`)), timeoutMs);
                    waiting = {
                        want: data.length,
                        resolve: (b) => {
                            clearTimeout(timer);
                            res(b);
                        },
                        reject: (e) => {
                            clearTimeout(timer);
                            rej(e);
                        },
                    };
                    socket.write(data);
                    check();
                });
            },
            close() {
                return new Promise((res) => {
                    if (socket.destroyed)
                        return res();
                    socket.once('close', () => res());
                    socket.end();
                });
            },
        };
        const check = () => {
            const total = buffered.reduce((n, b) => n + b.length, 0);
            if (waiting && total >= waiting.want) {
                const all = Buffer.concat(buffered);
                buffered = [all.subarray(waiting.want)].filter((b) => b.length > 0);
                const w = waiting;
                waiting = undefined;
                w.resolve(all.subarray(0, w.want));
            }
        };
        socket.on('data', (c) => {
            client.received += c.length;
            buffered.push(c);
            check();
        });
        let closed = false;
        const gone = () => {
            closed = true;
            waiting?.reject(new Error('connection closed while waiting for an echo'));
        };
        socket.on('end', gone);
        socket.on('close', gone);
        socket.once('connect', () => resolve(client));
        socket.once('error', (err) => {
            waiting?.reject(err);
            reject(err);
        });
    });
}
/**
 * Connects, sends a byte, and resolves with how the connection ended, once it did:
 * 'reset' (RST, what a refusal looks like), 'closed' (FIN, nothing echoed) or 'echoed'.
 */
export function attempt(t, timeoutMs = 10_000) {
    return new Promise((resolve) => {
        const socket = net.connect({ host: t.host, port: t.port, ...(t.from ? { localAddress: t.from } : {}) });
        const timer = setTimeout(() => {
            socket.destroy();
            resolve('timeout');
        }, timeoutMs);
        const done = (how) => {
            clearTimeout(timer);
            socket.destroy();
            resolve(how);
        };
        socket.once('connect', () => socket.write('x'));
        socket.once('data', () => done('echoed'));
        socket.once('error', (err) => done(err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'reset' : 'closed'));
        socket.once('end', () => done('closed'));
    });
}
/** Refused = closed by mrsocko without an answer (an RST, or a FIN if it raced the write). */
export async function refused(t, timeoutMs) {
    const how = await attempt(t, timeoutMs);
    return how === 'reset' || how === 'closed';
}
//# sourceMappingURL=clients.js.map