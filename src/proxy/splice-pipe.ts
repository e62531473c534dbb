// One direction of a proxied stream connection moved by the native addon (native/splice.c):
// splice() from `from` into a pipe and on into `to`, kernel to kernel, driven from the event
// loop. The same shape as ./pipe.ts (source/onRead, start, stop), so tcp.ts picks either.
// What stays here: Node's own reading of `from` is switched off while the addon owns it and
// given back on stop(); the end of `from` becomes the end of `to` (half-close) and closes
// the sockets exactly as Node's own 'end' would; an error is raised on the socket it came
// from; bytes are counted as the addon reports them (the first at once, then at most every
// REPORT_MS — not per chunk). When the addon cannot take a direction (no descriptor, or
// bytes Node had already read or had still to write), the JavaScript Pipe moves it.
//
// A direction starts on the JavaScript Pipe and moves to the addon at its first bulk read
// (SWITCH_AT_BYTES): requests, keep-alive traffic and silent connections stay where they
// cost least (no duplicates, no pipe, no system calls to set them up for a connection that
// carries one small request), bulk transfers go kernel to kernel.
import type net from 'node:net';
import { BURST_BYTES, Pipe } from './pipe.js';
import { LARGE_READ_BYTES, type ReadBuffers } from './read-buffers.js';
import { dataPath, type DataPath, type NativeSplice, type SpliceAddon } from './data-path.js';
import { errnoError } from '../native/addon.js';

/**
 * How often bytes that keep flowing are reported (the idle countdown and `status` see them
 * this late at most; the first byte after a quiet spell is reported at once).
 */
export const REPORT_MS = 100;

/**
 * What one direction moves in one callback of the addon before it lets the event loop go
 * round: an equal share of NATIVE_TURN_BYTES among the directions whose last callback ended
 * with bytes still waiting, from BURST_BYTES (the JavaScript path's bound) to
 * NATIVE_BURST_BYTES (one of its pipes, native/splice.c). A fixed 256 KiB cost a quarter
 * more CPU per GB than systemd-socket-proxyd (which has no bound at all) with 8 bulk
 * streams: nearly every callback stopped with bytes waiting and was called again at once,
 * so mrsocko never slept and more of the kernel's TCP work (ACKs, the peers' sends) ran on
 * its time. A fixed 1 MiB made each turn of the loop four times as long with 40 busy
 * directions, and connections that had just arrived waited that much longer for each of the
 * turns their set-up takes (issue 18, docs/native.md).
 */
export const NATIVE_BURST_BYTES = 1024 * 1024;
export const NATIVE_TURN_BYTES = 8 * 1024 * 1024;

/** A read this large moves a direction onto the addon (the size that takes a slot on the JavaScript path). */
const SWITCH_AT_BYTES = LARGE_READ_BYTES;

/** What native/splice.c reports. */
const BYTES = 0;
const END = 1;
const SOURCE_ERROR = 2;
const DESTINATION_ERROR = 3;

interface StreamHandle {
  fd?: number;
  reading?: boolean;
  readStop?: () => number;
}

function handleOf(socket: net.Socket): StreamHandle | undefined {
  return (socket as unknown as { _handle?: StreamHandle | null })._handle ?? undefined;
}

