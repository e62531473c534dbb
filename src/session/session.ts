// Every admitted client, of both protocols, from admission to release: TCP connections
// (../proxy/tcp.ts) and UDP flows (../proxy/udp-flow.ts, in one UdpProxy per socket).
// A new client is connected through at once while the backend runs; otherwise it waits
// in the waiting room (./waiting-room.ts) and the backend is demanded. The lifecycle
// reaches the clients only through LifecycleClients (release, fail, close), and this
// module reaches the lifecycle only through SessionBackend (demand, gone): one way each.
//   admitted ─▶ running? ─yes─▶ connect ─▶ open ─▶ released
//                 │ no                ▲
//                 ▼                   │ release-held
//              waiting room ──────────┘   (fail-held: closed; refused upstream: back in the room)
import type net from 'node:net';
import type { BackendPhase } from '../backend/lifecycle.js';
import type { LifecycleClients } from '../backend/lifecycle-runner.js';
import type { BackendAddress, ProxyProtocol, SocketConfig, WakeOn } from '../config/types.js';
import type { LogEvent } from '../log/events.js';
import type { DatagramListener, Listener } from '../proxy/listeners.js';
import { ReadBuffers } from '../proxy/read-buffers.js';
import { TcpConnection, type ConnectionHooks } from '../proxy/tcp.js';
import { dataPath } from '../proxy/data-path.js';
import { AcceptedSocket, RelayedConnection, relayable, socketFromFd, type RelayHooks } from '../proxy/relay.js';
import { UdpProxy, type UdpProxyHooks } from '../proxy/udp.js';
import { DatagramQueues, type FlowCloseReason, type UdpFlow } from '../proxy/udp-flow.js';
import type { ClientHandle } from './clients.js';
import { flowsOf, logFlowDrops, QUEUE_FULL } from './flow-drops.js';
import { WaitingRoom } from './waiting-room.js';
import { watchForBrowser } from './browser-watch.js';
import { SilentConnections, type SilentEnd } from './silent-connections.js';
import { monotonicMs } from '../util/clock.js';

/** Connect errors that mean nobody listens at the backend address (any more). */
const BACKEND_GONE_ERRORS = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET']);

/** What the session needs of the backend lifecycle. */
export interface SessionBackend {
  readonly phase: BackendPhase;
  /** How long it has been in `phase` (the starting page's elapsed time). */
  readonly phaseAgeMs: number;
  demand(trigger: string): void;
  /** It stopped accepting while it was supposed to run. */
  gone(status: string): void;
}

export interface SessionOptions {
  /** The instance name, as the starting page shows it. */
  name: string;
  sockets: readonly SocketConfig[];
  backend: SessionBackend;
  log: { event(e: LogEvent): void; isEnabled(level: 'debug'): boolean };
  /** A connection or flow ended (for the idle policy). */
  closed(counted: boolean, kind: 'connection' | 'flow'): void;
  /** Counts changed (for STATUS=). */
  changed(): void;
  /** A connection the readiness probe made already, for a waiting client of `backend`. */
  readyConnection(backend: BackendAddress): net.Socket | undefined;
  /** A datagram from a client without a flow: admitted? ([access], decided by the daemon). */
  admitFlow(proxy: UdpProxy, address: string, port: number): boolean;
  /** A new flow was admitted: its accounting, opened at once (the same turn as admitFlow). */
  flowOpened(flow: UdpFlow): ClientHandle;
  /** `[access] wake_on` as it is now (reload changes it). */
  wakeOn(): WakeOn;
  /** `[service] start_timeout`: how long a connection that sends nothing is held under `wake_on = data`. */
  startTimeoutMs: number;
  /** A connection from `source` sent nothing under `wake_on = data` and is closed: it never woke the backend. */
  silent(source: string, socket: string, client: string, end: SilentEnd): void;
}

export class Session implements LifecycleClients {
  /** Every connection not yet released, waiting ones included. */
  private readonly connections = new Set<TcpConnection | RelayedConnection>();
  /** One per UDP socket: its flow table. */
  private readonly udp: UdpProxy[] = [];
  readonly waiting = new WaitingRoom<TcpConnection | UdpFlow>();
  private readonly readBuffers = new ReadBuffers();
  /** What all UDP flows together may queue while the backend starts. */
  private readonly udpQueues = new DatagramQueues();
  private closing = false;
  /** Held connections under `wake_on = data` that sent nothing yet. */
  private readonly silent: SilentConnections;
  /** Held connections whose starting_page_after has not come yet: the timer that brings it. */
  private readonly pageTimers = new Map<TcpConnection, NodeJS.Timeout>();

