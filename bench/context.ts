// What run.ts hands the phases kept in their own files (frontdoor.ts, freeze.ts): its
// targets, its work directory and how it starts a mrsocko and nginx there. run.ts is the
// entry point (importing it would run the bench), so these come as one object.
import type { Proc } from './procs.js';

export type Kind = 'direct' | 'proxyd' | 'socat' | 'node' | 'mrsocko';

export interface Target {
  id: string;
  label: string;
  kind: Kind;
  /** mrsocko builds: the CLI entry point. */
  cli?: string;
  /** mrsocko: more environment (the data path). */
  env?: Record<string, string>;
}

export interface PhaseContext {
  /** The bench's own directory, removed at the end. */
  readonly work: string;
  /** Progress, on stderr. */
  log(message: string): void;
  /**
   * A mrsocko of `t` configured by `config` (a file's text), under systemd-socket-activate
   * on 127.0.0.1:port for its [socket.web], or on each port of `sockets` for the
   * [socket.NAME] of that name; activated by the first connection.
   */
  mrsocko(t: Target, name: string, sockets: number | Readonly<Record<string, number>>, config: string): Proc;
  /** The config file of mrsocko `name` says `config` now (for a reload: SIGHUP). */
  rewriteConfig(name: string, config: string): void;
  /** An exec backend that does nothing (the backend is one already running): mrsocko starts and stops it at once. */
  readonly placeholderExec: string;
  /** nginx with one worker serving /small.txt (100 bytes) on `port`, and on each of `proxyProtocolPorts` to clients that send a PROXY header first. */
  nginx(port: number, proxyProtocolPorts?: readonly number[]): Promise<Proc>;
}
