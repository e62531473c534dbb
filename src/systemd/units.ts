// The systemd unit files `mrsocko gen-unit` writes, as text. Pure: config and facts about
// the installation in, file contents out; reading and writing files is src/cli/gen-unit.ts.
//   systemd.socket(5): https://www.freedesktop.org/software/systemd/man/latest/systemd.socket.html
//   systemd.exec(5):   https://www.freedesktop.org/software/systemd/man/latest/systemd.exec.html
//   systemd.unit(5), "Specifiers" and "Drop-in files"
//
// Per installation, the two templates (the shipped units/ files with ExecStart= pointing
// at this installation). Per instance, two drop-ins:
// - mrsocko@NAME.socket.d/50-listen.conf: one ListenStream=/ListenDatagram= per
//   [socket.X]. FileDescriptorName= names every fd of a socket unit (the last value wins),
//   so it is written only for a single section; mrsocko matches fds by address anyway.
// - mrsocko@NAME.service.d/50-sandbox.conf: the template's sandbox fitted to the backend
//   mode (a `unit =` instance drops every capability) and to the paths the exec backend
//   and the [log] file write to.
// Every generated file carries a header with a checksum of its own text, so gen-unit can
// tell its unchanged output (safe to replace) from a file edited by hand (kept).

import { createHash } from 'node:crypto';
import path from 'node:path';
import { quoteArgv } from '../config/argv.js';
import { lineOf } from '../config/load.js';
import type { Config } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { commandWord, commentText, literal, unitWord } from './unit-quoting.js';

export const SYSTEM_UNIT_DIR = '/etc/systemd/system';
const SERVICE_TEMPLATE = 'mrsocko@.service';
const SOCKET_TEMPLATE = 'mrsocko@.socket';
/** The directory the template writes to itself (LogsDirectory=mrsocko). */
const LOGS_DIRECTORY = '/var/log/mrsocko';

export const listenDropInPath = (instance: string): string => `mrsocko@${instance}.socket.d/50-listen.conf`;
const sandboxDropInPath = (instance: string): string => `mrsocko@${instance}.service.d/50-sandbox.conf`;

/** Ends the header of every generated file; the hex is the checksum of the rest of the text. */
const CHECKSUM_PREFIX = '# mrsocko-gen-unit-checksum: ';

/** Paths ProtectHome= hides. */
const HOME_DIRS = ['/home', '/root', '/run/user'];
/** Paths PrivateTmp= replaces. */
const TMP_DIRS = ['/tmp', '/var/tmp'];
/** Directories never opened whole with ReadWritePaths=: each holds what other services
 *  and the system itself rely on. A path below one of them is fine. */
const SHARED_DIRS = [
  '/', '/boot', '/dev', '/etc', '/home', '/opt', '/proc', '/root', '/run', '/srv', '/sys', '/usr', '/usr/local',
  '/var', '/var/cache', '/var/lib', '/var/log', '/var/spool',
];

/** Facts about the running installation that go into the units. */
export interface Installation {
  /** Absolute path of the Node.js binary. */
  readonly node: string;
  /** Absolute, resolved path of the CLI script (dist/mrsocko.cjs, the bundle). */
  readonly script: string;
  readonly version: string;
  /** Why the sd-notify addon cannot be loaded; undefined when it can. */
  readonly notifyAddonProblem?: string | undefined;
}

/** The shipped units/ files, the base of the templates. */
export interface ShippedTemplates {
  readonly service: string;
  readonly socket: string;
}

export interface GeneratedFile {
  /** Relative to the unit directory. */
  readonly path: string;
  /** Templates serve every instance: an edited one is kept, not a conflict. */
  readonly kind: 'template' | 'instance';
  readonly text: string;
  /** Things worth telling the user about this file (a path that does not exist, ...). */
  readonly notes: readonly string[];
}

/** Why NAME cannot be the instance of mrsocko@NAME.socket, or undefined. Unit names allow
 *  `\` escapes (systemd-escape), but then %i would no longer be the config's file name. */