  constructor(private readonly o: SessionOptions) {
    this.silent = new SilentConnections({
      startTimeoutMs: o.startTimeoutMs,
      silent: (...args) => o.silent(...args),
      woke: (c) => {
        this.o.log.event({ kind: 'client-held', socket: c.socketName, client: c.peer, held: this.waiting.size });
        this.o.backend.demand(c.peer);
        this.o.changed();
      },
    });
  }

  /**
   * An admitted TCP client (its accounting opened already). One the addon accepted is
   * relayed by it whole while the backend runs (unless its backend is given by host name:
   * Node's to look up); every other one gets a Node.js socket.
   */
  addConnection(listener: Listener, incoming: net.Socket | AcceptedSocket, accounting: ClientHandle): void {
    const { name, backend, proxyProtocol } = listener.config;
    if (incoming instanceof AcceptedSocket) {
      if (this.o.backend.phase === 'running' && relayable(backend) && this.relay(name, incoming, backend, accounting, proxyProtocol)) return;
      incoming = incoming.toSocket();
    }
    const c = this.track(listener.config, incoming, accounting);
    if (this.o.wakeOn() === 'data' && this.o.backend.phase !== 'running') this.heldUntilData(c, accounting.address.key);
    else this.arrived(c);
    const page = listener.config.startingPage;
    if (page !== undefined && c.phase === 'held') {
      watchForBrowser(c, page, { name: this.o.name, backend: this.o.backend, log: this.o.log, timers: this.pageTimers });
    }
  }

  /** False when the addon could not take it (no descriptor for the upstream socket, the client gone): Node's path tries, and reports what fails. */
  private relay(name: string, accepted: AcceptedSocket, backend: BackendAddress, accounting: ClientHandle, proxy: ProxyProtocol): boolean {
    const header = proxy === 'off' ? null : accepted.proxyHeader(proxy);
    if (header === undefined) return false;
    let r: RelayedConnection;
    try {
      r = new RelayedConnection(name, accepted, backend, this.relayHooks, accounting, header);
    } catch {
      return false;
    }
    accounting.victim = { socketName: name, peer: r.peer, evict: (busy) => r.close(busy) };
    this.connections.add(r);
    this.o.changed();
    return true;
  }

  private track(config: SocketConfig, socket: net.Socket, accounting: ClientHandle): TcpConnection {
    const c = new TcpConnection(config.name, socket, config.backend, this.connectionHooks, accounting, this.readBuffers, config.proxyProtocol);
    // how to close it to make room at max_connections (./eviction.ts)
    accounting.victim = { socketName: c.socketName, peer: c.peer, evict: (busy) => c.close(busy) };
    this.connections.add(c);
    return c;
  }

  /** A relayed connection the addon handed back (`fd`, its client's descriptor), held as a TcpConnection in the waiting room. */
  private heldAgain(r: RelayedConnection, fd: number): TcpConnection | undefined {
    this.connections.delete(r);
    const config = this.o.sockets.find((s) => s.name === r.socketName);
    if (fd < 0 || config === undefined) {
      r.accounting.close();
      this.connectionReleased(r);
      return undefined;
    }
    // the ClientHandle addConnection gave it
    const c = this.track(config, socketFromFd(fd), r.accounting as ClientHandle);
    this.waiting.moved(c);
    return c;
  }

  /** `wake_on = data`: it waits (in the room, released with the others) but demands the backend only once it sends a byte. */
  private heldUntilData(c: TcpConnection, source: string): void {
    this.waiting.moved(c);
    this.o.changed();
    this.silent.hold(c, source);
  }

  /** A UDP socket (called by openListeners before it is bound). */
  addDatagramSocket(listener: DatagramListener): UdpProxy {
    const proxy = new UdpProxy(listener, this.udpQueues, this.flowHooks);
    this.udp.push(proxy);
    return proxy;
  }

  get udpProxies(): readonly UdpProxy[] {
    return this.udp;
  }

  /** Open connections and flows, waiting ones included. */
  get openCount(): number {
    return this.connections.size + this.flowCount;
  }

  /** Counts every connection's and flow's bytes now (the native data path reports them at most every 100 ms). */
  flushCounts(): void {
    for (const c of this.connections) c.flushCounts();
    for (const proxy of this.udp) proxy.flushCounts();
  }

