import { LARGE_READ_BYTES } from './read-buffers.js';
/**
 * Bytes one direction may move before it lets the event loop go round: one slot. Without
 * it one turn of the loop moved up to 8 MiB per socket, and 20 streaming clients made a
 * turn take 150-250 ms for everyone (issue 7). It costs a pause and a resume per 256 KiB.
 */
export const BURST_BYTES = 256 * 1024;
export class Pipe {
    buffers;
    count;
    from;
    to;
    /** This direction's own slot while it moves bulk data (see ./read-buffers.ts). */
    slot;
    /** A write out of `slot` is still in flight: nothing may be read into it until it is out. */
    pinned = false;
    /** `to` said it has enough buffered ('drain' comes). */
    congested = false;
    /** Paused to let the event loop serve the others (see BURST_BYTES). */
    yielding = false;
    /** Bytes read since reading last (re)started. */
    burst = 0;
    constructor(buffers, count) {
        this.buffers = buffers;
        this.count = count;
    }
    /** For `onread.buffer`: where the next read lands. */
    source = () => this.slot ?? this.buffers.landing;
    /** For `onread.callback`: `bytes` were read into `buffer`. */
    onRead = (bytes, buffer) => {
        const from = this.from;
        const to = this.to;
        if (from === undefined || to === undefined)
            return false;
        this.count(bytes);
        if (buffer !== this.slot) {
            // The landing buffer is shared: what is in it must be out before the next read.
            const copy = Buffer.allocUnsafe(bytes);
            buffer.copy(copy, 0, 0, bytes);
            if (bytes >= LARGE_READ_BYTES)
                this.slot = this.buffers.take();
            if (!to.write(copy))
                this.congested = true;
        }
        else {
            to.write(buffer.subarray(0, bytes), this.written);
            // Not all of it reached the kernel: the rest is still read from the slot.
            if (to.writableLength > 0)
                this.pinned = true;
            else if (bytes < LARGE_READ_BYTES) {
                this.buffers.give(buffer);
                this.slot = undefined;
            }
        }
        this.afterChunk(from, bytes);
        return true;
    };
    onData = (chunk) => {
        this.count(chunk.length);
        if (!this.to.write(chunk))
            this.congested = true;
        this.afterChunk(this.from, chunk.length);
    };
    /**
     * After every chunk: pause while `to` cannot take more, and after BURST_BYTES let the
     * event loop go round (libuv keeps reading one socket while its reads fill the buffer:
     * up to 32 reads, 8 MiB with a slot, while every other client waits).
     */
    afterChunk(from, bytes) {
        this.burst += bytes;
        if (!this.pinned && !this.congested && this.burst < BURST_BYTES)
            return;
        if (this.burst >= BURST_BYTES && !this.yielding) {
            this.yielding = true;
            setImmediate(this.yielded);
        }
        from.pause();
    }
    resumeIfClear() {
        if (this.pinned || this.congested || this.yielding)
            return;
        this.burst = 0;
        this.from?.resume();
    }
    written = () => {
        const to = this.to;
        if (!this.pinned || to === undefined || to.writableLength > 0)
            return;
        this.pinned = false;
        this.resumeIfClear();
    };
    onDrain = () => {
        this.congested = false;
        this.resumeIfClear();
    };
    yielded = () => {
        this.yielding = false;
        this.resumeIfClear();
    };
    onEnd = () => {
        const to = this.to;
        if (to === undefined)
            return;
        // Both directions are done: closing sends the FIN that end() would, one syscall sooner.
        if (to.readableEnded && to.writableLength === 0)
            to.destroy();
        else
            to.end();
    };
    /**
     * Start moving bytes. With `ownBuffers`, `from` was set up to hand its reads to
     * `onRead` (onread); otherwise it emits 'data'. The caller resumes `from`.
     */
    start(from, to, ownBuffers) {
        this.from = from;
        this.to = to;
        if (!ownBuffers)
            from.on('data', this.onData);
        to.on('drain', this.onDrain);
        from.once('end', this.onEnd);
    }
    /** Counts are per chunk here: nothing waits to be counted (SplicePipe's has). */
    flush() { }
    /**
     * Stop moving bytes (the sockets stay as they are; `from` paused or closed) and give
     * the slot back.
     */
    stop() {
        const { from, to } = this;
        if (from === undefined || to === undefined)
            return;
        from.off('data', this.onData);
        to.off('drain', this.onDrain);
        from.off('end', this.onEnd);
        this.from = undefined;
        this.to = undefined;
        if (this.slot === undefined)
            return;
        // A slot can be lent again only when nothing reads into it or writes out of it any more.
        if (!this.pinned && (from.destroyed || from.isPaused()))
            this.buffers.give(this.slot);
        else
            this.buffers.forget();
        this.slot = undefined;
    }
}
//# sourceMappingURL=pipe.js.map