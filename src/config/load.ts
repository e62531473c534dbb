// The one validator: config file text → the frozen, typed Config (./types.ts).
// Structure and line numbers come from the locator (./locate.ts), values from `ini`
// (./fields.ts), checks that span keys or sections are here. The first problem found is
// thrown as a ConfigError naming file, line, section and key.

import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { backendLoopsToListen, listenAddressesOverlap, parseBackend, parseListen } from './address.js';
import { Fields } from './fields.js';
import { locate, type RawConfig, type RawSection } from './locate.js';
import type {
  AccessConfig, Config, IdleConfig, KnockConfig, KnockStep, LogConfig, LogLevel, Protocol, ServiceConfig, SocketConfig,
  StartingPageConfig,
} from './types.js';
import { ValueError } from '../errors.js';
import { parseAddressRule } from '../net/address-rule.js';
import { readReadyCheck } from './ready.js';
import { checkTrustedFile, runningAsRoot, untrustedDirectoryReason } from './trust.js';
import { normalizeUnitName } from './unit-name.js';
import { closeEnough, suggest } from './suggest.js';
import { deepFreeze } from './freeze.js';
import { formatTimespan } from './timespan.js';

const DEFAULTS = {
  startTimeoutMs: 90_000,
  stopTimeoutMs: 30_000,
  protocol: 'tcp',
  flowTimeoutMs: 60_000,
  idleTimeoutMs: 15 * 60_000,
  maxRuntimeMs: Infinity,
  minRuntimeMs: 0,
  maxConnections: 1024,
  /** None: a reverse proxy on the same host is one address; fairness at max_connections comes from ../session/eviction.ts. */
  maxPerSource: undefined,
  knockWindowMs: 10_000,
  knockOpenForMs: 60 * 60_000,
  knockListen: '62201',
  logLevel: 'info',
  startingPageAfterMs: 1000,
} as const;

/** A custom starting page larger than this is refused: it is sent whole to every waiting browser. */
const STARTING_PAGE_MAX_BYTES = 64 * 1024;

/** Keys per section kind; `socket` stands for every [socket.NAME]. */
const KEYS = {
  service: ['unit', 'exec', 'user', 'group', 'directory', 'pidfile', 'stop', 'start_timeout', 'stop_timeout', 'ready', 'ready_delay'],
  socket: ['listen', 'protocol', 'backend', 'flow_timeout', 'ready_check', 'starting_page', 'starting_page_after'],
  idle: ['timeout', 'max_runtime', 'min_runtime', 'keepalive', 'connections_count', 'exit', 'min_bytes', 'freeze'],
  access: ['allow', 'deny', 'wake', 'max_connections', 'max_per_source'],
  knock: ['sequence', 'window', 'open_for', 'key', 'listen'],
  log: ['level', 'file', 'max_size', 'max_files'],
} as const;
type SectionKind = keyof typeof KEYS;

const EXEC_ONLY_KEYS = ['user', 'group', 'directory', 'pidfile'] as const;
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'notice', 'warning', 'error'];
const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp'];

/** Like systemd's FileDescriptorName=, minus what LISTEN_FDNAMES cannot carry (":" separates
 * names there) and what would not survive a section header or a unit file. */
const SOCKET_NAME = /^[A-Za-z0-9_.-]{1,255}$/;

export interface LoadOptions {
  /** Apply the checks that protect root (./trust.ts): default, whether mrsocko runs as root. */
  readonly asRoot?: boolean;
}

export function loadConfig(file: string, options: LoadOptions = {}): Config {
  const asRoot = options.asRoot ?? runningAsRoot();
  checkTrustedFile(file, 'the config', undefined, asRoot);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError({ file, line: 0 }, `cannot read the config: ${describeReadError(err)}`);
  }
  return parseConfig(text, file, { asRoot });
}