  /** Open connections and flows, waiting ones excluded. */
  get connectedCount(): number {
    return this.openCount - this.waiting.size;
  }

  /** UDP figures since start: flows now (held ones too), datagrams queued now, and dropped. */
  get udpStats(): { flows: number; heldFlows: number; queued: number; queuedBytes: number; dropped: number; droppedBytes: number } {
    return {
      flows: this.flowCount,
      heldFlows: this.waiting.flowCount,
      queued: this.udpQueues.datagrams,
      queuedBytes: this.udpQueues.bytes,
      dropped: this.udpQueues.dropped,
      droppedBytes: this.udpQueues.droppedBytes,
    };
  }

  // ---- the lifecycle's side (LifecycleClients) ----

  releaseHeld(): number {
    const released = this.waiting.releaseAll((b) => this.o.readyConnection(b));
    logFlowDrops(this.o.log, flowsOf(released), (f) => f.takeDropped(), QUEUE_FULL);
    return released.length;
  }

  failHeld(): number {
    const failed = this.waiting.failAll();
    const flows = flowsOf(failed);
    logFlowDrops(this.o.log, flows, (f) => f.takeDropped(), QUEUE_FULL);
    logFlowDrops(this.o.log, flows, (f) => ({ datagrams: f.undelivered, bytes: f.undeliveredBytes }), 'queued for a backend that did not start');
    return failed.length;
  }

  /**
   * The backend is going (idle stop, crash): close the connections through to it. One still
   * connecting has not been served at all: like a client arriving while stopping, it waits
   * for the restart instead (never on shutdown); the lifecycle hears that as a demand.
   */
  closeClients(): number {
    let closed = 0;
    const requeued: TcpConnection[] = [];
    for (const c of [...this.connections]) {
      if (c instanceof TcpConnection && this.waiting.has(c)) continue;
      const held = this.closing ? undefined : c instanceof TcpConnection ? (c.requeue() ? c : undefined) : this.requeueRelayed(c);
      if (held !== undefined) requeued.push(held);
      else {
        c.close();
        closed += 1;
      }
    }
    closed += this.udp.reduce((n, u) => n + u.closeFlows('backend-gone', 'connected'), 0);
    for (const c of requeued) this.o.backend.demand(c.peer);
    return closed;
  }

  private requeueRelayed(r: RelayedConnection): TcpConnection | undefined {
    const fd = r.requeue();
    return fd === undefined ? undefined : this.heldAgain(r, fd);
  }

  /** Shutdown: every client closed, nothing new taken. */
  close(): void {
    this.closing = true;
    this.silent.clear();
    for (const u of this.udp) u.close();
    for (const c of [...this.connections]) c.close();
  }

  /** Nothing to proxy until the next start: the spare read slots (up to 4 MiB) and the addon's pooled pipes go back. */
  dropSpareBuffers(): void {
    this.readBuffers.dropSpares();
    dataPath.relay?.dropPipes();
  }

  /** Stop receiving datagrams (exit = yes); unread ones stay in systemd's copy of the socket. */
  closeDatagramSockets(): void {
    for (const u of this.udp) u.close();
  }

  // ---- the clients' side ----

  private get flowCount(): number {
    return this.udp.reduce((n, u) => n + u.size, 0);
  }

  /** A new client: through at once while the backend runs, else it waits and the backend is demanded. */
  private arrived(client: TcpConnection | UdpFlow): void {
    if (this.o.backend.phase === 'running') client.release();
    else {
      this.waiting.moved(client);
      this.o.log.event({ kind: 'client-held', socket: client.socketName, client: client.peer, held: this.waiting.size });
      this.o.backend.demand(client.peer);
    }
    this.o.changed();
  }

  /** Nobody listens at the backend address any more (crashed, stopped from outside): wait for a restart. */
  private backendRefused(client: TcpConnection | UdpFlow, error: NodeJS.ErrnoException, what: string): 'hold' | 'close' {
    const backend = this.o.sockets.find((s) => s.name === client.socketName)?.backend.text ?? '?';
    this.o.log.event({ kind: 'backend-connect-failed', socket: client.socketName, client: client.peer, backend, error: error.message });
    if (this.closing || (client.kind === 'connection' && !BACKEND_GONE_ERRORS.has(error.code ?? ''))) return 'close';
    // ready_check = no: the backend binds this one late (or not at all yet); its refusal says nothing about the backend
    if (this.o.sockets.find((s) => s.name === client.socketName)?.readyCheck === false) return 'close';
    // the client is in the waiting room already (its phase is `held`): nothing here depends on order
    if (this.o.backend.phase === 'running') this.o.backend.gone(`${what} on ${backend}`);
    this.o.backend.demand(client.peer);
    this.o.changed();
    return 'hold';
  }

