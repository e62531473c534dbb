// Unit names by systemd's grammar (unit-name.c), for `[service] unit =`.
import { ValueError } from '../errors.js';
const UNIT_TYPES = ['service', 'socket', 'device', 'mount', 'automount', 'swap', 'target', 'path', 'timer', 'slice', 'scope'];
/** Characters of a unit name (systemd's unit-name.c: VALID_CHARS, and "@" before the instance). */
const UNIT_NAME_CHARS = /^[A-Za-z0-9:_.\\@-]+$/;
/** systemd's UNIT_NAME_MAX is 256 with the terminating NUL. */
const UNIT_NAME_MAX_LENGTH = 255;
/**
 * "jellyfin" → "jellyfin.service", as systemctl reads it; other unit types are refused.
 * The result is a unit name by systemd's grammar (unit_name_is_valid(): PREFIX[@INSTANCE].TYPE),
 * never a template, and never starts with "-": systemd would take `-H….service`, but
 * systemctl and journalctl would read it as an option (mrsocko passes `--` before unit
 * names as well).
 */
export function normalizeUnitName(text) {
    if (text.includes('/'))
        throw new ValueError(`"${text}" is a path; expected a unit name such as jellyfin.service`);
    if (text.startsWith('-')) {
        throw new ValueError(`"${text}" starts with "-", which systemctl would read as an option; expected a unit name such as jellyfin.service`);
    }
    if (!UNIT_NAME_CHARS.test(text)) {
        throw new ValueError(`"${text}" is not a unit name (letters, digits and : _ . \\ @ - only)`);
    }
    const suffix = text.slice(text.lastIndexOf('.') + 1);
    const isTyped = text.includes('.') && UNIT_TYPES.includes(suffix);
    if (isTyped && suffix !== 'service') {
        throw new ValueError(`"${text}" is a .${suffix} unit; mrsocko starts and stops .service units`);
    }
    const unit = isTyped ? text : `${text}.service`;
    if (unit === '.service')
        throw new ValueError('the unit name is empty');
    if (unit.endsWith('@.service'))
        throw new ValueError(`"${unit}" is a template; name an instance, e.g. ${unit.replace('@.', '@NAME.')}`);
    if (unit.length > UNIT_NAME_MAX_LENGTH)
        throw new ValueError(`unit names are limited to ${UNIT_NAME_MAX_LENGTH} characters`);
    const stem = unit.slice(0, unit.lastIndexOf('.'));
    const at = stem.indexOf('@');
    const prefix = at < 0 ? stem : stem.slice(0, at);
    if (prefix === '')
        throw new ValueError(`"${text}" has nothing before "@"; expected NAME@INSTANCE.service`);
    return unit;
}
//# sourceMappingURL=unit-name.js.map