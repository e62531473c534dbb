// `ready = notify`: the $NOTIFY_SOCKET an exec backend is given, as systemd gives a
// Type=notify service, and what it says there (READY=1, STATUS=). The socket itself is the
// native addon's (native/notify.c): Node core cannot receive AF_UNIX datagrams.
//
// Who may send. One fresh directory per start, made by mkdtemp (mode 0700, root's, a name
// nobody can predict, so nothing can be planted in it), holding one socket. Before the
// directory is opened to 0711 (others may pass through, not list or write), the socket
// gets a POSIX ACL granting write — what connecting or sending to a unix socket needs — to
// the backend's uid alone (owner root: nothing; group, others: nothing). Root stays the
// owner, so the backend cannot change the mode, and no one but root can replace, rename or
// remove the socket. An ACL needs no capability on one's own file; on a filesystem without
// ACLs the socket is chown'd to the backend's uid with mode 0200 instead (that needs
// CAP_CHOWN). That is the first gate. The second is the kernel's word on every datagram
// (SCM_CREDENTIALS): a message counts only from a process of the backend — in its cgroup
// when it has one, else running as its uid. Anything else (a stranger who can write, e.g.
// root, a datagram without credentials, an oversized or malformed one) is ignored and
// logged at debug. Closing removes the socket and the directory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nativeClass } from '../native/addon.js';
import { escapeControlCharacters } from '../text/control-chars.js';
/** The addon's NotifySocket, or why there is none. */
function loadNotifySocket() {
    return nativeClass('NotifySocket');
}
/** How much of a STATUS= is kept (it goes into `mrsocko status` and STATUS= of mrsocko's own). */
const STATUS_CHARS = 200;
/**
 * One datagram: newline-separated KEY=VALUE assignments (sd_notify(3)). A datagram with a
 * NUL byte or that is not UTF-8 is refused whole, as systemd does. Keys other than READY
 * and STATUS are not mrsocko's business and are skipped.
 */
export function parseNotifyMessage(data) {
    if (data.includes(0))
        return 'it contains a NUL byte';
    let text;
    try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(data);
    }
    catch {
        return 'it is not UTF-8';
    }
    let ready = false;
    let status;
    for (const line of text.split('\n')) {
        if (line === 'READY=1')
            ready = true;
        else if (line.startsWith('STATUS='))
            status = escapeControlCharacters(line.slice('STATUS='.length)).slice(0, STATUS_CHARS);
    }
    return { ready, status };
}
/** Write permission on the socket for `uid` alone: an ACL, else (no ACLs there) ownership. */
function allowOnly(NotifySocket, socketPath, uid) {
    try {
        NotifySocket.allowWriter(socketPath, uid);
    }
    catch (err) {
        if (!/not supported/i.test(err.message))
            throw err;
        fs.chownSync(socketPath, uid, 0);
        fs.chmodSync(socketPath, 0o200);
    }
}
/** One start's notify socket. `ready` and `status` are what the backend said so far. */
export class NotifyListener {
    path;
    dir;
    ready = false;
    status;
    waiters = new Set();
    socket;
    constructor(path, dir) {
        this.path = path;
        this.dir = dir;
    }
    /** Makes the directory and the socket; throws with a message when it cannot. */
    static open(options) {
        const NotifySocket = loadNotifySocket();
        if (typeof NotifySocket === 'string')
            throw new Error(`ready = notify: the native addon is not available (${NotifySocket})`);
        const dir = fs.mkdtempSync(path.join(options.base ?? os.tmpdir(), 'mrsocko-notify-'));
        const listener = new NotifyListener(path.join(dir, 'notify'), dir);
        try {
            listener.socket = new NotifySocket(listener.path, (data, pid, uid) => listener.received(data, pid, uid, options));
            fs.chmodSync(listener.path, options.uid === 0 ? 0o200 : 0);
            if (options.uid !== 0)
                allowOnly(NotifySocket, listener.path, options.uid);
            fs.chmodSync(dir, 0o711);
        }
        catch (err) {
            listener.close();
            throw new Error(`ready = notify: cannot make the notify socket in ${dir}: ${err.message}`);
        }
        return listener;
    }
    received(data, pid, uid, options) {
        const from = `pid ${pid} (uid ${uid})`;
        if (pid <= 0)
            return options.debug(`notify socket: a datagram without credentials ignored`);
        const refusal = options.belongs(pid, uid);
        if (refusal !== undefined)
            return options.debug(`notify socket: a datagram from ${from} ignored: ${refusal}`);
        if (data === null)
            return options.debug(`notify socket: a datagram from ${from} ignored: longer than 4096 bytes`);
        const message = parseNotifyMessage(data);
        if (typeof message === 'string')
            return options.debug(`notify socket: a datagram from ${from} ignored: ${message}`);
        if (message.ready && !this.ready)
            options.debug(`notify socket: READY=1 from ${from}`);
        if (!message.ready && message.status === undefined)
            return;
        this.ready ||= message.ready;
        if (message.status !== undefined)
            this.status = message.status;
        for (const waiter of this.waiters)
            waiter();
    }
    /** Calls `changed` whenever `ready` or `status` changes; returns how to stop. */
    watch(changed) {
        this.waiters.add(changed);
        return () => this.waiters.delete(changed);
    }
    /** Closes the socket, removes it and the directory. Idempotent. */
    close() {
        this.socket?.close();
        this.socket = undefined;
        this.waiters.clear();
        fs.rmSync(this.path, { force: true });
        try {
            fs.rmdirSync(this.dir);
        }
        catch {
            // gone already
        }
    }
}
//# sourceMappingURL=notify-socket.js.map