// `npm run build`, after tsc: dist/src/cli/main.js and everything it imports as one file,
// dist/mrsocko-main.cjs, run by the package's bin dist/mrsocko.cjs (scripts/bin-loader.cjs)
// from a V8 code cache made here. A socket-activated mrsocko starts while its first client
// waits: one file compiled from a cache instead of ~110 ES modules to resolve, read, compile
// and link takes well over 100 ms off that start on a small machine (docs/performance.md).
// Node.js addons (native/, sd-notify) stay outside, loaded at run time, and winston (see
// below). src/ loads CommonJS with createRequire (src/net/ipaddr.ts says why); here that
// is the bundle's own require, so that node:module is not loaded at all, and ipaddr.js
// is bundled: compiled from the cache with the rest instead of read and compiled at start.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { trainCodeCache } from './train-code-cache.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const bin = path.join(dist, 'mrsocko.cjs');
const bundle = path.join(dist, 'mrsocko-main.cjs');
const cache = `${bundle}.cache`;

await build({
  entryPoints: [path.join(dist, 'src', 'cli', 'main.js')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  // CommonJS, not ESM: in one ES module every import of a Node.js module is loaded at start,
  // those of commands not run (gen-unit's crypto, knock's dns) too; bundled as CommonJS each
  // is required when the module importing it is first used.
  format: 'cjs',
  target: 'node20',
  define: { 'import.meta.url': 'mrsockoBundleUrl' },
  banner: { js: "const mrsockoBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  // winston only for `[log] file` (src/log/logger.ts): loaded from node_modules when configured.
  external: ['*.node', 'sd-notify', 'winston', 'winston-daily-rotate-file'],
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [{
    name: 'mrsocko-require',
    setup(b) {
      b.onResolve({ filter: /^node:module$/ }, () => ({ path: 'node:module', namespace: 'mrsocko-require' }));
      // createRequire(url) anywhere in the bundle: the bundle's require (its url is the bundle's too)
      b.onLoad({ filter: /.*/, namespace: 'mrsocko-require' }, () => ({ contents: 'export const createRequire = () => require;', loader: 'js' }));
      b.onLoad({ filter: /[\\/]dist[\\/]src[\\/]net[\\/]ipaddr\.js$/ }, () => ({
        contents: "import ipaddrJs from 'ipaddr.js';\nexport const ipaddr = ipaddrJs;\n",
        loader: 'js',
        resolveDir: root,
      }));
    },
  }],
});
// The bin (scripts/bin-loader.cjs) compiles the bundle itself: no #! line in it.
// esbuild gives each module that imports a Node.js module (`import fs from 'node:fs'`) a
// copy of its exports, a getter per name: 47 copies at a start, about 3 ms of it. One per
// module does the same (they are read-only views of exports that do not change).
const TO_ESM = 'var __toESM = (mod, isNodeMode, target) => (';
const AFTER_TO_ESM = 'var __toCommonJS = ';
let text = readFileSync(bundle, 'utf8').replace(/^#![^\n]*\n/, '');
if (!text.includes(TO_ESM) || !text.includes(AFTER_TO_ESM)) throw new Error('bundle: esbuild\'s __toESM helper is not as scripts/bundle.mjs expects');
text = text.replace(TO_ESM, 'var __toESMEach = (mod, isNodeMode, target) => (').replace(AFTER_TO_ESM, [
  'var __toESMOnce = new WeakMap();',
  'var __toESM = (mod, isNodeMode) => {',
  '  if (!isNodeMode || mod === null || (typeof mod !== "object" && typeof mod !== "function")) return __toESMEach(mod, isNodeMode);',
  '  let ns = __toESMOnce.get(mod);',
  '  if (ns === void 0) __toESMOnce.set(mod, (ns = __toESMEach(mod, isNodeMode)));',
  '  return ns;',
  '};',
  AFTER_TO_ESM,
].join('\n'));
writeFileSync(bundle, text);
copyFileSync(path.join(root, 'scripts', 'bin-loader.cjs'), bin);
chmodSync(bin, 0o755);
chmodSync(path.join(dist, 'src', 'cli', 'main.js'), 0o755);

// V8's code cache for the bundle, made by the Node.js binary and flags the units run it with
// (NODE_FLAGS of src/systemd/units.ts): V8 refuses a cache made under other flags. First
// from `run --help` (every module's top-level code), then from a real start where one can
// run here (scripts/train-code-cache.mjs); a cache V8 would not take is made again.
const { NODE_FLAGS } = await import(path.join(dist, 'src', 'systemd', 'units.js'));
const fromHelp = () => {
  rmSync(cache, { force: true });
  const made = spawnSync(process.execPath, [...NODE_FLAGS, bin, 'run', '--help'], {
    env: { ...process.env, MRSOCKO_WRITE_CODE_CACHE: cache },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (made.status !== 0) throw new Error(`making the code cache: ${bin} run --help exited with ${made.status ?? made.signal}`);
};
const accepted = () => /code cache .*: used$/m.test(spawnSync(process.execPath, [...NODE_FLAGS, bin, '--version'], {
  env: { ...process.env, NODE_DEBUG: 'mrsocko' },
  encoding: 'utf8',
}).stderr);
fromHelp();
const untrained = await trainCodeCache({ node: process.execPath, flags: NODE_FLAGS, bin, cache });
if (untrained !== undefined || !accepted()) {
  console.warn(`bundle: the code cache covers no start (${untrained ?? 'V8 refused the trained cache'})`);
  fromHelp();
}
