// The daemon only wires. Data flows one way:
//   sockets (proxy/listeners.ts) → admission (access/) → session (session/: waiting room,
//   connections and flows) → backend lifecycle (backend/lifecycle*.ts) → pipes (proxy/)
// with the idle policy (idle/policy.ts), readiness probing (backend/probe.ts) and the
// STATUS= text (status/) beside it. No global state: everything hangs off one Daemon
// object, so tests can run several.
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import type { Config } from './config/types.js';
import type { Logger } from './log/logger.js';
import { guardNotifier, type Notifier } from './systemd/notify.js';
import { blockedReason, type BackendPhase } from './backend/lifecycle.js';
import { BackendLifecycle } from './backend/lifecycle-runner.js';
import type { BackendDriver } from './backend/driver.js';
import { checkProcess, createDriver } from './backend/create.js';
import { ReadinessProbe } from './backend/probe.js';
import { IdlePolicy } from './idle/policy.js';
import { openListeners, stopAccepting, type Listener } from './proxy/listeners.js';
import type { AcceptedSocket } from './proxy/relay.js';
import { dataPath, describeDataPath } from './proxy/data-path.js';
import { describeUdpDataPath } from './proxy/udp-upstream.js';
import { StatusUpdates } from './status/status-updates.js';
import { buildStatusLine, buildStatusReport, type StatusParts } from './status/snapshot.js';
import { AccessPolicy } from './access/admission.js';
import { Gate } from './access/gate.js';
import { ClientTable } from './session/clients.js';
import { Session } from './session/session.js';
import { ControlServer } from './control/server.js';
import { KnockGate } from './access/knock/gate.js';
import type { ClientAddress } from './net/address.js';
import type { StatusReport } from './control/report.js';
import { ManualControl } from './control/commands.js';
import type { DaemonEvents, DaemonOptions } from './daemon-options.js';

export class Daemon {
  private config: Config;
  private readonly log: Logger;
  private readonly notifier: Notifier;
  private readonly env: NodeJS.ProcessEnv;
  private readonly pid: number;
  private readonly lifecycle: BackendLifecycle;
  private readonly driver: BackendDriver;
  private readonly idle: IdlePolicy;
  private readonly probe: ReadinessProbe;
  private readonly session: Session;
  private readonly status: StatusUpdates;
  private listeners: Listener[] = [];
  private readonly onExitRequest: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  private readonly name: string;
  /** Per-client accounting: open connections/flows, bytes, last activity, counted or not. */
  private readonly clients: ClientTable;
  /** [access] and [idle] keepalive, decided per connection or flow at accept. */
  private readonly gate: Gate;
  private readonly control: ControlServer | undefined;
  /** mrsocko start/stop/hold/release (control/commands.ts). */
  private readonly manual: ManualControl;
  /** [knock]: its sockets and who knocked (src/access/knock/gate.ts). */
  private readonly knock: KnockGate | undefined;
  /** The phase the lifecycle last reported (it also reports holds and blocks). */
  private lastPhase: BackendPhase = 'stopped';
  private readonly isKnocked = (address: ClientAddress): boolean => this.knock?.isKnocked(address) ?? false;
  /** Phase changes and releases, for whoever waits on them (see DaemonEvents). */
  readonly events = new EventEmitter<DaemonEvents>();

