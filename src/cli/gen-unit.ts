// `mrsocko gen-unit`: write the systemd units of an instance (src/systemd/units.ts makes
// the text), refusing to overwrite a file edited by hand, then print what to run next.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from './command.js';
import { parseCommandArgs } from './args.js';
import { ConfigError, MrsockoError, UsageError } from '../errors.js';
import { splitArgv } from '../config/argv.js';
import { loadConfig, parseConfig } from '../config/load.js';
import { DEFAULT_CONFIG_DIR, resolveConfigPath } from '../config/paths.js';
import { runningAsRoot, untrustedDirectoryReason } from '../config/trust.js';
import type { Config } from '../config/types.js';
import { firstControlCharacter } from '../text/control-chars.js';
import { notifyAddonProblem } from '../systemd/notify.js';
import { classifyExisting, generateTemplates, generateUnits, instanceNameProblem, listenDropInPath, SYSTEM_UNIT_DIR } from '../systemd/units.js';
import type { GeneratedFile, Installation, ShippedTemplates } from '../systemd/units.js';
import { packagePath } from '../package-root.js';
import { version } from '../version.js';

const HELP = `Usage: mrsocko gen-unit NAME [--config FILE] [--output DIR] [--stdout] [--force]
       mrsocko gen-unit NAME (--unit UNIT | --exec COMMAND) --listen ADDR --backend ADDR ...
       mrsocko gen-unit --templates [--output DIR] [--stdout] [--force]

Write the systemd units of instance NAME from its config (/etc/mrsocko/NAME.conf):
  DIR/mrsocko@NAME.socket.d/50-listen.conf   one ListenStream= (tcp) or ListenDatagram= (udp)
                                             per [socket.X] section
  DIR/mrsocko@NAME.service.d/50-sandbox.conf the sandbox fitted to the backend mode and the
                                             paths the backend and the [log] file write to
  DIR/mrsocko@.service, DIR/mrsocko@.socket  the templates, with ExecStart= running this
                                             installation (written if missing or unchanged)
then print the systemctl commands to run next. Every file carries a checksum: gen-unit
replaces its own unchanged output (run it again after changing the config) but refuses
to overwrite an instance file edited by hand, and keeps an edited template, unless --force.

What it refuses (docs/security.md): as root, a config that is not root's or that others
could change (exit 78), and an output directory others can write (exit 1: use --stdout);
a config value with a control character, or a directory =, pidfile = or [log] file that
would open a shared directory (/, /etc, /run, /var, /home, ...) whole (exit 78, the key
named). Without the sd-notify addon, mrsocko@.service is Type=simple without a watchdog
(never NotifyAccess=all: a backend could speak for the service); it says what that costs.

Options:
  -c, --config FILE    read FILE instead of /etc/mrsocko/NAME.conf ($MRSOCKO_CONFIG_DIR)
  -o, --output DIR     write into DIR (default ${SYSTEM_UNIT_DIR})
      --stdout         print the files instead of writing them
  -f, --force          overwrite files edited by hand
      --templates      only the two templates (no NAME; what contrib/install.sh runs)
  -h, --help           show this help

A starter config, when NAME's config does not exist yet:
      --unit UNIT      the backend is this systemd unit (unit =)
      --exec COMMAND   ... or this command, run by mrsocko (exec =; one argument, quoted)
      --listen ADDR    PORT, IPV4:PORT, [IPV6]:PORT or /path.sock; append /udp for udp;
                       repeat for more sockets
      --backend ADDR   where the backend listens for the --listen of the same position

Examples:
  sudo mrsocko gen-unit jellyfin
  mrsocko gen-unit jellyfin --config ./jellyfin.conf --stdout
  sudo mrsocko gen-unit web --exec 'python3 -m http.server 18080' --listen 8080 --backend 127.0.0.1:18080
`;

interface Options {
  name?: string | undefined;
  config?: string | undefined;
  output: string;
  stdout: boolean;
  force: boolean;
  templates: boolean;
  starter?: Starter | undefined;
}

interface Starter {
  unit?: string | undefined;
  exec?: string | undefined;
  listen: string[];
  backend: string[];
}

