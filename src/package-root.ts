// Where the installed package's files are (package.json, native/, units/). Compiled, this
// module is dist/src/package-root.js; bundled (scripts/bundle.mjs) it is part of
// dist/mrsocko.js: the root is found by walking up to mrsocko's own package.json, so the
// same code works from both places.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's root directory. */
function findPackageRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = path.dirname(dir)) {
    if (isOurPackage(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`mrsocko's package.json is not in ${here} or above it`);
  }
}

/** Found once: the addon is looked up for every inherited socket and notify socket. */
const packageRoot = findPackageRoot();

/** A file of the package, from its root: `packagePath('native', 'build')`. */
export function packagePath(...parts: string[]): string {
  return path.join(packageRoot, ...parts);
}

function isOurPackage(file: string): boolean {
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: unknown }).name === 'mrsocko';
  } catch {
    return false;
  }
}
