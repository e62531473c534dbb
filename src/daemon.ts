// The daemon: sockets in → held or proxied connections → backend lifecycle → idle stop.
// No global state: everything hangs off one Daemon object, so tests can run several.
import net from 'node:net';
import type { Config } from './config/types.js';
import type { Logger } from './log/logger.js';
import { guardNotifier, type Notifier } from './systemd/notify.js';
import { BackendLifecycle, type BackendPhase } from './backend/lifecycle.js';
import type { BackendDriver } from './backend/driver.js';
import { checkProcess, createDriver, lifecycleLog } from './backend/create.js';
import { ReadyWait, type CheckProcess } from './backend/ready-check.js';
import { readyTargets, startTimeoutReason } from './backend/ready-targets.js';
import { IdleTimer } from './idle/idle-timer.js';
import { explainIdle } from './idle/explain.js';
import { TcpConnection, describePeer, type ConnectionHooks } from './proxy/tcp.js';
import { ReadBuffers } from './proxy/read-buffers.js';
import { formatInet, openListeners, type DatagramListener, type Listener } from './proxy/listeners.js';
import { UdpProxy, type UdpProxyHooks } from './proxy/udp.js';
import { DatagramQueues, DEFAULT_QUEUE_LIMITS, type FlowCloseReason, type UdpFlow } from './proxy/udp-flow.js';
import { formatTimespan } from './config/timespan.js';
import { formatStatus } from './status-line.js';
import { clientAddress, LOCAL_CLIENT, type ClientAddress } from './access/address.js';
import { AccessPolicy, Admission } from './access/admission.js';
import { RefusalLog } from './access/refusal-log.js';
import { EvictionLog } from './session/eviction-log.js';
import { ClientTable, type FlowKind } from './session/clients.js';
import { ControlServer } from './control/server.js';
import { STATUS_VERSION, type StatusReport } from './control/report.js';
import { KnockGate } from './access/knock/gate.js';

/** Why UDP datagrams are dropped while the backend starts (the queue bounds of ./proxy/udp-flow.ts). */
const QUEUE_FULL =
  `queue full while waiting for the backend (${DEFAULT_QUEUE_LIMITS.flowDatagrams} datagrams or ` +
  `${DEFAULT_QUEUE_LIMITS.flowBytes / 1024} KiB per client, ${DEFAULT_QUEUE_LIMITS.totalBytes / 1024 / 1024} MiB in all)`;

/** Client counts in STATUS= are sent at most this often (phase changes at once). */
const STATUS_INTERVAL_MS = 250;

/** Connect errors that mean nobody listens at the backend address (any more). */
const BACKEND_GONE_ERRORS = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET']);

export interface DaemonOptions {
  config: Config;
  logger: Logger;
  notifier: Notifier;
  /** The environment to read LISTEN_* from and to build the backend's environment from. */
  env?: NodeJS.ProcessEnv;
  pid?: number;
  /** `[idle] exit = yes`: called once the backend is stopped and no client is connected. */
  onExitRequest?: () => void;
  /** The instance name, for `mrsocko status` (default: the config file's name). */
  name?: string;
  /** Serve `mrsocko status` on this unix socket path (see control/paths.ts); none if unset. */
  controlSocket?: string;
}

