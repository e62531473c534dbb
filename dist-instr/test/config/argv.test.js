import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quoteArgv, splitArgv, stripInlineComment } from '../../src/config/argv.js';
import { ValueError } from '../../src/errors.js';
test('blanks separate words; quotes group, also mid-word, and may be empty', () => {
    const cases = [
        ['/usr/bin/python3 -m http.server 18080', ['/usr/bin/python3', '-m', 'http.server', '18080']],
        ['  a \t b  ', ['a', 'b']],
        ['/bin/sh -c "echo bye; kill 1"', ['/bin/sh', '-c', 'echo bye; kill 1']],
        ["/bin/sh -c 'echo \"hi\"'", ['/bin/sh', '-c', 'echo "hi"']],
        ['a"b c"d', ['ab cd']],
        ['--name="my app"', ['--name=my app']],
        ['x "" y', ['x', '', 'y']],
        ["''", ['']],
        ['echo $HOME * |', ['echo', '$HOME', '*', '|']],
        ['', []],
    ];
    for (const [text, argv] of cases)
        assert.deepEqual(splitArgv(text), argv, text);
});
test('backslash escapes as in systemd, inside and outside quotes', () => {
    const cases = [
        ['a\\ b', ['a b']],
        ['"a\\"b"', ['a"b']],
        ["'it\\'s'", ["it's"]],
        ['a\\\\b', ['a\\b']],
        ['"tab\\there"', ['tab\there']],
        ['line\\nbreak', ['line\nbreak']],
        ['a\\sb', ['a b']],
        ['\\x41\\101\\u00e9\\U0001F600', ['AAé😀']],
        ['find . -exec rm {} \\;', ['find', '.', '-exec', 'rm', '{}', ';']],
        ['\\#notacomment', ['#notacomment']],
    ];
    for (const [text, argv] of cases)
        assert.deepEqual(splitArgv(text), argv, text);
});
test('errors: unterminated quotes, lone backslash, unknown or NUL escapes', () => {
    const bad = [
        ['/bin/sh -c "echo', /unterminated " quote/],
        ["it's", /unterminated ' quote/],
        ['trailing\\', /lone backslash/],
        ['a\\qb', /unknown escape \\q/],
        ['a\\x00', /not a usable character/],
        ['a\\000', /not a usable character/],
    ];
    for (const [text, pattern] of bad) {
        assert.throws(() => splitArgv(text), (err) => err instanceof ValueError && pattern.test(err.message), text);
    }
});
test('quoteArgv output splits back to the same argv', () => {
    const samples = [
        ['/usr/bin/python3', '-m', 'http.server', '18080'],
        ['/bin/sh', '-c', 'echo bye; kill 1 # done'],
        ['', 'a b', 'it\'s', 'say "hi"', 'back\\slash', 'tab\tnew\nline', 'bell\x07', 'é'],
        ['--opt=a,b:c/d@e%f+g'],
    ];
    for (const argv of samples)
        assert.deepEqual(splitArgv(quoteArgv(argv)), argv);
    assert.equal(quoteArgv(['/bin/true', '--x=1']), '/bin/true --x=1', 'plain words stay unquoted');
    assert.equal(quoteArgv(['a b']), '"a b"');
});
test('inline comments start with ; or # only outside quotes and after a blank', () => {
    const cases = [
        [' /bin/x --a   ; comment', '/bin/x --a'],
        [' /bin/x # comment', '/bin/x'],
        [' /bin/sh -c "echo bye; kill 1"   ; stop it', '/bin/sh -c "echo bye; kill 1"'],
        [" /bin/sh -c 'a # b'", "/bin/sh -c 'a # b'"],
        [' /bin/x a;b c#d', '/bin/x a;b c#d'],
        [' find . -exec rm {} \\;', 'find . -exec rm {} \\;'],
        ['; all comment', ''],
        [' /bin/x "unterminated ; still inside', '/bin/x "unterminated ; still inside'],
    ];
    for (const [raw, value] of cases)
        assert.equal(stripInlineComment(raw), value, raw);
});
//# sourceMappingURL=argv.test.js.map