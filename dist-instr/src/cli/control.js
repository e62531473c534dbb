import { parseCommandArgs } from './args.js';
import { MrsockoError, UsageError, ValueError } from '../errors.js';
import { checkInstanceName } from '../config/paths.js';
import { parseTimespan } from '../config/timespan.js';
import { controlSocketPath } from '../control/paths.js';
import { askControl, thisClient } from '../control/client.js';
import { escapeControlCharacters } from '../text/control-chars.js';
const SOCKET_HELP = `The command goes to the instance's control socket (see mrsocko status --help for
where it is; --socket PATH to name it). It is owner-only: run this as root for
mrsocko@NAME. The daemon logs each command with the pid, uid and user of the
command that asked.`;
const KEPT = `Holds and blocks live in the running mrsocko: they survive a reload (SIGHUP,
systemctl reload), not a restart of mrsocko (nor an exit with [idle] exit = yes).
mrsocko status NAME shows them.`;
const HELPS = {
    start: `Usage: mrsocko start NAME

Start the backend now, as if a client had come, and wait until it is ready (its
start_timeout bounds the wait). The idle rules apply from then on: with no
traffic it stops after [idle] timeout again (mrsocko hold keeps it up).

Refused while a mrsocko stop --for block is in force (mrsocko release ends it).

${SOCKET_HELP}

Example: start it now, before the first client:
  mrsocko start web

Exit status: 0 ready (or running already), 1 it failed to start (the reason is
printed) or the instance did not answer, 2 usage error.
`,
    stop: `Usage: mrsocko stop NAME [--for SPAN]

Stop the backend now (its clients are closed) and wait until it is stopped. The
next client starts it again, unless --for is given: then, for SPAN, clients are
refused (logged as refused: "blocked by mrsocko stop --for") and nothing starts
the backend, not even mrsocko start, until SPAN is over or mrsocko release.

${KEPT}

${SOCKET_HELP}

Example: don't let anything start it during the backup:
  mrsocko stop web --for 2h && run-backup; mrsocko release web

Options:
  --for SPAN   keep it stopped this long (a systemd time span: 90s, 15min, 2h)

Exit status: 0 stopped, 1 the instance did not answer, 2 usage error.
`,
    hold: `Usage: mrsocko hold NAME [--for SPAN]

Keep the backend up: no idle stop (timeout, max_runtime) until mrsocko release,
or for SPAN. It does not start the backend (mrsocko start does); mrsocko stop
still stops it. When the hold ends the idle rules apply again: a backend idle
for longer than [idle] timeout stops then.

${KEPT}

${SOCKET_HELP}

Example: keep it up until I say so:
  mrsocko start web && mrsocko hold web
  ...
  mrsocko release web

Options:
  --for SPAN   hold it this long (a systemd time span: 90s, 15min, 2h)

Exit status: 0 held, 1 the instance did not answer, 2 usage error.
`,
    release: `Usage: mrsocko release NAME

End a mrsocko hold and a mrsocko stop --for block, whichever are in force.

${SOCKET_HELP}

Exit status: 0 released (or nothing was held), 1 the instance did not answer,
2 usage error.
`,
};
function controlCommand(name) {
    const takesSpan = name === 'stop' || name === 'hold';
    return {
        name,
        help: HELPS[name],
        async run(args, io) {
            const options = { socket: { type: 'string' }, ...(takesSpan ? { for: { type: 'string' } } : {}) };
            const { values, positionals } = parseCommandArgs(args, options, true);
            if (positionals.length !== 1)
                throw new UsageError(positionals.length === 0 ? `which instance? mrsocko ${name} NAME` : `one instance at a time (got ${positionals.join(', ')})`);
            const instance = checkInstanceName(positionals[0]);
            const forText = values.for;
            let forMs;
            if (forText !== undefined) {
                try {
                    forMs = parseTimespan(forText);
                }
                catch (err) {
                    throw new UsageError(`--for: ${err instanceof ValueError ? err.message : String(err)}`);
                }
                if (!(forMs > 0))
                    throw new UsageError('--for: the span must be longer than 0');
                if (!Number.isFinite(forMs)) {
                    // a hold for ever is a hold until release (no --for); a block for ever is not mrsocko's job
                    if (name === 'stop')
                        throw new UsageError('--for infinity: to keep it stopped for good, systemctl stop mrsocko@NAME.socket');
                    forMs = undefined;
                }
            }
            const file = values.socket ?? controlSocketPath(instance, { env: io.env, uid: process.getuid?.() ?? 0 });
            const label = `mrsocko@${instance}`;
            const wait = name === 'start' || name === 'stop' ? Infinity : undefined;
            const text = await askControl(file, label, { command: name, ...(forMs !== undefined ? { forMs } : {}), client: thisClient(io.env) }, wait);
            const answer = parseAnswer(text, file, label);
            const message = `${label}: ${escapeControlCharacters(answer.message)}\n`;
            if (answer.ok)
                io.out(message);
            else
                io.err(message);
            return answer.ok ? 0 : 1;
        },
    };
}
function parseAnswer(text, file, label) {
    let value;
    try {
        value = JSON.parse(text);
    }
    catch {
        throw new MrsockoError('MRSOCKO_RUNTIME', `${file}: the answer is not JSON (${text.length} bytes)`);
    }
    const a = value;
    if (typeof a.ok === 'boolean' && typeof a.message === 'string')
        return a;
    // a daemon of version 1 answers every connection with its status report
    if (a.version !== undefined)
        throw new MrsockoError('MRSOCKO_RUNTIME', `${label} runs an older mrsocko without commands; restart it to use them`);
    throw new MrsockoError('MRSOCKO_RUNTIME', `${file}: the answer is not a command answer`);
}
export const startCommand = controlCommand('start');
export const stopCommand = controlCommand('stop');
export const holdCommand = controlCommand('hold');
export const releaseCommand = controlCommand('release');
//# sourceMappingURL=control.js.map