// Every example config in contrib/examples/ is valid (`mrsocko check` exits 0) and
// `mrsocko gen-unit` can write its units.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cliPath, repoRoot } from '../helpers/paths.js';
const examples = path.join(repoRoot, 'contrib/examples');
const run = (args) => spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } });
for (const name of fs.readdirSync(examples).filter((n) => n.endsWith('.conf')).sort()) {
    test(`contrib/examples/${name}: check accepts it, gen-unit writes its units`, () => {
        const file = path.join(examples, name);
        const check = run(['check', '--config', file]);
        // check also resolves user = (as run would, before binding): an example's user that
        // this host does not have is then the one error, naming the line.
        const user = /^user = (\S+)/m.exec(fs.readFileSync(file, 'utf8'))?.[1];
        if (user !== undefined && spawnSync('getent', ['passwd', user]).status !== 0) {
            assert.equal(check.status, 78, check.stderr);
            assert.match(check.stderr, new RegExp(`${name}:\\d+: \\[service\\] user: no such user "${user}"`));
        }
        else {
            assert.equal(check.status, 0, `mrsocko check --config ${file}:\n${check.stderr}`);
        }
        const gen = run(['gen-unit', path.basename(name, '.conf'), '--config', file, '--stdout']);
        assert.equal(gen.status, 0, gen.stderr);
        assert.match(gen.stdout, /^Listen(Stream|Datagram)=/m);
    });
}
test('the examples the README promises are there', () => {
    for (const name of ['jellyfin.conf', 'minecraft.conf', 'docker-compose.conf']) {
        assert.ok(fs.existsSync(path.join(examples, name)), name);
    }
});
//# sourceMappingURL=examples.test.js.map