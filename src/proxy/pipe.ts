// One direction of a proxied stream connection: every byte read from `from` is written to
// `to`, reading pauses while `to` cannot take more, and `from`'s end becomes `to`'s end
// (half-close). No closure or timer per chunk; the only per-chunk work besides the copy is
// `count`.
import type net from 'node:net';
import { LARGE_READ_BYTES, type ReadBuffers } from './read-buffers.js';

export class Pipe {
  private from: net.Socket | undefined;
  private to: net.Socket | undefined;
  /** This direction's own slot while it moves bulk data (see ./read-buffers.ts). */
  private slot: Buffer | undefined;
  /** A write out of `slot` is still in flight: nothing may be read into it until it is out. */
  private pinned = false;

  constructor(
    private readonly buffers: ReadBuffers,
    private readonly count: (bytes: number) => void,
  ) {}

  /** For `onread.buffer`: where the next read lands. */
  readonly source = (): Buffer => this.slot ?? this.buffers.landing;

  /** For `onread.callback`: `bytes` were read into `buffer`. */
  readonly onRead = (bytes: number, buffer: Buffer): boolean => {
    const from = this.from;
    const to = this.to;
    if (from === undefined || to === undefined) return false;
    this.count(bytes);
    if (buffer !== this.slot) {
      // The landing buffer is shared: what is in it must be out before the next read.
      const copy = Buffer.allocUnsafe(bytes);
      buffer.copy(copy, 0, 0, bytes);
      if (bytes >= LARGE_READ_BYTES) this.slot = this.buffers.take();
      if (!to.write(copy)) from.pause();
      return true;
    }
    to.write(buffer.subarray(0, bytes), this.written);
    if (to.writableLength > 0) {
      // Not all of it reached the kernel: the rest is still read from the slot.
      this.pinned = true;
      from.pause();
    } else if (bytes < LARGE_READ_BYTES) {
      this.buffers.give(buffer);
      this.slot = undefined;
    }
    return true;
  };

  private readonly written = (): void => {
    const to = this.to;
    if (!this.pinned || to === undefined || to.writableLength > 0) return;
    this.pinned = false;
    this.from?.resume();
  };

  private readonly onData = (chunk: Buffer): void => {
    this.count(chunk.length);
    if (!(this.to as net.Socket).write(chunk)) (this.from as net.Socket).pause();
  };

  private readonly onDrain = (): void => {
    if (!this.pinned) this.from?.resume();
  };

  private readonly onEnd = (): void => {
    const to = this.to;
    if (to === undefined) return;
    // Both directions are done: closing sends the FIN that end() would, one syscall sooner.
    if (to.readableEnded && to.writableLength === 0) to.destroy();
    else to.end();
  };

  /**
   * Start moving bytes. With `ownBuffers`, `from` was set up to hand its reads to
   * `onRead` (onread); otherwise it emits 'data'. The caller resumes `from`.
   */
  start(from: net.Socket, to: net.Socket, ownBuffers: boolean): void {
    this.from = from;
    this.to = to;
    if (!ownBuffers) from.on('data', this.onData);
    to.on('drain', this.onDrain);
    from.once('end', this.onEnd);
  }

  /**
   * Stop moving bytes (the sockets stay as they are; `from` paused or closed) and give
   * the slot back.
   */
  stop(): void {
    const { from, to } = this;
    if (from === undefined || to === undefined) return;
    from.off('data', this.onData);
    to.off('drain', this.onDrain);
    from.off('end', this.onEnd);
    this.from = undefined;
    this.to = undefined;
    if (this.slot === undefined) return;
    // A slot can be lent again only when nothing reads into it or writes out of it any more.
    if (!this.pinned && (from.destroyed || from.isPaused())) this.buffers.give(this.slot);
    else this.buffers.forget();
    this.slot = undefined;
  }
}
