import { fileURLToPath } from 'node:url';
import path from 'node:path';
/** Repository root (tests run from dist/test/..., sources live beside dist/). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** The built CLI entry point. */
export const cliPath = path.join(repoRoot, 'dist/src/cli/main.js');
/** A file of test/fixtures. */
export const fixture = (name) => path.join(repoRoot, 'test/fixtures', name);
//# sourceMappingURL=paths.js.map