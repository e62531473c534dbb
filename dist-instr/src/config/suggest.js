// "Did you mean" for misspelt keys and sections: the closest candidate within two edits.
/** The closest candidate within edit distance 2, for "did you mean" hints. */
export function suggest(word, candidates) {
    let best;
    for (const candidate of candidates) {
        // the distance is at least the difference in length: skip the quadratic work (a
        // 150 KB key name took half a second, longer ones grow with the square)
        if (Math.abs(word.length - candidate.length) > 2)
            continue;
        const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
        if (distance <= 2 && (best === undefined || distance < best.distance))
            best = { candidate, distance };
    }
    return best?.candidate;
}
export function closeEnough(word, target) {
    return Math.abs(word.length - target.length) <= 2 && editDistance(word.toLowerCase(), target) <= 2;
}
/** Levenshtein distance, counting a swap of two neighbours as one edit. */
function editDistance(a, b) {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++)
        d[0][j] = j;
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            const cost = a[i - 1] === b[j - 1] ? 0 : 1;
            let best = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
                best = Math.min(best, d[i - 2][j - 2] + 1);
            d[i][j] = best;
        }
    }
    return d[a.length][b.length];
}
//# sourceMappingURL=suggest.js.map