// `mrsocko run`: the daemon. Signals: SIGTERM/SIGINT stop it (exit 0), SIGHUP reloads.
import { parseArgs } from 'node:util';
import type { Command } from './command.js';
import { UsageError } from '../errors.js';
import { loadConfig } from '../config/load.js';
import { resolveConfigPath } from '../config/paths.js';
import { findUnimplemented } from '../config/unimplemented.js';
import { createLogger } from '../log/logger.js';
import { createNotifier } from '../systemd/notify.js';
import { Daemon } from '../daemon.js';

const HELP = `Usage: mrsocko run (--instance NAME | --config FILE)

Run the daemon for one instance. Under systemd (mrsocko@NAME.service, started by
mrsocko@NAME.socket) it adopts the sockets systemd passes; without them (standalone)
it binds the listen= addresses itself.

Options:
  -i, --instance NAME  read /etc/mrsocko/NAME.conf ($MRSOCKO_CONFIG_DIR/NAME.conf)
  -c, --config FILE    read FILE instead
  -h, --help           show this help

Signals: SIGTERM or SIGINT stop (the backend too, if mrsocko started it);
SIGHUP re-reads the configuration ([idle], [access] and [log] apply at once).

Example:
  mrsocko run --config demo/demo.conf
`;

export const runCommand: Command = {
  name: 'run',
  summary: 'run the daemon for an instance (what mrsocko@NAME.service runs)',
  help: HELP,
  async run(args, io) {
    let values: { instance?: string; config?: string };
    try {
      ({ values } = parseArgs({
        args: [...args],
        options: { instance: { type: 'string', short: 'i' }, config: { type: 'string', short: 'c' } },
        strict: true,
        allowPositionals: false,
      }));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const file = resolveConfigPath(values, io.env);
    const config = loadConfig(file);
    const unimplemented = findUnimplemented(file);
    if (unimplemented) throw unimplemented;
    const logger = createLogger(io.env, { level: config.log.level });
    await logger.configure(config.log);
    const notifier = createNotifier(io.env, (level, message) => logger[level](message));
    const daemon = new Daemon({ config, logger, notifier, env: io.env });

    const stopped = new Promise<number>((resolve) => {
      const stop = (signal: string): void => {
        logger.event({ kind: 'shutdown', signal });
        daemon.stop().then(() => resolve(0), (err: unknown) => {
          logger.error(`shutdown: ${String(err)}`);
          resolve(1);
        });
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    process.on('SIGHUP', () => {
      notifier.reloading();
      try {
        const next = loadConfig(file);
        const detail = daemon.reload(next);
        void logger.configure(next.log);
        logger.event({ kind: 'reload', ok: true, detail });
      } catch (err) {
        logger.event({ kind: 'reload', ok: false, detail: err instanceof Error ? err.message : String(err) });
      }
      notifier.ready();
    });

    try {
      await daemon.start();
    } catch (err) {
      // main() reports it on stderr (with a journal priority under systemd)
      await daemon.stop().catch(() => undefined);
      await logger.close();
      throw err;
    }
    const status = await stopped;
    await logger.close();
    return status;
  },
};
