// One UDP client flow, from its first datagram to its release: the datagrams of one client
// address:port on one listening socket. The flow has a connected upstream socket of its
// own, so the backend's replies are told apart by the socket they arrive on and go back
// to the right client through the listening socket (the downstream side); ./udp-upstream.ts
// moves them (in batches, in the addon, where it can). Until that upstream socket is
// connected (the backend is stopped or starting, or the connect is under way) the client's
// datagrams wait in a bounded queue; once connected, the queue is released in order, paced
// with every other flow's (DatagramQueues).
//
//   held ──connect()──▶ connecting ──connected──▶ open        (close(): closed, from any phase)
//     ▲                                               │
//     └──────── refused (ECONNREFUSED upstream) ──────┘
//
// The phase changes only in move(), by FLOW_TRANSITIONS, and every change is told to
// FlowHooks.moved (the waiting room keeps its index of held flows from there).
import type dgram from 'node:dgram';
import type { BackendAddress } from '../config/types.js';
import { formatInet } from '../util/format.js';
import type { ClientAccounting } from './accounting.js';
import type { ErrorSide } from './tcp.js';
import { openUpstream, type FlowUpstream, type UpstreamEvents } from './udp-upstream.js';
import type { NativeUdpReader } from './data-path.js';
import { monotonicMs } from '../util/clock.js';

export type FlowPhase = 'held' | 'connecting' | 'open' | 'closed';
export type FlowEvent = 'connect' | 'connected' | 'refused' | 'closed';

/** The whole state machine: the phase after `event`, or none where the event does not apply. */
export const FLOW_TRANSITIONS: Readonly<Record<FlowPhase, Partial<Record<FlowEvent, FlowPhase>>>> = {
  held: { connect: 'connecting', closed: 'closed' },
  connecting: { connected: 'open', closed: 'closed' },
  open: { refused: 'held', closed: 'closed' },
  closed: {},
};

/** Why a flow ended. */
export type FlowCloseReason =
  /** No datagram either way for flow_timeout. */
  | 'expired'
  /** The backend stopped or exited. */
  | 'backend-gone'
  /** The backend could not be started for this held flow. */
  | 'start-failed'
  /** The listening socket closed (mrsocko is shutting down). */
  | 'shutdown'
  /** Forgotten to make room for a new client at max_connections (../session/eviction.ts). */
  | 'evicted'
  /** The upstream socket failed (EMFILE, …), a reply could not be sent, or the backend
   *  port refused a datagram and the owner chose not to hold the flow (FlowHooks.refused). */
  | 'error';

/** How much may wait for the backend: per flow and for all flows of the daemon together. */
export interface QueueLimits {
  readonly flowDatagrams: number;
  readonly flowBytes: number;
  readonly totalDatagrams: number;
  readonly totalBytes: number;
}

export const DEFAULT_QUEUE_LIMITS: QueueLimits = Object.freeze({
  flowDatagrams: 64,
  flowBytes: 256 * 1024,
  totalDatagrams: 16 * 1024,
  totalBytes: 4 * 1024 * 1024,
});

/**
 * Queued datagrams are released to the backend at most RELEASE_BATCH per
 * RELEASE_INTERVAL_MS: about 32 000 datagrams/s, so the largest queue allowed (16 384
 * datagrams) is out in half a second. A backend's socket with the kernel's default receive
 * buffer (208 KiB) holds only about 256 small datagrams: a thousand queued datagrams
 * handed over at once lose most of them (measured with dnsmasq: 589 of 1000 answered
 * unpaced, all 1000 paced; an echo server in mrsocko's own event loop keeps up at 32 per
 * millisecond but not at 64).
 */
const RELEASE_BATCH = 32;
const RELEASE_INTERVAL_MS = 1;

/**
 * The queues of all flows together: the daemon-wide limits and counts, and the paced,
 * round-robin release of what was queued (one datagram per flow in turn, so no client
 * waits behind another's whole queue).
 */