export class Daemon {
  private config: Config;
  private readonly log: Logger;
  private readonly notifier: Notifier;
  private readonly env: NodeJS.ProcessEnv;
  private readonly pid: number;
  private readonly lifecycle: BackendLifecycle;
  private readonly driver: BackendDriver;
  private readonly idle: IdleTimer;
  private listeners: Listener[] = [];
  /** Clients waiting for the backend. */
  private readonly held = new Set<TcpConnection>();
  private readonly readBuffers = new ReadBuffers();
  /** Readiness probes' connections that got through, per backend, until releaseHeld uses them. */
  private readonly probeConnections = new Map<string, net.Socket[]>();
  /** Every connection not yet released, held ones included. */
  private readonly connections = new Set<TcpConnection>();
  /** One per UDP socket: its flow table. */
  private readonly udp: UdpProxy[] = [];
  /** UDP flows waiting for the backend (their datagrams queued), in arrival order. */
  private readonly heldFlows = new Set<UdpFlow>();
  /** What all UDP flows together may queue while the backend starts. */
  private readonly udpQueues = new DatagramQueues();
  private closing: Promise<void> | undefined;
  /** The pending STATUS= update, and what was last sent. */
  private statusTimer: NodeJS.Timeout | undefined;
  private statusText = '';
  private statusPhase: BackendPhase | undefined;
  private statusSentAt = -Infinity;
  private maxRuntimeTimer: NodeJS.Timeout | undefined;
  private exitRequested = false;
  private readonly onExitRequest: (() => void) | undefined;
  private readonly name: string;
  /** Per-client accounting: open connections/flows, bytes, last activity, counted or not. */
  private readonly clients: ClientTable;
  /** [access] and [idle] keepalive, decided per connection or flow at accept. */
  private readonly admission: Admission;
  private readonly refusals: RefusalLog;
  /** What was closed to make room at max_connections. */
  private readonly evictions: EvictionLog;
  private readonly control: ControlServer | undefined;
  /** The current launch's wait for readiness (what `status` says it waits for). */
  private readyWait: ReadyWait | undefined;
  /** While stopped: notices the backend started from outside (unit = backends). */
  private outsideStart: { close(): void } | undefined;
  /** How a `ready = exec` command runs (as the backend). */
  private readonly checkProcess: CheckProcess;
  /** [knock]: its sockets and who knocked (src/access/knock/gate.ts). */
  private readonly knock: KnockGate | undefined;
  private readonly isKnocked = (address: ClientAddress): boolean => this.knock?.isKnocked(address) ?? false;

  constructor(options: DaemonOptions) {
    this.config = options.config;
    this.log = options.logger;
    // A failing notification is logged, never thrown into start, status updates or stop.
    this.notifier = guardNotifier(options.notifier, (level, message) => this.log[level](message));
    this.env = options.env ?? process.env;
    this.pid = options.pid ?? process.pid;
    this.onExitRequest = options.onExitRequest;
    this.driver = createDriver(this.config.service, this.env, this.log);
    this.checkProcess = checkProcess(this.config.service, this.env);
    this.idle = new IdleTimer(this.config.idle.timeoutMs, (ms) => this.onIdle(ms));
    this.name = options.name ?? (this.config.file.split('/').pop() ?? 'mrsocko').replace(/\.conf$/, '');
    const { knock } = this.config;
    this.knock = knock !== undefined
      ? new KnockGate({ ...this.config, knock }, {
        emit: (event) => this.log.event(event),
        refused: (...args) => this.refusals.refused(...args),
      })
      : undefined;
    const policy = new AccessPolicy(this.config.access, this.config.idle, this.isKnocked);
    this.clients = new ClientTable({
      counts: (address) => this.admission.policy.keepsAlive(address),
      activity: (at) => this.idle.touch(at),
    });
    this.admission = new Admission(policy, this.clients);
    this.refusals = new RefusalLog({
      emit: (event) => this.log.event(event),
      explain: (refusal, address) => this.admission.policy.explain(refusal, address),
    });
    this.evictions = new EvictionLog({ emit: (event) => this.log.event(event) });
    this.control = options.controlSocket !== undefined
      ? new ControlServer(options.controlSocket, () => this.statusReport(), (event) => this.log.event(event))
      : undefined;
    this.lifecycle = new BackendLifecycle(
      this.driver,
      {
        startTimeoutMs: this.config.service.startTimeoutMs,
        probe: (signal) => this.probe(signal),
        timeoutReason: (ms) => startTimeoutReason(ms, this.config, this.readyWait),
      },
      {
        releaseHeld: () => this.releaseHeld(),
        failHeld: () => this.closeAll(this.held, true) + this.closeHeldFlows(),
        closeClients: () => this.closeConnected() + this.closeOpenFlows('backend-gone'),
        phaseChanged: (phase) => this.phaseChanged(phase),
        log: lifecycleLog(this.driver, this.log),
      },
    );
  }

