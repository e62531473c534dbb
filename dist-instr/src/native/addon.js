// The native addon (native/: splice.c for the data path, notify.c for `ready = notify`),
// built by node-gyp at install time and optional: whoever uses a part of it says what
// mrsocko does without it.
import { createRequire } from 'node:module';
/** Where node-gyp puts the addon, from dist/src/native/. */
const ADDON_URL = new URL('../../../native/build/Release/splice.node', import.meta.url);
/** The addon's exports, or why it could not be loaded (its first line). */
export function loadNativeAddon() {
    try {
        return createRequire(import.meta.url)(ADDON_URL.pathname);
    }
    catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        return message.split('\n')[0] ?? message;
    }
}
/** One export of the addon (a class), or why it is not there, in words. */
export function nativeClass(name) {
    if (process.platform !== 'linux')
        return 'the native addon is Linux only';
    const loaded = loadNativeAddon();
    if (typeof loaded === 'string')
        return loaded;
    const value = loaded[name];
    return typeof value === 'function' ? value : `the addon has no ${name}; rebuild it with \`npm run build:native\``;
}
//# sourceMappingURL=addon.js.map