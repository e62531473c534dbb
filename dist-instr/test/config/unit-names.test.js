// `unit =` names follow systemd's grammar (unit-name.c) and never reach systemctl or
// journalctl as an option: `unit = -H…` once made systemctl connect elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/load.js';
import { normalizeUnitName } from '../../src/config/unit-name.js';
import { SystemctlBackend } from '../../src/backend/systemctl.js';
import { isActive } from '../../src/backend/unit-watch.js';
import { haveCommand, prerequisite } from '../helpers/require.js';
test('the attack: unit = -H… is refused at load, naming the line', () => {
    assert.throws(() => normalizeUnitName('-Hroot@10.0.0.1'), /starts with "-", which systemctl would read as an option/);
    assert.throws(() => normalizeUnitName('--host=x'), /starts with "-"/);
    assert.throws(() => parseConfig('[service]\nunit = -Hnobody@127.0.0.1\n[socket.web]\nlisten = 80\nbackend = 127.0.0.1:1\n', '/x.conf'), /x\.conf:2: \[service\] unit: "-Hnobody@127\.0\.0\.1" starts with "-"/);
});
test('systemd\'s grammar: PREFIX[@INSTANCE].service, no empty prefix, no template, at most 255 characters', () => {
    assert.equal(normalizeUnitName('a-b_c.d:e\\x2d'), 'a-b_c.d:e\\x2d.service');
    assert.equal(normalizeUnitName('getty@tty1'), 'getty@tty1.service');
    assert.equal(normalizeUnitName('a@b@c.service'), 'a@b@c.service', 'the instance may hold "@"');
    assert.throws(() => normalizeUnitName('@x.service'), /nothing before "@"/);
    assert.throws(() => normalizeUnitName('a@.service'), /template/);
    assert.throws(() => normalizeUnitName('a'.repeat(248)), /limited to 255/);
    assert.equal(normalizeUnitName('a'.repeat(247)).length, 255);
    assert.throws(() => normalizeUnitName('a%b'), /not a unit name/);
});
test('systemctl and journalctl get "--" before the unit name (real systemctl: a name is never an option)', async (t) => {
    if (!prerequisite(t, haveCommand('systemctl'), 'systemctl not installed'))
        return;
    // Bypassing the config's check on purpose: the calls themselves must be safe.
    const unit = '-Hnobody@127.0.0.1.service';
    const backend = new SystemctlBackend({ unit, env: { PATH: process.env.PATH }, stopTimeoutMs: 1000, output: () => undefined });
    const err = await backend.start(new AbortController().signal).then(() => undefined, (e) => e);
    assert.ok(err instanceof Error, 'starting a unit that does not exist fails');
    // Without "--", systemctl takes -H as --host and then misses the unit: "Too few arguments."
    assert.doesNotMatch(err.message, /Too few arguments|ssh/i, err.message);
    assert.doesNotMatch(isActive(unit, { PATH: process.env.PATH }), /Too few arguments/);
});
//# sourceMappingURL=unit-names.test.js.map