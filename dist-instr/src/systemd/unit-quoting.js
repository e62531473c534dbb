// systemd's unit reader ends a line at \n, \r or NUL, joins a setting's line ending in a
// backslash with the next (systemd 252 does not continue comment lines; gen-unit's
// comments never end in one all the same), expands `%` specifiers in most values and
// unquotes and unescapes the words of list and command settings. The config refuses control
// characters in every value (../config/fields.ts); these functions still never let one
// through, so a value or comment can never add or swallow a line.
import { escapeControlCharacters, firstControlCharacter } from '../text/control-chars.js';
/** Internal invariant: no control character reaches a setting's value. */
function noControl(text) {
    const control = firstControlCharacter(text);
    if (control !== undefined)
        throw new Error(`internal error: ${control} in a unit value: ${escapeControlCharacters(text)}`);
    return text;
}
/** A value as systemd reads it back literally: `%` starts a specifier, so it is doubled. */
export function literal(text) {
    return noControl(text).replaceAll('%', '%%');
}
/** The text of a `# ...` comment line: control characters shown as escapes, and never a
 *  backslash at the end (were it continued, as a setting's line is, the next line, a
 *  setting, would become part of the comment). */
export function commentText(text) {
    const shown = escapeControlCharacters(text).trimEnd();
    return shown.endsWith('\\') ? `${shown.slice(0, -1)}\\x5c` : shown;
}
/** One word of a path list (ReadWritePaths=): quoted when needed, `%` doubled. */
export function unitWord(word) {
    const escaped = literal(word);
    if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped))
        return escaped;
    return `"${escaped.replace(/[\\"']/g, (c) => `\\${c}`)}"`;
}
/** One word of a command line (ExecStart=): also `$`, which would expand a variable. */
export function commandWord(word) {
    return unitWord(word.replaceAll('$', '$$$$'));
}
//# sourceMappingURL=unit-quoting.js.map