// systemd time spans, as in systemd.time(7): "90" (seconds), "500ms", "1h 30min", "2h30m",
// "1.5s", "infinity". Parsed to milliseconds (Infinity for "infinity").
// Work is done in whole microseconds, like systemd's usec_t, so "1.1s" is exactly 1100 ms.
import { ValueError } from '../errors.js';
const USEC_PER_MS = 1_000;
const USEC_PER_SEC = 1_000_000;
const USEC_PER_MIN = 60 * USEC_PER_SEC;
const USEC_PER_HOUR = 60 * USEC_PER_MIN;
const USEC_PER_DAY = 24 * USEC_PER_HOUR;
const USEC_PER_WEEK = 7 * USEC_PER_DAY;
// systemd's month and year: 30.44 and 365.25 days.
const USEC_PER_MONTH = 2_629_800 * USEC_PER_SEC;
const USEC_PER_YEAR = 31_557_600 * USEC_PER_SEC;
/** Unit names as systemd accepts them. Case matters: "M" is a month, "m" a minute. */
const UNITS = new Map([
    ['usec', 1], ['us', 1], ['μs', 1],
    ['msec', USEC_PER_MS], ['ms', USEC_PER_MS],
    ['seconds', USEC_PER_SEC], ['second', USEC_PER_SEC], ['sec', USEC_PER_SEC], ['s', USEC_PER_SEC],
    ['minutes', USEC_PER_MIN], ['minute', USEC_PER_MIN], ['min', USEC_PER_MIN], ['m', USEC_PER_MIN],
    ['hours', USEC_PER_HOUR], ['hour', USEC_PER_HOUR], ['hr', USEC_PER_HOUR], ['h', USEC_PER_HOUR],
    ['days', USEC_PER_DAY], ['day', USEC_PER_DAY], ['d', USEC_PER_DAY],
    ['weeks', USEC_PER_WEEK], ['week', USEC_PER_WEEK], ['w', USEC_PER_WEEK],
    ['months', USEC_PER_MONTH], ['month', USEC_PER_MONTH], ['M', USEC_PER_MONTH],
    ['years', USEC_PER_YEAR], ['year', USEC_PER_YEAR], ['y', USEC_PER_YEAR],
]);
const EXAMPLES = 'e.g. 90 (seconds), 500ms, 15min, 1h 30min or infinity';
// One component: a number, optional blanks, an optional unit (letters, incl. "μ").
const COMPONENT = /^(\d+)(?:\.(\d+))?[ \t]*([A-Za-zμ]*)/;
/** Parses a systemd time span to milliseconds; throws ValueError with the expected form. */
export function parseTimespan(text) {
    const input = text.trim();
    if (input === '')
        throw new ValueError(`empty time span; expected ${EXAMPLES}`);
    if (input === 'infinity')
        return Infinity;
    let usec = 0;
    let rest = input;
    while (rest !== '') {
        const m = COMPONENT.exec(rest);
        if (m === null) {
            const why = rest.startsWith('-') ? 'time spans cannot be negative' : `unexpected "${rest}"`;
            throw new ValueError(`"${input}" is not a time span: ${why}; expected ${EXAMPLES}`);
        }
        const [whole, intPart, fracPart = '0', unitName = ''] = m;
        // No unit means seconds, for every component ("1min 30" is 90 s), as in systemd.
        const unit = unitName === '' ? USEC_PER_SEC : UNITS.get(unitName);
        if (unit === undefined) {
            throw new ValueError(`"${input}" is not a time span: unknown unit "${unitName}" ` +
                `(use us, ms, s, min, h, d, w, M or y; ${EXAMPLES})`);
        }
        usec += Number(intPart) * unit + Math.round(Number(`0.${fracPart}`) * unit);
        rest = rest.slice(whole.length).trimStart();
    }
    if (!Number.isSafeInteger(usec)) {
        throw new ValueError(`"${input}" is too long a time span; use infinity for "never"`);
    }
    return usec / USEC_PER_MS;
}
/** Units used for printing, largest first. Months and years are left out on purpose:
 * systemd's 30.44-day month makes "90d" print as "2month 4w 1d 3h". */
const FORMAT_UNITS = [
    ['w', USEC_PER_WEEK], ['d', USEC_PER_DAY], ['h', USEC_PER_HOUR], ['min', USEC_PER_MIN],
    ['s', USEC_PER_SEC], ['ms', USEC_PER_MS], ['us', 1],
];
/** Formats milliseconds as systemd span text: 90000 → "1min 30s", Infinity → "infinity", 0 → "0".
 * The result parses back to the same value with parseTimespan(). */
export function formatTimespan(ms) {
    if (ms === Infinity)
        return 'infinity';
    if (!Number.isFinite(ms) || ms < 0)
        throw new RangeError(`not a time span: ${ms} ms`);
    let usec = Math.round(ms * USEC_PER_MS);
    if (usec === 0)
        return '0';
    const parts = [];
    for (const [name, size] of FORMAT_UNITS) {
        const count = Math.floor(usec / size);
        if (count > 0) {
            parts.push(`${count}${name}`);
            usec -= count * size;
        }
    }
    return parts.join(' ');
}
//# sourceMappingURL=timespan.js.map