// Which code moves the bytes of an open stream connection: the native addon (native/,
// splice() kernel to kernel, see ./splice-pipe.ts) when it was built and loads, else the
// JavaScript copy loop (./pipe.ts). Decided once per process; MRSOCKO_DATA_PATH=js forces
// the JavaScript path (for tests, and for a user who suspects the addon).
import { loadNativeAddon } from '../native/addon.js';
export const DATA_PATH_ENV = 'MRSOCKO_DATA_PATH';
/** The addon, or why it could not be loaded. */
export function loadSpliceAddon() {
    if (process.platform !== 'linux')
        return 'splice() is Linux only';
    const loaded = loadNativeAddon();
    if (typeof loaded === 'string')
        return loaded;
    if (typeof loaded.Splice !== 'function')
        return 'the addon has no Splice';
    return loaded;
}
export function chooseDataPath(env) {
    const wanted = env[DATA_PATH_ENV] ?? '';
    if (wanted === 'js')
        return { name: 'js', addon: undefined, why: `${DATA_PATH_ENV}=js` };
    const known = wanted === '' || wanted === 'auto' || wanted === 'native';
    const addon = loadSpliceAddon();
    if (typeof addon === 'string') {
        const fix = 'build it with `npm run build:native` (needs g++, make, python3 and Node.js headers; see docs/native.md)';
        return { name: 'js', addon: undefined, why: `the native addon is not available (${addon}); ${fix}` };
    }
    const why = known ? 'the native addon is built' : `${DATA_PATH_ENV}=${wanted} is not js, native or auto; the native addon is built`;
    return { name: 'native', addon, why };
}
/** This process's choice (the environment and the addon do not change while it runs). */
export const dataPath = chooseDataPath(process.env);
export function describeDataPath(path) {
    const how = path.name === 'native' ? 'native (splice(), kernel to kernel)' : 'js (copied through Node.js)';
    return `TCP data path: ${how}: ${path.why}`;
}
//# sourceMappingURL=data-path.js.map