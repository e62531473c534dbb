// Where an instance's control socket lives, so that `mrsocko status NAME` finds what
// `mrsocko run --instance NAME` serves, given the same environment.
//
//   $MRSOCKO_RUNTIME_DIR/NAME/control.sock   when set (both sides; tests, unusual setups)
//   $RUNTIME_DIRECTORY/control.sock          the daemon under systemd (RuntimeDirectory=mrsocko/%i)
//   /run/mrsocko/NAME/control.sock           as root: the same directory systemd creates
//   $XDG_RUNTIME_DIR/mrsocko/NAME/control.sock   other users (what a user unit gets, too)
//   /tmp/mrsocko-UID/NAME/control.sock       other users without XDG_RUNTIME_DIR
//
// `run --config FILE` serves NAME = the file's base name without `.conf`.
import path from 'node:path';
const CONTROL_SOCKET_FILE = 'control.sock';
const set = (value) => value !== undefined && value !== '';
/** The directory holding every instance's runtime directory (`mrsocko status` without NAME lists it). */
export function runtimeBase({ env, uid }) {
    if (set(env.MRSOCKO_RUNTIME_DIR))
        return env.MRSOCKO_RUNTIME_DIR;
    if (uid === 0)
        return '/run/mrsocko';
    if (set(env.XDG_RUNTIME_DIR))
        return path.join(env.XDG_RUNTIME_DIR, 'mrsocko');
    return `/tmp/mrsocko-${uid}`;
}
/** Where `mrsocko status NAME` looks. */
export function controlSocketPath(name, runtime) {
    return path.join(runtimeBase(runtime), name, CONTROL_SOCKET_FILE);
}
/** Where the daemon of instance NAME listens: systemd's RuntimeDirectory= when it set one. */
export function daemonControlSocketPath(name, runtime) {
    const { env } = runtime;
    // RUNTIME_DIRECTORY may list several directories, separated by ':'.
    const systemdDir = env.RUNTIME_DIRECTORY?.split(':')[0];
    if (!set(env.MRSOCKO_RUNTIME_DIR) && set(systemdDir))
        return path.join(systemdDir, CONTROL_SOCKET_FILE);
    return controlSocketPath(name, runtime);
}
/** The instance name a config file stands for: /etc/mrsocko/web.conf → web. */
export function instanceNameOf(configFile) {
    const base = path.basename(configFile);
    return base.endsWith('.conf') && base !== '.conf' ? base.slice(0, -'.conf'.length) : base;
}
//# sourceMappingURL=paths.js.map