// Who makes room at `max_connections`: instead of refusing a new client, one open
// connection or UDP flow is closed so that a flood of silent connections or spoofed
// datagram sources cannot lock everyone else out.
//
// The rule, in order (HOLDERS_LOOKED_AT addresses at most, so O(1) per admission):
//  1. From the addresses holding more than the newcomer's address, largest first, the
//     first that has one gives
//       a. its oldest one-datagram UDP flow (whatever its age: a spoofed source never sends
//          a second datagram, and a flood of them is young by construction), else
//       b. its least recently active connection or flow, if that one is silent: nothing
//          went through it, either way, for SILENT_MS (being opened counts, so a client
//          that just arrived is not silent; one held while the backend starts becomes
//          silent after SILENT_MS like any other).
//  2. The newcomer's own address, by the same a/b (it swaps a silent one for a new one).
//  3. Nothing silent anywhere it looked: the largest holder still gives its least recently
//     active connection or flow, busy or not, if it holds at least two more than the
//     newcomer's address (so it never ends up with fewer): fairness by address — keeping
//     every slot busy is no way to hold them against everyone else. Otherwise — the newcomer's address is itself among the
//     largest holders and all its connections are busy — the newcomer is refused.
//
// Bookkeeping per address (a Holder): its slots (one per open connection or flow) in a
// list ordered by last activity, least recent first (moved to the end on traffic: a
// pointer swap on the hot path, no allocation); its flows that may still be one-datagram
// flows, oldest first (pruned lazily when found to have had a second datagram). The
// addresses are kept in buckets by how many slots they hold, a list of buckets in
// ascending order, so the largest holders are at the end and a count changing by one
// moves its address to the neighbouring bucket.
import type { FlowKind } from './clients.js';

/** A connection or flow with nothing through it either way for this long is silent. */
export const SILENT_MS = 1000;

/** At most this many addresses are looked at for a silent connection per admission. */
export const HOLDERS_LOOKED_AT = 8;

/** How the owner of a connection or flow closes it to make room. */
export interface Victim {
  readonly socketName: string;
  /** The client as logs show it (address and port). */
  readonly peer: string;
  /** Close the connection / forget the flow. `busy`: it was not silent (tell the client it was cut off). */
  evict(busy: boolean): void;
  /** UDP: datagrams the client has sent through this flow so far (one = a one-datagram flow). */
  clientDatagrams?(): number;
}

export type EvictionReason = 'one-datagram' | 'silent' | 'busy';

/** One open connection or flow of a holder: a node of its holder's activity list. */
export class Slot {
  lastActivity: number;
  /** Set by the owner right after admission; a slot without one is never chosen. */
  victim: Victim | undefined;
  /** @internal links of the holder's list, least recently active first */
  prev: Slot | undefined;
  next: Slot | undefined;
  linked = false;

  constructor(
    readonly holder: Holder,
    readonly kind: FlowKind,
    at: number,
  ) {
    this.lastActivity = at;
  }

  /** Traffic through it at `at`: it becomes the most recently active of its holder. */
  touch(at: number): void {
    this.lastActivity = at;
    const h = this.holder;
    if (h.tail === this || !this.linked) return;
    h.unlink(this);
    h.append(this);
  }
}

/** One client address, as far as room is concerned. */
export class Holder {
  /** Open connections and flows. */
  size = 0;
  /** Least recently active first. */
  head: Slot | undefined;
  tail: Slot | undefined;
  /** Flows that may still have seen a single datagram, oldest first. */
  readonly oneShot = new Set<Slot>();
  /** @internal the bucket of its size */
  bucket: Bucket | undefined;

  constructor(readonly key: string) {}

  /** @internal */
  append(slot: Slot): void {
    slot.prev = this.tail;
    slot.next = undefined;
    if (this.tail) this.tail.next = slot;
    else this.head = slot;
    this.tail = slot;
    slot.linked = true;
  }

  /** @internal */
  unlink(slot: Slot): void {
    if (slot.prev) slot.prev.next = slot.next;
    else this.head = slot.next;
    if (slot.next) slot.next.prev = slot.prev;
    else this.tail = slot.prev;
    slot.prev = slot.next = undefined;
    slot.linked = false;
  }
}

/** Holders of the same size. */
class Bucket {
  readonly holders = new Set<Holder>();
  prev: Bucket | undefined;
  next: Bucket | undefined;
  constructor(readonly count: number) {}
}

/** The connection or flow to close, and why it was chosen. */
export interface Choice {
  readonly slot: Slot;
  readonly reason: EvictionReason;
  /** How many connections and flows its address held when it was chosen. */
  readonly holds: number;
  /** How long nothing went through it. */
  readonly quietMs: number;
}

