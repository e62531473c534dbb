export class WaitingRoom {
    /** In arrival order: served in that order. */
    waiting = new Set();
    connections = 0;
    /** A client's phase changed (its state machine's `moved` hook). */
    moved(client) {
        const here = this.waiting.has(client);
        if (client.phase === 'held' && !here) {
            this.waiting.add(client);
            if (client.kind === 'connection')
                this.connections += 1;
        }
        else if (client.phase !== 'held' && here) {
            this.waiting.delete(client);
            if (client.kind === 'connection')
                this.connections -= 1;
        }
    }
    /** Every waiting client. */
    get size() {
        return this.waiting.size;
    }
    /** Waiting TCP connections. */
    get connectionCount() {
        return this.connections;
    }
    /** Waiting UDP flows. */
    get flowCount() {
        return this.waiting.size - this.connections;
    }
    has(client) {
        return this.waiting.has(client);
    }
    /** Whether a TCP client waits for `backend` (a readiness probe's connection would be used). */
    wantsConnection(backend) {
        for (const c of this.waiting)
            if (c.kind === 'connection' && c.backend?.text === backend.text)
                return true;
        return false;
    }
    /** Serve everyone waiting, in arrival order; returns them (each has left the room). */
    releaseAll(ready) {
        const list = [...this.waiting];
        for (const c of list)
            c.release(c.kind === 'connection' && c.backend !== undefined ? ready(c.backend) : undefined);
        return list;
    }
    /** Close everyone waiting; returns them. */
    failAll() {
        const list = [...this.waiting];
        for (const c of list)
            c.abandon();
        return list;
    }
}
//# sourceMappingURL=waiting-room.js.map