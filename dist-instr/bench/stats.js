// Medians, ratios and number formatting for the bench's tables.
export function median(values) {
    const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
    if (v.length === 0)
        return NaN;
    const mid = Math.floor(v.length / 2);
    return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
/** The q-quantile (0..1) by nearest rank. */
export function quantile(values, q) {
    const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
    if (v.length === 0)
        return NaN;
    return v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))];
}
export function fmt(x, digits = 2) {
    if (!Number.isFinite(x))
        return '—';
    return x.toFixed(digits);
}
/** A figure with about three significant digits. */
export function fmt3(x) {
    if (!Number.isFinite(x))
        return '—';
    const a = Math.abs(x);
    if (a >= 100)
        return Math.round(x).toLocaleString('en-US');
    if (a >= 10)
        return x.toFixed(1);
    if (a >= 1)
        return x.toFixed(2);
    return x.toFixed(3);
}
export function ratio(x, reference) {
    if (!Number.isFinite(x) || !Number.isFinite(reference) || reference === 0)
        return '—';
    return `${(x / reference).toFixed(2)}×`;
}
/** "1.23ms", "456.78us", "1.01s", "2.00m" (wrk's units) → milliseconds. */
export function parseDurationMs(text) {
    const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
    if (!m)
        return NaN;
    const n = Number(m[1]);
    switch (m[2]) {
        case 'us':
            return n / 1000;
        case 'ms':
            return n;
        case 's':
            return n * 1000;
        default:
            return n * 60_000;
    }
}
//# sourceMappingURL=stats.js.map