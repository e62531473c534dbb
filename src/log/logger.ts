// Logging through winston with systemd's severities. Under systemd (JOURNAL_STREAM set)
// each line carries an sd-daemon priority prefix (`<5>…`) so `journalctl -p` filters work
// and journald adds the timestamp; otherwise lines are plain and timestamped.
// The optional `[log] file` is a second, rotated sink (loaded only when configured).
import winston from 'winston';
import type Transport from 'winston-transport';
import type { LogConfig, LogLevel } from '../config/types.js';
import { formatEvent, type LogEvent } from './events.js';

/** sd-daemon(3) priorities; winston's syslog levels use the same numbers. */
export const PRIORITY: Readonly<Record<LogLevel, number>> = {
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

const plainLine = winston.format.printf(
  (info) => `${String(info.timestamp)} ${info.level.padEnd(7)} ${String(info.message)}`,
);
const journalLine = winston.format.printf(
  (info) => `<${PRIORITY[info.level as LogLevel] ?? 6}>${String(info.message)}`,
);
const timestamped = winston.format.combine(winston.format.timestamp(), plainLine);

export function createLogger(env: NodeJS.ProcessEnv, options: LoggerOptions = {}): Logger {
  const journal = options.journal ?? Boolean(env.JOURNAL_STREAM);
  const main = new winston.transports.Stream({
    stream: options.stream ?? process.stdout,
    format: journal ? journalLine : timestamped,
  });
  const w = winston.createLogger({
    levels: PRIORITY as Record<string, number>,
    level: options.level ?? 'info',
    transports: [main],
    exitOnError: false,
  });
  let fileSink: { transport: Transport; key: string } | undefined;

  const log = (level: LogLevel, message: string): void => {
    w.log(level, message);
  };

  return {
    debug: (m) => log('debug', m),
    info: (m) => log('info', m),
    notice: (m) => log('notice', m),
    warning: (m) => log('warning', m),
    error: (m) => log('error', m),
    event(event) {
      const { level, message } = formatEvent(event);
      if (PRIORITY[level] <= PRIORITY[w.level as LogLevel]) log(level, message);
    },
    isEnabled: (level) => PRIORITY[level] <= PRIORITY[w.level as LogLevel],
    async configure(config) {
      w.level = config.level;
      const key = config.file === undefined ? '' : JSON.stringify([config.file, config.maxSize, config.maxFiles]);
      if (fileSink?.key === key) return;
      if (fileSink) {
        w.remove(fileSink.transport);
        fileSink.transport.close?.();
        fileSink = undefined;
      }
      if (config.file !== undefined) {
        const transport = await rotatingFile(config);
        w.add(transport);
        fileSink = { transport, key };
      }
    },
    close() {
      return new Promise((resolve) => {
        if (fileSink) fileSink.transport.close?.();
        w.on('finish', () => resolve());
        w.end();
        // winston may not emit finish when nothing is pending; never hang a shutdown on logs.
        setTimeout(resolve, 200).unref();
      });
    },
  };
}

async function rotatingFile(config: LogConfig): Promise<Transport> {
  const { default: DailyRotateFile } = await import('winston-daily-rotate-file');
  const file = config.file as string;
  const dot = file.lastIndexOf('.');
  const slash = file.lastIndexOf('/');
  // /var/log/mrsocko/x.log → /var/log/mrsocko/x-2026-11-25.log (%DATE% before the extension)
  const filename = dot > slash + 1 ? `${file.slice(0, dot)}-%DATE%${file.slice(dot)}` : `${file}-%DATE%`;
  return new DailyRotateFile({
    filename,
    datePattern: 'YYYY-MM-DD',
    maxSize: config.maxSize,
    maxFiles: config.maxFiles,
    auditFile: `${file}.audit.json`,
    format: timestamped,
  });
}
