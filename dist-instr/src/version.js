// mrsocko's version, from its package.json (dist/src/version.js → ../../package.json).
import { readFileSync } from 'node:fs';
export function version() {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    return pkg.version;
}
//# sourceMappingURL=version.js.map