// Which config file a command reads: `--config FILE`, or `--instance NAME` meaning
// /etc/mrsocko/NAME.conf (the directory overridable by MRSOCKO_CONFIG_DIR, so tests and
// unprivileged users can keep instances elsewhere).
import path from 'node:path';
import { UsageError } from '../errors.js';
export const DEFAULT_CONFIG_DIR = '/etc/mrsocko';
/** --config wins over --instance; neither is a usage error. */
export function resolveConfigPath(opts, env) {
    if (opts.config !== undefined) {
        if (opts.config === '')
            throw new UsageError('--config needs a file name');
        return opts.config;
    }
    if (opts.instance !== undefined) {
        return path.join(configDir(env), `${checkInstanceName(opts.instance)}.conf`);
    }
    throw new UsageError('which config? give --instance NAME (for /etc/mrsocko/NAME.conf) or --config FILE');
}
function configDir(env) {
    const dir = env.MRSOCKO_CONFIG_DIR;
    return dir !== undefined && dir !== '' ? dir : DEFAULT_CONFIG_DIR;
}
/** The NAME of mrsocko@NAME: it becomes a file name, so no path tricks. */
export function checkInstanceName(name) {
    if (name === '')
        throw new UsageError('the instance name is empty');
    if (name.includes('/'))
        throw new UsageError(`instance name "${name}" may not contain "/"; use --config FILE for a path`);
    if (name === '.' || name === '..')
        throw new UsageError(`"${name}" is not an instance name`);
    return name;
}
//# sourceMappingURL=paths.js.map