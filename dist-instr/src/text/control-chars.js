// Control characters in text that came from outside (a config, a client, a backend).
// C0 (U+0000-U+001F), DEL (U+007F) and C1 (U+0080-U+009F) alike: none belongs in a path,
// an address, a name or a command word, a line break inside one ends a line of a systemd
// unit (systemd's reader ends lines at \n, \r and NUL), and a terminal takes C0 and C1 as
// commands (C1 is CSI, OSC, ... in 8-bit form, which some terminals still obey).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_ALL = /[\u0000-\u001f\u007f-\u009f]/g;
const NAMES = {
    0: 'a NUL character (byte 0)',
    9: 'a tab (U+0009)',
    10: 'a line feed (U+000A)',
    13: 'a carriage return (U+000D)',
    27: 'an escape (U+001B)',
    127: 'a DEL character (U+007F)',
};
const hex4 = (code) => code.toString(16).toUpperCase().padStart(4, '0');
/** "a carriage return (U+000D)" for the first control character of `text`, or undefined. */
export function firstControlCharacter(text) {
    const found = CONTROL.exec(text);
    if (found === null)
        return undefined;
    const code = found[0].charCodeAt(0);
    return NAMES[code] ?? `a control character (U+${hex4(code)})`;
}
/** `text` with each control character shown as a C escape (\n, \r, \t, \xHH, \u0085),
 *  so that none reaches a terminal or a unit file raw. For display: backslashes are kept
 *  as they are, so the escapes are not reversible. */
export function escapeControlCharacters(text) {
    if (!CONTROL.test(text))
        return text;
    return text.replace(CONTROL_ALL, (c) => {
        const code = c.charCodeAt(0);
        if (c === '\n')
            return '\\n';
        if (c === '\r')
            return '\\r';
        if (c === '\t')
            return '\\t';
        return code < 0x100 && code <= 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${hex4(code).toLowerCase()}`;
    });
}
//# sourceMappingURL=control-chars.js.map