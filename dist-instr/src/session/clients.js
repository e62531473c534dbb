import { Eviction, Holder, Slot } from './eviction.js';
const DEFAULT_MAX_IDLE_CLIENTS = 256;
class ClientEntry extends Holder {
    address;
    counted;
    firstSeen;
    connections = 0;
    flows = 0;
    bytesUp = 0;
    bytesDown = 0;
    /** Open connections and flows on `counts = no` sockets (never counted, whatever `keepalive` says). */
    uncounted = 0;
    lastActivity;
    constructor(address, counted, firstSeen) {
        super(address.key);
        this.address = address;
        this.counted = counted;
        this.firstSeen = firstSeen;
        this.lastActivity = firstSeen;
    }
    get open() {
        return this.connections + this.flows;
    }
}
/**
 * One open connection or flow of a client. Its owner sets `victim` (how to close it) right
 * after opening it, so that it can be closed to make room at max_connections.
 */
export class ClientHandle extends Slot {
    table;
    entry;
    socketCounts;
    closed = false;
    constructor(table, entry, kind, at, 
    /** The socket's `counts =`: no, and this one's traffic is never activity. */
    socketCounts) {
        super(entry, kind, at);
        this.table = table;
        this.entry = entry;
        this.socketCounts = socketCounts;
    }
    get address() {
        return this.entry.address;
    }
    /** Whether this client's traffic counts as activity (re-evaluated on reload). */
    get counted() {
        return this.entry.counted && this.socketCounts;
    }
    /** `n` bytes from the client to the backend. */
    addUp(n) {
        const e = this.entry;
        e.bytesUp += n;
        // one clock read per chunk, shared with the idle timer
        const at = (e.lastActivity = this.table.now());
        this.touch(at);
        if (e.counted && this.socketCounts)
            this.table.activity(at, n);
    }
    /** `n` bytes from the backend to the client. */
    addDown(n) {
        const e = this.entry;
        e.bytesDown += n;
        // one clock read per chunk, shared with the idle timer
        const at = (e.lastActivity = this.table.now());
        this.touch(at);
        if (e.counted && this.socketCounts)
            this.table.activity(at, n);
    }
    /** The connection or flow ended. Idempotent. */
    close() {
        if (this.closed)
            return;
        this.closed = true;
        this.table.release(this.entry, this);
    }
}
export class ClientTable {
    now;
    activity;
    counts;
    maxIdleClients;
    /** Every remembered client. */
    entries = new Map();
    /** Clients with nothing open, oldest first (insertion order). */
    idle = new Map();
    /** Who gives way at max_connections. */
    eviction = new Eviction();
    openTotal = 0;
    countedOpenTotal = 0;
    constructor(options) {
        this.counts = options.counts;
        this.activity = options.activity;
        this.maxIdleClients = options.maxIdleClients ?? DEFAULT_MAX_IDLE_CLIENTS;
        this.now = options.now ?? (() => performance.now());
    }
    /** A connection or flow of `address` begins (after admission); `socketCounts`: its socket's `counts =`. */
    open(address, kind, socketCounts = true) {
        const now = this.now();
        let entry = this.entries.get(address.key);
        if (entry === undefined) {
            entry = new ClientEntry(address, this.counts(address), now);
            this.entries.set(address.key, entry);
        }
        else {
            this.idle.delete(address.key);
            entry.lastActivity = now;
        }
        if (kind === 'connection')
            entry.connections += 1;
        else
            entry.flows += 1;
        this.openTotal += 1;
        if (!socketCounts)
            entry.uncounted += 1;
        else if (entry.counted)
            this.countedOpenTotal += 1;
        const handle = new ClientHandle(this, entry, kind, now, socketCounts);
        this.eviction.add(handle);
        return handle;
    }
    /**
     * At max_connections: which connection or flow to close so that a new one from
     * `address` gets in (./eviction.ts has the rule); undefined = none, refuse it.
     */
    roomFor(address) {
        return this.eviction.choose(this.entries.get(address.key), this.now());
    }
    /** Close what roomFor() chose: its accounting at once (the limits see the room in this same turn), then the connection or flow itself. */
    evict(choice) {
        const handle = choice.slot;
        const victim = handle.victim;
        handle.close();
        victim.evict(choice.reason === 'busy');
        return victim;
    }
    /** Open connections and flows, all clients together. */
    get openCount() {
        return this.openTotal;
    }
    /** Open connections and flows of clients whose traffic counts. */
    get countedOpen() {
        return this.countedOpenTotal;
    }
    /** Open connections and flows of one client. */
    openFor(address) {
        return this.entries.get(address.key)?.open ?? 0;
    }
    /** Clients with something open. */
    get activeClients() {
        return this.entries.size - this.idle.size;
    }
    /** Re-evaluate which clients count (after a reload changed `keepalive`). */
    recount(counts) {
        this.counts = counts;
        this.countedOpenTotal = 0;
        for (const entry of this.entries.values()) {
            entry.counted = counts(entry.address);
            if (entry.counted)
                this.countedOpenTotal += entry.open - entry.uncounted;
        }
    }
    /** Every remembered client: those with something open, then the most recently active. */
    snapshot() {
        const list = [];
        for (const e of this.entries.values()) {
            list.push({
                address: e.address.key,
                connections: e.connections,
                flows: e.flows,
                bytesUp: e.bytesUp,
                bytesDown: e.bytesDown,
                firstSeen: e.firstSeen,
                lastActivity: e.lastActivity,
                counted: e.counted,
            });
        }
        const open = (s) => (s.connections + s.flows > 0 ? 1 : 0);
        return list.sort((a, b) => open(b) - open(a) || b.lastActivity - a.lastActivity);
    }
    /** Called by ClientHandle.close(). */
    release(entry, handle) {
        this.eviction.remove(handle);
        if (handle.kind === 'connection')
            entry.connections -= 1;
        else
            entry.flows -= 1;
        this.openTotal -= 1;
        if (!handle.socketCounts)
            entry.uncounted -= 1;
        else if (entry.counted)
            this.countedOpenTotal -= 1;
        if (entry.open > 0)
            return;
        this.idle.set(entry.address.key, entry);
        while (this.idle.size > this.maxIdleClients) {
            const oldest = this.idle.keys().next().value;
            this.idle.delete(oldest);
            this.entries.delete(oldest);
        }
    }
}
//# sourceMappingURL=clients.js.map