export class DatagramQueues {
  datagrams = 0;
  bytes = 0;
  /** Datagrams dropped since start because a queue was full (per flow or overall). */
  dropped = 0;
  droppedBytes = 0;
  /** Flows with queued datagrams to release, next in turn first. */
  private readonly releasing = new Set<UdpFlow>();
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  /** The current release slot: when it began and how many datagrams went out in it. */
  private slotStart = -Infinity;
  private slotSent = 0;

  constructor(readonly limits: QueueLimits = DEFAULT_QUEUE_LIMITS) {}

  /** Reserve room for one datagram of `size` bytes for a flow holding `flowDatagrams`/`flowBytes`. */
  take(flowDatagrams: number, flowBytes: number, size: number): boolean {
    const l = this.limits;
    if (
      flowDatagrams >= l.flowDatagrams ||
      flowBytes + size > l.flowBytes ||
      this.datagrams >= l.totalDatagrams ||
      this.bytes + size > l.totalBytes
    ) {
      this.dropped += 1;
      this.droppedBytes += size;
      return false;
    }
    this.datagrams += 1;
    this.bytes += size;
    return true;
  }

  give(datagrams: number, bytes: number): void {
    this.datagrams -= datagrams;
    this.bytes -= bytes;
  }

  /** Flows still releasing what they queued. */
  get releasingFlows(): number {
    return this.releasing.size;
  }

  /** `flow` is connected and has datagrams queued: release them in turn with the others. */
  release(flow: UdpFlow): void {
    this.releasing.add(flow);
    // Flows released together (the backend just became ready) all join before the first
    // batch goes out, so the turns are fair from the start.
    if (this.timer === undefined) this.timer = setImmediate(() => this.pump());
  }

  /** One batch, at most RELEASE_BATCH per RELEASE_INTERVAL_MS however often it runs. */
  private pump(): void {
    this.timer = undefined;
    const now = monotonicMs();
    if (now - this.slotStart >= RELEASE_INTERVAL_MS) {
      this.slotStart = now;
      this.slotSent = 0;
    }
    while (this.slotSent < RELEASE_BATCH && this.releasing.size > 0) {
      const flow = this.releasing.values().next().value as UdpFlow;
      this.releasing.delete(flow);
      if (flow.releaseOne()) {
        this.slotSent += 1;
        if (flow.queued > 0) this.releasing.add(flow); // to the back of the line
      }
    }
    if (this.releasing.size > 0) {
      this.timer = setTimeout(() => this.pump(), Math.max(1, Math.ceil(this.slotStart + RELEASE_INTERVAL_MS - now)));
    }
  }
}

export interface FlowHooks {
  /** The phase changed (from `from` to `flow.phase`). */
  moved?(flow: UdpFlow, from: FlowPhase): void;
  /** A datagram went through: `up` client → backend, `down` backend → client. Hot path. */
  traffic(flow: UdpFlow, direction: 'up' | 'down', bytes: number): void;
  /**
   * The backend port refused a datagram of this open flow (ECONNREFUSED: nothing is bound
   * there any more). The flow is already back to `held` (that datagram is lost; later ones
   * queue): 'hold' keeps it waiting for a later connect(), 'close' ends it.
   */
  refused(flow: UdpFlow, error: Error): 'hold' | 'close';
  error(flow: UdpFlow, side: ErrorSide, error: Error): void;
  /** The flow is closed; called exactly once. */
  released(flow: UdpFlow, reason: FlowCloseReason): void;
}