export const genUnitCommand: Command = {
  name: 'gen-unit',
  help: HELP,
  async run(args, io) {
    const opts = parseOptions(args);
    const inst = installation();
    const shipped = readShippedTemplates();
    let files: GeneratedFile[];
    let configFile: string | undefined;
    const starterFiles: GeneratedFile[] = [];
    if (opts.name === undefined) {
      files = generateTemplates(inst, shipped);
    } else {
      configFile = resolveConfigPath({ config: opts.config, instance: opts.config === undefined ? opts.name : undefined }, io.env);
      const control = firstControlCharacter(path.resolve(configFile));
      if (control !== undefined) {
        throw new ConfigError({ file: configFile, line: 0 },
          `the config's path contains ${control}, and gen-unit writes it into the units it makes; rename the file`);
      }
      let config: Config;
      if (opts.starter !== undefined) {
        const text = starterConfig(opts.name, opts.starter, configFile);
        config = parseConfig(text, configFile);
        if (fs.existsSync(configFile)) {
          throw new UsageError(`${configFile} exists already; --unit, --exec, --listen and --backend only write a new config`);
        }
        starterFiles.push({ path: path.resolve(configFile), kind: 'instance', text, notes: [] });
      } else {
        config = loadConfig(configFile);
      }
      files = generateUnits(config, opts.name, inst, shipped, (p) => fs.existsSync(p), realpathIfExists);
    }

    if (opts.stdout) {
      for (const f of [...starterFiles, ...files]) {
        io.out(`# ${path.isAbsolute(f.path) ? f.path : path.join(opts.output, f.path)}\n${f.text}\n`);
      }
      for (const note of files.flatMap((f) => f.notes)) io.err(`mrsocko: note: ${note}\n`);
      return 0;
    }

    // Before anything is read or written there: see checkTarget().
    if (runningAsRoot()) {
      for (const f of [...starterFiles.map((s) => s.path), ...files.map((f) => path.join(opts.output, f.path))]) checkTarget(f);
    }
    const plan = files.map((f) => planFile(f, opts.output, opts.force));
    const conflicts = plan.filter((p) => p.action === 'conflict');
    if (conflicts.length > 0) {
      throw new MrsockoError(
        'MRSOCKO_RUNTIME',
        `${conflicts.map((c) => `${c.file} (${c.why})`).join(', ')}: nothing written. ` +
          'Move local changes to a drop-in of their own (e.g. 60-local.conf), or give --force to overwrite',
      );
    }
    for (const s of starterFiles) {
      writeAtomic(s.path, s.text);
      io.out(`wrote   ${s.path} (a starter config: check it with mrsocko check --config ${s.path})\n`);
    }
    for (const p of plan) {
      if (p.action === 'write' || p.action === 'update' || p.action === 'overwrite') writeAtomic(p.file, p.text);
      io.out(`${ACTION_WORDS[p.action]} ${p.file}${p.action === 'keep' ? ` (${p.why}; --force replaces it)` : ''}\n`);
    }
    for (const note of files.flatMap((f) => f.notes)) io.out(`note:   ${note}\n`);
    io.out(nextSteps(opts, plan, configFile));
    return 0;
  },
};

// ---- options ----

function parseOptions(args: readonly string[]): Options {
  const { values, positionals } = parseCommandArgs(args, {
    config: { type: 'string', short: 'c' },
    output: { type: 'string', short: 'o' },
    stdout: { type: 'boolean' },
    force: { type: 'boolean', short: 'f' },
    templates: { type: 'boolean' },
    unit: { type: 'string' },
    exec: { type: 'string' },
    listen: { type: 'string', multiple: true },
    backend: { type: 'string', multiple: true },
  }, true);
  if (positionals.length > 1) throw new UsageError(`one instance NAME, not ${positionals.length}: ${positionals.join(' ')}`);
  const name = positionals[0];
  const templates = values.templates ?? false;
  if (templates && name !== undefined) throw new UsageError('--templates writes only the templates: give no NAME');
  if (!templates && name === undefined) throw new UsageError('which instance? mrsocko gen-unit NAME (or --templates)');
  if (name !== undefined) {
    const problem = instanceNameProblem(name);
    if (problem) throw new UsageError(problem);
  }
  const output = values.output ?? SYSTEM_UNIT_DIR;
  if (output === '') throw new UsageError('--output needs a directory');

  const starterGiven = [values.unit, values.exec, values.listen, values.backend].some((v) => v !== undefined);
  let starter: Starter | undefined;
  if (starterGiven) {
    if (name === undefined) throw new UsageError('--unit, --exec, --listen and --backend write a config for an instance NAME');
    if (values.config !== undefined) throw new UsageError('a starter config goes to the instance config; leave out --config');
    if ((values.unit === undefined) === (values.exec === undefined)) throw new UsageError('a starter config needs --unit UNIT or --exec COMMAND (one of them)');
    const listen = values.listen ?? [];
    const backend = values.backend ?? [];
    if (listen.length === 0 || listen.length !== backend.length) {
      throw new UsageError(`a starter config needs one --backend per --listen (got ${listen.length} --listen, ${backend.length} --backend)`);
    }
    starter = { unit: values.unit, exec: values.exec, listen, backend };
  }
  return {
    name,
    config: values.config,
    output,
    stdout: values.stdout ?? false,
    force: values.force ?? false,
    templates,
    starter,
  };
}