  constructor(options: DaemonOptions) {
    this.config = options.config;
    this.log = options.logger;
    // A failing notification is logged, never thrown into start, status updates or stop.
    this.notifier = guardNotifier(options.notifier, (level, message) => this.log[level](message));
    this.env = options.env ?? process.env;
    this.pid = options.pid ?? process.pid;
    this.onExitRequest = options.onExitRequest;
    this.driver = createDriver(this.config.service, this.env, this.log);
    this.name = options.name ?? (this.config.file.split('/').pop() ?? 'mrsocko').replace(/\.conf$/, '');
    const { knock } = this.config;
    this.knock = knock !== undefined
      ? new KnockGate({ ...this.config, knock }, { emit: (event) => this.log.event(event), refused: (...args) => this.gate.refuse(...args) })
      : undefined;
    this.clients = new ClientTable({
      counts: (address) => this.gate.policy.keepsAlive(address),
      activity: (at, n) => this.idle.touch(at, n),
    });
    this.gate = new Gate({
      policy: new AccessPolicy(this.config.access, this.config.idle, this.isKnocked),
      clients: this.clients,
      emit: (event) => this.log.event(event),
      backendWanted: () => ['running', 'starting', 'frozen', 'thawing'].includes(this.lifecycle.phase),
      blocked: () => {
        const block = this.lifecycle.block;
        return block !== undefined ? blockedReason(block) : undefined;
      },
    });
    this.control = options.controlSocket !== undefined
      ? new ControlServer(options.controlSocket, () => this.statusReport(), (event) => this.log.event(event),
        (request, by) => this.manual.run(request, by))
      : undefined;
    this.probe = new ReadinessProbe({
      sockets: this.config.sockets,
      service: this.config.service,
      process: checkProcess(this.config.service, this.env),
      wanted: (backend) => this.session.waiting.wantsConnection(backend),
      changed: () => this.status.queue(),
      notify: () => this.driver.notify,
    });
    this.lifecycle = new BackendLifecycle(this.driver, {
      startTimeoutMs: this.config.service.startTimeoutMs,
      probe: (signal) => this.probe.probe(signal),
      timeoutReason: (ms) => this.probe.timeoutReason(ms),
      followOutsideStarts: () => !this.closing && !this.idle.exiting,
      clients: {
        releaseHeld: () => {
          const released = this.session.releaseHeld();
          this.probe.drop();
          this.events.emit('released', released);
          return released;
        },
        failHeld: () => this.session.failHeld(),
        closeClients: () => this.session.closeClients(),
      },
      log: (event) => this.log.event(event),
      changed: (state) => {
        if (state.phase !== this.lastPhase) this.phaseChanged(state.phase);
        else {
          this.idle.manualChanged();
          this.status.queue();
        }
      },
    });
    this.manual = new ManualControl({
      lifecycle: this.lifecycle, backend: this.driver.description, events: this.events, closing: () => this.closing !== undefined,
    });
    this.session = new Session({
      name: this.name,
      sockets: this.config.sockets,
      backend: this.lifecycle,
      log: this.log,
      closed: (counted, kind) => this.idle.clientClosed(counted, kind),
      changed: () => this.status.queue(),
      readyConnection: (backend) => this.probe.take(backend),
      admitFlow: (proxy, address, port) => !this.closing && !this.idle.exiting && this.gate.flow(proxy.name, address, port, this.socketCounts(proxy.name)),
      // admitFlow said yes in this same turn: account for the flow before anything else
      flowOpened: (flow) => this.gate.openFlow(flow.address, this.socketCounts(flow.socketName)),
      wakeOn: () => this.config.access.wakeOn,
      startTimeoutMs: this.config.service.startTimeoutMs,
      silent: (...args) => this.gate.silentConnection(...args),
    });
    this.idle = new IdlePolicy({
      config: () => this.config.idle,
      lifecycle: this.lifecycle,
      countedOpen: () => this.clients.countedOpen,
      openClients: () => this.session.openCount,
      exit: () => this.exitWhenIdle(),
    });
    this.status = new StatusUpdates(
      {
        key: () => `${this.lifecycle.phase} ${this.lifecycle.retry !== undefined} ${this.lifecycle.hold?.until} ${this.lifecycle.block?.until}`,
        text: () => buildStatusLine(this.statusParts()),
      },
      (text) => this.notifier.status(text),
    );
  }

  /** Adopt or bind the sockets and start serving. Resolves once READY=1 was sent. */
  async start(): Promise<void> {
    const { listeners, datagram, mode, notes, reserved } = await openListeners(this.config, this.env, this.pid, {
      connection: (listener, socket) => this.accept(listener, socket),
      datagramSocket: (listener) => this.session.addDatagramSocket(listener),
      acceptError: (listener, error) => this.log.event({ kind: 'socket-error', socket: listener.config.name, error: error.message }),
      relay: dataPath.relay,
    }, this.knock?.reserved);
    this.listeners = listeners;
    await this.knock?.open(reserved);
    for (const note of notes) this.log.warning(note);
    for (const l of listeners) this.log.event({ kind: 'listening', socket: l.config.name, address: l.address, adopted: l.adopted, backlog: l.backlog });
    for (const d of datagram) this.log.event({ kind: 'listening', socket: d.config.name, address: d.address, adopted: d.adopted, protocol: 'udp' });
    await this.control?.start();
    this.lifecycle.watchOutsideStarts();
    this.log.event({ kind: 'data-path', description: describeDataPath(dataPath) });
    if (datagram.length > 0) this.log.event({ kind: 'data-path', description: describeUdpDataPath(dataPath) });
    this.log.event({ kind: 'ready', sockets: listeners.length + datagram.length, mode });
    // After the next poll: the client that woke mrsocko is let in before libsystemd loads.
    setImmediate(() => (this.notifier.ready(), this.status.queue()));
  }

