// The starting page's side of a held connection: it reads ahead (kept, passed on at
// release), and a browser's request still held after starting_page_after is answered with
// the page (./starting-page.ts) and closed.
import type { StartingPageConfig } from '../config/types.js';
import type { LogEvent } from '../log/events.js';
import type { TcpConnection } from '../proxy/tcp.js';
import { acceptsHtml, sniffHttpRequest } from './http-sniff.js';
import { startingPageResponse } from './starting-page.js';
import { timerDelay } from '../util/timer.js';
import { monotonicMs } from '../util/clock.js';

/**
 * What a held connection on a socket with a starting page reads ahead: enough for any
 * browser's request head (cookies included); beyond it the client waits in the kernel.
 */
const PREREAD_BYTES = 16 * 1024;

export interface BrowserWatchOptions {
  /** The instance name, as the page shows it. */
  name: string;
  backend: { readonly phaseAgeMs: number };
  log: { event(e: LogEvent): void };
  /** Held connections whose starting_page_after has not come yet: the timer that brings it (the session clears it at release). */
  timers: Map<TcpConnection, NodeJS.Timeout>;
}

/**
 * A held connection on a socket with a starting page: it reads ahead (kept, passed on at
 * release), and a browser's request (HTTP/1.x GET, Accept: text/html) still held after
 * starting_page_after is answered with the page and closed. Every other client, and one
 * whose bytes do not tell yet, stays held as before.
 */
export function watchForBrowser(c: TcpConnection, page: StartingPageConfig, o: BrowserWatchOptions): void {
  let due = false;
  let settled = false;
  /** The last bytes read, to find a head's end that straddles two reads. */
  let tail = Buffer.alloc(0);
  /** Whether a request head may have ended since the last look (its empty line arrived). */
  let headMayEnd = true;
  const decide = (): void => {
    if (!due || settled || c.phase !== 'held') return;
    // Looked at again only when the head may be complete: a client dripping its head a
    // byte at a time costs one look, not one per byte.
    const complete = c.clientEnded || c.prereadBytes >= PREREAD_BYTES;
    if (!headMayEnd && !complete) return;
    headMayEnd = false;
    const seen = sniffHttpRequest(c.preread, complete);
    if (seen.kind === 'incomplete') return;
    settled = true;
    // A GET only: a form's POST (or any other method) waits and goes through, instead of
    // being dropped for a page whose reload could not send it again.
    if (seen.kind !== 'request' || seen.method !== 'GET' || !acceptsHtml(seen.headers.get('accept'))) return;
    const ms = Math.round(monotonicMs() - c.openedAt);
    c.answer(startingPageResponse({ name: o.name, elapsedMs: o.backend.phaseAgeMs }, page.template));
    o.log.event({ kind: 'starting-page', socket: c.socketName, client: c.peer, ms });
  };
  c.readWhileHeld(PREREAD_BYTES, (_, chunk) => {
    if (chunk !== undefined && !headMayEnd) {
      const around = Buffer.concat([tail, chunk.subarray(0, 3)]);
      headMayEnd = around.includes('\n\n') || around.includes('\n\r\n') || chunk.includes('\n\n') || chunk.includes('\n\r\n');
    }
    if (chunk !== undefined) {
      const last = chunk.length >= 3 ? chunk : Buffer.concat([tail, chunk]);
      tail = Buffer.from(last.subarray(Math.max(0, last.length - 3)));
    }
    decide();
  });
  if (!Number.isFinite(page.afterMs)) return;
  o.timers.set(c, setTimeout(() => {
    o.timers.delete(c);
    due = true;
    decide();
  }, timerDelay(page.afterMs)));
}