function fdOf(socket: net.Socket): number | undefined {
  const fd = handleOf(socket)?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

export class SplicePipe {
  /** Moves a direction the addon cannot take. */
  private readonly fallback: Pipe;
  private native: NativeSplice | undefined;
  private from: net.Socket | undefined;
  private to: net.Socket | undefined;
  /** On the JavaScript Pipe for now, and may move to the addon (set by start()). */
  private movable: { from: net.Socket; to: net.Socket } | undefined;
  /** Paused, waiting for Node's writes to `to` to go out before the addon takes over. */
  private waitingForDrain: { to: net.Socket; then: () => void } | undefined;
  private stopped = false;
  private jsBytes = 0;
  private nativeBytesBefore = 0;
  /** The addon has moved this direction at some point. */
  nativeUsed = false;

  constructor(
    buffers: ReadBuffers,
    private readonly count: (bytes: number) => void,
    private readonly addon: SpliceAddon,
    /** Bytes in one read that move the direction onto the addon; 0: at once, from start(). */
    private readonly switchAt = SWITCH_AT_BYTES,
  ) {
    this.fallback = new Pipe(buffers, (n) => {
      this.jsBytes += n;
      count(n);
      if (n >= this.switchAt && this.movable !== undefined && this.waitingForDrain === undefined) {
        // the chunk is written after this returns: take over once it is out
        const { from, to } = this.movable;
        this.movable = undefined;
        from.pause();
        setImmediate(() => this.takeOver(from, to));
      }
    });
  }

  /** For `onread` (used only if the JavaScript Pipe ends up moving this direction). */
  readonly source = (): Buffer => this.fallback.source();
  readonly onRead = (bytes: number, buffer: Buffer): boolean => this.fallback.onRead(bytes, buffer);

  /** Whether the addon moves this direction (false before start, after stop, or on the fallback). */
  get isNative(): boolean {
    return this.native !== undefined;
  }

  /** Start moving bytes; the caller may resume `from` afterwards (Node does not read it while the addon does). */
  start(from: net.Socket, to: net.Socket, ownBuffers: boolean): void {
    if (this.switchAt > 0 || !this.startNative(from, to)) {
      this.fallback.start(from, to, ownBuffers);
      // Only a socket that reads into our own buffers ('onread') holds nothing Node read ahead.
      if (ownBuffers && this.switchAt > 0) this.movable = { from, to };
    }
  }

  /** After a bulk read: once Node has written out what the JavaScript Pipe gave it, the addon moves the rest. */
  private takeOver(from: net.Socket, to: net.Socket): void {
    if (this.stopped || from.destroyed || to.destroyed) return;
    if (to.writableLength > 0) {
      const then = (): void => {
        this.waitingForDrain = undefined;
        this.takeOver(from, to);
      };
      this.waitingForDrain = { to, then };
      to.once('drain', then);
      return;
    }
    this.fallback.stop();
    if (!this.startNative(from, to)) {
      this.fallback.start(from, to, true);
      from.resume();
    }
  }

  private startNative(from: net.Socket, to: net.Socket): boolean {
    const fromFd = fdOf(from);
    const toFd = fdOf(to);
    const handle = handleOf(from);
    // Bytes Node holds either way would be overtaken by the addon's: the JavaScript Pipe keeps the order.
    const pending = from.readableLength > 0 || from.readableEnded || to.writableLength > 0 || to.writableEnded;
    if (fromFd === undefined || toFd === undefined || handle?.readStop === undefined || pending) return false;
    // Node stops reading; `reading = true` keeps resume() and read() from starting it again
    // (both start only a handle that is not reading). stop() puts the truth back.
    handle.readStop();
    handle.reading = true;
    this.from = from;
    this.to = to;
    this.native = new this.addon.Splice(fromFd, toFd, BURST_BYTES, NATIVE_BURST_BYTES, NATIVE_TURN_BYTES, REPORT_MS, this.report);
    this.nativeUsed = true;
    // Node closes its descriptor; the addon's duplicates would keep the connection open.
    from.once('close', this.halt);
    to.once('close', this.halt);
    return true;
  }

  /** Stop moving bytes (the sockets stay as they are, `from` not read) and hand `from` back to Node. */
  stop(): void {
    this.stopped = true;
    this.fallback.stop();
    const waiting = this.waitingForDrain;
    if (waiting !== undefined) waiting.to.off('drain', waiting.then);
    this.waitingForDrain = undefined;
    this.movable = undefined;
    const { from, to } = this;
    if (from === undefined || to === undefined) return;
    this.halt();
    from.off('close', this.halt);
    to.off('close', this.halt);
    this.from = undefined;
    this.to = undefined;
    const handle = handleOf(from);
    if (handle === undefined) return;
    handle.reading = false;
    // A read() while the addon owned it started no read, but the stream still waits for
    // one: without this, resume() would never start Node's reading again.
    const state = (from as unknown as { _readableState?: { reading: boolean } })._readableState;
    if (state !== undefined) state.reading = false;
    if (from.readableFlowing === true) from.read(0);
  }

  /** Bytes the addon has read from `from` so far, reported or not (0 when it does not move this direction). */
  get nativeTotal(): number {
    return this.nativeBytesBefore + (this.native?.total ?? 0);
  }

  /** Bytes read from `from` on either path, counted or not. */
  get moved(): number {
    return this.jsBytes + this.nativeTotal;
  }

  /** The bytes counted by the addon and not reported yet, reported now. */
  flush(): void {
    this.native?.flush();
  }

  private readonly halt = (): void => {
    const native = this.native;
    this.native = undefined;
    if (native === undefined) return;
    this.nativeBytesBefore += native.total;
    native.close();
  };

  private readonly report = (kind: number, value: number): void => {
    if (kind === BYTES) {
      this.count(value);
      return;
    }
    const { from, to } = this;
    this.halt();
    if (from === undefined || to === undefined) return;
    if (kind === END) return this.ended(from, to);
    if (kind === SOURCE_ERROR) from.destroy(errnoError(value, 'read'));
    else if (kind === DESTINATION_ERROR) to.destroy(errnoError(value, 'write'));
  };

  private ended(from: net.Socket, to: net.Socket): void {
    // Node never read `from`'s end: its stream learns it here, so that it closes once its
    // other direction is done too, as after Node's own read of the end ('end', then autoDestroy).
    if (!from.destroyed) {
      from.push(null);
      from.read(0);
    }
    if (to.destroyed) return;
    // Both directions are done: closing sends the FIN that end() would, one syscall sooner.
    if (to.readableEnded && to.writableLength === 0) to.destroy();
    else to.end();
  }
}

/** One direction of a stream connection, on the data path `path` (this process's, unless a test says). */
export type StreamPipe = Pipe | SplicePipe;

export function createPipe(buffers: ReadBuffers, count: (bytes: number) => void, path: DataPath = dataPath): StreamPipe {
  return path.addon === undefined ? new Pipe(buffers, count) : new SplicePipe(buffers, count, path.addon);
}
