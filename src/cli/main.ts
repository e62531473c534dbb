#!/usr/bin/env -S node --single-threaded
// mrsocko's command line: dispatch to one file per subcommand. `main()` is exported and
// runs only when this module is the entry point, so tests can import it.
// The shebang's flags are NODE_FLAGS of ../systemd/units.ts, where they are explained.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CliIO, Command } from './command.js';
import { MrsockoError, UsageError, exitCodeFor, EXIT_USAGE } from '../errors.js';
import { version } from '../version.js';

/** A subcommand, loaded only when it is invoked: the daemon (`run`) then carries no code or
 *  heap for gen-unit, check and status, and they do not load the daemon's. */
interface CommandEntry {
  readonly name: string;
  /** One line for `mrsocko --help`. */
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'run',
    summary: 'run the daemon for an instance (what mrsocko@NAME.service runs)',
    load: async () => (await import('./run.js')).runCommand,
  },
  {
    name: 'check',
    summary: 'validate a config and print the effective settings',
    load: async () => (await import('./check.js')).checkCommand,
  },
  {
    name: 'gen-unit',
    summary: 'write the systemd units of an instance from its config',
    load: async () => (await import('./gen-unit.js')).genUnitCommand,
  },
  {
    name: 'status',
    summary: 'show the live state of a running instance (backend, idle countdown, clients)',
    load: async () => (await import('./status.js')).statusCommand,
  },
  {
    name: 'start',
    summary: 'start the backend of a running instance now; exit 0 once it is ready',
    load: async () => (await import('./control.js')).startCommand,
  },
  {
    name: 'stop',
    summary: 'stop the backend now; --for SPAN: and refuse clients meanwhile',
    load: async () => (await import('./control.js')).stopCommand,
  },
  {
    name: 'hold',
    summary: 'keep the backend up: no idle stop until release (or --for SPAN)',
    load: async () => (await import('./control.js')).holdCommand,
  },
  {
    name: 'release',
    summary: 'end a hold or a stop --for',
    load: async () => (await import('./control.js')).releaseCommand,
  },
  {
    name: 'knock',
    summary: 'send a single-packet knock to an instance ([knock] key), or make a key',
    load: async () => (await import('./knock.js')).knockCommand,
  },
];


function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: mrsocko COMMAND [OPTIONS]',
    '',
    'Start a backend when a client connects, proxy to it, stop it when idle.',
    'systemd owns the ports (mrsocko@NAME.socket) and hands them to mrsocko@NAME.service.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     show this help (or `mrsocko COMMAND --help`)',
    '  -V, --version  print the version',
    '',
    'Config: /etc/mrsocko/NAME.conf (directory overridable with MRSOCKO_CONFIG_DIR).',
    'Exit status: 0 ok, 1 runtime failure, 2 usage error, 78 configuration error.',
  ].join('\n');
}

export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    if (first === 'help' && rest[0] !== undefined) return main([rest[0], '--help'], io);
    io.out(usage() + '\n');
    return first === undefined ? EXIT_USAGE : 0;
  }
  if (first === '-V' || first === '--version') {
    io.out(`mrsocko ${version()}\n`);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === first);
  try {
    if (!entry) throw new UsageError(`unknown command "${first}"; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    const command = await entry.load();
    if (rest.includes('-h') || rest.includes('--help')) {
      io.out(command.help.trimEnd() + '\n');
      return 0;
    }
    return await command.run(rest, io);
  } catch (err) {
    // Under systemd, stderr goes to the journal: give errors their priority there too.
    const prefix = io.env.JOURNAL_STREAM ? '<3>' : '';
    if (err instanceof MrsockoError) {
      io.err(`${prefix}mrsocko: ${err.message}\n`);
      if (err instanceof UsageError) io.err(`Try 'mrsocko ${entry ? `${entry.name} ` : ''}--help'.\n`);
      return exitCodeFor(err);
    }
    io.err(`${prefix}mrsocko: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/** `mrsocko ARGS…` from the command line: this module as the entry point, or the bin
 *  (dist/mrsocko.cjs, which runs the bundle of this module; scripts/bundle.mjs). */
export function runFromCommandLine(): void {
  // A closed stdout (`mrsocko gen-unit --stdout | head`) ends a one-shot command quietly
  // instead of crashing it; the daemon goes on without it (journald restarting, say).
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' && process.argv[2] !== 'run') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
  const io: CliIO = {
    env: process.env,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  };
  main(process.argv.slice(2), io).then(
    (status) => {
      process.exitCode = status;
    },
    (err: unknown) => {
      process.stderr.write(`mrsocko: internal error: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

if (isEntryPoint()) runFromCommandLine();
