// Small text helpers shared by the log lines, STATUS=, `mrsocko status` and the listeners:
// written once here so that an address or a duration reads the same everywhere.
import { formatTimespan } from '../config/timespan.js';
/** `10.0.0.1:80`, `[::1]:80`: an IPv6 host in brackets, as systemd and URLs write it. */
export function formatInet(host, port) {
    return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
/** `1 client`, `2 clients`. */
export function plural(n, word) {
    return `${n} ${word}${n === 1 ? '' : 's'}`;
}
/**
 * A duration for people: milliseconds below one second, whole seconds above, in systemd's
 * syntax (`250ms`, `1min 30s`). Negative spans (a deadline just passed) read as `0ms`.
 */
export function formatSpan(ms) {
    return ms < 1000 ? `${Math.max(0, Math.round(ms))}ms` : formatTimespan(Math.round(ms / 1000) * 1000);
}
//# sourceMappingURL=format.js.map