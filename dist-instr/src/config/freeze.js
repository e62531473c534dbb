// The Config is frozen once validated: nothing changes it afterwards.
/** Freezes the whole tree, dropping keys whose value is undefined so that an unset
 * optional setting is absent rather than present-but-undefined. */
export function deepFreeze(value) {
    if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
        const record = value;
        for (const key of Object.keys(record)) {
            if (record[key] === undefined)
                delete record[key];
            else
                deepFreeze(record[key]);
        }
        Object.freeze(value);
    }
    return value;
}
//# sourceMappingURL=freeze.js.map