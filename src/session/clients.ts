// Per-client accounting, keyed by the normalised client address (../access/address.ts):
// open TCP connections and UDP flows, bytes each way, first seen and last activity, and
// whether the client's traffic counts as activity for the idle countdown (`keepalive`).
//
// One ClientHandle per connection or flow; the proxies call `addUp(n)`/`addDown(n)` for
// every chunk or datagram. That is the hot path: two additions, a timestamp, and — for a
// counted client only — the idle timer's touch() — and moving the handle to the end of its
// client's activity list (./eviction.ts). No allocation, closure or timer.
import type { ClientAddress } from '../net/address.js';
import type { ClientAccounting } from '../proxy/accounting.js';
import { Eviction, Holder, Slot, type Choice, type Victim } from './eviction.js';
import { monotonicMs } from '../util/clock.js';

export type FlowKind = 'connection' | 'flow';

/** A client's figures, as `mrsocko status` shows them. Times are monotonicMs() values. */
export interface ClientStats {
  readonly address: string;
  readonly connections: number;
  readonly flows: number;
  /** client → backend */
  readonly bytesUp: number;
  /** backend → client */
  readonly bytesDown: number;
  readonly firstSeen: number;
  /** The last byte either way, or the last open if nothing went through yet. */
  readonly lastActivity: number;
  /** Its traffic counts for the idle countdown. */
  readonly counted: boolean;
}

export interface ClientTableOptions {
  /** Whether an address's traffic counts (the `keepalive` rules); asked once per new client and on recount(). */
  counts(address: ClientAddress): boolean;
  /** `n` counted bytes moved at `at` (a `now()` value; the idle policy's touch()). */
  activity(at: number, n: number): void;
  /** Clients with nothing open that are remembered for `status`, most recent kept. */
  maxIdleClients?: number;
  now?: () => number;
}

const DEFAULT_MAX_IDLE_CLIENTS = 256;

class ClientEntry extends Holder {
  connections = 0;
  flows = 0;
  bytesUp = 0;
  bytesDown = 0;
  /** Open connections and flows on `counts = no` sockets (never counted, whatever `keepalive` says). */
  uncounted = 0;
  lastActivity: number;
  constructor(
    readonly address: ClientAddress,
    public counted: boolean,
    readonly firstSeen: number,
  ) {
    super(address.key);
    this.lastActivity = firstSeen;
  }

  get open(): number {
    return this.connections + this.flows;
  }
}

/**
 * One open connection or flow of a client. Its owner sets `victim` (how to close it) right
 * after opening it, so that it can be closed to make room at max_connections.
 */
export class ClientHandle extends Slot implements ClientAccounting {
  private closed = false;
  constructor(
    private readonly table: ClientTable,
    private readonly entry: ClientEntry,
    kind: FlowKind,
    at: number,
    /** The socket's `counts =`: no, and this one's traffic is never activity. */
    readonly socketCounts: boolean,
  ) {
    super(entry, kind, at);
  }

  get address(): ClientAddress {
    return this.entry.address;
  }

  /** Whether this client's traffic counts as activity (re-evaluated on reload). */
  get counted(): boolean {
    return this.entry.counted && this.socketCounts;
  }

  /** `n` bytes from the client to the backend. */
  addUp(n: number): void {
    const e = this.entry;
    e.bytesUp += n;
    // one clock read per chunk, shared with the idle timer
    const at = (e.lastActivity = this.table.now());
    this.touch(at);
    if (e.counted && this.socketCounts) this.table.activity(at, n);
  }

  /** `n` bytes from the backend to the client. */
  addDown(n: number): void {
    const e = this.entry;
    e.bytesDown += n;
    // one clock read per chunk, shared with the idle timer
    const at = (e.lastActivity = this.table.now());
    this.touch(at);
    if (e.counted && this.socketCounts) this.table.activity(at, n);
  }

