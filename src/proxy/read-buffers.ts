// Where proxied bytes are read into. Node's default gives every read a fresh 64 KiB
// allocation that then becomes garbage; a proxy that only passes bytes on can read into
// memory it owns (Node's `onread` option) and keep the allocator and the GC out of the
// copy loop. Two kinds of memory:
//
// - one *landing* buffer shared by every connection: small reads (requests, keep-alive
//   traffic) land there and are copied out at once, so an idle connection owns nothing;
// - *slots* of SLOT_BYTES, lent to a direction while it moves bulk data, written out
//   without a copy, and given back when its reads get small again.
import net from 'node:net';

const LANDING_BYTES = 64 * 1024;
export const SLOT_BYTES = 256 * 1024;
/** A read at least this large moves the direction onto a slot of its own (and one below it, back off). */
export const LARGE_READ_BYTES = 16 * 1024;
/** Free slots kept for reuse; more than this are left to the garbage collector. */
const SPARE_SLOTS = 16;

export class ReadBuffers {
  readonly landing = Buffer.allocUnsafeSlow(LANDING_BYTES);
  private readonly spare: Buffer[] = [];
  /** Slots lent out now (for tests and status). */
  lent = 0;

  take(): Buffer {
    this.lent++;
    return this.spare.pop() ?? Buffer.allocUnsafeSlow(SLOT_BYTES);
  }

  give(slot: Buffer): void {
    this.lent--;
    if (this.spare.length < SPARE_SLOTS) this.spare.push(slot);
  }

  /** Let the garbage collector have the spare slots (nothing to proxy for a while). */
  dropSpares(): void {
    this.spare.length = 0;
  }

  /** A slot that cannot come back (a write from it may still be in flight). */
  forget(): void {
    this.lent--;
  }
}

export type ReadCallback = (bytes: number, buffer: Buffer) => boolean;
export type BufferSource = () => Buffer;

/**
 * Node accepts `onread` only when it creates the socket itself (`net.connect`); a socket
 * from `net.Server` always reads into fresh buffers. The same mechanism is switched on
 * for it through the fields the `Socket` constructor would set, found by their
 * description on a probe socket. Undefined when this Node.js does not have them, and then
 * accepted sockets keep Node's own reads (correct, only slower).
 */
interface OnreadFields {
  buffer: symbol;
  callback: symbol;
  source: symbol;
}

function findOnreadFields(): OnreadFields | undefined {
  const options = { onread: { buffer: () => Buffer.alloc(1), callback: () => true } };
  const probe = new net.Socket(options as net.SocketConstructorOpts);
  const symbols = Object.getOwnPropertySymbols(probe);
  const field = (description: string): symbol | undefined => symbols.find((s) => s.description === description);
  const buffer = field('kBuffer');
  const callback = field('kBufferCb');
  const source = field('kBufferGen');
  probe.destroy();
  if (buffer === undefined || callback === undefined || source === undefined) return undefined;
  return { buffer, callback, source };
}

const onreadFields = findOnreadFields();

interface UserBufferHandle {
  useUserBuffer?: (buffer: Uint8Array) => void;
}

/** Whether `useOwnBuffers` works on this socket (an accepted, open TCP or unix socket). */
export function canUseOwnBuffers(socket: net.Socket): boolean {
  const handle = (socket as unknown as { _handle?: UserBufferHandle | null })._handle;
  return onreadFields !== undefined && typeof handle?.useUserBuffer === 'function';
}

/**
 * From now on `socket` reads into the buffers `source` returns (asked again after every
 * read) and hands each read to `callback` instead of emitting 'data'. Call while the
 * socket is paused; pause()/resume() and 'end' keep working as with `onread`.
 */
export function useOwnBuffers(socket: net.Socket, source: BufferSource, callback: ReadCallback): void {
  const fields = onreadFields as OnreadFields;
  const handle = (socket as unknown as { _handle: Required<UserBufferHandle> })._handle;
  const first = source();
  const target = socket as unknown as Record<symbol, unknown>;
  target[fields.buffer] = first;
  target[fields.callback] = callback;
  target[fields.source] = source;
  handle.useUserBuffer(first);
}
