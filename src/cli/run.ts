// `mrsocko run`: the daemon. Signals: SIGTERM/SIGINT stop it (exit 0), SIGHUP reloads.
import type { Command } from './command.js';
import { parseCommandArgs } from './args.js';
import { loadConfig } from '../config/load.js';
import { checkCredentials } from '../backend/credentials.js';
import { warmCgroupMoves } from '../backend/cgroup.js';
import { checkInstanceName, resolveConfigPath } from '../config/paths.js';
import { createLogger } from '../log/logger.js';
import { createNotifier } from '../systemd/notify.js';
import { installBlockHook, startWatchdog } from '../systemd/watchdog.js';
import { formatTimespan } from '../config/timespan.js';
import { Daemon } from '../daemon.js';
import { daemonControlSocketPath, instanceNameOf } from '../control/paths.js';

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
Under systemd's WatchdogSec=, WATCHDOG=1 goes out every half interval from the event
loop. Test hook: MRSOCKO_DEBUG_BLOCK_ON=SIGUSR2 (or SIGUSR1) makes that signal block
the event loop for good, to prove the watchdog restarts mrsocko; never set it otherwise.

\`mrsocko status NAME\` shows what it is doing; NAME is the instance, or for
--config FILE the file's name without .conf.

Example:
  mrsocko run --config demo/demo.conf
`;

export const runCommand: Command = {
  name: 'run',
  help: HELP,
  async run(args, io) {
    const { values } = parseCommandArgs(args, { instance: { type: 'string', short: 'i' }, config: { type: 'string', short: 'c' } }, false);
    // A socket-activated mrsocko was started by a client: the backend's first launch follows
    // at once, and its move into the backend's cgroup need not wait for the kernel then.
    warmCgroupMoves();
    const file = resolveConfigPath(values, io.env);
    const config = loadConfig(file);
    // Before anything is bound: a config error now exits 78, which systemd does not restart.
    checkCredentials(config, process.getuid?.() ?? 0);
    const logger = createLogger(io.env, { level: config.log.level });
    await logger.configure(config.log);
    const notifier = createNotifier(io.env, (level, message) => logger[level](message));
    let requestStop: (reason: string) => void = () => undefined;
    // `mrsocko status NAME` finds this instance's control socket (control/paths.ts).
    const name = values.instance !== undefined ? checkInstanceName(values.instance) : instanceNameOf(file);
    const controlSocket = daemonControlSocketPath(name, { env: io.env, uid: process.getuid?.() ?? 0 });
    const daemon = new Daemon({
      config, logger, notifier, env: io.env, name, controlSocket, onExitRequest: () => requestStop('idle exit'),
    });

    const stopped = new Promise<number>((resolve) => {
      const stop = (signal: string): void => {
        logger.event({ kind: 'shutdown', signal });
        daemon.stop().then(() => resolve(0), (err: unknown) => {
          logger.error(`shutdown: ${String(err)}`);
          resolve(1);
        });
      };
      requestStop = stop;
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

    const removeBlockHook = installBlockHook(io.env, (level, message) => logger[level](message));
    try {
      await daemon.start();
    } catch (err) {
      // main() reports it on stderr (with a journal priority under systemd)
      removeBlockHook();
      await daemon.stop().catch(() => undefined);
      await logger.close();
      throw err;
    }
    // Fed from the event loop until the very end, so a stuck shutdown is caught too.
    const watchdog = startWatchdog(notifier);
    if (watchdog) {
      logger.info(`watchdog: WATCHDOG=1 every ${formatTimespan(watchdog.periodMs)} (WatchdogSec=${formatTimespan(notifier.watchdogIntervalMs())})`);
    }
    const status = await stopped;
    watchdog?.stop();
    removeBlockHook();
    await logger.close();
    return status;
  },
};
