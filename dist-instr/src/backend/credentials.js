// `user =` / `group =`: resolved once at start through the system's name service (getent),
// so users from LDAP/sssd work as they do for systemd's User=.
import { spawnSync } from 'node:child_process';
import { lineOf } from '../config/load.js';
import { ConfigError, MrsockoError } from '../errors.js';
function getent(database, key) {
    const result = spawnSync('getent', [database, key], { encoding: 'utf8' });
    if (result.error)
        throw new MrsockoError('MRSOCKO_RUNTIME', `cannot look up ${database} entry "${key}": ${result.error.message}`);
    if (result.status !== 0)
        return undefined;
    return result.stdout.trim().split('\n')[0]?.split(':');
}
/**
 * uid/gid for the backend. The group defaults to the user's primary group. Supplementary
 * groups are never passed on (Node's spawn drops them when it switches ids).
 */
export function resolveCredentials(user, group, myUid) {
    if (user === undefined && group === undefined)
        return {};
    if (myUid !== 0) {
        const what = [user !== undefined ? `user = ${user}` : '', group !== undefined ? `group = ${group}` : ''].filter(Boolean).join(' and ');
        throw new MrsockoError('MRSOCKO_RUNTIME', `[service] ${what} needs mrsocko to run as root (it runs as uid ${myUid})`);
    }
    let uid;
    let gid;
    let home;
    if (user !== undefined) {
        const entry = getent('passwd', user);
        if (!entry)
            throw new MrsockoError('MRSOCKO_RUNTIME', `[service] user = ${user}: no such user`);
        uid = Number(entry[2]);
        gid = Number(entry[3]);
        home = entry[5];
    }
    if (group !== undefined) {
        const entry = getent('group', group);
        if (!entry)
            throw new MrsockoError('MRSOCKO_RUNTIME', `[service] group = ${group}: no such group`);
        gid = Number(entry[2]);
    }
    return { user, uid, gid, home };
}
/** The environment a program expects when it runs as `credentials.user`. */
export function environmentFor(env, credentials) {
    if (credentials.user === undefined)
        return env;
    return { ...env, USER: credentials.user, LOGNAME: credentials.user, HOME: credentials.home ?? '/' };
}
/**
 * What resolveCredentials() would refuse at the backend's first start, found while the
 * config is loaded (`check`, and `run` before it binds anything), as a ConfigError naming
 * the line: exit 78, which systemd does not restart, instead of a failed start per client.
 */
export function checkCredentials(config, myUid) {
    const { service } = config;
    if (service.mode !== 'exec')
        return;
    const at = (key) => ({ file: config.file, line: lineOf(config, 'service', key), section: 'service', key });
    const first = service.user !== undefined ? 'user' : service.group !== undefined ? 'group' : undefined;
    if (first === undefined)
        return;
    if (myUid !== 0) {
        throw new ConfigError(at(first), `${first} = ${service[first]} needs mrsocko to run as root (it runs as uid ${myUid}); ` +
            'run it as root, or leave user = and group = out to run the backend as yourself');
    }
    if (service.user !== undefined && !getent('passwd', service.user)) {
        throw new ConfigError(at('user'), `no such user "${service.user}" (getent passwd ${service.user} finds nothing)`);
    }
    if (service.group !== undefined && !getent('group', service.group)) {
        throw new ConfigError(at('group'), `no such group "${service.group}" (getent group ${service.group} finds nothing)`);
    }
}
//# sourceMappingURL=credentials.js.map