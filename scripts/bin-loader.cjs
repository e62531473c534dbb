#!/usr/bin/env -S node --single-threaded
// mrsocko's bin, dist/mrsocko.cjs (copied there by scripts/bundle.mjs): runs the bundle
// beside it, dist/mrsocko-main.cjs, compiled from the V8 code cache the build made for it
// (dist/mrsocko-main.cjs.cache): a socket-activated mrsocko starts while its first client
// waits, and compiling the bundle is a good part of that start. A cache V8 does not accept
// (another Node.js, other V8 flags) or a missing one only means compiling from source.
// NODE_DEBUG=mrsocko says which it was.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
// this module's own class, not require('node:module'): that one loads the ES module loader too
const Module = module.constructor;
const debug = require('node:util').debuglog('mrsocko');

const file = path.join(__dirname, 'mrsocko-main.cjs');
const cacheFile = `${file}.cache`;
let cachedData;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
debug('code cache %s: %s', cacheFile, cachedData === undefined ? 'missing' : script.cachedDataRejected ? 'rejected' : 'used');
const bundle = new Module(file, module);
bundle.filename = file;
bundle.paths = Module._nodeModulePaths(__dirname);
script.runInThisContext().call(bundle.exports, bundle.exports, Module.createRequire(file), bundle, file, __dirname);

if (process.env.MRSOCKO_WRITE_CODE_CACHE === cacheFile) {
  // The build: run a command (`run --help` loads every module the daemon uses; a real start,
  // scripts/train-code-cache.mjs, runs a start's functions too), then save what V8 compiled,
  // so the cache covers all that, not only the top level.
  process.once('beforeExit', () => fs.writeFileSync(cacheFile, script.createCachedData()));
}
bundle.exports.runFromCommandLine();