export function parseConfig(text: string, file: string, options: LoadOptions = {}): Config {
  const raw = locate(text, file);
  const kinds = new Map(raw.sections.map((s) => [s, sectionKind(s, file)] as const));
  for (const [section, kind] of kinds) checkKeys(section, kind, file);

  const fields = (kind: SectionKind): Fields => {
    const section = raw.sections.find((s) => kinds.get(s) === kind);
    return new Fields(file, section, kind);
  };
  // Read in the order of a typical file, so the first problem reported is the topmost one.
  const service = readService(requireSection(raw, 'service', file), file);
  const sockets = readSockets(raw, kinds, file, service, options.asRoot ?? false);
  const idle = readIdle(fields('idle'));
  const access = readAccess(fields('access'));
  const knockSection = raw.sections.find((s) => kinds.get(s) === 'knock');
  const knock = knockSection !== undefined ? readKnock(fields('knock'), sockets) : undefined;
  if (knock === undefined) refuseKnockedWithoutKnock(fields('access'), fields('idle'));
  const config = {
    file: path.resolve(file),
    service,
    sockets,
    idle,
    access,
    knock,
    log: readLog(fields('log'), options.asRoot ?? false),
  };
  // Not enumerable: where a setting was written is not a setting (two configs with the same
  // settings compare equal, and reload compares them).
  const lines = Object.fromEntries(raw.sections.flatMap((s) => [...s.entries.values()].map((e) => [`${s.name}.${e.key}`, e.line])));
  Object.defineProperty(config, 'lines', { value: Object.freeze(lines), enumerable: false });
  return deepFreeze(config as unknown as Config);
}

/** The line of `[section] key` in the config, 0 when it is not set there. */
export function lineOf(config: Config, section: string, key: string): number {
  return config.lines[`${section}.${key}`] ?? 0;
}

function requireSection(raw: RawConfig, name: 'service', file: string): RawSection {
  const section = raw.sections.find((s) => s.name === name);
  if (section !== undefined) return section;
  throw new ConfigError({ file, line: raw.lastLine, section: name },
    'missing section; add [service] with unit = NAME.service or exec = COMMAND');
}

function sectionKind(section: RawSection, file: string): SectionKind {
  const { name, line } = section;
  const fail: (detail: string) => never = (detail) => { throw new ConfigError({ file, line, section: name }, detail); };
  if (name === 'service' || name === 'idle' || name === 'access' || name === 'knock' || name === 'log') return name;
  if (name === 'socket') fail('a socket section needs a name: [socket.NAME], e.g. [socket.web]');
  if (name.startsWith('socket.')) {
    const socketName = name.slice('socket.'.length);
    if (!SOCKET_NAME.test(socketName)) {
      fail(`socket name "${socketName}" may only use letters, digits, "_", "." and "-" (1-255 characters), ` +
        'as it becomes FileDescriptorName= (":" separates names in LISTEN_FDNAMES)');
    }
    return 'socket';
  }
  const dot = name.indexOf('.');
  const guess = dot > 0 && closeEnough(name.slice(0, dot), 'socket')
    ? `socket${name.slice(dot)}`
    : suggest(name, ['service', 'idle', 'access', 'knock', 'log', 'socket.NAME']);
  fail(`unknown section${guess !== undefined ? `; did you mean [${guess}]?` : ''} ` +
    '(sections: [service], [socket.NAME], [idle], [access], [knock], [log])');
}

function checkKeys(section: RawSection, kind: SectionKind, file: string): void {
  const allowed: readonly string[] = KEYS[kind];
  for (const entry of section.entries.values()) {
    if (allowed.includes(entry.key)) continue;
    const guess = suggest(entry.key, allowed);
    const home = (Object.keys(KEYS) as SectionKind[]).find((k) => (KEYS[k] as readonly string[]).includes(entry.key));
    const hint = guess !== undefined ? `did you mean ${guess}?`
      : home !== undefined ? `${entry.key} belongs in [${home === 'socket' ? 'socket.NAME' : home}]`
      : `[${kind === 'socket' ? 'socket.NAME' : kind}] takes: ${allowed.join(', ')}`;
    throw new ConfigError({ file, line: entry.line, section: section.name, key: entry.key }, `unknown key; ${hint}`);
  }
}

