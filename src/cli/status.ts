// `mrsocko status NAME [--json]`: ask a running instance over its control socket
// (../control/paths.ts says where) and print what it says.
import net from 'node:net';
import type { Command } from './command.js';
import { parseCommandArgs } from './args.js';
import { MrsockoError, UsageError } from '../errors.js';
import { checkInstanceName } from '../config/paths.js';
import { controlSocketPath } from '../control/paths.js';
import { renderStatus, statusJson, type StatusReport } from '../control/report.js';

const HELP = `Usage: mrsocko status NAME [--json]

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

const TIMEOUT_MS = 5_000;
const MAX_ANSWER = 64 * 1024 * 1024;

export const statusCommand: Command = {
  name: 'status',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean' }, socket: { type: 'string' } }, true);
    if (positionals.length > 1) throw new UsageError(`one instance at a time (got ${positionals.join(', ')})`);
    const name = positionals[0];
    if (name === undefined && values.socket === undefined) throw new UsageError('which instance? mrsocko status NAME');
    if (name !== undefined) checkInstanceName(name);
    const file = values.socket ?? controlSocketPath(name as string, { env: io.env, uid: process.getuid?.() ?? 0 });
    const label = name !== undefined ? `mrsocko@${name}` : 'mrsocko';
    const text = await ask(file, label);
    let report: StatusReport;
    try {
      report = JSON.parse(text) as StatusReport;
    } catch {
      throw new MrsockoError('MRSOCKO_RUNTIME', `${file}: the answer is not a status report (${text.length} bytes)`);
    }
    io.out(values.json ? statusJson(report) + '\n' : renderStatus(report));
    return 0;
  },
};

function ask(file: string, label: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const socket = net.connect({ path: file });
    const fail = (message: string): void => {
      socket.destroy();
      reject(new MrsockoError('MRSOCKO_RUNTIME', message));
    };
    socket.setTimeout(TIMEOUT_MS, () => fail(`${file}: no answer within ${TIMEOUT_MS / 1000} s; is ${label} stuck?`));
    socket.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_ANSWER) fail(`${file}: the answer is too long`);
      else chunks.push(c);
    });
    socket.once('end', () => {
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'ENOTDIR') {
        fail(`no control socket at ${file}; is ${label} running?`);
      } else if (err.code === 'EACCES' || err.code === 'EPERM') {
        fail(`${file}: permission denied; the control socket is owner-only: run this as the user ${label} runs as (root for a systemd instance)`);
      } else fail(`${file}: ${err.message}`);
    });
  });
}