function starterConfig(name: string, s: Starter, file: string): string {
  const lines = [
    `# mrsocko instance ${name}: a starter config written by \`mrsocko gen-unit ${name}\`.`,
    '# Every key: `mrsocko check --config THIS_FILE` prints them with their effective values.',
    '',
    '[service]',
    s.unit !== undefined ? `unit = ${s.unit}` : `exec = ${s.exec}`,
    'start_timeout = 90s',
  ];
  s.listen.forEach((listen, i) => {
    const m = /^(?!\/)(.*)\/(tcp|udp)$/.exec(listen);
    lines.push(
      '',
      `[socket.${i === 0 ? 'main' : `main${i + 1}`}]`,
      `listen = ${m ? m[1] : listen}`,
      `protocol = ${m ? m[2] : 'tcp'}`,
      `backend = ${s.backend[i]}`,
    );
  });
  lines.push('', '[idle]', 'timeout = 15min', '', '[log]', 'level = info', '');
  const text = lines.join('\n');
  if (s.exec !== undefined) {
    // What reads back must be the command given: a `;` or `#` after a blank starts a comment.
    const config = parseConfig(text, file);
    const wanted = splitArgv(s.exec);
    if (config.service.mode !== 'exec' || JSON.stringify(config.service.exec) !== JSON.stringify(wanted)) {
      throw new UsageError(`--exec "${s.exec}" does not survive in a config file as is; write " ;" and " #" as "\\;" and "\\#"`);
    }
  }
  return text;
}

// ---- the installation ----

function installation(): Installation {
  const real = (p: string): string => {
    try {
      return fs.realpathSync(p);
    } catch {
      return p;
    }
  };
  return {
    node: real(process.execPath),
    script: real(cliScript()),
    version: version(),
    notifyAddonProblem: notifyAddonProblem(),
  };
}

/** What ExecStart= runs: the package's bin, which runs the bundle (`npm run build` makes
 *  both), else the compiled entry point (a tree built by `tsc` alone). */
function cliScript(): string {
  const bundle = packagePath('dist', 'mrsocko.cjs');
  return fs.existsSync(bundle) ? bundle : packagePath('dist', 'src', 'cli', 'main.js');
}

function readShippedTemplates(): ShippedTemplates {
  const read = (name: string): string => {
    const file = packagePath('units', name);
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new MrsockoError('MRSOCKO_RUNTIME', `the shipped template ${file} is missing: ${(err as Error).message}`);
    }
  };
  return { service: read('mrsocko@.service'), socket: read('mrsocko@.socket') };
}

// ---- writing ----

type Action = 'write' | 'update' | 'unchanged' | 'keep' | 'conflict' | 'overwrite';

const ACTION_WORDS: Readonly<Record<Action, string>> = {
  write: 'wrote  ',
  update: 'updated',
  unchanged: 'same   ',
  keep: 'kept   ',
  conflict: 'refused',
  overwrite: 'forced ',
};

interface Planned {
  file: string;
  text: string;
  action: Action;
  kind: GeneratedFile['kind'];
  why?: string;
}

