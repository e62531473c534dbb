// Readiness of the whole backend (./ready-check.ts): every checked backend address is up
// — TCP ones accept, UDP ones no longer refuse datagrams (./readiness.ts) — checked in
// parallel, so a mixed instance (TCP and UDP to one backend) waits for both; then
// `ready =` (http, exec) and `ready_delay`. With `ready = connect`, a TCP probe that got
// through becomes a waiting client's connection to that backend (`take`), if one waits
// for it; whatever is not taken by then is closed. With another check the probe's
// connection is older than the readiness: a client given it would land in the backend's
// "starting up" window.
//
// A new `ready =` kind is a case of ready-check.ts.
import type net from 'node:net';
import type { BackendAddress, ServiceConfig, SocketConfig } from '../config/types.js';
import { ReadyWait, type CheckProcess, type NotifyState } from './ready-check.js';
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
    for (const list of this.kept.values()) for (const socket of list) socket.destroy();
    this.kept.clear();
  }
}
