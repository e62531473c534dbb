// What a Daemon is given (./daemon.ts) and what it tells whoever watches it.
import type { BackendPhase } from './backend/lifecycle.js';
import type { Config } from './config/types.js';
import type { Logger } from './log/logger.js';
import type { Notifier } from './systemd/notify.js';

export interface DaemonOptions {
  config: Config;
  logger: Logger;
  notifier: Notifier;
  /** The environment to read LISTEN_* from and to build the backend's environment from. */
  env?: NodeJS.ProcessEnv;
  pid?: number;
  /** `[idle] exit = yes`: called once the backend is stopped and no client is connected. */
  onExitRequest?: () => void;
  /** The instance name, for `mrsocko status` (default: the config file's name). */
  name?: string;
  /** Serve `mrsocko status` on this unix socket path (see control/paths.ts); none if unset. */
  controlSocket?: string;
}

/** What a Daemon tells whoever watches it (tests, and later a manual-control socket). */
export interface DaemonEvents {
  /** The backend entered a phase. */
  phase: [phase: BackendPhase];
  /** Waiting clients were served (how many) once the backend became ready. */
  released: [count: number];
}