  /** Adopt or bind the sockets and start serving. Resolves once READY=1 was sent. */
  async start(): Promise<void> {
    const { listeners, datagram, mode, notes, reserved } = await openListeners(
      this.config,
      this.env,
      this.pid,
      (listener, socket) => this.accept(listener, socket),
      (listener) => this.addDatagramSocket(listener),
      this.knock?.reserved,
    );
    this.listeners = listeners;
    await this.knock?.open(reserved);
    for (const note of notes) this.log.warning(note);
    for (const l of listeners) {
      this.log.event({ kind: 'listening', socket: l.config.name, address: l.address, adopted: l.adopted, backlog: l.backlog });
    }
    for (const d of datagram) {
      this.log.event({ kind: 'listening', socket: d.config.name, address: d.address, adopted: d.adopted, protocol: 'udp' });
    }
    await this.control?.start();
    this.followOutsideStarts();
    this.log.event({ kind: 'ready', sockets: listeners.length + datagram.length, mode });
    this.notifier.ready();
    this.queueStatus();
  }

  /** Stop accepting, close clients, stop the backend if we started it. Idempotent. */
  stop(): Promise<void> {
    this.closing ??= (async () => {
      this.notifier.stopping();
      for (const l of this.listeners) l.server.close();
      for (const u of this.udp) u.close();
      this.knock?.close();
      this.closeAll(this.connections);
      this.refusals.shutdown();
      this.evictions.shutdown();
      this.control?.close();
      this.outsideStart?.close();
      this.idle.stop();
      clearTimeout(this.maxRuntimeTimer);
      clearTimeout(this.statusTimer);
      this.statusTimer = undefined;
      await this.lifecycle.shutdown();
      this.notifier.status('Stopped');
    })();
    return this.closing;
  }

  /**
   * Apply a re-read configuration. [idle], [access] and [log] apply at once (the caller
   * reconfigures the logger); sockets and [service] need a restart. Returns a summary for
   * the log. Connections already admitted stay open even if the new rules would refuse
   * them; the limits and rules apply to new connections, and `keepalive` is re-evaluated
   * for every client, connected or not.
   */
  reload(next: Config): string {
    const policy = new AccessPolicy(next.access, next.idle, this.isKnocked); // first: nothing changes if it throws
    const restartNeeded: string[] = [];
    // keeps who knocked; throws (a bad key file) before anything changes
    if (this.knock?.reload(next) ?? next.knock !== undefined) restartNeeded.push('[knock] ports');
    if (JSON.stringify(next.sockets) !== JSON.stringify(this.config.sockets)) restartNeeded.push('[socket.*]');
    if (JSON.stringify(next.service) !== JSON.stringify(this.config.service)) restartNeeded.push('[service]');
    this.config = { ...next, sockets: this.config.sockets, service: this.config.service };
    this.idle.setTimeoutMs(next.idle.timeoutMs);
    this.admission.update(policy);
    this.clients.recount((address) => this.admission.policy.keepsAlive(address));
    this.queueStatus(true);
    return restartNeeded.length === 0
      ? 'idle, access and log settings applied'
      : `idle, access and log settings applied; changes to ${restartNeeded.join(' and ')} take effect after a restart`;
  }

  /** Where each socket listens (bound addresses resolved, e.g. port 0). */
  get addresses(): { name: string; address: string }[] {
    return [
      ...this.listeners.map((l) => ({ name: l.config.name, address: l.address })),
      ...this.udp.map((u) => ({ name: u.name, address: u.listener.address })),
      ...(this.knock?.addresses ?? []),
    ];
  }

  get backendPhase(): BackendPhase {
    return this.lifecycle.phase;
  }

  /** How many times the backend was launched since start. */
  get backendStarts(): number {
    return this.lifecycle.launchCount;
  }

  get backendPid(): number | undefined {
    return this.driver.pid;
  }

