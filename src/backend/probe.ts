// Readiness of the whole backend: every backend address of the instance must be up before
// anyone is released — TCP ones accept, UDP ones no longer refuse datagrams (see
// ./readiness.ts) — checked in parallel, so a mixed instance (TCP and UDP to one backend)
// waits for both. A TCP probe that got through becomes a waiting client's connection to
// that backend (`take`), if one waits for it; whatever is not taken by then is closed.
//
// Where the next strategies go: `ready = http://…` and `ready = exec …` run after (not
// instead of) the port checks, as another step of probe(); `ready_delay` is a last sleep
// on the same signal; a sd_notify READY=1 from an exec backend resolves it instead.
import type net from 'node:net';
import type { BackendAddress, SocketConfig } from '../config/types.js';
import { waitUntilAccepting, waitUntilUdpBound } from './readiness.js';

export class ReadinessProbe {
  /** Probes' connections that got through, per backend, until a waiting client takes one. */
  private readonly kept = new Map<string, net.Socket[]>();

  constructor(
    private readonly sockets: readonly SocketConfig[],
    /** Whether a TCP client waits for this backend (then a probe's connection is kept for it). */
    private readonly wanted: (backend: BackendAddress) => boolean,
  ) {}

  /** Resolves once every backend address is up; rejects when `signal` aborts. */
  probe(signal: AbortSignal): Promise<void> {
    const backends = new Map(this.sockets.map((s) => [`${s.protocol} ${s.backend.text}`, s]));
    this.drop();
    const keep = (backend: BackendAddress) => (connection: net.Socket): boolean => {
      if (!this.wanted(backend)) return false;
      const list = this.kept.get(backend.text) ?? [];
      list.push(connection);
      this.kept.set(backend.text, list);
      connection.on('error', () => undefined);
      return true;
    };
    const ready = Promise.all(
      [...backends.values()].map((s) =>
        s.protocol === 'udp' ? waitUntilUdpBound(s.backend, signal) : waitUntilAccepting(s.backend, signal, keep(s.backend)),
      ),
    ).then(() => undefined);
    // ready → the waiting clients are released in the lifecycle's continuation; a probe that
    // was not ready in time, or a launch that no longer counts, leaves its connections to close here.
    void ready.then(
      () => setImmediate(() => this.drop()),
      () => this.drop(),
    );
    return ready;
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
