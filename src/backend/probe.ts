// Readiness of the whole backend (./ready-check.ts): every checked backend address is up
// — TCP ones accept, UDP ones no longer refuse datagrams (./readiness.ts) — checked in
// parallel, so a mixed instance (TCP and UDP to one backend) waits for both; then
// `ready =` (http, exec) and `ready_delay`. With `ready = connect`, a TCP probe that got
// through becomes a waiting client's connection to that backend (`take`), if one waits
// for it; whatever is not taken by then is closed. With another check the probe's
// connection is older than the readiness: a client given it would land in the backend's
// "starting up" window.
//
// A backend that reads the PROXY protocol (`proxy_protocol =`) logs a connection closed
// before its header as broken (nginx: "closed connection while reading PROXY protocol",
// HAProxy: "Connection closed while waiting for PROXY protocol header"): a probe's
// connection that is not handed on says who it is first — v2 `LOCAL` (a health check, by
// the protocol's own definition), v1 `UNKNOWN` — and then ends. One handed to a client gets
// that client's header (../proxy/tcp.ts).
//
// A new `ready =` kind is a case of ready-check.ts.
import type net from 'node:net';
import type { BackendAddress, ProxyProtocol, ServiceConfig, SocketConfig } from '../config/types.js';
import { localHeader, proxyHeader } from '../net/proxy-header.js';
import { ReadyWait, type CheckProcess, type NotifyState, type ReadyTarget } from './ready-check.js';
import { readyTargets, startTimeoutReason } from './ready-targets.js';

export interface ProbeOptions {
  sockets: readonly SocketConfig[];
  service: ServiceConfig;
  /** How a `ready = exec` command runs (as the backend). */
  process: CheckProcess;
  /** Whether a TCP client waits for this backend (then a probe's connection is kept for it). */
  wanted(backend: BackendAddress): boolean;
  /** What the wait waits for changed (for STATUS=). */
  changed(): void;
  /** `ready = notify`: the current start's notify socket (the driver's). */
  notify?(): NotifyState | undefined;
}

/** How long a probe's closing connection waits for the backend to close its side. */
const FAREWELL_MS = 2_000;

export class ReadinessProbe {
  /** Probes' connections that got through, per backend, until a waiting client takes one. */
  private readonly kept = new Map<string, net.Socket[]>();
  /** The current launch's wait (what `status` says it waits for). */
  private current: ReadyWait | undefined;

  constructor(private readonly o: ProbeOptions) {}

  /** Resolves once the backend is ready; rejects when `signal` aborts. */
  probe(signal: AbortSignal): Promise<void> {
    this.drop();
    const keep = (target: { backend: BackendAddress }) => (connection: net.Socket): boolean => {
      if (!this.o.wanted(target.backend)) return false;
      const list = this.kept.get(target.backend.text) ?? [];
      list.push(connection);
      this.kept.set(target.backend.text, list);
      connection.on('error', () => undefined);
      return true;
    };
    const { service } = this.o;
    const wait = new ReadyWait({
      targets: readyTargets(this.o.sockets),
      check: service.ready,
      delayMs: service.readyDelayMs,
      process: this.o.process,
      keep,
      closeProbe: (target) => this.closeProbe(target),
      changed: () => this.o.changed(),
      notify: () => this.o.notify?.(),
    });
    this.current = wait;
    const ready = wait.wait(signal);
    // ready → the waiting clients are released in the lifecycle's continuation; a probe that
    // was not ready in time, or a launch that no longer counts, leaves its connections to close here.
    void ready.then(
      () => setImmediate(() => this.drop()),
      () => this.drop(),
    );
    return ready;
  }

  /** What the current wait still waits for, in words (undefined once none runs). */
  get waitingFor(): string | undefined {
    return this.current?.waitingFor;
  }

  /** Why start_timeout ran out, naming what readiness still waited for. */
  timeoutReason(ms: number): string {
    return startTimeoutReason(ms, { sockets: this.o.sockets }, this.current);
  }

  /** The backend left `starting`: a wait from an earlier start says nothing about the next. */
  forget(): void {
    this.current = undefined;
  }

  /** A kept connection to `backend`, if any is left. */
  take(backend: BackendAddress): net.Socket | undefined {
    return this.kept.get(backend.text)?.pop();
  }

  /** Close whatever was kept and not taken. */
  drop(): void {
    for (const [backend, list] of this.kept) {
      const close = this.closer(this.o.sockets.find((s) => s.protocol === 'tcp' && s.backend.text === backend)?.proxyProtocol ?? 'off');
      for (const socket of list) close(socket);
    }
    this.kept.clear();
  }

  /** How a probe's connection to `target` that no client takes is closed (undefined: destroyed). */
  private closeProbe(target: ReadyTarget): ((connection: net.Socket) => void) | undefined {
    const version = this.o.sockets.find((s) => s.name === target.sockets[0])?.proxyProtocol ?? 'off';
    return version === 'off' ? undefined : this.closer(version);
  }

  private closer(version: ProxyProtocol): (connection: net.Socket) => void {
    if (version === 'off') return (connection) => connection.destroy();
    const header = version === 'v2' ? localHeader() : proxyHeader('v1', { address: undefined, port: undefined }, { address: undefined, port: undefined });
    return (connection) => {
      connection.on('error', () => undefined);
      // the backend closes its side once it has read the header and the end; not one that never does
      connection.setTimeout(FAREWELL_MS, () => connection.destroy());
      connection.once('close', () => connection.setTimeout(0));
      connection.resume();
      connection.end(header);
    };
  }
}
