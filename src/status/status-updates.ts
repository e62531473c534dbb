// When STATUS= is sent: a new backend phase (or a reload) at once, client counts at most
// every STATUS_INTERVAL_MS, and nothing when the text is unchanged — a message per
// connection costs more than proxying a small request (issue 7's profile).
import { systemClock, type Clock } from '../util/clock.js';

/** Client counts in STATUS= are sent at most this often (phase changes at once). */
const STATUS_INTERVAL_MS = 250;

export interface StatusSource {
  /** Changes of this (the backend phase, back-off included) are sent at once. */
  key(): string;
  /** The STATUS= text now (./status-line.ts). */
  text(): string;
}

export class StatusUpdates {
  private cancel: (() => void) | undefined;
  private sentText = '';
  private sentKey: string | undefined;
  private sentAt = -Infinity;
  private stopped = false;

  constructor(
    private readonly source: StatusSource,
    private readonly send: (text: string) => void,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Something shown in STATUS= may have changed; `now`: send without waiting (a reload). */
  queue(now = false): void {
    if (this.stopped) return;
    const immediate = now || this.source.key() !== this.sentKey;
    // a phase change does not wait behind a pending client-count update
    if (immediate) this.clear();
    if (this.cancel) return;
    const wait = immediate ? 0 : this.sentAt + STATUS_INTERVAL_MS - this.clock.now();
    this.cancel = this.clock.after(Math.max(0, wait), () => {
      this.cancel = undefined;
      if (this.stopped) return;
      this.sentAt = this.clock.now();
      this.sentKey = this.source.key();
      const text = this.source.text();
      if (text === this.sentText) return;
      this.sentText = text;
      this.send(text);
    });
  }

  /** Shutdown: nothing more is sent from here. */
  stop(): void {
    this.stopped = true;
    this.clear();
  }

  private clear(): void {
    this.cancel?.();
    this.cancel = undefined;
  }
}