export class Eviction {
  /** Smallest and largest bucket. */
  private low: Bucket | undefined;
  private top: Bucket | undefined;

  /** A connection or flow of `slot.holder` was admitted. */
  add(slot: Slot): void {
    const h = slot.holder;
    h.append(slot);
    if (slot.kind === 'flow') h.oneShot.add(slot);
    h.size += 1;
    this.moveUp(h);
  }

  /** It closed (or was evicted). Idempotent. */
  remove(slot: Slot): void {
    if (!slot.linked) return;
    const h = slot.holder;
    h.unlink(slot);
    h.oneShot.delete(slot);
    h.size -= 1;
    this.moveDown(h);
  }

  /** The address holding the most (one of them), and how much. */
  get largest(): Holder | undefined {
    return this.top?.holders.values().next().value;
  }

  /** What to close so that a newcomer from `newcomer` (undefined: nothing open yet) gets in; undefined = refuse. */
  choose(newcomer: Holder | undefined, now: number): Choice | undefined {
    const holds = newcomer?.size ?? 0;
    let looked = 0;
    // 1: those holding more than the newcomer's address, largest first
    for (let b = this.top; b !== undefined && b.count > holds && looked < HOLDERS_LOOKED_AT; b = b.prev) {
      for (const h of b.holders) {
        if (looked++ >= HOLDERS_LOOKED_AT) break;
        const choice = quietest(h, now);
        if (choice !== undefined) return choice;
      }
    }
    // 2: its own
    if (newcomer !== undefined && holds > 0) {
      const choice = quietest(newcomer, now);
      if (choice !== undefined) return choice;
    }
    // 3: the largest holder's least recently active one, busy, if it holds two more
    const top = this.top;
    if (top === undefined || top.count < holds + 2) return undefined;
    for (const h of top.holders) {
      const s = h.head;
      // only the slot admitted in this same turn has no victim yet, and it is the most recent
      if (s?.victim !== undefined) return { slot: s, reason: 'busy', holds: h.size, quietMs: now - s.lastActivity };
      if (looked++ >= 2 * HOLDERS_LOOKED_AT) break;
    }
    return undefined;
  }

  private moveUp(h: Holder): void {
    const from = h.bucket;
    let to: Bucket;
    if (from === undefined) {
      to = this.low?.count === h.size ? this.low : this.insertAfter(undefined, h.size);
    } else {
      to = from.next?.count === h.size ? from.next : this.insertAfter(from, h.size);
      this.leave(from, h);
    }
    to.holders.add(h);
    h.bucket = to;
  }

  private moveDown(h: Holder): void {
    const from = h.bucket as Bucket;
    if (h.size > 0) {
      const to = from.prev?.count === h.size ? from.prev : this.insertAfter(from.prev, h.size);
      to.holders.add(h);
      h.bucket = to;
    } else h.bucket = undefined;
    this.leave(from, h);
  }

  /** A new bucket after `prev` (undefined: first). */
  private insertAfter(prev: Bucket | undefined, count: number): Bucket {
    const b = new Bucket(count);
    b.prev = prev;
    b.next = prev === undefined ? this.low : prev.next;
    if (b.next) b.next.prev = b;
    else this.top = b;
    if (prev) prev.next = b;
    else this.low = b;
    return b;
  }

  private leave(b: Bucket, h: Holder): void {
    b.holders.delete(h);
    if (b.holders.size > 0) return;
    if (b.prev) b.prev.next = b.next;
    else this.low = b.next;
    if (b.next) b.next.prev = b.prev;
    else this.top = b.prev;
  }
}

/** A holder's oldest one-datagram flow, else its least recently active slot if silent. */
function quietest(h: Holder, now: number): Choice | undefined {
  for (const s of h.oneShot) {
    const datagrams = s.victim?.clientDatagrams?.();
    if (datagrams !== undefined && datagrams <= 1) return { slot: s, reason: 'one-datagram', holds: h.size, quietMs: now - s.lastActivity };
    // No owner yet: only the flow admitted in this same turn, and it is the newest. Else a
    // second datagram came: it leaves this set for good (still in the activity list).
    if (datagrams === undefined) break;
    h.oneShot.delete(s);
  }
  const s = h.head;
  if (s !== undefined && s.victim !== undefined && now - s.lastActivity >= SILENT_MS) {
    return { slot: s, reason: 'silent', holds: h.size, quietMs: now - s.lastActivity };
  }
  return undefined;
}