  /** Stop accepting, close clients, stop the backend if we started it. Idempotent. */
  stop(): Promise<void> {
    this.closing ??= (async () => {
      this.notifier.stopping();
      for (const l of this.listeners) stopAccepting(l);
      this.session.close();
      this.knock?.close();
      this.gate.shutdown();
      this.control?.close();
      this.idle.stop();
      this.status.stop();
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
    this.idle.reload(next.idle);
    this.gate.update(policy);
    this.clients.recount((address) => this.gate.policy.keepsAlive(address));
    this.status.queue(true);
    return restartNeeded.length === 0
      ? 'idle, access and log settings applied'
      : `idle, access and log settings applied; changes to ${restartNeeded.join(' and ')} take effect after a restart`;
  }

  /** Where each socket listens (bound addresses resolved, e.g. port 0). */
  get addresses(): { name: string; address: string }[] {
    return [
      ...this.listeners.map((l) => ({ name: l.config.name, address: l.address })),
      ...this.session.udpProxies.map((u) => ({ name: u.name, address: u.listener.address })),
      ...(this.knock?.addresses ?? []),
    ];
  }

  get backendPhase(): BackendPhase { return this.lifecycle.phase; }

  /** How many times the backend was launched since start. */
  get backendStarts(): number { return this.lifecycle.launchCount; }

  get backendPid(): number | undefined { return this.driver.pid; }

  /** UDP figures since start: flows now (held ones too), datagrams queued now, and dropped. */
  get udpStats(): Session['udpStats'] { return this.session.udpStats; }

  /** sockets → admission → session. */
  private accept(listener: Listener, socket: net.Socket | AcceptedSocket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const { name, listen, counts } = listener.config;
    const accounting = this.gate.connection(socket, name, listen.kind === 'unix', counts);
    if (accounting !== undefined) this.session.addConnection(listener, socket, accounting);
  }

  /** `[socket.NAME] counts =` (sockets do not change without a restart). */
  private socketCounts(name: string): boolean {
    return this.config.sockets.find((s) => s.name === name)?.counts ?? true;
  }

  private phaseChanged(phase: BackendPhase): void {
    this.lastPhase = phase;
    this.idle.phaseChanged(phase);
    // nothing to proxy until the next start: the spare read slots (up to 4 MiB) go back
    if (phase === 'stopped') this.session.dropSpareBuffers();
    // a wait from an earlier start says nothing about the next one (nor its back-off)
    if (phase !== 'starting') this.probe.forget();
    this.status.queue();
    this.events.emit('phase', phase);
  }

  /** `[idle] exit = yes`, and nothing runs and nobody is connected: leave; systemd keeps listening. */
  private exitWhenIdle(): void {
    if (this.closing) return;
    this.log.event({ kind: 'backend-idle-exit' });
    // Stop accepting now, in this same turn, so no connection slips in between; datagrams
    // not read yet stay in systemd's copy of the socket and wake the next mrsocko.
    for (const l of this.listeners) stopAccepting(l);
    this.session.closeDatagramSockets();
    this.knock?.close();
    this.onExitRequest?.();
  }

  /** What `mrsocko status` shows (control/report.ts documents the fields). */
  statusReport(): StatusReport {
    this.session.flushCounts();
    return buildStatusReport(this.statusParts());
  }

  private statusParts(): StatusParts {
    const { name: instance, pid, driver, lifecycle, idle, clients, session } = this;
    const waitingFor = lifecycle.phase === 'starting' ? this.probe.waitingFor : undefined;
    return {
      instance, pid, driver, lifecycle, idleConfig: this.config.idle, idle, clients, waiting: session.waiting.size, connected: session.connectedCount, waitingFor,
      refused: this.gate.refused, evicted: this.gate.evicted, silent: this.gate.silent, knocked: this.knock?.list() ?? [],
      hold: lifecycle.hold, block: lifecycle.block,
    };
  }
}
