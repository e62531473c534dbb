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
    landing = Buffer.allocUnsafeSlow(LANDING_BYTES);
    spare = [];
    /** Slots lent out now (for tests and status). */
    lent = 0;
    take() {
        this.lent++;
        return this.spare.pop() ?? Buffer.allocUnsafeSlow(SLOT_BYTES);
    }
    give(slot) {
        this.lent--;
        if (this.spare.length < SPARE_SLOTS)
            this.spare.push(slot);
    }
    /** Let the garbage collector have the spare slots (nothing to proxy for a while). */
    dropSpares() {
        this.spare.length = 0;
    }
    /** A slot that cannot come back (a write from it may still be in flight). */
    forget() {
        this.lent--;
    }
}
function findOnreadFields() {
    const options = { onread: { buffer: () => Buffer.alloc(1), callback: () => true } };
    const probe = new net.Socket(options);
    const symbols = Object.getOwnPropertySymbols(probe);
    const field = (description) => symbols.find((s) => s.description === description);
    const buffer = field('kBuffer');
    const callback = field('kBufferCb');
    const source = field('kBufferGen');
    probe.destroy();
    if (buffer === undefined || callback === undefined || source === undefined)
        return undefined;
    return { buffer, callback, source };
}
const onreadFields = findOnreadFields();
/** Whether `useOwnBuffers` works on this socket (an accepted, open TCP or unix socket). */
export function canUseOwnBuffers(socket) {
    const handle = socket._handle;
    return onreadFields !== undefined && typeof handle?.useUserBuffer === 'function';
}
/**
 * From now on `socket` reads into the buffers `source` returns (asked again after every
 * read) and hands each read to `callback` instead of emitting 'data'. Call while the
 * socket is paused; pause()/resume() and 'end' keep working as with `onread`.
 */
export function useOwnBuffers(socket, source, callback) {
    const fields = onreadFields;
    const handle = socket._handle;
    const first = source();
    const target = socket;
    target[fields.buffer] = first;
    target[fields.callback] = callback;
    target[fields.source] = source;
    handle.useUserBuffer(first);
}
//# sourceMappingURL=read-buffers.js.map