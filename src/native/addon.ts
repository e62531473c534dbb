// The native addon (native/: splice.c for the data path, notify.c for `ready = notify`),
// built by node-gyp at install time and optional: whoever uses a part of it says what
// mrsocko does without it.
import { createRequire } from 'node:module';
import { getSystemErrorName } from 'node:util';
import { packagePath } from '../package-root.js';

/** The addon's exports, or why it could not be loaded (its first line). */
export function loadNativeAddon(): Record<string, unknown> | string {
  try {
    // Where node-gyp puts it.
    return createRequire(import.meta.url)(packagePath('native', 'build', 'Release', 'splice.node')) as Record<string, unknown>;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return message.split('\n')[0] ?? message;
  }
}

/** One export of the addon (a class), or why it is not there, in words. */
export function nativeClass(name: string): Function | string {
  if (process.platform !== 'linux') return 'the native addon is Linux only';
  const loaded = loadNativeAddon();
  if (typeof loaded === 'string') return loaded;
  const value = loaded[name];
  return typeof value === 'function' ? value : `the addon has no ${name}; rebuild it with \`npm run build:native\``;
}

/** An errno the addon reports (positive), as Node's own socket code makes errors: "read ECONNRESET". */
export function errnoError(errno: number, syscall: string): NodeJS.ErrnoException {
  let code: string;
  try {
    code = getSystemErrorName(-errno);
  } catch {
    code = `errno ${errno}`;
  }
  return Object.assign(new Error(`${syscall} ${code}`), { errno: -errno, code, syscall });
}
