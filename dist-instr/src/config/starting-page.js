// `[socket.X] starting_page`: the page browsers get while the backend starts
// (../session/starting-page.ts renders it). A custom page is read once, at load: bounded,
// non-blocking, and held to the config's trust rules when running as root.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { describeReadError } from './read-error.js';
import { checkTrustedFile } from './trust.js';
/** A custom starting page larger than this is refused: it is sent whole to every waiting browser. */
const STARTING_PAGE_MAX_BYTES = 64 * 1024;
/** `starting_page = no | yes | /path/page.html`; a file is read now, bounded, and as root only if trusted. */
export function readStartingPage(f, asRoot) {
    const text = f.text('starting_page', 'no, yes or the absolute path of an HTML file');
    if (text === undefined)
        return undefined;
    const word = text.toLowerCase();
    if (['no', 'false', 'off', '0'].includes(word))
        return undefined;
    if (['yes', 'true', 'on', '1'].includes(word))
        return {};
    if (!path.isAbsolute(text))
        f.fail('starting_page', `"${text}" is neither yes, no nor an absolute path (start with /) of an HTML file`);
    const where = { file: f.file, line: f.line('starting_page'), section: f.name, key: 'starting_page' };
    checkTrustedFile(text, 'a starting page', where, asRoot);
    let bytes;
    try {
        // non-blocking: a FIFO planted there must not hang the load
        const fd = fs.openSync(text, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
        try {
            if (!fs.fstatSync(fd).isFile())
                f.fail('starting_page', `${text} is not a regular file`);
            // one byte more than allowed tells "too large" without reading a huge file
            const buffer = Buffer.alloc(STARTING_PAGE_MAX_BYTES + 1);
            let n = 0;
            for (let got = -1; got !== 0 && n < buffer.length; n += got)
                got = fs.readSync(fd, buffer, n, buffer.length - n, n);
            bytes = buffer.subarray(0, n);
        }
        finally {
            fs.closeSync(fd);
        }
    }
    catch (err) {
        if (err instanceof ConfigError)
            throw err;
        return f.fail('starting_page', `cannot read ${text}: ${describeReadError(err)}`);
    }
    if (bytes.length > STARTING_PAGE_MAX_BYTES) {
        f.fail('starting_page', `${text} is larger than ${STARTING_PAGE_MAX_BYTES / 1024} KiB; a starting page is sent whole to every waiting browser, keep it small`);
    }
    let template;
    try {
        template = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    }
    catch {
        return f.fail('starting_page', `${text} is not UTF-8 text (it is sent as text/html; charset=utf-8)`);
    }
    return { file: text, template };
}
//# sourceMappingURL=starting-page.js.map