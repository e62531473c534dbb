import { getSystemErrorName } from 'node:util';
import { BURST_BYTES, Pipe } from './pipe.js';
import { LARGE_READ_BYTES } from './read-buffers.js';
import { dataPath } from './data-path.js';
/**
 * How often bytes that keep flowing are reported (the idle countdown and `status` see them
 * this late at most; the first byte after a quiet spell is reported at once).
 */
const REPORT_MS = 100;
/** A read this large moves a direction onto the addon (the size that takes a slot on the JavaScript path). */
const SWITCH_AT_BYTES = LARGE_READ_BYTES;
/** What native/splice.c reports. */
const BYTES = 0;
const END = 1;
const SOURCE_ERROR = 2;
const DESTINATION_ERROR = 3;
function handleOf(socket) {
    return socket._handle ?? undefined;
}
function fdOf(socket) {
    const fd = handleOf(socket)?.fd;
    return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}
/** An error as Node's own socket code makes them ("read ECONNRESET"). */
function errnoError(errno, syscall) {
    let code;
    try {
        code = getSystemErrorName(-errno);
    }
    catch {
        code = `errno ${errno}`;
    }
    return Object.assign(new Error(`${syscall} ${code}`), { errno: -errno, code, syscall });
}
export class SplicePipe {
    count;
    addon;
    switchAt;
    /** Moves a direction the addon cannot take. */
    fallback;
    native;
    from;
    to;
    /** On the JavaScript Pipe for now, and may move to the addon (set by start()). */
    movable;
    /** Paused, waiting for Node's writes to `to` to go out before the addon takes over. */
    waitingForDrain;
    stopped = false;
    jsBytes = 0;
    nativeBytesBefore = 0;
    /** The addon has moved this direction at some point. */
    nativeUsed = false;
    constructor(buffers, count, addon, 
    /** Bytes in one read that move the direction onto the addon; 0: at once, from start(). */
    switchAt = SWITCH_AT_BYTES) {
        this.count = count;
        this.addon = addon;
        this.switchAt = switchAt;
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
    source = () => this.fallback.source();
    onRead = (bytes, buffer) => this.fallback.onRead(bytes, buffer);
    /** Whether the addon moves this direction (false before start, after stop, or on the fallback). */
    get isNative() {
        return this.native !== undefined;
    }
    /** Start moving bytes; the caller may resume `from` afterwards (Node does not read it while the addon does). */
    start(from, to, ownBuffers) {
        if (this.switchAt > 0 || !this.startNative(from, to)) {
            this.fallback.start(from, to, ownBuffers);
            // Only a socket that reads into our own buffers ('onread') holds nothing Node read ahead.
            if (ownBuffers && this.switchAt > 0)
                this.movable = { from, to };
        }
    }
    /** After a bulk read: once Node has written out what the JavaScript Pipe gave it, the addon moves the rest. */
    takeOver(from, to) {
        if (this.stopped || from.destroyed || to.destroyed)
            return;
        if (to.writableLength > 0) {
            const then = () => {
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
    startNative(from, to) {
        const fromFd = fdOf(from);
        const toFd = fdOf(to);
        const handle = handleOf(from);
        // Bytes Node holds either way would be overtaken by the addon's: the JavaScript Pipe keeps the order.
        const pending = from.readableLength > 0 || from.readableEnded || to.writableLength > 0 || to.writableEnded;
        if (fromFd === undefined || toFd === undefined || handle?.readStop === undefined || pending)
            return false;
        // Node stops reading; `reading = true` keeps resume() and read() from starting it again
        // (both start only a handle that is not reading). stop() puts the truth back.
        handle.readStop();
        handle.reading = true;
        this.from = from;
        this.to = to;
        this.native = new this.addon.Splice(fromFd, toFd, BURST_BYTES, REPORT_MS, this.report);
        this.nativeUsed = true;
        // Node closes its descriptor; the addon's duplicates would keep the connection open.
        from.once('close', this.halt);
        to.once('close', this.halt);
        return true;
    }
    /** Stop moving bytes (the sockets stay as they are, `from` not read) and hand `from` back to Node. */
    stop() {
        this.stopped = true;
        this.fallback.stop();
        const waiting = this.waitingForDrain;
        if (waiting !== undefined)
            waiting.to.off('drain', waiting.then);
        this.waitingForDrain = undefined;
        this.movable = undefined;
        const { from, to } = this;
        if (from === undefined || to === undefined)
            return;
        this.halt();
        from.off('close', this.halt);
        to.off('close', this.halt);
        this.from = undefined;
        this.to = undefined;
        const handle = handleOf(from);
        if (handle === undefined)
            return;
        handle.reading = false;
        // A read() while the addon owned it started no read, but the stream still waits for
        // one: without this, resume() would never start Node's reading again.
        const state = from._readableState;
        if (state !== undefined)
            state.reading = false;
        if (from.readableFlowing === true)
            from.read(0);
    }
    /** Bytes the addon has read from `from` so far, reported or not (0 when it does not move this direction). */
    get nativeTotal() {
        return this.nativeBytesBefore + (this.native?.total ?? 0);
    }
    /** Bytes read from `from` on either path, counted or not. */
    get moved() {
        return this.jsBytes + this.nativeTotal;
    }
    /** The bytes counted by the addon and not reported yet, reported now. */
    flush() {
        this.native?.flush();
    }
    halt = () => {
        const native = this.native;
        this.native = undefined;
        if (native === undefined)
            return;
        this.nativeBytesBefore += native.total;
        native.close();
    };
    report = (kind, value) => {
        if (kind === BYTES) {
            this.count(value);
            return;
        }
        const { from, to } = this;
        this.halt();
        if (from === undefined || to === undefined)
            return;
        if (kind === END)
            return this.ended(from, to);
        if (kind === SOURCE_ERROR)
            from.destroy(errnoError(value, 'read'));
        else if (kind === DESTINATION_ERROR)
            to.destroy(errnoError(value, 'write'));
    };
    ended(from, to) {
        // Node never read `from`'s end: its stream learns it here, so that it closes once its
        // other direction is done too, as after Node's own read of the end ('end', then autoDestroy).
        if (!from.destroyed) {
            from.push(null);
            from.read(0);
        }
        if (to.destroyed)
            return;
        // Both directions are done: closing sends the FIN that end() would, one syscall sooner.
        if (to.readableEnded && to.writableLength === 0)
            to.destroy();
        else
            to.end();
    }
}
export function createPipe(buffers, count, path = dataPath) {
    return path.addon === undefined ? new Pipe(buffers, count) : new SplicePipe(buffers, count, path.addon);
}
//# sourceMappingURL=splice-pipe.js.map