// One place for the errors mrsocko reports to users. Each carries a stable `code`;
// the CLI maps codes to exit statuses. Internal invariants use `assert`, never these.
import { escapeControlCharacters } from './text/control-chars.js';
const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
const EXIT_CONFIG = 78; // EX_CONFIG from sysexits.h
export class MrsockoError extends Error {
    code;
    constructor(code, message, options) {
        super(message, options);
        this.name = 'MrsockoError';
        this.code = code;
    }
}
/** A config problem, rendered as `FILE:LINE: [section] key: message` like compilers and systemd do. */
export class ConfigError extends MrsockoError {
    location;
    detail;
    constructor(location, detail) {
        // A config's path, key or value may hold control characters (that is one of the
        // problems reported): never print them raw to a terminal or the journal.
        super('MRSOCKO_CONFIG', escapeControlCharacters(formatConfigMessage(location, detail)));
        this.name = 'ConfigError';
        this.location = location;
        this.detail = detail;
    }
}
function formatConfigMessage(loc, detail) {
    const where = loc.line > 0 ? `${loc.file}:${loc.line}` : loc.file;
    const what = loc.section !== undefined
        ? loc.key !== undefined ? `[${loc.section}] ${loc.key}` : `[${loc.section}]`
        : loc.key;
    return what !== undefined ? `${where}: ${what}: ${detail}` : `${where}: ${detail}`;
}
export class UsageError extends MrsockoError {
    constructor(message) {
        super('MRSOCKO_USAGE', message);
        this.name = 'UsageError';
    }
}
export function exitCodeFor(err) {
    if (err instanceof MrsockoError) {
        if (err.code === 'MRSOCKO_CONFIG')
            return EXIT_CONFIG;
        if (err.code === 'MRSOCKO_USAGE')
            return EXIT_USAGE;
    }
    return EXIT_FAILURE;
}
// Thrown by the pure value parsers (time spans, addresses, argv). They do not know where
// a value came from; load.ts catches exactly this class and re-throws it as a
// ConfigError with file, line, section and key. Anything else escaping a parser is a bug
// and must not be dressed up as a config problem.
export class ValueError extends Error {
    constructor(message) {
        super(message);
        this.name = 'ValueError';
    }
}
//# sourceMappingURL=errors.js.map