// The daemon: sockets in → held or proxied connections → backend lifecycle → idle stop.
// No global state: everything hangs off one Daemon object, so tests can run several.
import net from 'node:net';
import type { Config } from './config/types.js';
import type { Logger } from './log/logger.js';
import type { Notifier } from './systemd/notify.js';
import { withoutListenEnv, withoutNotifyEnv } from './systemd/listen-fds.js';
import { BackendLifecycle, type BackendPhase } from './backend/lifecycle.js';
import type { BackendDriver } from './backend/driver.js';
import { ExecBackend } from './backend/exec.js';
import { SystemctlBackend } from './backend/systemctl.js';
import { waitUntilAccepting } from './backend/readiness.js';
import { IdleTimer } from './idle/idle-timer.js';
import { TcpConnection, type ConnectionHooks } from './proxy/tcp.js';
import { openListeners, type Listener } from './proxy/listeners.js';
import { formatTimespan } from './config/timespan.js';
import { formatStatus } from './status-line.js';

export interface DaemonOptions {
  config: Config;
  logger: Logger;
  notifier: Notifier;
  /** The environment to read LISTEN_* from and to build the backend's environment from. */
  env?: NodeJS.ProcessEnv;
  pid?: number;
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
  /** Every connection not yet released, held ones included. */
  private readonly connections = new Set<TcpConnection>();
  private closing: Promise<void> | undefined;
  private statusQueued = false;

  constructor(options: DaemonOptions) {
    this.config = options.config;
    this.log = options.logger;
    this.notifier = options.notifier;
    this.env = options.env ?? process.env;
    this.pid = options.pid ?? process.pid;
    this.driver = this.createDriver();
    this.idle = new IdleTimer(this.config.idle.timeoutMs, (ms) => this.onIdle(ms));
    this.lifecycle = new BackendLifecycle(
      this.driver,
      { startTimeoutMs: this.config.service.startTimeoutMs, probe: (signal) => this.probe(signal) },
      {
        releaseHeld: () => this.releaseHeld(),
        failHeld: () => this.closeAll(this.held, true),
        closeClients: () => this.closeAll(this.connections),
        phaseChanged: (phase) => this.phaseChanged(phase),
        log: this.lifecycleLog(),
      },
    );
  }

  /** Adopt or bind the sockets and start serving. Resolves once READY=1 was sent. */
  async start(): Promise<void> {
    const { listeners, mode, notes } = await openListeners(this.config, this.env, this.pid, (listener, socket) =>
      this.accept(listener, socket),
    );
    this.listeners = listeners;
    for (const note of notes) this.log.warning(note);
    for (const l of listeners) {
      this.log.event({ kind: 'listening', socket: l.config.name, address: l.address, adopted: l.adopted, backlog: l.backlog });
    }
    this.log.event({ kind: 'ready', sockets: listeners.length, mode });
    this.notifier.ready();
    this.queueStatus();
  }

  /** Stop accepting, close clients, stop the backend if we started it. Idempotent. */
  stop(): Promise<void> {
    this.closing ??= (async () => {
      this.notifier.stopping();
      for (const l of this.listeners) l.server.close();
      this.closeAll(this.connections);
      this.idle.stop();
      await this.lifecycle.shutdown();
      this.notifier.status('Stopped');
    })();
    return this.closing;
  }

  /**
   * Apply a re-read configuration. [idle] and [log] apply at once (the caller reconfigures
   * the logger); sockets and [service] need a restart. Returns a summary for the log.
   */
  reload(next: Config): string {
    const restartNeeded: string[] = [];
    if (JSON.stringify(next.sockets) !== JSON.stringify(this.config.sockets)) restartNeeded.push('[socket.*]');
    if (JSON.stringify(next.service) !== JSON.stringify(this.config.service)) restartNeeded.push('[service]');
    this.config = { ...next, sockets: this.config.sockets, service: this.config.service };
    this.idle.setTimeoutMs(next.idle.timeoutMs);
    this.queueStatus();
    return restartNeeded.length === 0
      ? 'idle, access and log settings applied'
      : `idle, access and log settings applied; changes to ${restartNeeded.join(' and ')} take effect after a restart`;
  }

