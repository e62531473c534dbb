import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Repository root (tests run from dist/test/..., sources live beside dist/). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** The built CLI entry point. */
/** The bundle `npm run build` makes (scripts/bundle.mjs): what the package's bin and the units run. */
export const cliPath = path.join(repoRoot, 'dist/mrsocko.cjs');

/** A file of test/fixtures. */
export const fixture = (name: string): string => path.join(repoRoot, 'test/fixtures', name);
