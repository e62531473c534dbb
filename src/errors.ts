// One place for the errors mrsocko reports to users. Each carries a stable `code`;
// the CLI maps codes to exit statuses. Internal invariants use `assert`, never these.
import { escapeControlCharacters } from './text/control-chars.js';

const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
const EXIT_CONFIG = 78; // EX_CONFIG from sysexits.h

export type ErrorCode =
  | 'MRSOCKO_CONFIG'
  | 'MRSOCKO_USAGE'
  | 'MRSOCKO_SOCKET'
  | 'MRSOCKO_RUNTIME';

export class MrsockoError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MrsockoError';
    this.code = code;
  }
}

/** Where in a config file a value came from. `line` is 1-based; 0 when the key is absent. */
export interface ConfigLocation {
  file: string;
  line: number;
  section?: string;
  key?: string;
}

/** A config problem, rendered as `FILE:LINE: [section] key: message` like compilers and systemd do. */
export class ConfigError extends MrsockoError {
  readonly location: ConfigLocation;
  readonly detail: string;
  constructor(location: ConfigLocation, detail: string) {
    // A config's path, key or value may hold control characters (that is one of the
    // problems reported): never print them raw to a terminal or the journal.
    super('MRSOCKO_CONFIG', escapeControlCharacters(formatConfigMessage(location, detail)));
    this.name = 'ConfigError';
    this.location = location;
    this.detail = detail;
  }
}

function formatConfigMessage(loc: ConfigLocation, detail: string): string {
  const where = loc.line > 0 ? `${loc.file}:${loc.line}` : loc.file;
  const what = loc.section !== undefined
    ? loc.key !== undefined ? `[${loc.section}] ${loc.key}` : `[${loc.section}]`
    : loc.key;
  return what !== undefined ? `${where}: ${what}: ${detail}` : `${where}: ${detail}`;
}

export class UsageError extends MrsockoError {
  constructor(message: string) {
    super('MRSOCKO_USAGE', message);
    this.name = 'UsageError';
  }
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof MrsockoError) {
    if (err.code === 'MRSOCKO_CONFIG') return EXIT_CONFIG;
    if (err.code === 'MRSOCKO_USAGE') return EXIT_USAGE;
  }
  return EXIT_FAILURE;
}

// Thrown by the pure value parsers (time spans, addresses, argv). They do not know where
// a value came from; load.ts catches exactly this class and re-throws it as a
// ConfigError with file, line, section and key. Anything else escaping a parser is a bug
// and must not be dressed up as a config problem.

export class ValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValueError';
  }
}
