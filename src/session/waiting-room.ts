// The clients waiting for the backend, of both protocols: TCP connections accepted but not
// read, UDP flows with their datagrams queued. One index, fed from one place: each client's
// own state machine (../proxy/tcp.ts, ../proxy/udp-flow.ts) reports every phase change to
// `moved()`, and a client is here exactly while its phase is `held`. Nothing else adds or
// removes, so "waiting" has one source of truth.
//
// A waiting connection that reads ahead (the starting page; wake on data) is still a
// WaitingClient: `release` gets what it read through first. One the starting page answered
// is `answered`, so it has left the room (../session/session.ts, watchForBrowser).
import type net from 'node:net';
import type { BackendAddress } from '../config/types.js';

/** What the room needs of a waiting client (TcpConnection and UdpFlow implement it). */
export interface WaitingClient {
  readonly kind: 'connection' | 'flow';
  readonly phase: 'held' | 'connecting' | 'open' | 'answered' | 'closed';
  readonly socketName: string;
  /** `10.0.0.1:5000`, `[::1]:5000`, `local`. */
  readonly peer: string;
  /** Connect through now; a connection may be given the readiness probe's connection. */
  release(ready?: net.Socket): void;
  /** The backend will not come up: close it (a TCP client gets an RST). */
  abandon(): void;
}

/** A connection made to the backend already (the readiness probe's), for a waiting TCP client of it. */
export type ReadyConnections = (backend: BackendAddress) => net.Socket | undefined;

export class WaitingRoom<C extends WaitingClient & { readonly backend?: BackendAddress }> {
  /** In arrival order: served in that order. */
  private readonly waiting = new Set<C>();
  private connections = 0;

  /** A client's phase changed (its state machine's `moved` hook). */
  moved(client: C): void {
    const here = this.waiting.has(client);
    if (client.phase === 'held' && !here) {
      this.waiting.add(client);
      if (client.kind === 'connection') this.connections += 1;
    } else if (client.phase !== 'held' && here) {
      this.waiting.delete(client);
      if (client.kind === 'connection') this.connections -= 1;
    }
  }

  /** Every waiting client. */
  get size(): number {
    return this.waiting.size;
  }

  /** Waiting TCP connections. */
  get connectionCount(): number {
    return this.connections;
  }

  /** Waiting UDP flows. */
  get flowCount(): number {
    return this.waiting.size - this.connections;
  }

  has(client: C): boolean {
    return this.waiting.has(client);
  }

  /** Whether a TCP client waits for `backend` (a readiness probe's connection would be used). */
  wantsConnection(backend: BackendAddress): boolean {
    for (const c of this.waiting) if (c.kind === 'connection' && c.backend?.text === backend.text) return true;
    return false;
  }

  /** Serve everyone waiting, in arrival order; returns them (each has left the room). */
  releaseAll(ready: ReadyConnections): C[] {
    const list = [...this.waiting];
    for (const c of list) c.release(c.kind === 'connection' && c.backend !== undefined ? ready(c.backend) : undefined);
    return list;
  }

  /** Close everyone waiting; returns them. */
  failAll(): C[] {
    const list = [...this.waiting];
    for (const c of list) c.abandon();
    return list;
  }
}
