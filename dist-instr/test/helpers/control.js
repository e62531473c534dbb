// `mrsocko status --json` without the CLI: one JSON line from the control socket.
import net from 'node:net';
/** `mrsocko status --json` without the CLI: the control socket answers one JSON line. */
export function controlStatus(socketPath, timeoutMs = 5000) {
    return new Promise((resolve, reject) => {
        const socket = net.connect({ path: socketPath });
        let text = '';
        const timer = setTimeout(() => socket.destroy(new Error(`no status from ${socketPath} in ${timeoutMs} ms`)), timeoutMs);
        socket.on('data', (c) => (text += c.toString()));
        socket.once('error', (err) => {
            clearTimeout(timer);
            reject(err);
        });
        socket.once('end', () => {
            clearTimeout(timer);
            socket.destroy();
            try {
                resolve(JSON.parse(text));
            }
            catch (err) {
                reject(err);
            }
        });
    });
}
//# sourceMappingURL=control.js.map