function readService(section: RawSection, file: string): ServiceConfig {
  const f: Fields = new Fields(file, section, 'service');
  const common = {
    stop: f.argv('stop'),
    startTimeoutMs: f.span('start_timeout', DEFAULTS.startTimeoutMs, { positive: true }),
    stopTimeoutMs: f.span('stop_timeout', DEFAULTS.stopTimeoutMs, { positive: true }),
    ready: readReadyCheck(f),
    readyDelayMs: f.span('ready_delay', 0),
  };
  if (f.has('unit') && f.has('exec')) {
    const later = f.line('unit') > f.line('exec') ? 'unit' : 'exec';
    const other = later === 'unit' ? 'exec' : 'unit';
    f.fail(later, `cannot be used together with ${other} = (line ${f.line(other)}): ` +
      'unit = starts a systemd unit, exec = runs a command; keep one');
  }
  if (f.has('unit')) {
    for (const key of EXEC_ONLY_KEYS) {
      if (f.has(key)) f.fail(key, `only applies to exec = backends; with unit =, set it in the unit file instead`);
    }
    const text = f.required('unit', 'a systemd service name such as jellyfin.service');
    return { mode: 'unit', unit: f.parse('unit', text, normalizeUnitName), ...common };
  }
  const exec = f.argv('exec');
  if (exec === undefined) f.fail(undefined, 'needs unit = NAME.service (a systemd unit) or exec = COMMAND (run directly)');
  return {
    mode: 'exec',
    exec,
    user: accountName(f, 'user'),
    group: accountName(f, 'group'),
    directory: f.absolutePath('directory'),
    pidfile: f.absolutePath('pidfile'),
    ...common,
  };
}

function accountName(f: Fields, key: 'user' | 'group'): string | undefined {
  const text = f.text(key, `a ${key} name or numeric id`);
  if (text !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(text)) {
    f.fail(key, `"${text}" is not a valid ${key} name or numeric id`);
  }
  return text;
}

function readSockets(
  raw: RawConfig, kinds: ReadonlyMap<RawSection, SectionKind>, file: string, service: ServiceConfig, asRoot: boolean,
): SocketConfig[] {
  const read: Array<{ socket: SocketConfig; f: Fields }> = [];
  for (const section of raw.sections) {
    if (kinds.get(section) !== 'socket') continue;
    const f: Fields = new Fields(file, section, section.name);
    const socket = readSocket(f, section, asRoot);
    const clash = read.find((r) => clashes(r.socket, socket));
    if (clash !== undefined) {
      f.fail('listen', `"${socket.listen.text}" clashes with [${clash.f.name}] listen = ${clash.socket.listen.text} ` +
        `(line ${clash.f.line('listen')}); two ${socket.protocol} sockets cannot bind the same address and port`);
    }
    read.push({ socket, f });
  }
  if (read.length === 0) {
    throw new ConfigError({ file, line: raw.lastLine, section: 'socket.NAME' },
      'no sockets; add at least one [socket.NAME] section with listen = and backend =');
  }
  for (const { socket, f } of read) {
    const loop = read.find((r) => r.socket.protocol === socket.protocol && backendLoopsToListen(socket.backend, r.socket.listen));
    if (loop !== undefined) {
      f.fail('backend', `"${socket.backend.text}" is mrsocko's own listen address ([${loop.f.name}] listen = ` +
        `${loop.socket.listen.text}); the backend must listen on another address or port`);
    }
  }
  if (service.ready.kind === 'connect' && read.every((r) => !r.socket.readyCheck)) {
    read[read.length - 1]!.f.fail('ready_check', 'every socket has ready_check = no and [service] ready = connect: ' +
      'nothing would tell when the backend is ready; keep one socket checked, or set ready = http://… or ready = exec …');
  }
  return read.map((r) => r.socket);
}

/** TCP and UDP may share a port; unix paths may never be shared. */
function clashes(a: SocketConfig, b: SocketConfig): boolean {
  const bothUnix = a.listen.kind === 'unix' && b.listen.kind === 'unix';
  return (bothUnix || a.protocol === b.protocol) && listenAddressesOverlap(a.listen, b.listen);
}