export function instanceNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9:_.-]+$/.test(name)) {
    return `"${name}" cannot be a systemd instance name: use letters, digits, ":", "_", "." and "-"`;
  }
  if (`mrsocko@${name}.service`.length > 255) return `"${name}" is too long for a unit name`;
  return undefined;
}

/**
 * Node.js flags of the daemon; the shebang of src/cli/main.ts carries the same, for the
 * `mrsocko` command. --single-threaded: V8 compiles hot functions and collects garbage on
 * the main thread. Its worker threads would leave the memory they freed (the optimizing
 * compiler's, mostly) cached in malloc arenas of their own for good: 4-5 MB of an idle
 * mrsocko's RSS after light use, 7-8 MB after heavy traffic. A proxy gives them little
 * work: throughput, CPU per request and cold starts measured the same without them; only
 * mrsocko's own start-up takes about 20 ms longer.
 */
export const NODE_FLAGS: readonly string[] = ['--single-threaded'];

/** ExecStart= of the service template: this Node.js running this installation's CLI. */
function execStart(inst: Installation): string {
  return `ExecStart=${[inst.node, ...NODE_FLAGS, inst.script].map(commandWord).join(' ')} run --instance %i`;
}

// ---- header and checksum ----

function checksum(body: string): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 16);
}

/** The header lines (without the checksum line) followed by the body, with the checksum. */
function withHeader(header: readonly string[], body: string): string {
  const text = `${header.map((l) => `# ${commentText(l)}`.trimEnd()).join('\n')}\n${body}`;
  const lines = text.split('\n');
  lines.splice(header.length, 0, CHECKSUM_PREFIX + checksum(text));
  return lines.join('\n');
}

/** How a file found on disk relates to what gen-unit would write there. */
export type ExistingFile =
  /** Byte for byte what gen-unit would write now. */
  | 'same'
  /** gen-unit's output, unchanged since (maybe from another config or version): safe to replace. */
  | 'generated'
  /** gen-unit's output, edited since. */
  | 'edited'
  /** Not written by gen-unit. */
  | 'foreign';

export function classifyExisting(existing: string, wanted: string): ExistingFile {
  if (existing === wanted) return 'same';
  const lines = existing.split('\n');
  const at = lines.findIndex((l) => l.startsWith(CHECKSUM_PREFIX));
  if (at < 0) return 'foreign';
  const recorded = (lines[at] as string).slice(CHECKSUM_PREFIX.length).trim();
  lines.splice(at, 1);
  return checksum(lines.join('\n')) === recorded ? 'generated' : 'edited';
}

// ---- templates ----

const TEMPLATE_HEADER = (inst: Installation, name: string): string[] => [
  `Written by \`mrsocko gen-unit\` (mrsocko ${inst.version}) from the shipped units/${name}.`,
  'gen-unit updates this file while it is unchanged, and leaves it alone once edited',
  '(--force replaces it). Put local changes in a drop-in instead: mrsocko@.service.d/*.conf',
  'for every instance, mrsocko@NAME.service.d/*.conf for one.',
];

function underAny(p: string, dirs: readonly string[]): boolean {
  return dirs.some((d) => p === d || p.startsWith(`${d}/`));
}

