/** Longest line passed on, in bytes (without the newline). */
const MAX_LINE_BYTES = 16 * 1024;
const NEWLINE = 0x0a;
/** A cut at `end` that does not split a UTF-8 sequence. */
function charBoundary(buf, end) {
    let at = end;
    // Step back over continuation bytes (10xxxxxx) to the start of the last character.
    while (at > 0 && at < buf.length && (buf[at] & 0xc0) === 0x80)
        at -= 1;
    return at > 0 ? at : end;
}
function text(buf) {
    const s = buf.toString('utf8');
    return s.endsWith('\r') ? s.slice(0, -1) : s;
}
/**
 * Calls `onLine` for every line of `input`, with at most `maxBytes` bytes of each. Holds at
 * most `maxBytes` of an unfinished line, whatever the input.
 */
export function readLines(input, onLine, maxBytes = MAX_LINE_BYTES) {
    let pending = [];
    let pendingBytes = 0;
    /** Length so far of the current line once it was cut; -1 while it is not cut. */
    let cutLine = -1;
    const take = (chunk) => {
        let start = 0;
        while (start < chunk.length) {
            const nl = chunk.indexOf(NEWLINE, start);
            const end = nl < 0 ? chunk.length : nl;
            if (cutLine >= 0) {
                cutLine += end - start;
            }
            else if (pendingBytes + (end - start) <= maxBytes) {
                pending.push(chunk.subarray(start, end));
                pendingBytes += end - start;
            }
            else {
                const head = Buffer.concat([...pending, chunk.subarray(start, Math.min(end, start + maxBytes - pendingBytes + 4))]);
                onLine(`${text(head.subarray(0, charBoundary(head, maxBytes)))} [line cut at ${maxBytes} bytes: longer lines are not kept]`);
                cutLine = pendingBytes + (end - start);
                pending = [];
                pendingBytes = 0;
            }
            if (nl < 0)
                return;
            if (cutLine >= 0) {
                onLine(`[the line cut above ended after ${cutLine} bytes]`);
                cutLine = -1;
            }
            else {
                onLine(text(Buffer.concat(pending)));
                pending = [];
                pendingBytes = 0;
            }
            start = nl + 1;
        }
    };
    input.on('data', (chunk) => take(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    input.once('end', () => {
        if (cutLine >= 0)
            onLine(`[the line cut above ended after ${cutLine} bytes, without a newline]`);
        else if (pendingBytes > 0)
            onLine(text(Buffer.concat(pending)));
        pending = [];
    });
    // A backend's pipe can fail (EPIPE, EIO); the process's exit is reported elsewhere.
    input.on('error', () => undefined);
}
//# sourceMappingURL=line-reader.js.map