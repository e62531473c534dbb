// One proxied stream connection, from accept to release. The client side (downstream) is
// accepted paused, so nothing is read while it is held; once the backend is up an upstream
// connection is made and bytes are pumped both ways with backpressure and half-close.
import net from 'node:net';
import type { BackendAddress } from '../config/types.js';
import { connectOptions } from '../backend/readiness.js';
import type { ClientAccounting } from '../session/clients.js';

export type ConnectionPhase = 'held' | 'connecting' | 'open' | 'closed';

export interface ConnectionHooks {
  /**
   * The upstream connection could not be made. 'hold' keeps the client waiting (still
   * unread) for a later connect(); 'close' closes it.
   */
  connectFailed(connection: TcpConnection, error: NodeJS.ErrnoException): 'hold' | 'close';
  error(connection: TcpConnection, side: 'client' | 'backend', error: Error): void;
  /** Both sides are closed; called exactly once. */
  released(connection: TcpConnection): void;
}

export class TcpConnection {
  phase: ConnectionPhase = 'held';
  /** client → backend */
  bytesIn = 0;
  /** backend → client */
  bytesOut = 0;
  readonly openedAt = performance.now();
  readonly peer: string;
  private upstream: net.Socket | undefined;

  constructor(
    readonly socketName: string,
    readonly client: net.Socket,
    private readonly backend: BackendAddress,
    private readonly hooks: ConnectionHooks,
    /** The client's accounting (bytes per chunk, the hot path); closed on release. */
    readonly accounting: ClientAccounting,
  ) {
    this.peer = describePeer(client);
    client.on('error', (err) => this.fail('client', err));
    client.once('close', () => this.sideClosed());
  }

  /** The backend accepts connections: connect through and start pumping. */
  connect(): void {
    if (this.phase !== 'held') return;
    this.phase = 'connecting';
    const upstream = net.connect({ ...connectOptions(this.backend), allowHalfOpen: true });
    this.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.once('connect', () => {
      if (this.phase !== 'connecting') return;
      this.phase = 'open';
      this.client.setNoDelay(true);
      pump(this.client, upstream, (n) => {
        this.bytesIn += n;
        this.accounting.addIn(n);
      });
      pump(upstream, this.client, (n) => {
        this.bytesOut += n;
        this.accounting.addOut(n);
      });
      this.client.resume();
    });
    upstream.on('error', (err) => {
      if (this.phase !== 'connecting') return this.fail('backend', err);
      if (this.hooks.connectFailed(this, err) === 'close') return this.close();
      upstream.removeAllListeners();
      upstream.on('error', () => undefined);
      upstream.destroy();
      this.upstream = undefined;
      this.phase = 'held';
    });
    upstream.once('close', () => this.sideClosed());
  }

  /**
   * Close both sides now (backend gone, shutdown). `reset` sends the client an RST instead
   * of a FIN, so that a client whose backend could not be started sees an error, not an
   * empty answer.
   */
  close(reset = false): void {
    if (this.phase === 'closed') return;
    if (reset && !this.client.destroyed) this.client.resetAndDestroy();
    else this.client.destroy();
    this.upstream?.destroy();
  }

  private fail(side: 'client' | 'backend', err: Error): void {
    if (this.phase === 'closed') return;
    this.hooks.error(this, side, err);
    this.close();
  }

  /** One side is fully closed (both directions done, or destroyed). */
  private sideClosed(): void {
    if (this.phase === 'closed') return;
    const upstream = this.upstream;
    if (this.client.destroyed && (upstream === undefined || upstream.destroyed)) {
      this.phase = 'closed';
      this.accounting.close();
      this.hooks.released(this);
      return;
    }
    const survivor = this.client.destroyed ? (upstream as net.Socket) : this.client;
    if (this.phase !== 'open') {
      survivor.destroy();
      return;
    }
    // The other side has nobody left to talk to: let it flush what it was sending, then go.
    if (survivor.writableFinished) survivor.destroy();
    else {
      survivor.once('finish', () => survivor.destroy());
      survivor.end();
    }
  }
}

/**
 * Copy `from` → `to` with backpressure; `from`'s end becomes `to`'s end (half-close).
 * One closure per direction per connection, none per chunk.
 */
function pump(from: net.Socket, to: net.Socket, count: (bytes: number) => void): void {
  from.on('data', (chunk: Buffer) => {
    count(chunk.length);
    if (!to.write(chunk)) from.pause();
  });
  to.on('drain', () => from.resume());
  from.once('end', () => to.end());
}

export function describePeer(socket: net.Socket): string {
  const { remoteAddress, remotePort } = socket;
  if (remoteAddress === undefined) return 'local';
  return remoteAddress.includes(':') ? `[${remoteAddress}]:${remotePort}` : `${remoteAddress}:${remotePort}`;
}
