#!/usr/bin/env node
// Builds the native data path (splice.c) with node-gyp, from Node.js's installed headers
// only: nothing is downloaded. The addon is optional: when it cannot be built, this says
// why and how to fix it, and exits 0 — mrsocko then moves bytes in JavaScript, as
// `mrsocko check` and its start-up log say. MRSOCKO_NATIVE=required makes a failed build
// fail the install (for CI and packagers who want to be sure).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const required = process.env.MRSOCKO_NATIVE === 'required';

function give_up(why) {
  process.stderr.write(
    `mrsocko: the native data path was not built (${why}).\n` +
      'mrsocko works without it, moving bytes in JavaScript. To build it: install g++, make and python3,\n' +
      'make sure Node.js headers are installed (include/node/node_api.h next to the node binary, or\n' +
      'npm config nodedir), then run `npm run build:native`. See docs/native.md.\n',
  );
  process.exit(required ? 1 : 0);
}

if (process.platform !== 'linux') give_up('splice() is Linux only');

// node-gyp downloads headers unless told where they are: find the installed ones.
const prefix = path.dirname(path.dirname(process.execPath));
let nodedir = process.env.npm_config_nodedir;
if (!nodedir && fs.existsSync(path.join(prefix, 'include/node/node_api.h'))) nodedir = prefix;
if (!nodedir || !fs.existsSync(path.join(nodedir, 'include/node/node_api.h'))) {
  give_up(`no Node.js headers in ${nodedir ?? path.join(prefix, 'include/node')}`);
}

// npm puts its own node-gyp on PATH for scripts; outside npm, use the one npm ships with.
const bundled = [
  path.join(prefix, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  path.join(path.dirname(process.env.npm_execpath ?? ''), '../node_modules/node-gyp/bin/node-gyp.js'),
].find((f) => fs.existsSync(f));
const onPath = spawnSync('node-gyp', ['--version'], { stdio: 'ignore' }).status === 0;
const [command, prefixArgs] = bundled ? [process.execPath, [bundled]] : onPath ? ['node-gyp', []] : [undefined, []];
if (command === undefined) give_up('node-gyp not found (it comes with npm)');

const result = spawnSync(command, [...prefixArgs, 'rebuild', `--nodedir=${nodedir}`, '--directory', here], {
  stdio: ['ignore', 'inherit', 'inherit'],
});
if (result.status !== 0) give_up(result.error ? result.error.message : `node-gyp exited with ${result.status ?? result.signal}`);
process.stderr.write('mrsocko: native data path built (native/build/Release/splice.node)\n');