  private readonly connectionHooks: ConnectionHooks = {
    moved: (c) => {
      this.waiting.moved(c);
      // released towards the backend: no longer silent (a close is counted in `released`)
      if (c.phase === 'connecting') this.silent.stop(c);
      const timer = c.phase !== 'held' ? this.pageTimers.get(c) : undefined;
      if (timer !== undefined) {
        clearTimeout(timer);
        this.pageTimers.delete(c);
      }
    },
    connectFailed: (c, error) => this.backendRefused(c, error, 'not accepting connections'),
    error: (c, side, error) => {
      // a scanner's reset before its first byte is counted as silent, not logged on its own
      if (this.silent.has(c)) return;
      this.o.log.event({ kind: 'client-error', socket: c.socketName, client: c.peer, side, error: error.message });
    },
    released: (c) => this.connectionReleased(c),
  };

  private readonly relayHooks: RelayHooks = {
    connectFailed: (r, error) => {
      const c = this.heldAgain(r, r.takeBack());
      if (c !== undefined && this.backendRefused(c, error, 'not accepting connections') === 'close') c.close();
    },
    error: (r, side, error) => this.o.log.event({ kind: 'client-error', socket: r.socketName, client: r.peer, side, error: error.message }),
    released: (r) => this.connectionReleased(r),
  };

  private connectionReleased(c: TcpConnection | RelayedConnection): void {
    this.connections.delete(c);
    if (c instanceof TcpConnection) this.silent.released(c, this.closing);
    if (this.o.log.isEnabled('debug')) {
      this.o.log.event({
        kind: 'client-closed',
        socket: c.socketName,
        client: c.peer,
        bytesUp: c.bytesUp,
        bytesDown: c.bytesDown,
        ms: Math.round(monotonicMs() - c.openedAt),
      });
    }
    this.o.closed(c.accounting.counted, 'connection');
    this.o.changed();
  }

  private readonly flowHooks: UdpProxyHooks = {
    admit: (proxy, address, port) => !this.closing && this.o.admitFlow(proxy, address, port),
    opened: (flow) => {
      const accounting = this.o.flowOpened(flow);
      accounting.victim = { socketName: flow.socketName, peer: flow.peer, evict: () => flow.close('evicted'), clientDatagrams: () => flow.datagramsFromClient };
      flow.accounting = accounting;
      this.arrived(flow);
    },
    moved: (flow) => this.waiting.moved(flow),
    // Activity is counted through flow.accounting: only counted clients ([idle] keepalive) touch the idle timer.
    traffic: () => undefined,
    refused: (flow, error) => this.backendRefused(flow, error as NodeJS.ErrnoException, 'refusing datagrams'),
    error: (flow, side, error) => {
      this.o.log.event({ kind: 'client-error', socket: flow.socketName, client: flow.peer, side, error: error.message });
    },
    released: (flow, reason) => this.flowReleased(flow, reason),
    socketError: (proxy, error) => this.o.log.event({ kind: 'socket-error', socket: proxy.name, error: error.message }),
  };

  private flowReleased(flow: UdpFlow, reason: FlowCloseReason): void {
    if (reason !== 'start-failed') {
      logFlowDrops(this.o.log, [flow], (f) => f.takeDropped(), 'no room to queue or send them (queue full, or sends piling up)');
      logFlowDrops(this.o.log, [flow], (f) => ({ datagrams: f.undelivered, bytes: f.undeliveredBytes }), `queued when the flow ended (${reason})`);
    }
    if (this.o.log.isEnabled('debug')) {
      this.o.log.event({
        kind: 'flow-closed',
        socket: flow.socketName,
        client: flow.peer,
        reason,
        datagramsUp: flow.datagramsUp,
        bytesUp: flow.bytesUp,
        datagramsDown: flow.datagramsDown,
        bytesDown: flow.bytesDown,
        ms: Math.round(monotonicMs() - flow.openedAt),
      });
    }
    this.o.closed(flow.accounting?.counted ?? false, 'flow');
    this.o.changed();
  }
}
