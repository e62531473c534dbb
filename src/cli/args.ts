// Every subcommand parses its options the same way: strict, and a parse error is a usage
// error (exit 2) with parseArgs' message, or a better one from the command's `explain`.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseCommandArgs<O extends Options, P extends boolean>(
  args: readonly string[],
  options: O,
  allowPositionals: P,
  explain: (err: unknown) => string = (err) => (err instanceof Error ? err.message : String(err)),
): ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: P }>> {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError(explain(err));
  }
}
