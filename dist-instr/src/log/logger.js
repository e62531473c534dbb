import fs from 'node:fs';
import path from 'node:path';
import winston from 'winston';
import { runningAsRoot, untrustedDirectoryReason } from '../config/trust.js';
import { formatEvent } from './events.js';
/** sd-daemon(3) priorities; winston's syslog levels use the same numbers. */
const PRIORITY = {
    error: 3,
    warning: 4,
    notice: 5,
    info: 6,
    debug: 7,
};
const plainLine = winston.format.printf((info) => `${String(info.timestamp)} ${info.level.padEnd(7)} ${String(info.message)}`);
const journalLine = winston.format.printf((info) => `<${PRIORITY[info.level] ?? 6}>${String(info.message)}`);
const timestamped = winston.format.combine(winston.format.timestamp(), plainLine);
export function createLogger(env, options = {}) {
    const journal = options.journal ?? Boolean(env.JOURNAL_STREAM);
    const main = new winston.transports.Stream({
        stream: options.stream ?? process.stdout,
        format: journal ? journalLine : timestamped,
    });
    const w = winston.createLogger({
        levels: PRIORITY,
        level: options.level ?? 'info',
        transports: [main],
        exitOnError: false,
    });
    let fileSink;
    let closed = false;
    const log = (level, message) => {
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
            if (PRIORITY[level] <= PRIORITY[w.level])
                log(level, message);
        },
        isEnabled: (level) => PRIORITY[level] <= PRIORITY[w.level],
        async configure(config) {
            w.level = config.level;
            const key = config.file === undefined ? '' : JSON.stringify([config.file, config.maxSize, config.maxFiles]);
            if (fileSink?.key === key)
                return;
            if (fileSink) {
                w.remove(fileSink.transport);
                fileSink.transport.close?.();
                fileSink = undefined;
            }
            if (config.file === undefined)
                return;
            const file = config.file;
            let failed = false;
            // A file that cannot be written is reported and dropped; mrsocko keeps serving.
            const fail = (err) => {
                if (failed)
                    return;
                failed = true;
                if (fileSink?.key === key) {
                    w.remove(fileSink.transport);
                    fileSink = undefined;
                }
                if (!closed)
                    log('error', fileProblem(file, err));
            };
            try {
                const transport = await rotatingFile(config, fail);
                if (failed)
                    return;
                w.add(transport);
                fileSink = { transport, key };
            }
            catch (err) {
                fail(err);
            }
        },
        close() {
            closed = true;
            return new Promise((resolve) => {
                if (fileSink)
                    fileSink.transport.close?.();
                w.on('finish', () => resolve());
                w.end();
                // winston may not emit finish when nothing is pending; never hang a shutdown on logs.
                setTimeout(resolve, 200).unref();
            });
        },
    };
}
/**
 * The `[log] file` sink: /var/log/mrsocko/x.log is written as x-2026-11-25.log (x-….log.1,
 * .2, … once it reaches max_size), with x.log a symlink to the current one, so `tail -F`
 * works on the configured name. max_files counts every file, or days with a `d`; the
 * audit file beside them records which are ours to remove.
 */
async function rotatingFile(config, onError) {
    const { default: DailyRotateFile } = await import('winston-daily-rotate-file');
    const file = config.file;
    // Fail here, with the cause, rather than in an 'error' event of the stream opened later.
    const dir = path.dirname(file);
    // The config check (../config/load.ts) refused such a directory already; this is the
    // same look again right before opening, for a directory changed since (SIGHUP reload).
    const untrusted = runningAsRoot() ? untrustedDirectoryReason(dir) : undefined;
    if (untrusted !== undefined)
        throw Object.assign(new Error(`not trusted: ${untrusted}`), { path: dir });
    ensureDirectory(dir);
    if (!fs.statSync(dir).isDirectory())
        throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR', path: dir });
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
        format: timestamped,
        // Never append through a symlink planted under the dated name: O_NOFOLLOW fails with ELOOP.
        options: { flags: fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, mode: 0o640 },
    });
    transport.on('error', onError);
    // file-stream-rotator's errors (EROFS, ENOSPC, ...) arrive on the transport's inner stream.
    transport.logStream?.on('error', onError);
    return transport;
}
/** mkdir -p, one level at a time: Node 20's recursive mkdirSync loops forever where mkdir
 *  fails with ENOENT on an existing parent (under /proc, for one). */
function ensureDirectory(dir) {
    const missing = [];
    for (let d = dir; !fs.existsSync(d); d = path.dirname(d))
        missing.unshift(d);
    for (const d of missing)
        fs.mkdirSync(d);
}
function fileProblem(file, err) {
    const e = err;
    const why = e.code !== undefined ? `${e.code}${e.path !== undefined ? ` (${e.path})` : ''}` : String(e?.message ?? err);
    const sandbox = e.code === 'EROFS' || e.code === 'EACCES' || e.code === 'EPERM'
        ? '; under systemd, the sandbox lets mrsocko write only /var/log/mrsocko and the paths in ' +
            'mrsocko@NAME.service.d/50-sandbox.conf: run `mrsocko gen-unit NAME` after changing [log] file'
        : '';
    return `[log] file ${file}: cannot write it: ${why}${sandbox}; logging without it`;
}
//# sourceMappingURL=logger.js.map