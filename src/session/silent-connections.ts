// `wake_on = data`: a connection held while the backend is down demands it only once it has
// sent a byte. Until then it is a silent one, kept here with the timer that closes it at
// start_timeout; one that closes first, or times out, is counted (it never woke the
// backend). The session holds it in the waiting room meanwhile, so it is released with the
// others if the backend starts for someone else.
import type { TcpConnection } from '../proxy/tcp.js';
import { timerDelay } from '../util/timer.js';

/**
 * What a held connection reads ahead under `wake_on = data` before the backend runs: one
 * byte is enough to wake it; beyond this the client waits in the kernel's window.
 */
const WAKE_PREREAD_BYTES = 16 * 1024;

/** How a connection that never sent a byte under `wake_on = data` ended: it closed, or start_timeout ran out. */
export type SilentEnd = 'closed' | 'timed-out';

export interface SilentConnectionsOptions {
  /** `[service] start_timeout`: how long a connection that sends nothing is held. */
  startTimeoutMs: number;
  /** A connection from `source` sent nothing and is closed: it never woke the backend. */
  silent(source: string, socket: string, client: string, end: SilentEnd): void;
  /** It sent its first byte: time to demand the backend. */
  woke(connection: TcpConnection): void;
}

export class SilentConnections {
  private readonly timers = new Map<TcpConnection, { timer: NodeJS.Timeout; source: string }>();

  constructor(private readonly o: SilentConnectionsOptions) {}

  /** A held connection from `source` (its address key), silent until its first byte. */
  hold(c: TcpConnection, source: string): void {
    const timer = setTimeout(() => {
      if (!this.stop(c)) return;
      this.o.silent(source, c.socketName, c.peer, 'timed-out');
      c.close();
    }, timerDelay(this.o.startTimeoutMs));
    this.timers.set(c, { timer, source });
    c.readWhileHeld(WAKE_PREREAD_BYTES, () => {
      if (!this.timers.has(c) || c.phase !== 'held') return;
      if (c.prereadBytes > 0) {
        this.stop(c);
        this.o.woke(c);
      } else if (c.clientEnded) {
        c.close(); // counted as silent when released
      }
    });
  }

  has(c: TcpConnection): boolean {
    return this.timers.has(c);
  }

  /** It is no longer a silent one waiting for its first byte; false when it was not. */
  stop(c: TcpConnection): boolean {
    const silent = this.timers.get(c);
    if (silent === undefined) return false;
    clearTimeout(silent.timer);
    this.timers.delete(c);
    return true;
  }

  /** It was released: counted as silent if it still was (not on shutdown, `closing`). */
  released(c: TcpConnection, closing: boolean): void {
    const silent = this.timers.get(c);
    if (this.stop(c) && silent !== undefined && !closing) this.o.silent(silent.source, c.socketName, c.peer, 'closed');
  }

  /** Shutdown: no more timers. */
  clear(): void {
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