  /** UDP figures since start: flows now (held ones too), datagrams queued now, and dropped. */
  get udpStats(): { flows: number; heldFlows: number; queued: number; queuedBytes: number; dropped: number; droppedBytes: number } {
    return {
      flows: this.udp.reduce((n, u) => n + u.size, 0),
      heldFlows: this.heldFlows.size,
      queued: this.udpQueues.datagrams,
      queuedBytes: this.udpQueues.bytes,
      dropped: this.udpQueues.dropped,
      droppedBytes: this.udpQueues.droppedBytes,
    };
  }

  private accept(listener: Listener, socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const unix = listener.config.listen.kind === 'unix';
    // A TCP socket without a remote address was reset before we got to it: nothing to admit.
    const address = unix ? LOCAL_CLIENT : socket.remoteAddress === undefined ? undefined : clientAddress(socket.remoteAddress);
    const accounting = address !== undefined && this.admit(listener.config.name, address, socket, 'connection')
      ? this.clients.open(address, 'connection')
      : undefined;
    if (accounting === undefined) {
      // Refused (or gone already): close at once, unread; an RST tells a TCP client it was refused.
      socket.on('error', () => undefined);
      if (unix) socket.destroy();
      else socket.resetAndDestroy();
      return;
    }
    const connection = new TcpConnection(listener.config.name, socket, listener.config.backend, this.connectionHooks, accounting, this.readBuffers);
    accounting.victim = { socketName: connection.socketName, peer: connection.peer, evict: (busy) => connection.close(busy) };
    this.connections.add(connection);
    if (this.lifecycle.phase === 'running') {
      connection.connect();
    } else {
      this.held.add(connection);
      this.log.event({ kind: 'client-held', socket: listener.config.name, client: connection.peer, held: this.held.size });
      this.lifecycle.demand(connection.peer);
    }
    this.queueStatus();
  }

  /**
   * Admission of one new connection or UDP flow, before it is held and before the backend
   * is demanded ([access], src/access/admission.ts). A refusal is logged (rate-limited) and
   * counted. At max_connections, room is made first when it can be: the connection or
   * flow chosen (src/session/eviction.ts) is closed and logged (rate-limited too). When
   * admitted, the caller opens the client's accounting at once (`this.clients.open(address,
   * kind)`) and sets its `victim`, in the same turn, so the limits see it.
   */
  private admit(socketName: string, address: ClientAddress, peer: net.Socket | string, kind: FlowKind): boolean {
    const phase = this.lifecycle.phase;
    const decision = this.admission.decide(address, phase === 'running' || phase === 'starting');
    if (decision === undefined) return true;
    const client = typeof peer === 'string' ? peer : describePeer(peer);
    if (typeof decision !== 'string') {
      const victim = this.clients.evict(decision);
      this.evictions.evicted(decision, victim, client, this.admission.policy.maxConnections);
      return true;
    }
    this.refusals.refused(address, socketName, client, decision, kind === 'connection' ? 'connection' : 'datagram');
    return false;
  }

  private readonly connectionHooks: ConnectionHooks = {
    connectFailed: (c, error) => {
      const backend = this.config.sockets.find((s) => s.name === c.socketName)?.backend.text ?? '?';
      this.log.event({ kind: 'backend-connect-failed', socket: c.socketName, client: c.peer, backend, error: error.message });
      if (this.closing || !BACKEND_GONE_ERRORS.has(error.code ?? '')) return 'close';
      // ready_check = no: the backend binds this one late (or not at all yet); its refusal says nothing about the backend
      if (this.isLateBound(c.socketName)) return 'close';
      // The backend stopped listening behind our back (crashed, stopped from outside):
      // keep this client waiting and start it again.
      this.held.add(c);
      if (this.lifecycle.phase === 'running') this.lifecycle.gone(`not accepting connections on ${backend}`);
      this.lifecycle.demand(c.peer);
      return 'hold';
    },
    error: (c, side, error) => {
      this.log.event({ kind: 'client-error', socket: c.socketName, client: c.peer, side, error: error.message });
    },
    released: (c) => {
      this.connections.delete(c);
      this.held.delete(c);
      if (this.log.isEnabled('debug')) {
        this.log.event({
          kind: 'client-closed',
          socket: c.socketName,
          client: c.peer,
          bytesIn: c.bytesIn,
          bytesOut: c.bytesOut,
          ms: Math.round(performance.now() - c.openedAt),
        });
      }
      if (this.config.idle.connectionsCount && c.accounting.counted) this.idle.touch();
      this.maybeExitWhenIdle();
      this.queueStatus();
    },
  };

