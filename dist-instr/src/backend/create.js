import { withoutListenEnv, withoutNotifyEnv } from '../systemd/listen-fds.js';
import { environmentFor, resolveCredentials } from './credentials.js';
import { ExecBackend } from './exec.js';
import { SystemctlBackend } from './systemctl.js';
/** The driver for `service`; the backend's environment is `env` without systemd's variables for us. */
export function createDriver(service, env, log) {
    const backendEnv = withoutNotifyEnv(withoutListenEnv(env));
    let driver;
    const output = (stream, line, pid) => log.event({ kind: 'backend-output', backend: pid ? `${driver.description}[${pid}]` : driver.description, stream, line });
    if (service.mode === 'unit') {
        driver = new SystemctlBackend({
            unit: service.unit,
            env: backendEnv,
            stopCommand: service.stop,
            stopTimeoutMs: service.stopTimeoutMs,
            output: (line) => output('stop', line),
        });
    }
    else {
        const credentials = resolveCredentials(service.user, service.group, process.getuid?.() ?? 0);
        driver = new ExecBackend({
            argv: service.exec,
            env: environmentFor(backendEnv, credentials),
            cwd: service.directory,
            credentials,
            pidfile: service.pidfile,
            stopCommand: service.stop,
            stopTimeoutMs: service.stopTimeoutMs,
            output,
            notify: service.ready.kind === 'notify' ? { base: notifyBase(env), debug: (m) => log.debug(m) } : undefined,
        });
    }
    return driver;
}
/** Where a notify socket's directory goes: mrsocko's RuntimeDirectory= under systemd, else the temporary directory. */
function notifyBase(env) {
    const dir = env.RUNTIME_DIRECTORY?.split(':')[0];
    return dir === undefined || dir === '' ? undefined : dir;
}
/** How a `ready = exec` command runs: as the backend would (user, group, directory, environment). */
export function checkProcess(service, env) {
    const backendEnv = withoutNotifyEnv(withoutListenEnv(env));
    if (service.mode === 'unit' || service.ready.kind !== 'exec')
        return { env: backendEnv };
    const credentials = resolveCredentials(service.user, service.group, process.getuid?.() ?? 0);
    return { env: environmentFor(backendEnv, credentials), cwd: service.directory, uid: credentials.uid, gid: credentials.gid };
}
//# sourceMappingURL=create.js.map