export class UdpFlow {
  readonly kind = 'flow';
  private current: FlowPhase = 'held';
  /** downstream → upstream, delivered */
  bytesUp = 0;
  datagramsUp = 0;
  /** upstream → downstream */
  bytesDown = 0;
  datagramsDown = 0;
  /** Every datagram the client sent, delivered, queued or dropped (one: a one-datagram flow). */
  datagramsFromClient = 0;
  /** Datagrams of this flow dropped for want of room: its queue (or all flows' queues
   *  together) was full, or too many sends were pending on a socket. */
  dropped = 0;
  droppedBytes = 0;
  /** Datagrams still queued when the flow was closed (the backend never came up for them). */
  undelivered = 0;
  undeliveredBytes = 0;
  private reportedDrops = 0;
  private reportedDropBytes = 0;
  readonly openedAt = monotonicMs();
  /** monotonicMs() of the last datagram either way; flows expire from here. */
  lastActivity = this.openedAt;
  /** "127.0.0.1:5353", "[::ffff:127.0.0.1]:5353", "[::1]:5353". */
  readonly peer: string;
  /** Set by whoever admitted the flow (UdpProxyHooks.opened); closed with the flow. */
  accounting: ClientAccounting | undefined;
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private upstream: FlowUpstream | undefined;
  /** What the upstream side tells (./udp-upstream.ts); one object per flow, none per datagram. */
  private readonly upstreamEvents: UpstreamEvents;

  constructor(
    readonly socketName: string,
    /** The client as the listening socket saw it (rinfo.address, not normalised). */
    readonly address: string,
    readonly port: number,
    private readonly downstream: dgram.Socket,
    readonly backend: BackendAddress,
    private readonly queues: DatagramQueues,
    private readonly hooks: FlowHooks,
    /** The addon's reading of the listening socket, when it reads it (./udp-upstream.ts). */
    private readonly reader?: NativeUdpReader,
  ) {
    this.peer = formatInet(address, port);
    this.upstreamEvents = {
      connected: () => {
        if (!this.move('connected')) return;
        if (this.queue.length > 0) this.queues.release(this);
        else this.upstream?.attach();
      },
      down: (bytes, datagrams) => this.fromBackend(bytes, datagrams),
      up: (bytes, datagrams) => this.sentByReader(bytes, datagrams),
      dropped: (datagrams, bytes) => {
        this.dropped += datagrams;
        this.droppedBytes += bytes;
      },
      failed: (side, err) => {
        if (side === 'upstream' && err.code === 'ECONNREFUSED' && this.phase === 'open') {
          this.rehold();
          if (this.hooks.refused(this, err) === 'hold') return;
        }
        this.fail(side, err);
      },
    };
  }

  get phase(): FlowPhase {
    return this.current;
  }

  /** The one place the phase changes. False (and nothing changes) where `event` does not apply. */
  private move(event: FlowEvent): boolean {
    const from = this.current;
    const to = FLOW_TRANSITIONS[from][event];
    if (to === undefined) return false;
    this.current = to;
    this.hooks.moved?.(this, from);
    return true;
  }

  /** The waiting room's way to serve it (WaitingClient). */
  release(): void {
    this.connect();
  }

  /** The waiting room's way to give up on it: the backend did not come up. */
  abandon(): void {
    this.close('start-failed');
  }

  /** Datagrams waiting for the upstream socket. */
  get queued(): number {
    return this.queue.length;
  }

  /** Drops not yet reported (see `dropped`); marks them reported. */
  takeDropped(): { datagrams: number; bytes: number } {
    const datagrams = this.dropped - this.reportedDrops;
    const bytes = this.droppedBytes - this.reportedDropBytes;
    this.reportedDrops = this.dropped;
    this.reportedDropBytes = this.droppedBytes;
    return { datagrams, bytes };
  }

  /** A datagram from the client, in arrival order. */
  fromClient(datagram: Buffer, now: number): void {
    this.lastActivity = now;
    this.datagramsFromClient += 1;
    // While earlier datagrams are still being released, later ones queue behind them.
    if (this.phase === 'open' && this.queue.length === 0) this.sendUpstream(datagram);
    else if (this.phase !== 'closed') this.enqueue(datagram);
  }

