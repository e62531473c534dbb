// contrib/install.sh makes the sd-notify addon the default path: when it did not build,
// the install stops before writing anything, naming what to install (or the option that
// accepts the Type=simple fallback).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { isRoot, prerequisite } from '../helpers/require.js';
test('install.sh without the sd-notify addon: stops, says what to install and how to go on without it', (t) => {
    if (!prerequisite(t, isRoot, 'install.sh runs as root only'))
        return;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mrsocko-install-addon-'));
    try {
        // Node as on a machine where `npm ci` skipped the addon: requiring it fails.
        const hide = path.join(dir, 'hide-sd-notify.cjs');
        fs.writeFileSync(hide, `const M = require('module'); const r = M._resolveFilename;
M._resolveFilename = function (request, ...rest) {
  if (request === 'sd-notify') throw Object.assign(new Error("Cannot find module 'sd-notify'"), { code: 'MODULE_NOT_FOUND' });
  return r.call(this, request, ...rest);
};\n`);
        const prefix = path.join(dir, 'prefix');
        const units = path.join(dir, 'units');
        const r = spawnSync(path.join(repoRoot, 'contrib/install.sh'), ['--no-build', '--prefix', prefix, '--unit-dir', units], {
            encoding: 'utf8',
            env: { PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`, NODE_OPTIONS: `--require ${hide}` },
            timeout: 60_000,
        });
        assert.equal(r.status, 1, r.stdout + r.stderr);
        assert.match(r.stderr, /the sd-notify addon is not built \(.*Cannot find module 'sd-notify'/);
        assert.match(r.stderr, /apt-get install libsystemd-dev g\+\+ make python3 && \(cd .* && npm rebuild sd-notify\)/);
        assert.match(r.stderr, /--without-sd-notify/);
        assert.equal(fs.existsSync(prefix), false, 'nothing installed');
        assert.equal(fs.existsSync(units), false);
    }
    finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
//# sourceMappingURL=install-addon.test.js.map