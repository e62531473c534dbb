// A line locator for the config file, not a parser: it finds which line holds each
// `[section]` header and each `key = ...`, and rejects what `ini` would silently accept
// (duplicate sections and keys, bare keys, stray text). Decoding values is left to `ini`
// (see load.ts). It is needed because ini.decode() drops line numbers, merges duplicates,
// nests `[socket.web]` under `socket`, and reads a header followed by a comment
// (`[socket.web]   ; …`, as in the documented example) as a key of the previous section.
import { ConfigError } from '../errors.js';
import { escapeControlCharacters, firstControlCharacter } from '../text/control-chars.js';
const HEADER = /^\s*\[([^\]]*)\]\s*(?:[;#].*)?$/;
const COMMENT_OR_BLANK = /^\s*(?:[;#].*)?$/;
export function locate(text, file) {
    const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
    const sections = [];
    let current;
    lines.forEach((content, index) => {
        const line = index + 1;
        if (COMMENT_OR_BLANK.test(content))
            return;
        const header = HEADER.exec(content);
        if (header !== null) {
            const name = (header[1] ?? '').trim();
            const control = firstControlCharacter(name);
            if (control !== undefined) {
                throw new ConfigError({ file, line, section: escapeControlCharacters(name) }, `the section name contains ${control}`);
            }
            const first = sections.find((s) => s.name === name);
            if (first !== undefined) {
                throw new ConfigError({ file, line, section: name }, `duplicate section (first at line ${first.line}); put all its keys in one [${name}]`);
            }
            current = { name, line, entries: new Map() };
            sections.push(current);
            return;
        }
        if (content.trimStart().startsWith('[')) {
            throw new ConfigError({ file, line }, `malformed section header "${content.trim()}"; expected [NAME]`);
        }
        const eq = content.indexOf('=');
        if (eq < 0) {
            const word = content.trim();
            const where = current !== undefined ? { file, line, section: current.name } : { file, line };
            throw new ConfigError(/^[\w.-]+$/.test(word) ? { ...where, key: word } : where, `"${word}" has no value; write "${word} = VALUE" (or comment it out with ;)`);
        }
        const key = content.slice(0, eq).trim();
        if (key === '') {
            throw new ConfigError(current !== undefined ? { file, line, section: current.name } : { file, line }, 'missing key name before "="');
        }
        const control = firstControlCharacter(key);
        if (control !== undefined) {
            const where = current !== undefined ? { file, line, section: current.name } : { file, line };
            throw new ConfigError({ ...where, key: escapeControlCharacters(key) }, `the key name contains ${control}`);
        }
        if (current === undefined) {
            throw new ConfigError({ file, line, key }, 'key before the first [section]; keys belong in [service], [socket.NAME], [idle], [access] or [log]');
        }
        const first = current.entries.get(key);
        if (first !== undefined) {
            throw new ConfigError({ file, line, section: current.name, key }, `set twice (first at line ${first.line}); keep one`);
        }
        current.entries.set(key, { key, raw: content.slice(eq + 1), line });
    });
    return { sections, lastLine: Math.max(1, lines.length - (lines.at(-1) === '' ? 1 : 0)) };
}
//# sourceMappingURL=locate.js.map