  /** The backend is up: connect upstream, then deliver what was queued, in order. */
  connect(): void {
    if (!this.move('connect')) return;
    const { host, port } = inetBackend(this.backend);
    const target = { host, port, downstream: this.downstream, clientAddress: this.address, clientPort: this.port, reader: this.reader };
    this.upstream = openUpstream(target, this.upstreamEvents);
  }

  /** Replies relayed and not counted yet (the native path counts them at most every 100 ms), counted now. */
  flushCounts(): void {
    this.upstream?.flush();
  }

  /** Send the oldest queued datagram upstream (DatagramQueues' paced release). False when there was none to send. */
  releaseOne(): boolean {
    if (this.phase !== 'open') return false;
    const datagram = this.queue.shift();
    if (datagram === undefined) return false;
    this.queues.give(1, datagram.length);
    this.queuedBytes -= datagram.length;
    this.sendUpstream(datagram);
    // in order: the client's next datagrams may bypass JavaScript only once the queue is out
    if (this.queue.length === 0 && this.phase === 'open') this.upstream?.attach();
    return true;
  }

  /** Back to `held`: the upstream socket goes; what is queued stays for the next connect(). */
  private rehold(): void {
    const upstream = this.upstream;
    this.upstream = undefined;
    this.move('refused');
    upstream?.close();
  }

  /** Forget the flow: drop what is queued, close the upstream socket. Idempotent. */
  close(reason: FlowCloseReason): void {
    if (this.phase === 'closed') return;
    // the last replies relayed count while the flow is still open
    this.upstream?.flush();
    if (!this.move('closed')) return;
    if (this.queue.length > 0) {
      this.queues.give(this.queue.length, this.queuedBytes);
      this.undelivered = this.queue.length;
      this.undeliveredBytes = this.queuedBytes;
      this.queue = [];
      this.queuedBytes = 0;
    }
    this.upstream?.close();
    this.accounting?.close();
    this.hooks.released(this, reason);
  }

  private enqueue(datagram: Buffer): void {
    if (this.queues.take(this.queue.length, this.queuedBytes, datagram.length)) {
      this.queue.push(datagram);
      this.queuedBytes += datagram.length;
    } else {
      this.dropped += 1;
      this.droppedBytes += datagram.length;
    }
  }

  private sendUpstream(datagram: Buffer): void {
    if (!(this.upstream as FlowUpstream).send(datagram)) {
      this.dropped += 1;
      this.droppedBytes += datagram.length;
      return;
    }
    this.bytesUp += datagram.length;
    this.datagramsUp += 1;
    this.accounting?.addUp(datagram.length);
    this.hooks.traffic(this, 'up', datagram.length);
  }

  /** The addon's reader sent the client's datagrams up itself (a sum of them). */
  private sentByReader(bytes: number, datagrams: number): void {
    if (this.phase === 'closed') return;
    this.lastActivity = monotonicMs();
    this.datagramsFromClient += datagrams;
    this.bytesUp += bytes;
    this.datagramsUp += datagrams;
    this.accounting?.addUp(bytes);
    this.hooks.traffic(this, 'up', bytes);
  }

  /** Replies went to the client (one, or a sum of them on the native path). */
  private fromBackend(bytes: number, datagrams: number): void {
    if (this.phase === 'closed') return;
    this.lastActivity = monotonicMs();
    this.bytesDown += bytes;
    this.datagramsDown += datagrams;
    this.accounting?.addDown(bytes);
    this.hooks.traffic(this, 'down', bytes);
  }

  private fail(side: ErrorSide, err: Error): void {
    if (this.phase === 'closed') return;
    this.hooks.error(this, side, err);
    this.close('error');
  }
}

function inetBackend(backend: BackendAddress): { host: string; port: number } {
  // The config refuses unix datagram backends (load.ts); this is an internal invariant.
  if (backend.kind !== 'inet') throw new Error(`udp backend ${backend.text} is not HOST:PORT`);
  return backend;
}
