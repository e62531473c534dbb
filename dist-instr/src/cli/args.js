// Every subcommand parses its options the same way: strict, and a parse error is a usage
// error (exit 2) with parseArgs' message, or a better one from the command's `explain`.
import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
export function parseCommandArgs(args, options, allowPositionals, explain = (err) => (err instanceof Error ? err.message : String(err))) {
    try {
        return parseArgs({ args: [...args], options, strict: true, allowPositionals });
    }
    catch (err) {
        throw new UsageError(explain(err));
    }
}
//# sourceMappingURL=args.js.map