// A backend driver knows how to launch and stop one kind of backend. It does not decide
// when: that is the lifecycle's job (./lifecycle.ts).
import type { NotifyState } from './ready-check.js';

export interface BackendDriver {
  /** Human-readable name for logs and STATUS= (e.g. "jellyfin.service", "http.server"). */
  readonly description: string;
  /**
   * Launch the backend. Resolves once it is launched (process spawned, forking daemon's
   * pidfile read, `systemctl start` returned), not once it accepts connections — readiness
   * is probed separately. Rejects with an Error whose message says why. Aborting `signal`
   * abandons the launch.
   */
  start(signal: AbortSignal): Promise<void>;
  /**
   * The daemon is about to serve, nothing launched yet: work that makes the first start
   * quicker (it usually follows at once: a socket-activated mrsocko was started by a
   * client). Changes nothing the backend or a start could see.
   */
  prepare?(): void;
  /** Stop the backend and wait until it is gone. Problems are reported, never thrown. */
  stop(): Promise<void>;
  /** Set by the lifecycle: called when the backend ends without being asked to. */
  onUnexpectedExit?: (status: string) => void;
  /** Set by the lifecycle: things worth a log line (stop command results, escalation). */
  onReport?: (level: 'info' | 'warning', message: string) => void;
  /**
   * Freeze every process of the backend in place (same pids, same memory). Resolves with
   * how, in words, for the log ("cgroup freezer", "SIGSTOP ..."); rejects with why not
   * (whatever it froze is thawed again).
   */
  freeze?(): Promise<string>;
  /** Let a frozen backend run again; harmless on one that is not frozen. */
  thaw?(): Promise<void>;
  /**
   * While the backend is stopped: calls `started` once when it is seen started from outside
   * mrsocko (a `unit =` backend started by a dependency or an admin). Drivers that cannot
   * tell leave this out.
   */
  watchForOutsideStart?(started: (by: string) => void): { close(): void } | undefined;
  /** The backend started from outside is now mrsocko's to follow and to stop. */
  adopt?(): void;
  /** `ready = notify`: what the current start said on its notify socket (exec backends). */
  readonly notify?: NotifyState | undefined;
  /** The backend's main process id, when there is one. */
  readonly pid?: number | undefined;
}

export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `killed by ${signal}`;
  return `exit status ${code ?? 'unknown'}`;
}
