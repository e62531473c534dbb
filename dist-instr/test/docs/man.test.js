// The manuals: man/mrsocko.8 and man/mrsocko.conf.5 render without a single warning, and
// they document what the program accepts: every config key the loader takes (asked of the
// loader itself, so a new key without documentation fails here), every command and option
// the CLI's help lists. Nothing is documented that the loader would refuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { cliPath, repoRoot } from '../helpers/paths.js';
import { haveCommand, prerequisite } from '../helpers/require.js';
const PAGES = ['man/mrsocko.8', 'man/mrsocko.conf.5'];
const page = (name) => fs.readFileSync(path.join(repoRoot, name), 'utf8');
/** The text of a failed parse: what the loader says about `text`. */
function loaderSays(text) {
    try {
        parseConfig(text, 'probe.conf');
    }
    catch (err) {
        if (err instanceof ConfigError)
            return err.message;
        throw err;
    }
    assert.fail(`the loader accepted ${JSON.stringify(text)}`);
}
/** Section headers as written ("service", "socket.NAME", ...), from the unknown-section error. */
function sections() {
    const message = loaderSays('[zzzzzzzzzzzz]\n');
    const list = /\(sections: (.*)\)/.exec(message)?.[1];
    assert.ok(list !== undefined, `the loader no longer lists its sections: ${message}`);
    return [...list.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]);
}
/** The keys a section takes, from the unknown-key error (a key far from every real one). */
function keysOf(section) {
    const header = section === 'socket.NAME' ? 'socket.probe' : section;
    const message = loaderSays(`[${header}]\nzzzzzzzzzzzz = 1\n`);
    const list = /takes: (.*)$/.exec(message)?.[1];
    assert.ok(list !== undefined, `the loader no longer lists the keys of [${section}]: ${message}`);
    return list.split(', ');
}
/** The `.B key =` tags under each `.SH "[section]"` of mrsocko.conf.5. */
function documentedKeys() {
    const documented = new Map();
    let current;
    for (const line of page('man/mrsocko.conf.5').split('\n')) {
        const heading = /^\.SH "\[(.+)\]"$/.exec(line);
        if (heading)
            documented.set(heading[1], (current = []));
        else if (line.startsWith('.SH '))
            current = undefined;
        const key = /^\.B ([a-z_]+) =$/.exec(line);
        if (key && current)
            current.push(key[1]);
    }
    return documented;
}
for (const name of PAGES) {
    test(`${name} renders without warnings (man --warnings, groff -ww)`, (t) => {
        if (!prerequisite(t, haveCommand('man') && haveCommand('groff'), 'man and groff (Debian: man-db, groff-base)'))
            return;
        const file = path.join(repoRoot, name);
        // 80 columns is the usual terminal; 120 a wide one. Narrower, long paths cannot be broken.
        for (const width of ['80', '120']) {
            const man = spawnSync('man', ['--warnings=all', '-l', file], {
                encoding: 'utf8',
                env: { PATH: process.env.PATH, MANWIDTH: width, LANG: 'C.UTF-8', MAN_KEEP_FORMATTING: '' },
            });
            assert.equal(man.status, 0, `man -l ${name} failed: ${man.stderr}`);
            assert.equal(man.stderr, '', `man --warnings=all -l ${name} at ${width} columns`);
            assert.match(man.stdout, /NAME/);
        }
        const groff = spawnSync('groff', ['-man', '-ww', '-z', file], { encoding: 'utf8' });
        assert.equal(groff.status, 0, groff.stderr);
        assert.equal(groff.stderr, '', `groff -man -ww -z ${name}`);
    });
}
test('mrsocko.conf.5 documents every key the loader accepts, in its section, and no other', () => {
    const documented = documentedKeys();
    const accepted = sections();
    assert.ok(accepted.includes('service') && accepted.includes('socket.NAME'), `sections: ${accepted.join(', ')}`);
    for (const section of accepted) {
        const keys = keysOf(section);
        assert.ok(keys.length > 0, section);
        const inPage = documented.get(section);
        assert.ok(inPage !== undefined, `mrsocko.conf.5 has no .SH "[${section}]"`);
        for (const key of keys)
            assert.ok(inPage.includes(key), `[${section}] ${key} is not documented in mrsocko.conf.5 (.B ${key} =)`);
        for (const key of inPage)
            assert.ok(keys.includes(key), `mrsocko.conf.5 documents [${section}] ${key}, which the loader refuses`);
    }
    for (const section of documented.keys())
        assert.ok(accepted.includes(section), `mrsocko.conf.5 documents [${section}], which the loader refuses`);
});
test('both manuals name the version in package.json', () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    for (const name of PAGES)
        assert.match(page(name), new RegExp(`^\\.TH .* "mrsocko ${version.replace(/\./g, '\\.')}"`, 'm'), name);
});
test('mrsocko.8 documents every command and every option of their --help', () => {
    const man = page('man/mrsocko.8').replace(/\\-/g, '-');
    const cli = (args) => {
        const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } });
        assert.equal(r.status, 0, `mrsocko ${args.join(' ')}: ${r.stderr}`);
        return r.stdout;
    };
    const commands = [...cli(['--help']).split('Commands:')[1].split('\n\n')[0].matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]);
    assert.ok(commands.length >= 4, `commands: ${commands.join(', ')}`);
    for (const command of commands) {
        assert.match(man, new RegExp(`^\\.SS "mrsocko ${command}[ "]`, 'm'), `mrsocko.8 has no .SS for ${command}`);
        for (const option of new Set(cli([command, '--help']).match(/--[a-z][a-z-]*/g) ?? [])) {
            assert.ok(man.includes(option), `mrsocko ${command} ${option} is not in mrsocko.8`);
        }
    }
    for (const option of ['--help', '--version'])
        assert.ok(man.includes(option), option);
});
//# sourceMappingURL=man.test.js.map