  /** The connection or flow ended. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.table.release(this.entry, this);
  }
}

export class ClientTable {
  readonly now: () => number;
  readonly activity: (at: number, n: number) => void;
  private counts: (address: ClientAddress) => boolean;
  private readonly maxIdleClients: number;
  /** Every remembered client. */
  private readonly entries = new Map<string, ClientEntry>();
  /** Clients with nothing open, oldest first (insertion order). */
  private readonly idle = new Map<string, ClientEntry>();
  /** Who gives way at max_connections. */
  private readonly eviction = new Eviction();
  private openTotal = 0;
  private countedOpenTotal = 0;

  constructor(options: ClientTableOptions) {
    this.counts = options.counts;
    this.activity = options.activity;
    this.maxIdleClients = options.maxIdleClients ?? DEFAULT_MAX_IDLE_CLIENTS;
    this.now = options.now ?? monotonicMs;
  }

  /** A connection or flow of `address` begins (after admission); `socketCounts`: its socket's `counts =`. */
  open(address: ClientAddress, kind: FlowKind, socketCounts = true): ClientHandle {
    const now = this.now();
    let entry = this.entries.get(address.key);
    if (entry === undefined) {
      entry = new ClientEntry(address, this.counts(address), now);
      this.entries.set(address.key, entry);
    } else {
      this.idle.delete(address.key);
      entry.lastActivity = now;
    }
    if (kind === 'connection') entry.connections += 1;
    else entry.flows += 1;
    this.openTotal += 1;
    if (!socketCounts) entry.uncounted += 1;
    else if (entry.counted) this.countedOpenTotal += 1;
    const handle = new ClientHandle(this, entry, kind, now, socketCounts);
    this.eviction.add(handle);
    return handle;
  }

  /**
   * At max_connections: which connection or flow to close so that a new one from
   * `address` gets in (./eviction.ts has the rule); undefined = none, refuse it.
   */
  roomFor(address: ClientAddress): Choice | undefined {
    return this.eviction.choose(this.entries.get(address.key), this.now());
  }

  /** Close what roomFor() chose: its accounting at once (the limits see the room in this same turn), then the connection or flow itself. */
  evict(choice: Choice): Victim {
    const handle = choice.slot as ClientHandle;
    const victim = handle.victim as Victim;
    handle.close();
    victim.evict(choice.reason === 'busy');
    return victim;
  }

  /** Open connections and flows, all clients together. */
  get openCount(): number {
    return this.openTotal;
  }

  /** Open connections and flows of clients whose traffic counts. */
  get countedOpen(): number {
    return this.countedOpenTotal;
  }

  /** Open connections and flows of one client. */
  openFor(address: ClientAddress): number {
    return this.entries.get(address.key)?.open ?? 0;
  }

  /** Clients with something open. */
  get activeClients(): number {
    return this.entries.size - this.idle.size;
  }

  /** Re-evaluate which clients count (after a reload changed `keepalive`). */
  recount(counts: (address: ClientAddress) => boolean): void {
    this.counts = counts;
    this.countedOpenTotal = 0;
    for (const entry of this.entries.values()) {
      entry.counted = counts(entry.address);
      if (entry.counted) this.countedOpenTotal += entry.open - entry.uncounted;
    }
  }

  /** Every remembered client: those with something open, then the most recently active. */
  snapshot(): ClientStats[] {
    const list: ClientStats[] = [];
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
    const open = (s: ClientStats): number => (s.connections + s.flows > 0 ? 1 : 0);
    return list.sort((a, b) => open(b) - open(a) || b.lastActivity - a.lastActivity);
  }

  /** Called by ClientHandle.close(). */
  release(entry: ClientEntry, handle: ClientHandle): void {
    this.eviction.remove(handle);
    if (handle.kind === 'connection') entry.connections -= 1;
    else entry.flows -= 1;
    this.openTotal -= 1;
    if (!handle.socketCounts) entry.uncounted -= 1;
    else if (entry.counted) this.countedOpenTotal -= 1;
    if (entry.open > 0) return;
    this.idle.set(entry.address.key, entry);
    while (this.idle.size > this.maxIdleClients) {
      const oldest = this.idle.keys().next().value as string;
      this.idle.delete(oldest);
      this.entries.delete(oldest);
    }
  }
}
