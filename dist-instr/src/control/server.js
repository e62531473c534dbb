// The daemon's control socket: a unix stream socket, owner-only (directory 0700 when we
// create it, socket 0600). One request and one answer per connection (./protocol.ts): a
// client that sends nothing gets the status report, as in version 1. A request is at most
// MAX_REQUEST bytes and must arrive within a few seconds; a client that misbehaves (never
// reads, stays connected) is cut off, and only a few may be connected at once; the daemon
// never waits for one. Only `start` and `stop` keep their connection open while the
// backend gets there (start_timeout and stop_timeout bound that).
// Problems setting the socket up are logged as a warning: status is a convenience, never
// a reason to stop serving.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { GRACE_MS, MAX_REQUEST, REQUEST_TIMEOUT_MS, describeClient, parseRequest } from './protocol.js';
const MAX_CLIENTS = 8;
export class ControlServer {
    path;
    report;
    log;
    command;
    server;
    sockets = new Set();
    constructor(path, report, log, command = async () => ({ ok: false, message: 'no commands here' })) {
        this.path = path;
        this.report = report;
        this.log = log;
        this.command = command;
    }
    /** Never rejects: a problem is logged and the daemon goes on without a control socket. */
    async start() {
        try {
            prepareDirectory(path.dirname(this.path));
            await removeStale(this.path);
            const server = net.createServer((socket) => this.answer(socket));
            server.maxConnections = MAX_CLIENTS;
            server.on('error', (err) => this.log({ kind: 'control-socket', path: this.path, problem: err.message }));
            await new Promise((resolve, reject) => {
                server.once('error', reject);
                // bind() happens synchronously inside listen(): the umask makes the socket file
                // owner-only from its creation; chmod below repeats it for file systems that ignore it.
                const umask = process.umask(0o177);
                try {
                    server.listen({ path: this.path }, () => {
                        server.off('error', reject);
                        resolve();
                    });
                }
                finally {
                    process.umask(umask);
                }
            });
            fs.chmodSync(this.path, 0o600);
            server.unref();
            this.server = server;
            this.log({ kind: 'control-socket', path: this.path });
        }
        catch (err) {
            this.log({ kind: 'control-socket', path: this.path, problem: describe(err) });
        }
    }
    close() {
        const server = this.server;
        if (!server)
            return;
        this.server = undefined;
        server.close();
        for (const s of this.sockets)
            s.destroy();
        try {
            fs.unlinkSync(this.path);
        }
        catch {
            // already gone
        }
    }
    answer(socket) {
        this.sockets.add(socket);
        socket.on('error', () => socket.destroy());
        socket.once('close', () => this.sockets.delete(socket));
        socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy());
        let received = Buffer.alloc(0);
        let answered = false;
        const done = () => {
            answered = true;
            clearTimeout(grace);
            socket.removeAllListeners('data');
            socket.removeAllListeners('end');
        };
        // version 1: a client that says nothing gets the status report
        const grace = setTimeout(() => {
            if (received.length > 0)
                return;
            done();
            this.sendStatus(socket);
        }, GRACE_MS);
        const handle = (line) => {
            done();
            socket.pause();
            const request = parseRequest(line);
            if (typeof request === 'string')
                return void socket.end(JSON.stringify({ ok: false, message: request }) + '\n');
            if (request.command === 'status')
                return this.sendStatus(socket);
            const who = describeClient(request.client);
            this.log({ kind: 'control-command', command: `${request.command}${request.forMs !== undefined ? ` for ${request.forMs} ms` : ''}`, by: who });
            // start and stop answer once the backend got there: no read timeout meanwhile
            if (request.command === 'start' || request.command === 'stop')
                socket.setTimeout(0);
            this.command(request, `mrsocko ${request.command} (${who})`).then((answer) => socket.end(JSON.stringify(answer) + '\n'), (err) => socket.end(JSON.stringify({ ok: false, message: describe(err) }) + '\n'));
        };
        socket.on('data', (chunk) => {
            if (answered)
                return;
            received = Buffer.concat([received, chunk]);
            const end = received.indexOf(0x0a);
            if (end >= 0 && end <= MAX_REQUEST)
                return handle(received.subarray(0, end).toString('utf8'));
            if (received.length > MAX_REQUEST) {
                done();
                socket.end(JSON.stringify({ ok: false, message: `the request is longer than ${MAX_REQUEST} bytes` }) + '\n');
            }
        });
        // a request without its newline, then end of input
        socket.once('end', () => {
            if (!answered && received.length > 0)
                handle(received.toString('utf8'));
        });
    }
    sendStatus(socket) {
        let text;
        try {
            text = JSON.stringify(this.report()) + '\n';
        }
        catch (err) {
            text = JSON.stringify({ error: describe(err) }) + '\n';
        }
        socket.end(text);
    }
}
/** Creates the directory (0700) if missing; refuses one that others could write to. */
function prepareDirectory(dir) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(dir);
    const uid = process.getuid?.() ?? 0;
    if (!st.isDirectory())
        throw new Error(`${dir} is not a directory`);
    if (st.uid !== uid && st.uid !== 0)
        throw new Error(`${dir} belongs to uid ${st.uid}, not to us (uid ${uid})`);
    if ((st.mode & 0o022) !== 0)
        throw new Error(`${dir} is writable by others (mode ${(st.mode & 0o7777).toString(8)})`);
}
/** A socket file left by a crashed run is removed; one that answers belongs to a live instance. */
async function removeStale(file) {
    let st;
    try {
        st = fs.lstatSync(file);
    }
    catch {
        return;
    }
    if (!st.isSocket())
        throw new Error('the path exists and is not a socket');
    const alive = await new Promise((resolve) => {
        const probe = net.connect({ path: file }, () => {
            probe.destroy();
            resolve(true);
        });
        probe.once('error', () => resolve(false));
    });
    if (alive)
        throw new Error('another mrsocko answers there (two instances with the same name?)');
    fs.unlinkSync(file);
}
function describe(err) {
    const e = err;
    if (e?.code === 'EACCES')
        return `permission denied (${e.message})`;
    return err instanceof Error ? err.message : String(err);
}
//# sourceMappingURL=server.js.map