  /** Where each socket listens (bound addresses resolved, e.g. port 0). */
  get addresses(): { name: string; address: string }[] {
    return this.listeners.map((l) => ({ name: l.config.name, address: l.address }));
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

  private accept(listener: Listener, socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const connection = new TcpConnection(listener.config.name, socket, listener.config.backend, this.connectionHooks);
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

  private readonly connectionHooks: ConnectionHooks = {
    activity: () => this.idle.touch(),
    connectFailed: (c, error) => {
      this.log.event({
        kind: 'backend-connect-failed',
        socket: c.socketName,
        client: c.peer,
        backend: this.config.sockets.find((s) => s.name === c.socketName)?.backend.text ?? '?',
        error: error.message,
      });
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
      if (this.config.idle.connectionsCount) this.idle.touch();
      this.queueStatus();
    },
  };

  private releaseHeld(): number {
    const count = this.held.size;
    for (const c of this.held) c.connect();
    this.held.clear();
    return count;
  }

  private closeAll(set: Set<TcpConnection>, reset = false): number {
    const list = [...set];
    for (const c of list) c.close(reset);
    return list.length;
  }

  private onIdle(idleForMs: number): void {
    const { idle } = this.config;
    const open = this.connections.size - this.held.size;
    if (idle.connectionsCount && open > 0) {
      this.idle.start();
      return;
    }
    const runningFor = this.lifecycle.phaseAgeMs;
    if (runningFor < idle.minRuntimeMs) {
      this.idle.start();
      return;
    }
    const rounded = idleForMs >= 1000 ? Math.round(idleForMs / 1000) * 1000 : Math.round(idleForMs);
    this.lifecycle.idle(`no traffic for ${formatTimespan(rounded)}`);
  }

  private phaseChanged(phase: BackendPhase): void {
    if (phase === 'running') this.idle.start();
    else this.idle.stop();
    this.queueStatus();
  }

  private probe(signal: AbortSignal): Promise<void> {
    // Every TCP backend must accept; the first socket's backend is the one we wait for
    // before releasing anyone, and the others are checked in parallel.
    const backends = new Map(this.config.sockets.filter((s) => s.protocol === 'tcp').map((s) => [s.backend.text, s.backend]));
    return Promise.all([...backends.values()].map((b) => waitUntilAccepting(b, signal))).then(() => undefined);
  }

  private createDriver(): BackendDriver {
    const { service } = this.config;
    const env = withoutNotifyEnv(withoutListenEnv(this.env));
    if (service.mode === 'unit') return new SystemctlBackend({ unit: service.unit, env });
    return new ExecBackend({
      argv: service.exec,
      env,
      cwd: service.directory,
      stopTimeoutMs: service.stopTimeoutMs,
      output: (stream, line, pid) =>
        this.log.event({ kind: 'backend-output', backend: `${this.driver.description}[${pid}]`, stream, line }),
    });
  }

  private lifecycleLog() {
    const backend = (): string => this.driver.description;
    return {
      start: (trigger: string) => this.log.event({ kind: 'backend-start', backend: backend(), trigger }),
      launched: (pid: number | undefined) => this.log.event({ kind: 'backend-launched', backend: backend(), pid }),
      ready: (ms: number, released: number) => this.log.event({ kind: 'backend-ready', backend: backend(), ms, released }),
      startFailed: (reason: string, closed: number) =>
        this.log.event({ kind: 'backend-start-failed', backend: backend(), reason, closed }),
      stop: (reason: string) => this.log.event({ kind: 'backend-stop', backend: backend(), reason }),
      stopped: (ms: number) => this.log.event({ kind: 'backend-stopped', backend: backend(), ms }),
      stopProblem: (problem: string) => this.log.event({ kind: 'backend-stop-problem', backend: backend(), problem }),
      exited: (status: string, closed: number) => this.log.event({ kind: 'backend-exited', backend: backend(), status, closed }),
    } as const;
  }

  /** STATUS= follows every change, coalesced to once per event-loop turn. */
  private queueStatus(): void {
    if (this.statusQueued || this.closing) return;
    this.statusQueued = true;
    setImmediate(() => {
      this.statusQueued = false;
      if (this.closing) return;
      this.notifier.status(
        formatStatus({
          backend: this.driver.description,
          phase: this.lifecycle.phase,
          held: this.held.size,
          open: this.connections.size - this.held.size,
          idleTimeoutMs: this.config.idle.timeoutMs,
        }),
      );
    });
  }
}
