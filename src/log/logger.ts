// Logging with systemd's severities. Under systemd (JOURNAL_STREAM set) each line carries
// an sd-daemon priority prefix (`<5>…`) so `journalctl -p` filters work and journald adds
// the timestamp; otherwise lines are plain and timestamped.
// The main sink is a line per write on stdout: winston (with winston-daily-rotate-file) is
// loaded only for the optional `[log] file`, a second, rotated sink — loading it costs
// about as much as the rest of the daemon, and the first client of a socket-activated
// mrsocko waits for that start.
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type winston from 'winston';
import type { LogConfig, LogLevel } from '../config/types.js';
import { runningAsRoot, untrustedDirectoryReason } from '../config/trust.js';
import { formatEvent, type LogEvent } from './events.js';

/** sd-daemon(3) priorities; winston's syslog levels use the same numbers. */
const PRIORITY: Readonly<Record<LogLevel, number>> = {
  error: 3,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
};

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  notice(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  /** A typed event, rendered by its own formatter at its own priority. */
  event(event: LogEvent): void;
  isEnabled(level: LogLevel): boolean;
  /** Apply `[log]` settings (level and file) — used at start and on SIGHUP. */
  configure(config: LogConfig): Promise<void>;
  /** Flush and release sinks. */
  close(): Promise<void>;
}

export interface LoggerOptions {
  /** Where lines go; defaults to process.stdout. */
  stream?: NodeJS.WritableStream;
  /** Prefix lines with `<N>` instead of a timestamp (default: whether JOURNAL_STREAM is set). */
  journal?: boolean;
  level?: LogLevel;
}

/** The plain line, also the file sink's: `2026-11-25T10:00:00.000Z notice  message`. */
function plainLine(level: LogLevel, message: string, at: Date): string {
  return `${at.toISOString()} ${level.padEnd(7)} ${message}`;
}

export function createLogger(env: NodeJS.ProcessEnv, options: LoggerOptions = {}): Logger {
  const journal = options.journal ?? Boolean(env.JOURNAL_STREAM);
  const stream = options.stream ?? process.stdout;
  let threshold = PRIORITY[options.level ?? 'info'];
  let fileSink: (FileSink & { key: string }) | undefined;
  let closed = false;

  const log = (level: LogLevel, message: string): void => {
    if (PRIORITY[level] > threshold) return;
    const at = new Date();
    stream.write(`${journal ? `<${PRIORITY[level]}>${message}` : plainLine(level, message, at)}\n`);
    fileSink?.logger.log({ level, message, at });
  };

  return {
    debug: (m) => log('debug', m),
    info: (m) => log('info', m),
    notice: (m) => log('notice', m),
    warning: (m) => log('warning', m),
    error: (m) => log('error', m),
    event(event) {
      const { level, message } = formatEvent(event);
      if (PRIORITY[level] <= threshold) log(level, message);
    },
    isEnabled: (level) => PRIORITY[level] <= threshold,
    async configure(config) {
      threshold = PRIORITY[config.level];
      const key = config.file === undefined ? '' : JSON.stringify([config.file, config.maxSize, config.maxFiles]);
      if (fileSink?.key === key) return;
      if (fileSink) {
        closeFileSink(fileSink);
        fileSink = undefined;
      }
      if (config.file === undefined) return;
      const file = config.file;
      let failed = false;
      // A file that cannot be written is reported and dropped; mrsocko keeps serving.
      const fail = (err: unknown): void => {
        if (failed) return;
        failed = true;
        if (fileSink?.key === key) {
          closeFileSink(fileSink);
          fileSink = undefined;
        }
        if (!closed) log('error', fileProblem(file, err));
      };
      try {
        const sink = await rotatingFile(config, fail);
        if (failed) {
          closeFileSink(sink);
          return;
        }
        fileSink = { ...sink, key };
      } catch (err) {
        fail(err);
      }
    },
    close() {
      closed = true;
      const sink = fileSink;
      fileSink = undefined;
      if (!sink) return Promise.resolve();
      return new Promise((resolve) => {
        sink.transport.close?.();
        sink.logger.on('finish', () => resolve());
        sink.logger.end();
        // winston may not emit finish when nothing is pending; never hang a shutdown on logs.
        setTimeout(resolve, 200).unref();
      });
    },
  };
}

