// The UDP side of one `[socket.NAME]` with protocol = udp: a bound datagram socket (adopted
// from systemd or bound standalone, see ./listeners.ts), a table of client flows keyed by
// the client's address:port, and one sweep timer that forgets flows silent for
// flow_timeout. What to do with a new client (admit it? connect it now, or hold it and
// start the backend?) is the caller's decision, through UdpProxyHooks; so is accounting.
//
// A datagram's way through:
//   'message' from client ──▶ flow of (address, port)? ──no──▶ hooks.admit() ──no──▶ dropped
//                                   │ yes                         │ yes: new UdpFlow, hooks.opened()
//                                   ▼                             ▼
//                            flow.fromClient(): sent upstream when open, else queued
import type dgram from 'node:dgram';
import type { DatagramListener } from './listeners.js';
import type { ErrorSide } from './tcp.js';
import { UdpFlow, type FlowCloseReason, type FlowHooks, type FlowPhase, type DatagramQueues } from './udp-flow.js';
import { startNativeReading } from './udp-upstream.js';
import type { NativeUdpReader } from './data-path.js';
import { monotonicMs } from '../util/clock.js';

export interface UdpProxyHooks {
  /**
   * A datagram from a client that has no flow yet. Return false to drop it (refused: it
   * neither opens a flow nor starts the backend; logging the refusal is the caller's).
   * Called once per datagram until a flow exists, so keep it cheap.
   */
  admit(proxy: UdpProxy, address: string, port: number, bytes: number): boolean;
  /** A new, admitted flow; its first datagram is already queued in it. Connect it now
   *  (`flow.connect()`, the backend is up) or hold it and demand the backend. */
  opened(flow: UdpFlow): void;
  /** A datagram went through the flow: `up` client → backend, `down` backend → client. Hot path. */
  traffic(flow: UdpFlow, direction: 'up' | 'down', bytes: number): void;
  error(flow: UdpFlow, side: ErrorSide, error: Error): void;
  /** An open flow's datagram was refused by the backend port (see FlowHooks.refused). */
  refused(flow: UdpFlow, error: Error): 'hold' | 'close';
  /** A flow's phase changed (see ./udp-flow.ts). */
  moved?(flow: UdpFlow, from: FlowPhase): void;
  /** The flow is gone (expired, closed, failed); called exactly once per flow. */
  released(flow: UdpFlow, reason: FlowCloseReason): void;
  /** An error on the listening socket itself (not tied to a flow); it keeps serving. */
  socketError(proxy: UdpProxy, error: Error): void;
}

/** Expiry runs at most this late after flow_timeout: a tenth of it, within these bounds. */
const MIN_SWEEP_MS = 10;
const MAX_SWEEP_MS = 1000;

export class UdpProxy {
  /** Client "address port" → its flow. */
  private readonly flows = new Map<string, UdpFlow>();
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly sweepMs: number;
  private readonly flowHooks: FlowHooks;
  /** The addon reads the listening socket (native path), once it is bound. */
  private reader: NativeUdpReader | undefined;

  constructor(
    readonly listener: DatagramListener,
    private readonly queues: DatagramQueues,
    private readonly hooks: UdpProxyHooks,
    private readonly now: () => number = monotonicMs,
  ) {
    const timeout = listener.config.flowTimeoutMs;
    this.sweepMs = Math.min(MAX_SWEEP_MS, Math.max(MIN_SWEEP_MS, Math.floor(timeout / 10)));
    this.flowHooks = {
      moved: (flow, from) => hooks.moved?.(flow, from),
      traffic: hooks.traffic,
      refused: hooks.refused,
      error: hooks.error,
      released: (flow: UdpFlow, reason: FlowCloseReason) => {
        const key = flowKey(flow.address, flow.port);
        if (this.flows.get(key) === flow) this.flows.delete(key);
        if (this.flows.size === 0) this.stopSweeping();
        hooks.released(flow, reason);
      },
    };
    const socket: dgram.Socket = listener.socket;
    socket.on('message', (datagram: Buffer, rinfo: dgram.RemoteInfo) => this.onDatagram(datagram, rinfo.address, rinfo.port));
    socket.on('error', (err) => hooks.socketError(this, err));
    if (isBound(socket)) this.readNatively();
    else socket.once('listening', () => this.readNatively());
    // closed by its owner without close() (a bind of another socket failed): the flows go
    // too, and the addon's duplicates of it with them, which would keep the port bound
    socket.once('close', () => this.close());
  }