  /** `ready_check = no`: nothing bound at its backend address is no sign that the backend is gone. */
  private isLateBound(socketName: string): boolean {
    return this.config.sockets.find((s) => s.name === socketName)?.readyCheck === false;
  }

  private releaseHeld(): number {
    const count = this.held.size;
    for (const c of this.held) c.connect(this.probeConnections.get(c.backend.text)?.pop());
    this.held.clear();
    this.dropProbeConnections();
    return count + this.releaseHeldFlows();
  }

  private dropProbeConnections(): void {
    for (const list of this.probeConnections.values()) for (const socket of list) socket.destroy();
    this.probeConnections.clear();
  }

  /** Called by openListeners for each UDP socket, before it is bound. */
  private addDatagramSocket(listener: DatagramListener): void {
    this.udp.push(new UdpProxy(listener, this.udpQueues, this.flowHooks));
  }

  private readonly flowHooks: UdpProxyHooks = {
    // [access] per datagram source, once per new flow; a refused datagram is dropped.
    admit: (proxy, remoteAddress, port) => {
      if (this.closing || this.exitRequested) return false;
      const address = clientAddress(remoteAddress);
      return address !== undefined && this.admit(proxy.name, address, formatInet(remoteAddress, port), 'flow');
    },
    opened: (flow) => {
      // admit() said yes in this same turn: account for the flow before anything else
      const accounting = this.clients.open(clientAddress(flow.address) ?? LOCAL_CLIENT, 'flow');
      accounting.victim = {
        socketName: flow.socketName,
        peer: flow.peer,
        evict: () => flow.close('evicted'),
        clientDatagrams: () => flow.datagramsFromClient,
      };
      flow.accounting = accounting;
      this.openFlow(flow);
    },
    // Activity is counted through flow.accounting: only counted clients ([idle] keepalive) touch the idle timer.
    traffic: () => undefined,
    refused: (flow, error) => {
      // Nothing is bound at the backend port any more (crashed, stopped from outside), as
      // for a refused TCP connect: restart it and hold this client's next datagrams.
      const backend = this.config.sockets.find((s) => s.name === flow.socketName)?.backend.text ?? '?';
      this.log.event({ kind: 'backend-connect-failed', socket: flow.socketName, client: flow.peer, backend, error: error.message });
      if (this.closing || this.isLateBound(flow.socketName)) return 'close';
      this.heldFlows.add(flow);
      if (this.lifecycle.phase === 'running') this.lifecycle.gone(`refusing datagrams on ${backend}`);
      this.lifecycle.demand(flow.peer);
      this.queueStatus();
      return 'hold';
    },
    error: (flow, side, error) => {
      this.log.event({ kind: 'client-error', socket: flow.socketName, client: flow.peer, side, error: error.message });
    },
    released: (flow, reason) => {
      this.heldFlows.delete(flow);
      this.flowReleased(flow, reason);
    },
    socketError: (proxy, error) => this.log.event({ kind: 'socket-error', socket: proxy.name, error: error.message }),
  };

  /** A datagram from a new client: like a new connection, served at once or held (queued) while the backend starts. */
  private openFlow(flow: UdpFlow): void {
    if (this.lifecycle.phase === 'running') {
      flow.connect();
    } else {
      this.heldFlows.add(flow);
      this.log.event({ kind: 'client-held', socket: flow.socketName, client: flow.peer, held: this.held.size + this.heldFlows.size });
      this.lifecycle.demand(flow.peer);
    }
    this.queueStatus();
  }

