import { parseCommandArgs } from './args.js';
import { MrsockoError, UsageError } from '../errors.js';
import { checkInstanceName } from '../config/paths.js';
import { controlSocketPath } from '../control/paths.js';
import { askControl } from '../control/client.js';
import { listInstances } from '../control/instances.js';
import { renderInstances } from '../control/instances-report.js';
import { jsonText, renderStatus, statusJson } from '../control/report.js';
const HELP = `Usage: mrsocko status [NAME] [--json]

Without NAME: one line per instance on this machine, from the runtime directory
below and, when systemd runs, the mrsocko@*.socket units:
  running        mrsocko answers: the backend's state, clients, the idle countdown
  dormant        the socket unit listens, mrsocko exited ([idle] exit = yes); the
                 next client starts it
  failed         the socket or service unit failed (systemctl status mrsocko@NAME)
  not-answering  a control socket nobody answers on (a crashed standalone run)
  inactive       units loaded, but not listening

Show what a running instance is doing: the backend's state and uptime, the idle
countdown (or what holds it up), and each client with its address, open
connections, bytes in (client to backend) and out, and last activity.

NAME is the instance (mrsocko@NAME, or the config file's name without .conf for
run --config FILE). The answer comes from the instance's control socket:
  /run/mrsocko/NAME/control.sock                as root (systemd's RuntimeDirectory)
  $XDG_RUNTIME_DIR/mrsocko/NAME/control.sock    other users
  /tmp/mrsocko-UID/NAME/control.sock            other users without XDG_RUNTIME_DIR
  $MRSOCKO_RUNTIME_DIR/NAME/control.sock        when MRSOCKO_RUNTIME_DIR is set
The socket is owner-only: run status as the user mrsocko runs as (root for
mrsocko@NAME.service).

Options:
  --json          print the report as JSON (one object; docs/status.md lists its fields)
  --socket PATH   ask the control socket at PATH instead
  -h, --help      show this help

Exit status: 0 ok, 1 the instance is not running or did not answer, 2 usage error.
`;
export const statusCommand = {
    name: 'status',
    help: HELP,
    async run(args, io) {
        const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean' }, socket: { type: 'string' } }, true);
        if (positionals.length > 1)
            throw new UsageError(`one instance at a time (got ${positionals.join(', ')})`);
        const name = positionals[0];
        if (name === undefined && values.socket === undefined) {
            const list = await listInstances({ env: io.env, uid: process.getuid?.() ?? 0 });
            io.out(values.json ? jsonText(list) + '\n' : renderInstances(list));
            return 0;
        }
        if (name !== undefined)
            checkInstanceName(name);
        const file = values.socket ?? controlSocketPath(name, { env: io.env, uid: process.getuid?.() ?? 0 });
        const label = name !== undefined ? `mrsocko@${name}` : 'mrsocko';
        const text = await askControl(file, label, { command: 'status' });
        let report;
        try {
            report = JSON.parse(text);
        }
        catch {
            throw new MrsockoError('MRSOCKO_RUNTIME', `${file}: the answer is not a status report (${text.length} bytes)`);
        }
        io.out(values.json ? statusJson(report) + '\n' : renderStatus(report));
        return 0;
    },
};
//# sourceMappingURL=status.js.map