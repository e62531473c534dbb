// `mrsocko check`: validate a config exactly as `run` would, and print the effective
// settings. Problems are thrown as ConfigError; main.ts prints them and exits 78.
import type { Command } from './command.js';
import { parseCommandArgs } from './args.js';
import { checkCredentials } from '../backend/credentials.js';
import { describeConfig } from '../config/describe.js';
import { loadConfig } from '../config/load.js';
import { resolveConfigPath } from '../config/paths.js';
import { dataPath, describeDataPath } from '../proxy/data-path.js';
import { describeUdpDataPath } from '../proxy/udp-upstream.js';
import { ephemeralPortWarnings, readEphemeralPorts } from '../config/port-range.js';
import { loadKnockKey, runningAsRoot } from '../access/knock/key.js';

const HELP = `Usage: mrsocko check (--instance NAME | --config FILE)

Validate a config without starting anything, then print the settings mrsocko will
use: every key with its effective value, defaults filled in. The output is itself
a valid config file.

On a problem it prints one line, FILE:LINE: [section] key: what is wrong, and
exits 78 (EX_CONFIG), so it also fits in scripts before a restart. It checks what
\`run\` would otherwise find only later: that user = and group = exist (and that it
runs as root to use them), and, as root, what root must not trust (docs/security.md):
a config that is not root's or that others can write (or below a directory they can
write), a [log] file directory that others can write, control characters anywhere.

Warnings (valid, but likely to bite) go to stderr and leave the exit status 0:
a backend port inside net.ipv4.ip_local_port_range (some outgoing connection's
source port may hold it just when the backend binds).

Options:
  -i, --instance NAME  check /etc/mrsocko/NAME.conf ($MRSOCKO_CONFIG_DIR/NAME.conf)
  -c, --config FILE    check FILE
  -h, --help           show this help

Exit status: 0 valid, 2 usage error, 78 invalid config.

Examples:
  mrsocko check --instance jellyfin
  sudo mrsocko check --config ./jellyfin.conf && sudo install -o root -m 0644 jellyfin.conf /etc/mrsocko/
`;

export const checkCommand: Command = {
  name: 'check',
  help: HELP,
  async run(args, io) {
    const { values } = parseCommandArgs(
      args,
      { instance: { type: 'string', short: 'i' }, config: { type: 'string', short: 'c' } },
      false,
      explainArgError,
    );
    const config = loadConfig(resolveConfigPath(values, io.env));
    checkCredentials(config, process.getuid?.() ?? 0);
    loadKnockKey(config, runningAsRoot()); // the key file, as run reads it
    io.out(describeConfig(config));
    // how the bytes of open TCP connections would move (see docs/native.md)
    io.out(`# ${describeDataPath(dataPath)}\n`);
    if (config.sockets.some((sc) => sc.protocol === 'udp')) io.out(`# ${describeUdpDataPath(dataPath)}\n`);
    // valid, but worth knowing: on stderr, and still exit 0
    for (const warning of ephemeralPortWarnings(config, readEphemeralPorts())) io.err(`mrsocko: warning: ${warning}\n`);
    return 0;
  },
};

/** parseArgs' message, plus the likely intent for `mrsocko check jellyfin`. */
function explainArgError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const positional = /^Unexpected argument '(.*)'/.exec(message)?.[1];
  if ((err as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && positional !== undefined) {
    return `unexpected argument "${positional}"; did you mean --instance ${positional} or --config ${positional}?`;
  }
  return message;
}
