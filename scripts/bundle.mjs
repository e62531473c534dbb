// `npm run build`, after tsc: dist/src/cli/main.js and everything it imports as one file,
// dist/mrsocko.cjs — the package's bin and what the units run. A socket-activated mrsocko
// starts while its first client waits: one file to read and compile instead of ~110 ES
// modules to resolve, read and link takes about 100 ms off that start on a small machine
// (docs/performance.md). Node.js addons (native/, sd-notify) stay outside, loaded at run
// time; so does what src/ loads with createRequire (ipaddr.js) and winston (below).
import { chmodSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.join(root, 'dist', 'mrsocko.cjs');

await build({
  entryPoints: [path.join(root, 'dist', 'src', 'cli', 'main.js')],
  outfile,
  bundle: true,
  platform: 'node',
  // CommonJS, not ESM: in one ES module every import of a Node.js module is loaded at start,
  // those of commands not run (gen-unit's crypto, knock's dns) too; bundled as CommonJS each
  // is required when the module importing it is first used.
  format: 'cjs',
  target: 'node20',
  define: { 'import.meta.url': 'mrsockoBundleUrl' },
  banner: { js: '"use strict";\n' + "const mrsockoBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  // winston only for `[log] file` (src/log/logger.ts): loaded from node_modules when configured.
  external: ['*.node', 'sd-notify', 'winston', 'winston-daily-rotate-file'],
  legalComments: 'none',
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
chmodSync(path.join(root, 'dist', 'src', 'cli', 'main.js'), 0o755);
