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