interface FileSink {
  logger: winston.Logger;
  transport: winston.transport;
}

function closeFileSink(sink: FileSink): void {
  sink.logger.remove(sink.transport);
  sink.transport.close?.();
}

/**
 * The `[log] file` sink: /var/log/mrsocko/x.log is written as x-2026-11-25.log (x-….log.1,
 * .2, … once it reaches max_size), with x.log a symlink to the current one, so `tail -F`
 * works on the configured name. max_files counts every file, or days with a `d`; the
 * audit file beside them records which are ours to remove.
 */
async function rotatingFile(config: LogConfig, onError: (err: unknown) => void): Promise<FileSink> {
  // require(), not import(): the bundle (scripts/bundle.mjs) runs from V8's code cache
  // through node:vm, where a dynamic import() has no loader.
  const load = createRequire(import.meta.url);
  const winstonModule = load('winston') as typeof winston;
  const DailyRotateFile = load('winston-daily-rotate-file') as typeof import('winston-daily-rotate-file');
  const file = config.file as string;
  // Fail here, with the cause, rather than in an 'error' event of the stream opened later.
  const dir = path.dirname(file);
  // The config check (../config/load.ts) refused such a directory already; this is the
  // same look again right before opening, for a directory changed since (SIGHUP reload).
  const untrusted = runningAsRoot() ? untrustedDirectoryReason(dir) : undefined;
  if (untrusted !== undefined) throw Object.assign(new Error(`not trusted: ${untrusted}`), { path: dir });
  ensureDirectory(dir);
  if (!fs.statSync(dir).isDirectory()) throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR', path: dir });
  fs.accessSync(dir, fs.constants.W_OK);
  const dot = file.lastIndexOf('.');
  const slash = file.lastIndexOf('/');
  // /var/log/mrsocko/x.log → /var/log/mrsocko/x-2026-11-25.log (%DATE% before the extension)
  const filename = dot > slash + 1 ? `${file.slice(0, dot)}-%DATE%${file.slice(dot)}` : `${file}-%DATE%`;
  const transport = new DailyRotateFile({
    filename,
    datePattern: 'YYYY-MM-DD',
    maxSize: config.maxSize,
    maxFiles: config.maxFiles,
    auditFile: `${file}.audit.json`,
    createSymlink: true,
    symlinkName: path.basename(file),
    format: winstonModule.format.printf((info) => plainLine(info.level as LogLevel, String(info.message), info.at as Date)),
    // Never append through a symlink planted under the dated name: O_NOFOLLOW fails with ELOOP.
    options: { flags: fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, mode: 0o640 },
  });
  transport.on('error', onError);
  // file-stream-rotator's errors (EROFS, ENOSPC, ...) arrive on the transport's inner stream.
  (transport as unknown as { logStream?: EventEmitter }).logStream?.on('error', onError);
  const logger = winstonModule.createLogger({
    levels: PRIORITY as Record<string, number>,
    level: 'debug', // the main sink's threshold filters already
    transports: [transport],
    exitOnError: false,
  });
  return { logger, transport };
}

/** mkdir -p, one level at a time: Node 20's recursive mkdirSync loops forever where mkdir
 *  fails with ENOENT on an existing parent (under /proc, for one). */
function ensureDirectory(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) missing.unshift(d);
  for (const d of missing) fs.mkdirSync(d);
}

function fileProblem(file: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const why = e.code !== undefined ? `${e.code}${e.path !== undefined ? ` (${e.path})` : ''}` : String(e?.message ?? err);
  const sandbox = e.code === 'EROFS' || e.code === 'EACCES' || e.code === 'EPERM'
    ? '; under systemd, the sandbox lets mrsocko write only /var/log/mrsocko and the paths in ' +
      'mrsocko@NAME.service.d/50-sandbox.conf: run `mrsocko gen-unit NAME` after changing [log] file'
    : '';
  return `[log] file ${file}: cannot write it: ${why}${sandbox}; logging without it`;
}