  /** On the native path the addon reads the socket from here on (./udp-upstream.ts). */
  private readNatively(): void {
    if (this.closed || this.reader !== undefined) return;
    this.reader = startNativeReading(
      this.listener.socket,
      (datagram, address, port) => this.onDatagram(datagram, address, port),
      (err) => {
        this.reader = undefined;
        this.hooks.socketError(this, err);
      },
    );
  }

  get name(): string {
    return this.listener.config.name;
  }

  /** Flows currently known, held ones included. */
  get size(): number {
    return this.flows.size;
  }

  /** Every flow, for status and tests. */
  list(): UdpFlow[] {
    return [...this.flows.values()];
  }

  /** Close flows for `reason`: all, only those waiting for the backend, or only those connected to it. Returns how many. */
  closeFlows(reason: FlowCloseReason, which: 'all' | 'held' | 'connected' = 'all'): number {
    let n = 0;
    for (const flow of [...this.flows.values()]) {
      if (which !== 'all' && (flow.phase === 'held') !== (which === 'held')) continue;
      flow.close(reason);
      n += 1;
    }
    return n;
  }

  /** Count every flow's replies now (the native path counts them at most every 100 ms). */
  flushCounts(): void {
    for (const flow of this.flows.values()) flow.flushCounts();
  }

  /** Stop receiving and forget every flow. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closeFlows('shutdown');
    this.stopSweeping();
    this.reader?.close();
    this.reader = undefined;
    try {
      this.listener.socket.close();
    } catch {
      // already closed
    }
  }

  private onDatagram(datagram: Buffer, address: string, port: number): void {
    if (this.closed) return;
    const key = flowKey(address, port);
    let flow = this.flows.get(key);
    const now = this.now();
    if (flow === undefined) {
      if (!this.hooks.admit(this, address, port, datagram.length)) return;
      flow = new UdpFlow(this.name, address, port, this.listener.socket, this.listener.config.backend, this.queues, this.flowHooks, this.reader);
      this.flows.set(key, flow);
      this.startSweeping();
      flow.fromClient(datagram, now);
      this.hooks.opened(flow);
      return;
    }
    flow.fromClient(datagram, now);
  }

  private startSweeping(): void {
    if (this.sweeper !== undefined || !Number.isFinite(this.listener.config.flowTimeoutMs)) return;
    this.sweeper = setInterval(() => this.sweep(), this.sweepMs);
    this.sweeper.unref();
  }

  private stopSweeping(): void {
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /**
   * Forget flows without a datagram either way for flow_timeout. Held and connecting flows
   * wait for the backend instead: start_timeout bounds them, and their clients still want
   * the answers to what is queued.
   */
  private sweep(): void {
    const oldest = this.now() - this.listener.config.flowTimeoutMs;
    for (const flow of [...this.flows.values()]) {
      if (flow.phase !== 'open' || flow.lastActivity > oldest) continue;
      flow.flushCounts(); // replies the native path relayed and has not counted yet are activity too
      if (flow.lastActivity <= oldest) flow.close('expired');
    }
  }
}

function isBound(socket: dgram.Socket): boolean {
  try {
    socket.address();
    return true;
  } catch {
    return false;
  }
}

function flowKey(address: string, port: number): string {
  return `${address} ${port}`;
}
