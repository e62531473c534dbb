// Typed reading of one config section's keys. Every failure becomes a ConfigError naming
// the file, the key's line (the header's line when the key is absent), section and key.
// Values are decoded by `ini` (quotes, `\;` escapes, inline comments); the argv keys are
// read from the raw line instead, because `ini` cuts `sh -c "a; b"` at the `;`.
import ini from 'ini';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { splitArgv, stripInlineComment } from './argv.js';
import { parseTimespan } from './timespan.js';
import { firstControlCharacter } from '../text/control-chars.js';
import { ValueError } from '../errors.js';
const BOOLEANS = new Map([
    ['yes', true], ['true', true], ['on', true], ['1', true],
    ['no', false], ['false', false], ['off', false], ['0', false],
]);
export class Fields {
    file;
    section;
    name;
    constructor(file, 
    /** The section as located; undefined when the file has no such section (all defaults). */
    section, name) {
        this.file = file;
        this.section = section;
        this.name = name;
    }
    has(key) {
        return this.entry(key) !== undefined;
    }
    /** The key's line, else the section header's, else 0. */
    line(key) {
        return (key !== undefined ? this.entry(key)?.line : undefined) ?? this.section?.line ?? 0;
    }
    fail(key, detail) {
        const where = { file: this.file, line: this.line(key), section: this.name };
        throw new ConfigError(key !== undefined ? { ...where, key } : where, detail);
    }
    /** Runs a value parser, turning its ValueError into a located ConfigError. */
    parse(key, text, parser) {
        try {
            return parser(text);
        }
        catch (err) {
            if (err instanceof ValueError)
                this.fail(key, err.message);
            throw err;
        }
    }
    /** The decoded value, or undefined when the key is absent. Empty values are errors:
     * `expected` says what to write instead. */
    text(key, expected, required = false) {
        const entry = this.entry(key);
        if (entry === undefined)
            return undefined;
        return this.nonEmpty(entry, ini.unsafe(entry.raw), expected, required);
    }
    required(key, expected) {
        return this.text(key, expected, true) ?? this.fail(key, `missing; expected ${key} = ${expected}`);
    }
    span(key, fallback, opts = {}) {
        const text = this.text(key, 'a time span such as 90s, 15min, 1h 30min or infinity');
        if (text === undefined)
            return fallback;
        const ms = this.parse(key, text, parseTimespan);
        if (opts.positive === true && ms === 0)
            this.fail(key, 'must be longer than 0 (use infinity for "no limit")');
        return ms;
    }
    bool(key, fallback) {
        const text = this.text(key, 'yes or no');
        if (text === undefined)
            return fallback;
        const value = BOOLEANS.get(text.toLowerCase());
        return value ?? this.fail(key, `"${text}" is not a boolean; expected yes or no (also true/false, on/off, 1/0)`);
    }
    positiveInt(key, fallback) {
        const text = this.text(key, 'a whole number above 0');
        if (text === undefined)
            return fallback;
        const n = Number(text);
        if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
            this.fail(key, `"${text}" is not a whole number above 0`);
        }
        return n;
    }
    /** A byte count: digits, optionally followed by K, M or G (1024-based, as in systemd's sizes). */
    bytes(key, fallback) {
        const text = this.text(key, 'a byte count such as 0, 512, 64K or 1M');
        if (text === undefined)
            return fallback;
        const m = /^(\d+)\s*([KMG]?)$/i.exec(text);
        const n = m ? Number(m[1]) * 1024 ** ' KMG'.indexOf((m[2] || ' ').toUpperCase()) : NaN;
        if (!Number.isSafeInteger(n))
            this.fail(key, `"${text}" is not a byte count; expected a whole number, optionally with K, M or G (1024-based), e.g. 64K`);
        return n;
    }
    choice(key, choices, fallback) {
        const text = this.text(key, choices.join(' or '));
        if (text === undefined)
            return fallback;
        const found = choices.find((c) => c === text);
        return found ?? this.fail(key, `"${text}" is not one of: ${choices.join(', ')}`);
    }
    /** A comma-separated list, entries trimmed and kept as written; absent = []. */
    list(key) {
        const text = this.text(key, 'a comma-separated list');
        if (text === undefined)
            return [];
        const items = text.split(',').map((item) => item.trim());
        if (items.includes(''))
            this.fail(key, `empty entry in "${text}" (two commas in a row, or a comma at an end?)`);
        return items;
    }
    absolutePath(key) {
        const text = this.text(key, 'an absolute path');
        if (text !== undefined && !path.isAbsolute(text))
            this.fail(key, `"${text}" must be an absolute path (start with /)`);
        return text;
    }
    /** A command line, from the raw line: see the header comment. */
    argv(key) {
        const entry = this.entry(key);
        if (entry === undefined)
            return undefined;
        const text = this.nonEmpty(entry, stripInlineComment(entry.raw), 'a command line such as /usr/bin/foo --bar', false);
        const argv = this.parse(key, text, splitArgv);
        if (argv.length === 0 || argv[0] === '')
            this.fail(key, 'the command line has no program to run');
        return argv;
    }
    entry(key) {
        return this.section?.entries.get(key);
    }
    nonEmpty(entry, value, expected, required) {
        const trimmed = value.trim();
        // No setting can hold a control character: not a path, an argv word (execve), an
        // address nor a name; one written into a unit would end its line there (systemd ends
        // lines at \r too), and one in a log or status line would reach a terminal. Escapes in
        // a command line (`\n` in exec =) are still decoded: they are two visible characters
        // here, and gen-unit writes the argv back quoted. See ../text/control-chars.ts.
        const control = firstControlCharacter(trimmed);
        if (control !== undefined) {
            this.fail(entry.key, `contains ${control}; no setting can hold a control character (U+0000-U+001F, U+007F-U+009F)`);
        }
        if (trimmed !== '')
            return trimmed;
        // systemd would read an empty value as "reset to default"; here that is more likely a
        // half-edited line, so it is refused with what to write.
        const otherwise = required ? '' : ' (or delete the line for the default)';
        return this.fail(entry.key, `empty value; expected ${expected}${otherwise}`);
    }
}
//# sourceMappingURL=fields.js.map