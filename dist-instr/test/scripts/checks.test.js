// The two structure checks npm test runs before the tests (scripts/): each fails on what it
// is there to catch, in a throw-away tree of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/daemon.js';
function tree(files) {
    const dir = tempDir('mrsocko-checks-');
    const all = {
        'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true }, include: ['src/**/*.ts', 'test/**/*.ts'] }),
        ...files,
    };
    for (const [name, text] of Object.entries(all)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), text);
    }
    return dir;
}
const run = (script, cwd) => spawnSync(process.execPath, [path.join(repoRoot, 'scripts', script)], { cwd, encoding: 'utf8' });
test('unused-exports: an export nothing in src/ imports fails, one only a test imports fails too, one src/ uses passes', () => {
    const dir = tree({
        'src/a.ts': "export const used = 1;\nexport const dead = 2;\nexport function onlyTested(): number { return 3; }\n",
        'src/b.ts': "import { used } from './a.js';\nexport const b = used;\n",
        'src/c.ts': "import { b } from './b.js';\nconsole.log(b);\n",
        'test/a.test.ts': "import { onlyTested } from '../src/a.js';\nconsole.log(onlyTested());\n",
    });
    const r = run('unused-exports.mjs', dir);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /src\/a\.ts:dead: not used anywhere/);
    assert.match(r.stderr, /src\/a\.ts:onlyTested: used only by tests/);
    assert.doesNotMatch(r.stderr, /:used:|src\/b\.ts:b/);
    fs.writeFileSync(path.join(dir, 'src/a.ts'), 'export const used = 1;\n');
    fs.rmSync(path.join(dir, 'test'), { recursive: true });
    const ok = run('unused-exports.mjs', dir);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
});
test('import-graph: a cycle between directories fails and is named; a one-way graph passes', () => {
    const dir = tree({
        'src/up/a.ts': "import { b } from '../down/b.js';\nexport const a = b;\n",
        'src/down/b.ts': "import type { A } from '../up/t.js';\nexport const b = 1 as unknown as A;\n",
        'src/up/t.ts': 'export type A = number;\n',
    });
    const r = run('import-graph.mjs', dir);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stdout, /cycles:\n {2}(up → down → up|down → up → down)/);
    fs.writeFileSync(path.join(dir, 'src/down/b.ts'), 'export const b = 1;\n');
    const ok = run('import-graph.mjs', dir);
    assert.equal(ok.status, 0, ok.stdout);
    assert.match(ok.stdout, /^up +→ down$/m);
});
//# sourceMappingURL=checks.test.js.map