  private releaseHeldFlows(): number {
    const flows = [...this.heldFlows];
    this.heldFlows.clear();
    for (const f of flows) f.connect();
    this.logDrops(flows, (f) => f.takeDropped(), QUEUE_FULL);
    return flows.length;
  }

  /** The backend will not come up for the held flows: forget them and what they queued. */
  private closeHeldFlows(): number {
    const flows = [...this.heldFlows];
    for (const f of flows) f.close('start-failed');
    this.logDrops(flows, (f) => f.takeDropped(), QUEUE_FULL);
    this.logDrops(flows, (f) => ({ datagrams: f.undelivered, bytes: f.undeliveredBytes }), 'queued for a backend that did not start');
    return flows.length;
  }

  private closeOpenFlows(reason: FlowCloseReason): number {
    return this.udp.reduce((n, u) => n + u.closeFlows(reason, 'connected'), 0);
  }

  private flowReleased(flow: UdpFlow, reason: FlowCloseReason): void {
    if (reason !== 'start-failed') {
      this.logDrops([flow], (f) => f.takeDropped(), 'no room to queue or send them (queue full, or sends piling up)');
      this.logDrops([flow], (f) => ({ datagrams: f.undelivered, bytes: f.undeliveredBytes }), `queued when the flow ended (${reason})`);
    }
    if (this.log.isEnabled('debug')) {
      this.log.event({
        kind: 'flow-closed',
        socket: flow.socketName,
        client: flow.peer,
        reason,
        datagramsIn: flow.datagramsIn,
        bytesIn: flow.bytesIn,
        datagramsOut: flow.datagramsOut,
        bytesOut: flow.bytesOut,
        ms: Math.round(performance.now() - flow.openedAt),
      });
    }
    this.maybeExitWhenIdle();
    this.queueStatus();
  }

  /** One warning line for the drops of many flows (one client: its address; several: how many). */
  private logDrops(flows: readonly UdpFlow[], take: (f: UdpFlow) => { datagrams: number; bytes: number }, why: string): void {
    let datagrams = 0;
    let bytes = 0;
    let clients = 0;
    let first: UdpFlow | undefined;
    for (const f of flows) {
      const d = take(f);
      if (d.datagrams === 0) continue;
      datagrams += d.datagrams;
      bytes += d.bytes;
      clients += 1;
      first ??= f;
    }
    if (first === undefined) return;
    const socket = new Set(flows.map((f) => f.socketName)).size === 1 ? first.socketName : 'udp';
    const client = clients === 1 ? first.peer : `${clients} clients`;
    this.log.event({ kind: 'flow-dropped', socket, client, datagrams, bytes, why });
  }

  /**
   * The backend is going (idle stop, crash): close the connections through to it. One still
   * connecting has not been served at all: like a client arriving while stopping, it is
   * held for the restart instead (never on shutdown).
   */
  private closeConnected(): number {
    let closed = 0;
    for (const c of this.connections) {
      if (this.held.has(c)) continue;
      if (!this.closing && c.requeue()) {
        this.held.add(c);
        this.lifecycle.demand(c.peer);
      } else {
        c.close();
        closed += 1;
      }
    }
    return closed;
  }

  private closeAll(set: Set<TcpConnection>, reset = false): number {
    const list = [...set];
    for (const c of list) c.close(reset);
    return list.length;
  }

  private onIdle(idleForMs: number): void {
    const { idle } = this.config;
    // connections and flows of clients whose activity counts ([idle] keepalive)
    const open = this.clients.countedOpen;
    if (idle.connectionsCount && open > 0) {
      // open connections count as activity: check again a full timeout from now
      this.idle.touch();
      this.idle.recheckIn(idle.timeoutMs);
      return;
    }
    const runningFor = this.lifecycle.phaseAgeMs;
    if (runningFor < idle.minRuntimeMs) {
      this.idle.recheckIn(idle.minRuntimeMs - runningFor);
      return;
    }
    const rounded = idleForMs >= 1000 ? Math.round(idleForMs / 1000) * 1000 : Math.round(idleForMs);
    this.lifecycle.idle(`no traffic for ${formatTimespan(rounded)}`);
  }