function readSocket(f: Fields, section: RawSection, asRoot: boolean): SocketConfig {
  const listen = f.parse('listen', f.required('listen', 'PORT, IPV4:PORT, [IPV6]:PORT or /path/to.sock'), parseListen);
  const protocol = f.choice('protocol', PROTOCOLS, DEFAULTS.protocol);
  const backend = f.parse('backend', f.required('backend', 'HOST:PORT, [IPV6]:PORT or /path/to.sock'), parseBackend);
  if (protocol === 'udp' && listen.kind === 'unix') {
    f.fail('protocol', `udp cannot listen on a unix socket path (${listen.text}): unix datagram sockets are not supported`);
  }
  if (protocol === 'udp' && backend.kind === 'unix') {
    f.fail('backend', `udp cannot forward to a unix socket path (${backend.text}): unix datagram sockets are not supported`);
  }
  if (protocol === 'tcp' && f.has('flow_timeout')) {
    f.fail('flow_timeout', 'only applies to protocol = udp (a TCP connection ends when it is closed)');
  }
  for (const key of ['starting_page', 'starting_page_after']) {
    if (protocol === 'udp' && f.has(key)) f.fail(key, 'only applies to protocol = tcp (a page is an HTTP answer)');
  }
  const page = readStartingPage(f, asRoot);
  if (page === undefined && f.has('starting_page_after')) {
    f.fail('starting_page_after', 'only applies with starting_page = yes or FILE');
  }
  const startingPage = page && { ...page, afterMs: f.span('starting_page_after', DEFAULTS.startingPageAfterMs) };
  return {
    name: section.name.slice('socket.'.length),
    listen,
    protocol,
    backend,
    flowTimeoutMs: f.span('flow_timeout', DEFAULTS.flowTimeoutMs, { positive: true }),
    readyCheck: f.bool('ready_check', true),
    ...(startingPage !== undefined ? { startingPage } : {}),
    line: section.line,
  };
}

