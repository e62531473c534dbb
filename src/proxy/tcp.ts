// One proxied stream connection, from accept to release. The client side (downstream) is
// accepted paused, so nothing is read while it is held; once the backend is up an upstream
// connection is made and bytes are pumped both ways with backpressure and half-close.
import net from 'node:net';
import type { BackendAddress } from '../config/types.js';
import { connectOptions } from '../backend/readiness.js';
import type { ClientAccounting } from '../session/clients.js';
import { createPipe } from './splice-pipe.js';
import { canUseOwnBuffers, useOwnBuffers, type ReadBuffers } from './read-buffers.js';

export type ConnectionPhase = 'held' | 'connecting' | 'open' | 'closed';

/**
 * A connection through to a backend that is going away may be held for the restart when
 * nothing went through it yet and it is this young (a client that just arrived, not a
 * silent one that would otherwise restart the backend at every idle stop).
 */
const REQUEUE_WITHIN_MS = 1000;

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
  private stopPumping: (() => void) | undefined;
  private flushPumps: (() => void) | undefined;

  constructor(
    readonly socketName: string,
    readonly client: net.Socket,
    readonly backend: BackendAddress,
    private readonly hooks: ConnectionHooks,
    /** The client's accounting (bytes per chunk, the hot path); closed on release. */
    readonly accounting: ClientAccounting,
    /** Where the bytes of every connection of this daemon are read into. */
    private readonly buffers: ReadBuffers,
  ) {
    this.peer = describePeer(client);
    client.on('error', (err) => this.fail('client', err));
    client.once('close', () => this.sideClosed());
  }

  /**
   * The backend accepts connections: connect through and start pumping. `ready` is a
   * connection to the backend made already (the readiness probe's), used instead of a new one.
   */
  connect(ready?: net.Socket): void {
    if (this.phase !== 'held') {
      ready?.destroy();
      return;
    }
    // one the backend closed meanwhile (it may wait for a slower UDP probe) is not used
    const connected = ready !== undefined && !ready.destroyed && ready.writable ? ready : undefined;
    if (connected === undefined) ready?.destroy();
    this.phase = 'connecting';
    const toBackend = createPipe(this.buffers, (n) => {
      this.bytesIn += n;
      this.accounting.addIn(n);
    });
    const toClient = createPipe(this.buffers, (n) => {
      this.bytesOut += n;
      this.accounting.addOut(n);
    });
    const upstream = connected ?? net.connect({
      ...connectOptions(this.backend),
      allowHalfOpen: true,
      noDelay: true,
      onread: { buffer: toClient.source, callback: toClient.onRead },
    });
    this.upstream = upstream;
    const open = (): void => {
      if (this.phase !== 'connecting') return;
      this.phase = 'open';
      const client = this.client;
      client.setNoDelay(true);
      const ownBuffers = canUseOwnBuffers(client);
      if (ownBuffers) useOwnBuffers(client, toBackend.source, toBackend.onRead);
      toBackend.start(client, upstream, ownBuffers);
      // an adopted connection may have read already: it keeps Node's reads ('data')
      toClient.start(upstream, client, connected === undefined);
      this.stopPumping = () => {
        toBackend.stop();
        toClient.stop();
      };
      this.flushPumps = () => {
        toBackend.flush();
        toClient.flush();
      };
      client.resume();
    };
    if (connected === undefined) upstream.once('connect', open);
    else {
      connected.allowHalfOpen = true;
      connected.setNoDelay(true);
      open();
    }
    upstream.on('error', (err) => {
      if (this.phase !== 'connecting') return this.fail('backend', err);
      if (this.hooks.connectFailed(this, err) === 'close') return this.close();
      this.abandonUpstream();
    });
    upstream.once('close', () => this.sideClosed());
  }

  /** Bytes moved and not counted yet (the native data path counts at most every REPORT_MS), counted now. */
  flushCounts(): void {
    this.flushPumps?.();
  }

  /**
   * Back to held, if nothing went through yet (upstream still connecting, or just connected
   * with no byte either way): it will be connected again later. False when it is past that.
   */
  requeue(): boolean {
    const untouched = this.phase === 'open' && this.bytesIn === 0 && this.bytesOut === 0 &&
      performance.now() - this.openedAt < REQUEUE_WITHIN_MS;
    if (this.phase !== 'connecting' && !untouched) return false;
    this.client.pause();
    this.stopPumping?.();
    this.stopPumping = undefined;
    this.abandonUpstream();
    return true;
  }

  private abandonUpstream(): void {
    const upstream = this.upstream;
    if (upstream) {
      upstream.removeAllListeners();
      upstream.on('error', () => undefined);
      upstream.destroy();
    }
    this.upstream = undefined;
    this.phase = 'held';
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
      this.stopPumping?.();
      this.stopPumping = undefined;
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

export function describePeer(socket: net.Socket): string {
  const { remoteAddress, remotePort } = socket;
  if (remoteAddress === undefined) return 'local';
  return remoteAddress.includes(':') ? `[${remoteAddress}]:${remotePort}` : `${remoteAddress}:${remotePort}`;
}