  private phaseChanged(phase: BackendPhase): void {
    clearTimeout(this.maxRuntimeTimer);
    this.maxRuntimeTimer = undefined;
    if (phase === 'running') {
      this.idle.start();
      const { maxRuntimeMs } = this.config.idle;
      if (Number.isFinite(maxRuntimeMs)) {
        this.maxRuntimeTimer = setTimeout(
          () => this.lifecycle.idle(`max_runtime (${formatTimespan(maxRuntimeMs)}) reached`),
          Math.min(maxRuntimeMs, 2 ** 31 - 1),
        );
      }
    } else this.idle.stop();
    // nothing to proxy until the next start: the spare read slots (up to 4 MiB) go back
    if (phase === 'stopped') this.readBuffers.dropSpares();
    if (phase === 'stopped') this.maybeExitWhenIdle();
    // a wait from an earlier start says nothing about the next one (nor its back-off)
    if (phase !== 'starting') this.readyWait = undefined;
    this.followOutsideStarts();
    this.queueStatus();
  }

  /** Only while stopped: a backend started from outside is then adopted as it is (lifecycle `adopted`). */
  private followOutsideStarts(): void {
    const watching = this.lifecycle.phase === 'stopped' && !this.closing && !this.exitRequested;
    if (!watching) {
      this.outsideStart?.close();
      this.outsideStart = undefined;
    } else if (this.outsideStart === undefined) {
      this.outsideStart = this.driver.watchForOutsideStart?.((by) => {
        this.outsideStart = undefined;
        this.lifecycle.adopted(by);
      });
    }
  }

  /** `[idle] exit = yes`: leave once nothing runs and nobody is connected; systemd keeps listening. */
  private maybeExitWhenIdle(): void {
    if (!this.config.idle.exit || this.closing || this.exitRequested) return;
    if (this.lifecycle.phase !== 'stopped' || this.connections.size > 0 || this.lifecycle.launchCount === 0) return;
    if (this.udp.some((u) => u.size > 0)) return;
    this.exitRequested = true;
    this.log.event({ kind: 'backend-idle-exit' });
    // Stop accepting now, in this same turn, so no connection slips in between; datagrams
    // not read yet stay in systemd's copy of the socket and wake the next mrsocko.
    for (const l of this.listeners) l.server.close();
    for (const u of this.udp) u.close();
    this.knock?.close();
    this.onExitRequest?.();
  }

  private probe(signal: AbortSignal): Promise<void> {
    // Every checked backend address must be up before anyone is released — TCP ones
    // accept, UDP ones no longer refuse datagrams (see readiness.ts) — checked in parallel:
    // a mixed instance (TCP and UDP to one backend) waits for both; then `ready =` and
    // `ready_delay` (ready-check.ts).
    // With ready = connect, a TCP probe that got through becomes a held client's connection
    // (releaseHeld), if one is waiting for that backend; whatever is not used by then is
    // closed. With another check the probe's connection is older than the readiness: a
    // client given it would land in the backend's "starting up" window.
    this.dropProbeConnections();
    const keep = (target: { backend: { text: string } }) => (connection: net.Socket): boolean => {
      const backend = target.backend.text;
      if (![...this.held].some((c) => c.backend.text === backend)) return false;
      const list = this.probeConnections.get(backend) ?? [];
      list.push(connection);
      this.probeConnections.set(backend, list);
      connection.on('error', () => undefined);
      return true;
    };
    const { service } = this.config;
    const wait = new ReadyWait({
      targets: readyTargets(this.config.sockets),
      check: service.ready,
      delayMs: service.readyDelayMs,
      process: this.checkProcess,
      keep,
      changed: () => this.queueStatus(),
    });
    this.readyWait = wait;
    const ready = wait.wait(signal);
    // ready → releaseHeld runs in the lifecycle's continuation; a probe that was not ready
    // in time, or a launch that no longer counts, leaves its connections to close here.
    void ready.then(
      () => setImmediate(() => this.dropProbeConnections()),
      () => this.dropProbeConnections(),
    );
    return ready;
  }