/** `starting_page = no | yes | /path/page.html`; a file is read now, bounded, and as root only if trusted. */
function readStartingPage(f: Fields, asRoot: boolean): Omit<StartingPageConfig, 'afterMs'> | undefined {
  const text = f.text('starting_page', 'no, yes or the absolute path of an HTML file');
  if (text === undefined) return undefined;
  const word = text.toLowerCase();
  if (['no', 'false', 'off', '0'].includes(word)) return undefined;
  if (['yes', 'true', 'on', '1'].includes(word)) return {};
  if (!path.isAbsolute(text)) f.fail('starting_page', `"${text}" is neither yes, no nor an absolute path (start with /) of an HTML file`);
  const where = { file: f.file, line: f.line('starting_page'), section: f.name, key: 'starting_page' };
  checkTrustedFile(text, 'a starting page', where, asRoot);
  let bytes: Buffer;
  try {
    // non-blocking: a FIFO planted there must not hang the load
    const fd = fs.openSync(text, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      if (!fs.fstatSync(fd).isFile()) f.fail('starting_page', `${text} is not a regular file`);
      // one byte more than allowed tells "too large" without reading a huge file
      const buffer = Buffer.alloc(STARTING_PAGE_MAX_BYTES + 1);
      let n = 0;
      for (let got = -1; got !== 0 && n < buffer.length; n += got) got = fs.readSync(fd, buffer, n, buffer.length - n, n);
      bytes = buffer.subarray(0, n);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    return f.fail('starting_page', `cannot read ${text}: ${describeReadError(err)}`);
  }
  if (bytes.length > STARTING_PAGE_MAX_BYTES) {
    f.fail('starting_page', `${text} is larger than ${STARTING_PAGE_MAX_BYTES / 1024} KiB; a starting page is sent whole to every waiting browser, keep it small`);
  }
  let template: string;
  try {
    template = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return f.fail('starting_page', `${text} is not UTF-8 text (it is sent as text/html; charset=utf-8)`);
  }
  return { file: text, template };
}

function readIdle(f: Fields): IdleConfig {
  const maxRuntimeMs = f.span('max_runtime', DEFAULTS.maxRuntimeMs, { positive: true });
  const minRuntimeMs = f.span('min_runtime', DEFAULTS.minRuntimeMs);
  if (minRuntimeMs > maxRuntimeMs) {
    f.fail('min_runtime', `is longer than max_runtime (line ${f.line('max_runtime')}); the backend could never be stopped in time`);
  }
  const timeoutMs = f.span('timeout', DEFAULTS.idleTimeoutMs);
  const freezeMs = f.span('freeze', Infinity, { positive: true });
  if (Number.isFinite(freezeMs) && freezeMs >= timeoutMs) {
    f.fail('freeze', `must be shorter than timeout (${formatTimespan(timeoutMs)}${f.has('timeout') ? `, line ${f.line('timeout')}` : ', the default'}): the backend would be stopped before it is ever frozen`);
  }
  return {
    timeoutMs,
    maxRuntimeMs,
    minRuntimeMs,
    keepalive: addressRules(f, 'keepalive'),
    connectionsCount: f.bool('connections_count', false),
    exit: f.bool('exit', false),
    minBytes: f.bytes('min_bytes', 0),
    freezeMs,
  };
}

function readAccess(f: Fields): AccessConfig {
  return {
    allow: addressRules(f, 'allow'),
    deny: addressRules(f, 'deny'),
    wake: addressRules(f, 'wake'),
    maxConnections: f.positiveInt('max_connections', DEFAULTS.maxConnections),
    maxPerSource: f.has('max_per_source') ? f.positiveInt('max_per_source', 1) : DEFAULTS.maxPerSource,
  };
}

/** A list of address rules (../access/rules.ts), kept as written once each entry parses. */
function addressRules(f: Fields, key: string): string[] {
  const items = f.list(key);
  for (const item of items) f.parse(key, item, parseAddressRule);
  return items;
}

/** `knocked` in a rule list with no [knock] section could never match: a mistake. */
function refuseKnockedWithoutKnock(access: Fields, idle: Fields): void {
  for (const [f, key] of [[access, 'allow'], [access, 'deny'], [access, 'wake'], [idle, 'keepalive']] as const) {
    if (f.list(key).some((entry) => entry.toLowerCase() === 'knocked')) {
      f.fail(key, 'knocked needs a [knock] section (sequence = or key =); without one no address is ever knocked');
    }
  }
}

function readKnock(f: Fields, sockets: readonly SocketConfig[]): KnockConfig {
  const sequence = f.list('sequence').map((item) => f.parse('sequence', item, parseKnockStep));
  const key = f.absolutePath('key');
  if (f.has('listen') && key === undefined) f.fail('listen', 'is the port of single-packet knocks: it needs key = FILE too');
  if (sequence.length === 0 && key === undefined) {
    f.fail(undefined, 'needs sequence = PORT, ... (port knocking) or key = FILE (single-packet knocks), or both');
  }
  if (f.has('window') && sequence.length === 0) f.fail('window', 'only applies to sequence = (the time the whole sequence may take)');
  const listen = key === undefined ? undefined
    : f.parse('listen', f.text('listen', 'a UDP port such as 62201, IPV4:PORT or [IPV6]:PORT') ?? DEFAULTS.knockListen, parseKnockListen);
  // Every knock port is a socket of its own: it may share no address with another
  // socket of the same protocol (a port may repeat within the sequence: one socket).
  type Taken = { listen: KnockStep['listen']; protocol: Protocol; key: string; what: string };
  const taken: Taken[] = sockets
    .filter((s): s is SocketConfig & { listen: KnockStep['listen'] } => s.listen.kind === 'inet')
    .map((s) => ({ listen: s.listen, protocol: s.protocol, key: 'socket', what: `[socket.${s.name}] listen = ${s.listen.text}` }));
  const claim = (key: string, step: { listen: KnockStep['listen']; protocol: Protocol; text: string }): void => {
    const repeat = (t: Taken): boolean => t.key === 'sequence' && key === 'sequence' && t.listen.text === step.listen.text;
    const clash = taken.find((t) => t.protocol === step.protocol && listenAddressesOverlap(t.listen, step.listen) && !repeat(t));
    if (clash !== undefined) {
      f.fail(key, `"${step.text}" clashes with ${clash.what}; a knock port must be a ${step.protocol} port of its own`);
    }
    taken.push({ listen: step.listen, protocol: step.protocol, key, what: `${key} = ${step.text}` });
  };
  for (const step of sequence) claim('sequence', step);
  if (listen !== undefined) claim('listen', { listen, protocol: 'udp', text: listen.text });
  return {
    sequence,
    windowMs: f.span('window', DEFAULTS.knockWindowMs, { positive: true }),
    openForMs: f.span('open_for', DEFAULTS.knockOpenForMs, { positive: true }),
    key,
    listen,
    line: f.line(),
    keyLine: f.line('key'),
    sequenceLine: f.line('sequence'),
    listenLine: f.line('listen'),
  };
}

/** `7000`, `8000/udp`, `127.0.0.1:9000/tcp`, `[::1]:9000`. */
export function parseKnockStep(text: string): KnockStep {
  const m = /^(.*?)(?:\/(tcp|udp))?$/i.exec(text.trim()) as RegExpExecArray;
  const protocol = (m[2]?.toLowerCase() ?? 'tcp') as Protocol;
  const where = m[1] as string;
  if (/^\d+:(tcp|udp)$/i.test(where)) {
    throw new ValueError(`"${text}" is knockd's client syntax; write ${where.replace(':', '/')} here`);
  }
  if (where.includes('/') || where.includes(':') && !where.startsWith('[') && !/^[\d.]+:\d+$/.test(where)) {
    throw new ValueError(`"${text}" is not a knock port; expected PORT, IPV4:PORT or [IPV6]:PORT, optionally with /udp or /tcp`);
  }
  return { listen: parseKnockListen(where), protocol, text: text.trim() };
}

function parseKnockListen(text: string): KnockStep['listen'] {
  const listen = parseListen(text);
  if (listen.kind !== 'inet') throw new ValueError(`"${text}" is not a port: knocks arrive over IP`);
  return listen;
}

function readLog(f: Fields, asRoot: boolean): LogConfig {
  const file = f.absolutePath('file');
  if (file !== undefined && asRoot) {
    // Root appends to files there, replaces the current-file symlink and deletes the files
    // the rotation's audit file lists: another user who can write there could point any
    // of those at a file of root's (a symlink, a forged audit file).
    const reason = untrustedDirectoryReason(path.dirname(file));
    if (reason !== undefined) {
      f.fail('file', `${reason}; mrsocko writes and deletes log files there as root, so the directory must be ` +
        'writable by root alone (no sticky /tmp either): use /var/log/mrsocko/NAME.log');
    }
  }
  for (const key of ['max_size', 'max_files']) {
    if (file === undefined && f.has(key)) f.fail(key, 'only applies with file = (the extra log file it rotates)');
  }
  // The forms winston-daily-rotate-file understands; a bare number of bytes would be
  // silently ignored by it, so a unit is required.
  const maxSize = f.text('max_size', 'a size such as 500k, 20m or 1g');
  if (maxSize !== undefined && !/^[1-9]\d*[kmg]$/i.test(maxSize)) {
    f.fail('max_size', `"${maxSize}" is not a size; expected a number with k, m or g, such as 500k, 20m or 1g`);
  }
  const maxFiles = f.text('max_files', 'a count such as 14, or days such as 14d');
  if (maxFiles !== undefined && !/^[1-9]\d*d?$/.test(maxFiles)) {
    f.fail('max_files', `"${maxFiles}" is neither a number of files (14) nor of days (14d)`);
  }
  return {
    level: f.choice('level', LOG_LEVELS, DEFAULTS.logLevel),
    file,
    maxSize: maxSize?.toLowerCase(),
    maxFiles,
  };
}

function describeReadError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied (check the file mode, or run as root)';
  if (code === 'EISDIR') return 'it is a directory, not a file';
  return err instanceof Error ? err.message : String(err);
}
