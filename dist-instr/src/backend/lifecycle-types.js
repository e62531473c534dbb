/** The hold or block if it is still in force at `now`. */
export function inForce(m, now) {
    return m !== undefined && m.until > now ? m : undefined;
}
export const INITIAL_STATE = {
    phase: 'stopped',
    restartWanted: false,
    shuttingDown: false,
    since: 0,
    attempt: 0,
    launches: 0,
    launchedAt: 0,
    failures: 0,
    lastFailureAt: 0,
    retry: undefined,
    hold: undefined,
    block: undefined,
    lastFailure: undefined,
};
//# sourceMappingURL=lifecycle-types.js.map