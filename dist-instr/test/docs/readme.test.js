// The README's promises that can drift: its length, a Quick start of exactly two commands
// that work as typed where you are root without sudo (so none starts with sudo), and CI
// (.ci/run) running the same test sequence as the Quick start's second line, and example
// configs (the README's, mrsocko.conf.5's) that load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { repoRoot } from '../helpers/paths.js';
const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
/** The commands of the first sh block under "## Quick start", comments stripped. */
function quickStart() {
    const section = readme.split(/^## Quick start$/m)[1]?.split(/^## /m)[0];
    assert.ok(section !== undefined, 'README has a "## Quick start"');
    const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(block !== undefined, 'the Quick start has a sh block');
    return block.split('\n').map((line) => line.replace(/\s+#.*$/, '').trim()).filter((line) => line !== '');
}
test('README.md is at most 300 lines', () => {
    assert.ok(readme.split('\n').length <= 300, `${readme.split('\n').length} lines`);
});
test('the Quick start is two commands, none through sudo', () => {
    const commands = quickStart();
    assert.equal(commands.length, 2, commands.join('\n'));
    for (const command of commands) {
        for (const step of command.split('&&'))
            assert.doesNotMatch(step.trim(), /^sudo\b/, `${command}: Debian's server images have no sudo`);
    }
    assert.match(commands[0], /npm start$/);
    assert.match(commands[1], /npm test$/);
});
test('.ci/run runs the Quick start\'s test sequence, in order', () => {
    const steps = quickStart()[1].split('&&').map((s) => s.trim());
    // a step may run with variables set for it (MRSOCKO_NATIVE=required npm ci ...)
    const ci = fs.readFileSync(path.join(repoRoot, '.ci/run'), 'utf8').split('\n')
        .map((l) => l.trim().replace(/^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+/, ''));
    let from = 0;
    for (const step of steps) {
        const at = ci.findIndex((line, i) => i >= from && (line === step || line.startsWith(`${step} `)));
        assert.ok(at >= 0, `.ci/run does not run "${step}" (after line ${from})`);
        from = at + 1;
    }
});
test('the README\'s and mrsocko.conf.5\'s example configs load', () => {
    const blocks = [...readme.matchAll(/```ini\n([\s\S]*?)```/g)].map((m) => m[1]);
    assert.ok(blocks.length >= 1, 'the README has an ini example');
    const man = fs.readFileSync(path.join(repoRoot, 'man/mrsocko.conf.5'), 'utf8');
    const example = /^\.SH EXAMPLE\n\.nf\n([\s\S]*?)^\.fi$/m.exec(man)?.[1];
    assert.ok(example !== undefined, 'mrsocko.conf.5 has an EXAMPLE');
    for (const text of [...blocks, example])
        assert.doesNotThrow(() => parseConfig(text, 'example.conf'), text);
});
//# sourceMappingURL=readme.test.js.map