  /** UDP flows connected through to the backend (not held). */
  private openFlowCount(): number {
    return this.udp.reduce((n, u) => n + u.size, 0) - this.heldFlows.size;
  }

  /**
   * STATUS= follows every change: a new backend phase (or `now`: a reload) at once, client
   * counts at most every STATUS_INTERVAL_MS, and nothing when the text is unchanged —
   * a message per connection costs more than proxying a small request (issue 7's profile).
   */
  private queueStatus(now = false): void {
    if (this.closing) return;
    const immediate = now || this.lifecycle.phase !== this.statusPhase;
    // a phase change does not wait behind a pending client-count update
    if (immediate) {
      clearTimeout(this.statusTimer);
      this.statusTimer = undefined;
    }
    if (this.statusTimer) return;
    const wait = immediate ? 0 : this.statusSentAt + STATUS_INTERVAL_MS - performance.now();
    const send = (): void => {
      this.statusTimer = undefined;
      if (this.closing) return;
      this.statusSentAt = performance.now();
      this.statusPhase = this.lifecycle.phase;
      const text = formatStatus({
        backend: this.driver.description,
        phase: this.lifecycle.phase,
        held: this.held.size + this.heldFlows.size,
        open: this.connections.size - this.held.size + this.openFlowCount(),
        clients: this.clients.activeClients,
        idleTimeoutMs: this.config.idle.timeoutMs,
        keepalive: this.config.idle.keepalive.length > 0,
        holdingConnections: this.config.idle.connectionsCount ? this.clients.countedOpen : 0,
        waitingFor: this.waitingFor(),
      });
      if (text === this.statusText) return;
      this.statusText = text;
      this.notifier.status(text);
    };
    this.statusTimer = setTimeout(send, Math.max(0, wait));
  }

  /** While starting: what readiness waits for (undefined otherwise). */
  private waitingFor(): string | undefined {
    return this.lifecycle.phase === 'starting' ? this.readyWait?.waitingFor : undefined;
  }

  /** What `mrsocko status` shows (control/report.ts documents the fields). */
  statusReport(): StatusReport {
    const now = performance.now();
    const wall = (t: number): string => new Date(performance.timeOrigin + t).toISOString();
    const clients = this.clients.snapshot();
    let connections = 0;
    let flows = 0;
    for (const c of clients) {
      connections += c.connections;
      flows += c.flows;
    }
    const { idle } = this.config;
    return {
      version: STATUS_VERSION,
      instance: this.name,
      pid: this.pid,
      time: new Date().toISOString(),
      backend: {
        name: this.driver.description,
        state: this.lifecycle.phase,
        stateForMs: Math.round(this.lifecycle.phaseAgeMs),
        pid: this.driver.pid ?? null,
        starts: this.lifecycle.launchCount,
        waitingFor: this.waitingFor() ?? null,
      },
      idle: {
        ...explainIdle(idle, {
          phase: this.lifecycle.phase,
          phaseAgeMs: this.lifecycle.phaseAgeMs,
          remainingMs: this.idle.remainingMs(),
          countedOpen: this.clients.countedOpen,
        }),
        timeoutMs: Number.isFinite(idle.timeoutMs) ? idle.timeoutMs : null,
        keepalive: [...idle.keepalive],
      },
      totals: {
        clients: this.clients.activeClients,
        connections,
        flows,
        held: this.held.size + this.heldFlows.size,
        refused: this.refusals.total,
        evicted: this.evictions.total,
      },
      clients: clients.map((c) => ({
        address: c.address,
        connections: c.connections,
        flows: c.flows,
        bytesIn: c.bytesIn,
        bytesOut: c.bytesOut,
        firstSeen: wall(c.firstSeen),
        lastActivity: wall(c.lastActivity),
        idleMs: Math.max(0, Math.round(now - c.lastActivity)),
        counted: c.counted,
      })),
      knocked: this.knock?.list() ?? [],
    };
  }
}
