// The CLI's side of the control socket (./protocol.ts): send one request, read the one
// answer, with the errors a person can act on.
import net from 'node:net';
import { MrsockoError } from '../errors.js';
const TIMEOUT_MS = 5_000;
const MAX_ANSWER = 64 * 1024 * 1024;
/** Who is asking, for the daemon's log (it cannot read SO_PEERCRED from Node). */
export function thisClient(env) {
    const user = env.SUDO_USER ?? env.LOGNAME ?? env.USER;
    return { pid: process.pid, uid: process.getuid?.() ?? 0, ...(user !== undefined && user !== '' ? { user } : {}) };
}
/**
 * Sends `request` and resolves with the answer's text. `timeoutMs` bounds the wait for the
 * answer (Infinity for start and stop, which answer once the backend got there).
 */
export function askControl(file, label, request, timeoutMs = TIMEOUT_MS) {
    return new Promise((resolve, reject) => {
        const chunks = [];
        let size = 0;
        const socket = net.connect({ path: file });
        // written as soon as the connection is up: well within the daemon's grace period
        socket.write(JSON.stringify(request) + '\n');
        const fail = (message) => {
            socket.destroy();
            reject(new MrsockoError('MRSOCKO_RUNTIME', message));
        };
        if (Number.isFinite(timeoutMs)) {
            socket.setTimeout(timeoutMs, () => fail(`${file}: no answer within ${timeoutMs / 1000} s; is ${label} stuck?`));
        }
        socket.on('data', (c) => {
            size += c.length;
            if (size > MAX_ANSWER)
                fail(`${file}: the answer is too long`);
            else
                chunks.push(c);
        });
        socket.once('end', () => {
            socket.destroy();
            resolve(Buffer.concat(chunks).toString('utf8'));
        });
        socket.once('error', (err) => {
            if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'ENOTDIR') {
                fail(`no control socket at ${file}; is ${label} running?`);
            }
            else if (err.code === 'EACCES' || err.code === 'EPERM') {
                fail(`${file}: permission denied; the control socket is owner-only: run this as the user ${label} runs as (root for a systemd instance)`);
            }
            else if (err.code === 'EPIPE' || err.code === 'ECONNRESET') {
                fail(`${file}: ${label} closed the connection without an answer`);
            }
            else
                fail(`${file}: ${err.message}`);
        });
    });
}
//# sourceMappingURL=client.js.map