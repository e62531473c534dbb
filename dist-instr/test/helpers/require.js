import { spawnSync } from 'node:child_process';
export const inCI = process.env.CI === 'true';
/** Returns true when the test may go on; otherwise skips (locally) or throws (in CI). */
export function prerequisite(t, ok, reason) {
    if (ok)
        return true;
    if (inCI)
        throw new Error(`prerequisite missing in CI: ${reason}`);
    console.log(`# skipped: ${reason}`);
    t.skip(reason);
    return false;
}
export function haveCommand(name) {
    return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}
export const isRoot = process.getuid?.() === 0;
//# sourceMappingURL=require.js.map