function planFile(f: GeneratedFile, dir: string, force: boolean): Planned {
  const file = path.join(dir, f.path);
  let existing: string | undefined;
  try {
    existing = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new MrsockoError('MRSOCKO_RUNTIME', `cannot read ${file}: ${(err as Error).message}`);
    }
  }
  const base = { file, text: f.text, kind: f.kind };
  if (existing === undefined) return { ...base, action: 'write' };
  const state = classifyExisting(existing, f.text);
  if (state === 'same') return { ...base, action: 'unchanged' };
  if (state === 'generated') return { ...base, action: 'update' };
  if (force) return { ...base, action: 'overwrite' };
  const why = state === 'edited' ? 'edited since gen-unit wrote it' : 'not written by gen-unit';
  return { ...base, action: f.kind === 'template' ? 'keep' : 'conflict', why };
}

function realpathIfExists(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/**
 * Refuses to write `file` as root where another user could write too: there, a name of
 * theirs (a symlink, a file planted beside) would make root overwrite a file of its
 * choosing, or systemd read a unit of theirs. The directory (or, where it does not
 * exist yet, the one it would be created in) must be writable by root alone.
 */
function checkTarget(file: string): void {
  const reason = untrustedDirectoryReason(path.dirname(file));
  if (reason === undefined) return;
  throw new MrsockoError('MRSOCKO_RUNTIME',
    `refusing to write ${file}: ${reason}; as root, gen-unit writes only into directories that root alone can write ` +
      '(use --stdout and copy the files yourself, or --output a directory of root\'s)');
}

/** Write to a temporary file beside it, then rename: systemd never reads half a unit. The
 *  temporary name is unpredictable and created exclusively ("wx"), so nothing planted
 *  under a guessed name is followed or overwritten; rename() replaces a symlink at `file`
 *  itself, never what it points to. */
function writeAtomic(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(8).toString('hex')}.tmp`);
  let created = false;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    const fd = fs.openSync(tmp, 'wx', 0o644);
    created = true;
    try {
      fs.writeFileSync(fd, text);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    if (created) fs.rmSync(tmp, { force: true });
    const e = err as NodeJS.ErrnoException;
    const hint = e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS'
      ? ' (run it as root, or use --output DIR or --stdout)'
      : '';
    throw new MrsockoError('MRSOCKO_RUNTIME', `cannot write ${file}: ${e.message}${hint}`, { cause: err });
  }
}

// ---- what next ----

function nextSteps(opts: Options, plan: readonly Planned[], configFile: string | undefined): string {
  const name = opts.name;
  const systemDir = path.resolve(opts.output) === SYSTEM_UNIT_DIR;
  const lines = [''];
  if (!systemDir) {
    lines.push(`${opts.output} is not ${SYSTEM_UNIT_DIR}: systemd reads these files only from a unit directory.`);
  }
  if (name === undefined) {
    lines.push('Next: systemctl daemon-reload, then for each instance: mrsocko gen-unit NAME');
    return `${lines.join('\n')}\n`;
  }
  const listen = plan.find((p) => p.file === path.join(opts.output, listenDropInPath(name)));
  const changed = plan.filter((p) => p.action !== 'unchanged' && p.action !== 'keep');
  lines.push(
    'Next:',
    `  systemctl daemon-reload && systemctl enable --now mrsocko@${name}.socket`,
    `  systemctl status mrsocko@${name}.socket mrsocko@${name}     # listening? and the STATUS= of the service`,
    `  journalctl -u mrsocko@${name} -f                           # what it does (-p warning: problems only)`,
    `  mrsocko status ${name}                                     # clients, traffic, idle countdown`,
  );
  if (listen !== undefined && (listen.action === 'update' || listen.action === 'overwrite')) {
    lines.push(
      'The Listen lines changed. systemd binds the new addresses when the socket unit restarts:',
      `  systemctl daemon-reload && systemctl stop mrsocko@${name}.service mrsocko@${name}.socket && systemctl start mrsocko@${name}.socket`,
    );
  } else if (changed.some((p) => p.action === 'update' || p.action === 'overwrite')) {
    lines.push(
      'A running instance keeps its old sandbox until it restarts:',
      `  systemctl daemon-reload && systemctl try-restart mrsocko@${name}.service`,
    );
  }
  const serviceReads = path.join(DEFAULT_CONFIG_DIR, `${name}.conf`);
  if (configFile !== undefined && path.resolve(configFile) !== serviceReads) {
    lines.push(
      `Note: mrsocko@${name}.service reads ${serviceReads}, not ${configFile}: ` +
        `copy it there (mrsocko check --config ${configFile} first).`,
    );
  }
  return `${lines.join('\n')}\n`;
}
