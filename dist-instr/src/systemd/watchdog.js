// The service watchdog, mirroring sd_watchdog_enabled(3) and sd_notify(3)'s WATCHDOG=1:
// https://www.freedesktop.org/software/systemd/man/latest/sd_watchdog_enabled.html
// With WatchdogSec= set, systemd passes WATCHDOG_USEC and kills the service (SIGABRT, then
// Restart=on-failure) when no WATCHDOG=1 arrives within it. The pings come from a timer on
// the event loop, at half the interval as systemd recommends, so a stuck event loop stops
// them: exactly the failure the watchdog exists to catch.
//
// Also here, a test hook: with MRSOCKO_DEBUG_BLOCK_ON=SIGUSR2 (or SIGUSR1) in the
// environment, that signal blocks the event loop for good, so a test can prove that
// systemd restarts a stuck mrsocko. Without the variable the signal keeps its default.
const DEBUG_BLOCK_ENV = 'MRSOCKO_DEBUG_BLOCK_ON';
const BLOCKABLE_SIGNALS = ['SIGUSR1', 'SIGUSR2'];
/**
 * Pings at once and then every WATCHDOG_USEC/2; undefined when the watchdog is off (no
 * WatchdogSec=, or not for us), which is normal. The timer does not keep the process alive.
 */
export function startWatchdog(notifier) {
    const intervalMs = notifier.watchdogIntervalMs();
    if (!(intervalMs > 0))
        return undefined;
    const periodMs = Math.max(1, Math.floor(intervalMs / 2));
    notifier.watchdog();
    const handle = setInterval(() => notifier.watchdog(), periodMs);
    handle.unref();
    let stopped = false;
    return {
        periodMs,
        stop() {
            if (stopped)
                return;
            stopped = true;
            clearInterval(handle);
        },
    };
}
/** Reads MRSOCKO_DEBUG_BLOCK_ON: which signal blocks the event loop, or why none does. */
export function readBlockHook(env) {
    const value = env[DEBUG_BLOCK_ENV];
    if (value === undefined || value === '')
        return {};
    const signal = BLOCKABLE_SIGNALS.find((s) => s === value.toUpperCase() || s === `SIG${value.toUpperCase()}`);
    if (signal === undefined)
        return { problem: `${DEBUG_BLOCK_ENV}=${value} ignored: it takes ${BLOCKABLE_SIGNALS.join(' or ')}` };
    return { signal };
}
/**
 * Installs the test hook when MRSOCKO_DEBUG_BLOCK_ON names a signal. `announce` is told
 * once at install and once when the signal arrives; the loop blocks 100 ms later, after
 * that line had time to leave the process. Returns a function removing the handler.
 */
export function installBlockHook(env, announce) {
    const setting = readBlockHook(env);
    if (setting.signal === undefined) {
        if ('problem' in setting && setting.problem !== undefined)
            announce('warning', setting.problem);
        return () => { };
    }
    const { signal } = setting;
    announce('warning', `test hook: ${signal} will block the event loop (${DEBUG_BLOCK_ENV}=${env[DEBUG_BLOCK_ENV]})`);
    const onSignal = () => {
        announce('error', `test hook: ${signal} received; blocking the event loop for good`);
        setTimeout(blockForever, 100);
    };
    process.on(signal, onSignal);
    return () => process.off(signal, onSignal);
}
/** Sleeps the main thread (no CPU) until the process is killed. */
function blockForever() {
    const cell = new Int32Array(new SharedArrayBuffer(4));
    for (;;)
        Atomics.wait(cell, 0, 0);
}
//# sourceMappingURL=watchdog.js.map