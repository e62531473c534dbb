// Command lines for `exec =` and `stop =`, split like systemd's ExecStart= (systemd.service(5),
// "Command lines"; extract_first_word() with UNQUOTE|CUNESCAPE): blanks separate words,
// '…' and "…" group (both alike, and may start mid-word), C escapes work inside and
// outside quotes. There is no shell: no variables, globs, pipes or redirections.
import { ValueError } from '../errors.js';
const BLANKS = ' \t\n\r';
/** Single-character escapes. An escaped blank is kept in the word (systemd's
 * EXTRACT_UNESCAPE_SEPARATORS). `\;` and `\#` keep a `;`/`#` from starting an inline
 * comment in the config file (systemd's ExecStart= likewise takes `\;` for `;`). */
const SIMPLE_ESCAPES = {
    a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', s: ' ',
    '\\': '\\', '"': '"', "'": "'", ' ': ' ', '\t': '\t', ';': ';', '#': '#',
};
/** Splits a command line into argv; throws ValueError on unbalanced quotes or bad escapes. */
export function splitArgv(text) {
    const words = [];
    let word; // undefined between words; "" once a word (maybe "") began
    let quote;
    let i = 0;
    while (i < text.length) {
        const c = text.charAt(i);
        if (c === '\\') {
            const { value, length } = unescapeAt(text, i);
            word = (word ?? '') + value;
            i += length;
            continue;
        }
        if (quote !== undefined) {
            if (c === quote)
                quote = undefined;
            else
                word = (word ?? '') + c;
        }
        else if (c === '"' || c === "'") {
            quote = c;
            word ??= '';
        }
        else if (BLANKS.includes(c)) {
            if (word !== undefined)
                words.push(word);
            word = undefined;
        }
        else {
            word = (word ?? '') + c;
        }
        i += 1;
    }
    if (quote !== undefined) {
        throw new ValueError(`unterminated ${quote} quote in: ${text.trim()}`);
    }
    if (word !== undefined)
        words.push(word);
    return words;
}
/** Decodes the escape starting at text[i] (a backslash). */
function unescapeAt(text, i) {
    const next = text.charAt(i + 1);
    if (next === '')
        throw new ValueError(`command line ends with a lone backslash: ${text.trim()}`);
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined)
        return { value: simple, length: 2 };
    const numeric = /^(?:x([0-9A-Fa-f]{2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|([0-3][0-7]{2}))/
        .exec(text.slice(i + 1));
    if (numeric !== null) {
        const [all, hex, u4, u8, octal] = numeric;
        const code = parseInt(hex ?? u4 ?? u8 ?? octal ?? '', octal !== undefined ? 8 : 16);
        // NUL cannot be passed in argv; code points past U+10FFFF do not exist. Unlike systemd,
        // \xHH yields the character U+00HH (UTF-8 encoded in argv), not the raw byte.
        if (code === 0 || code > 0x10ffff) {
            throw new ValueError(`\\${all} is not a usable character in: ${text.trim()}`);
        }
        return { value: String.fromCodePoint(code), length: 1 + all.length };
    }
    throw new ValueError(`unknown escape \\${next} (write \\\\ for a backslash) in: ${text.trim()}`);
}
/** Words that need no quoting when printed. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;
/** Joins argv into a command line that splitArgv() reads back as the same argv. */
export function quoteArgv(argv) {
    return argv.map(quoteWord).join(' ');
}
function quoteWord(word) {
    if (PLAIN_WORD.test(word))
        return word;
    let out = '"';
    for (const c of word) {
        if (c === '\\' || c === '"')
            out += `\\${c}`;
        else if (c === '\n')
            out += '\\n';
        else if (c === '\t')
            out += '\\t';
        else if (c === '\r')
            out += '\\r';
        else if (c < ' ' || c === '\x7f')
            out += `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
        else
            out += c;
    }
    return `${out}"`;
}
/**
 * Cuts an inline comment off a raw config value: `;` or `#` starts one only outside quotes
 * and only at the start or after a blank, so `sh -c "echo bye; kill 1"` and `a;b` survive.
 * Quotes and escapes are left in place for splitArgv().
 */
export function stripInlineComment(raw) {
    let quote;
    for (let i = 0; i < raw.length; i++) {
        const c = raw.charAt(i);
        if (c === '\\') {
            i += 1;
            continue;
        }
        if (quote !== undefined) {
            if (c === quote)
                quote = undefined;
        }
        else if (c === '"' || c === "'") {
            quote = c;
        }
        else if ((c === ';' || c === '#') && (i === 0 || BLANKS.includes(raw.charAt(i - 1)))) {
            return raw.slice(0, i).trim();
        }
    }
    return raw.trim();
}
//# sourceMappingURL=argv.js.map