// mrsocko's version, from its package.json.
import { readFileSync } from 'node:fs';
import { packagePath } from './package-root.js';

export function version(): string {
  const pkg = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string };
  return pkg.version;
}