/** Replaces the one `KEY=` line of a unit text; throws if it is missing (a broken shipped file). */
function replaceSetting(text: string, key: string, value: string, comment?: string): string {
  const re = new RegExp(`^${key}=.*$`, 'm');
  if (!re.test(text)) throw new Error(`shipped template has no ${key}= line`);
  return text.replace(re, () => `${comment !== undefined ? `# ${comment}\n` : ''}${key}=${value}`);
}

/** What the template gives up without the sd-notify addon, for gen-unit's output. */
const NO_ADDON_COST =
  'mrsocko@.service is Type=simple without WatchdogSec=: systemd gets no READY=1, STATUS= line or ' +
  'watchdog pings from mrsocko (a hung mrsocko is not restarted, `systemctl status` shows no state, ' +
  '`systemctl reload` returns before the config is re-read)';

export function serviceTemplate(shipped: string, inst: Installation): { text: string; notes: string[] } {
  const notes: string[] = [];
  let body = replaceSetting(shipped, 'ExecStart', execStart(inst).slice('ExecStart='.length));
  if (inst.notifyAddonProblem !== undefined) {
    // Never NotifyAccess=all: an exec backend runs in this service's cgroup and could then
    // speak for it (STATUS=, WATCHDOG=trigger, MAINPID=). The systemd-notify binary's
    // messages are the main process's only with CAP_SYS_ADMIN, which the sandbox drops;
    // so without the addon there are no notifications at all.
    const why = 'the sd-notify addon is missing here; see the note gen-unit printed';
    body = replaceSetting(body, 'Type', 'simple', why);
    body = replaceSetting(body, 'NotifyAccess', 'none');
    body = replaceSetting(body, 'WatchdogSec', '0');
    notes.push(
      `the sd-notify addon is not available (${inst.notifyAddonProblem}), so ${NO_ADDON_COST}. ` +
        'Fix: apt-get install libsystemd-dev g++ make python3, `npm rebuild sd-notify` in the installation, then gen-unit again',
    );
  }
  const inHome = [inst.node, inst.script].filter((p) => underAny(p, HOME_DIRS));
  if (inHome.length > 0) {
    body = replaceSetting(body, 'ProtectHome', 'read-only', `mrsocko runs from ${inHome.join(' and ')}`);
    notes.push(`${inHome.join(' and ')} is under a home directory: the template can only make homes read-only, not hide them`);
  }
  return { text: withHeader(TEMPLATE_HEADER(inst, SERVICE_TEMPLATE), body), notes };
}

export function socketTemplate(shipped: string, inst: Installation): string {
  return withHeader(TEMPLATE_HEADER(inst, SOCKET_TEMPLATE), shipped);
}

// ---- instance drop-ins ----

const INSTANCE_HEADER = (inst: Installation, instance: string, config: Config): string[] => [
  `Written by \`mrsocko gen-unit ${instance}\` (mrsocko ${inst.version}) from ${config.file}.`,
  'Run gen-unit again after changing the config: it replaces this file while it is unchanged,',
  'and refuses to once it was edited (--force overrides). Local changes: another drop-in',
  'in this directory, e.g. 60-local.conf.',
];

export function listenDropIn(config: Config, instance: string, inst: Installation): string {
  const lines = ['[Socket]'];
  for (const s of config.sockets) {
    const key = s.protocol === 'udp' ? 'ListenDatagram' : 'ListenStream';
    if (s.listen.text.endsWith('\\')) {
      // ListenStream= takes the rest of the line as is: a final backslash would join the next line to it.
      throw new ConfigError({ file: config.file, line: lineOf(config, `socket.${s.name}`, 'listen'), section: `socket.${s.name}`, key: 'listen' },
        `"${s.listen.text}" ends with a backslash, which systemd would read as a line continuation in ${key}=`);
    }
    lines.push(`# ${commentText(`[socket.${s.name}] ${s.protocol}, to ${s.backend.text}`)}`, `${key}=${literal(s.listen.text)}`);
  }
  const { knock } = config;
  if (knock !== undefined) {
    // Knock ports are sockets of the instance too; mrsocko tells them apart by address.
    const seen = new Set<string>();
    for (const step of knock.sequence) {
      const line = `${step.protocol === 'udp' ? 'ListenDatagram' : 'ListenStream'}=${literal(step.listen.text)}`;
      if (seen.has(line)) continue;
      seen.add(line);
      lines.push(`# [knock] sequence: ${step.text}`, line);
    }
    if (knock.listen !== undefined) lines.push('# [knock] listen: single-packet knocks', `ListenDatagram=${literal(knock.listen.text)}`);
  }
  const only = config.sockets.length === 1 ? config.sockets[0] : undefined;
  if (only !== undefined) {
    lines.push(`FileDescriptorName=${only.name}`);
  } else {
    lines.push(
      '# No FileDescriptorName=: it would name every socket of this unit alike. mrsocko matches',
      '# each socket to its [socket.X] section by the address above.',
    );
  }
  return withHeader(INSTANCE_HEADER(inst, instance, config), `${lines.join('\n')}\n`);
}

/** A path the sandbox must let mrsocko or its backend write to (or reach). */
interface PathNeed {
  path: string;
  why: string;
  /** Create files there (else only connect to a socket there). */
  write: boolean;
  /** The config key that brings it in. */
  section: string;
  key: string;
}

/** What to write instead, by the key that asked for a shared directory. */
const SHARED_DIRS_HINT: Readonly<Record<string, string>> = {
  directory: 'give the backend a directory of its own (directory = /srv/NAME), or leave directory = out if it writes nothing there',
  pidfile: 'put the pidfile in a directory of its own, e.g. /run/NAME/NAME.pid (the daemon, or a RuntimeDirectory= drop-in, creates /run/NAME)',
  backend: 'put the backend\'s socket in a directory of its own, e.g. /run/NAME/NAME.sock',
  file: 'put the log in a directory of its own, e.g. /var/log/mrsocko/NAME.log',
};

/** The path as systemd will use it: normalized, no trailing slash, symlinks resolved where it exists. */
function canonical(p: string, realpath: (p: string) => string): string {
  const normal = path.posix.normalize(p).replace(/(.)\/+$/, '$1');
  return realpath(normal);
}

export function sandboxDropIn(
  config: Config,
  instance: string,
  inst: Installation,
  exists: (p: string) => boolean,
  realpath: (p: string) => string = (p) => p,
): { text: string; notes: string[] } {
  const { service } = config;
  const lines = ['[Service]'];
  const notes: string[] = [];
  const needs: PathNeed[] = [];

  if (service.mode === 'unit') {
    lines.push(
      `# ${commentText(`unit = ${service.unit}`)}: systemd itself starts and stops the backend, outside this sandbox;`,
      '# mrsocko only asks it to (systemctl over /run/systemd/private, which systemd allows to',
      '# uid 0 without polkit). So mrsocko keeps no capability and no privileged system call.',
      'CapabilityBoundingSet=',
      'SystemCallFilter=~@privileged',
      '# To notice the unit stopping or crashing behind its back, mrsocko watches its cgroup',
      '# (cgroup v2) or follows what systemd logs about it (journalctl --follow, which gets no',
      '# new entries with any of these three on, as tested on systemd 252).',
      'ProtectControlGroups=no',
      'ProtectProc=default',
      'ProtectKernelTunables=no',
    );
    for (const s of config.sockets) {
      if (s.backend.kind === 'unix') {
        needs.push({ path: s.backend.path, why: `[socket.${s.name}] backend`, write: false, section: `socket.${s.name}`, key: 'backend' });
      }
    }
  } else {
    lines.push(
      `# ${commentText(`exec = ${quoteArgv(service.exec)}`)}`,
      '# The backend runs inside this sandbox (see mrsocko@.service), with the paths below writable.',
    );
    if (service.user !== undefined || service.group !== undefined) {
      lines.push(`# ${commentText(`It runs as ${[service.user, service.group].filter(Boolean).join(':')}`)} (CAP_SETUID/CAP_SETGID, kept by the template).`);
    }
    if (service.directory !== undefined) {
      needs.push({ path: service.directory, why: 'directory', write: true, section: 'service', key: 'directory' });
    }
    lines.push(
      '# The backend gets a cgroup of its own below this service\'s (see docs/backends.md), so that',
      '# every process it starts is found and stopped: systemd leaves that subtree to mrsocko',
      '# (Delegate=yes), and only it is writable in the otherwise read-only /sys/fs/cgroup (cgroup',
      '# v2, or the hybrid layout\'s unified tree; the v1 freezer tree where there is no v2). With',
      '# a Slice= of your own, change the paths (systemctl show -p ControlGroup mrsocko@NAME).',
      'Delegate=yes',
      'ReadWritePaths=-/sys/fs/cgroup/system.slice/system-mrsocko.slice/%n -/sys/fs/cgroup/unified/system.slice/system-mrsocko.slice/%n -/sys/fs/cgroup/freezer',
    );
    if (service.pidfile !== undefined) {
      needs.push({ path: path.posix.dirname(service.pidfile), why: 'pidfile', write: true, section: 'service', key: 'pidfile' });
    }
    for (const s of config.sockets) {
      if (s.backend.kind === 'unix') {
        needs.push({
          path: path.posix.dirname(s.backend.path), why: `[socket.${s.name}] backend socket`, write: true, section: `socket.${s.name}`, key: 'backend',
        });
      }
    }
  }
  if (config.log.file !== undefined) {
    needs.push({ path: path.posix.dirname(config.log.file), why: '[log] file', write: true, section: 'log', key: 'file' });
  }
  const keyFile = config.knock?.key;
  if (keyFile !== undefined) {
    // mrsocko reads it at start and on reload, inside this sandbox.
    if (underAny(path.posix.normalize(keyFile), TMP_DIRS)) {
      notes.push(`[knock] key: ${keyFile} is in a /tmp the service does not see (PrivateTmp=); put the key under /etc/mrsocko`);
    } else {
      needs.push({ path: keyFile, why: '[knock] key', write: false, section: 'knock', key: 'key' });
    }
  }

  const readWrite: string[] = [];
  const logsDirectories: string[] = [];
  let homeReadOnly = false;
  let sharedTmp = false;
  for (const need of needs) {
    const p = canonical(need.path, realpath);
    if (need.write && SHARED_DIRS.includes(p)) {
      const shown = p === canonical(need.path, (q) => q) ? p : `${p} (where ${need.path} leads)`;
      throw new ConfigError({ file: config.file, line: lineOf(config, need.section, need.key), section: need.section, key: need.key },
        `gen-unit would make all of ${shown} writable in the sandbox (ReadWritePaths=) for ${need.why}; ` +
        `${SHARED_DIRS_HINT[need.key] ?? 'use a directory of its own'}`);
    }
    if (underAny(p, TMP_DIRS)) {
      // An exec backend shares mrsocko's private /tmp; a unit backend has the host's.
      if (service.mode === 'unit') sharedTmp = true;
      continue;
    }
    if (underAny(p, HOME_DIRS)) homeReadOnly = true;
    if (!need.write) continue;
    if (underAny(p, [LOGS_DIRECTORY])) continue; // LogsDirectory=mrsocko in the template
    if (p.startsWith('/var/log/')) {
      // systemd creates it (owned by root), like the template's own /var/log/mrsocko.
      logsDirectories.push(p.slice('/var/log/'.length));
      continue;
    }
    if (!exists(p)) notes.push(`${need.why}: ${p} does not exist (yet); the sandbox makes it writable once it does`);
    if (!readWrite.includes(p)) {
      readWrite.push(p);
      lines.push(`# ${commentText(need.why)}`);
    }
  }
  if (readWrite.length > 0) {
    // "-": a path missing when the service starts is skipped instead of failing the start.
    lines.push(`ReadWritePaths=${readWrite.map((p) => `-${unitWord(p)}`).join(' ')}`);
  }
  if (logsDirectories.length > 0) lines.push('# [log] file', `LogsDirectory=${logsDirectories.map(unitWord).join(' ')}`);
  if (homeReadOnly) lines.push('# a path above is under /home, /root or /run/user', 'ProtectHome=read-only');
  if (sharedTmp) lines.push("# the unit backend's socket is in the host's /tmp", 'PrivateTmp=no');
  return { text: withHeader(INSTANCE_HEADER(inst, instance, config), `${lines.join('\n')}\n`), notes };
}

/** Every file for one instance, templates first. */
export function generateUnits(
  config: Config,
  instance: string,
  inst: Installation,
  shipped: ShippedTemplates,
  exists: (p: string) => boolean,
  realpath?: (p: string) => string,
): GeneratedFile[] {
  return [
    ...generateTemplates(inst, shipped),
    { path: listenDropInPath(instance), kind: 'instance', text: listenDropIn(config, instance, inst), notes: [] },
    { path: sandboxDropInPath(instance), kind: 'instance', ...sandboxDropIn(config, instance, inst, exists, realpath) },
  ];
}

export function generateTemplates(inst: Installation, shipped: ShippedTemplates): GeneratedFile[] {
  return [
    { path: SERVICE_TEMPLATE, kind: 'template', ...serviceTemplate(shipped.service, inst) },
    { path: SOCKET_TEMPLATE, kind: 'template', text: socketTemplate(shipped.socket, inst), notes: [] },
  ];
}
