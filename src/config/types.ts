// The one typed, frozen configuration that `run`, `check` and `gen-unit` all use.
// Produced only by `loadConfig()` in ./load.ts; every duration is in milliseconds
// (Infinity for `infinity`).

export type Protocol = 'tcp' | 'udp';
export type LogLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error';

/** A systemd Listen-style address as written in `listen =`. */
export type ListenAddress =
  /** `PORT` (dual-stack `[::]`, as systemd does), `IPV4:PORT` or `[IPV6]:PORT`. */
  | { kind: 'inet'; host: string; port: number; family: 4 | 6; text: string }
  /** `/path/to.sock` (filesystem unix socket). */
  | { kind: 'unix'; path: string; text: string };

/** Where the backend listens: `HOST:PORT`, `[V6]:PORT` or `/path.sock`. HOST may be a name. */
export type BackendAddress =
  | { kind: 'inet'; host: string; port: number; text: string }
  | { kind: 'unix'; path: string; text: string };

export interface SocketConfig {
  /** The NAME of `[socket.NAME]`; matches FileDescriptorName= / LISTEN_FDNAMES. */
  readonly name: string;
  readonly listen: ListenAddress;
  readonly protocol: Protocol;
  readonly backend: BackendAddress;
  /** udp only. */
  readonly flowTimeoutMs: number;
  /** `ready_check = no`: the backend binds this socket late; readiness does not wait for it. */
  readonly readyCheck: boolean;
  /** `starting_page`: absent = no (tcp only). */
  readonly startingPage?: StartingPageConfig;
  /** 1-based line of the section header, for errors found later (e.g. fd type mismatch). */
  readonly line: number;
}

/** `starting_page = yes` (the built-in page) or `= FILE` (that file, read at load). */
export interface StartingPageConfig {
  /** Absolute path; absent for the built-in page. */
  readonly file?: string;
  /** The file's text, a template (../session/starting-page.ts); absent for the built-in page. */
  readonly template?: string;
  /** `starting_page_after`: how long a browser's request waits before it gets the page. */
  readonly afterMs: number;
}

export type ServiceConfig =
  | (ServiceCommon & { readonly mode: 'unit'; readonly unit: string })
  | (ServiceCommon & {
      readonly mode: 'exec';
      /** argv, already split (quotes honoured, no shell). */
      readonly exec: readonly string[];
      readonly user?: string;
      readonly group?: string;
      readonly directory?: string;
      readonly pidfile?: string;
    });

/** `[service] ready =`: what, besides every checked backend address accepting, makes the backend ready. */
export type ReadyCheck =
  /** The addresses accepting is enough (the default). */
  | { readonly kind: 'connect' }
  /** A GET to this URL answers 2xx or 3xx. */
  | { readonly kind: 'http'; readonly host: string; readonly port: number; readonly path: string; readonly url: string }
  /** This command (argv, no shell) exits 0. */
  | { readonly kind: 'exec'; readonly argv: readonly string[] };

interface ServiceCommon {
  readonly ready: ReadyCheck;
  /** After the ready check passed, wait this long before releasing clients. */
  readonly readyDelayMs: number;
  /** Custom stop command argv, run instead of the default stop. */
  readonly stop?: readonly string[];
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
}

export interface IdleConfig {
  readonly timeoutMs: number;
  readonly maxRuntimeMs: number;
  readonly minRuntimeMs: number;
  /** Address rules (as written); empty = every admitted client counts. */
  readonly keepalive: readonly string[];
  readonly connectionsCount: boolean;
  readonly exit: boolean;
  /** The countdown restarts only once counted clients moved this many bytes since it last did (0: any byte). */
  readonly minBytes: number;
  /** After this long idle the backend is frozen instead of stopped; Infinity: never. */
  readonly freezeMs: number;
}

export interface AccessConfig {
  /** Address rules as written; empty = anyone. */
  readonly allow: readonly string[];
  readonly deny: readonly string[];
  /** Empty = anyone admitted may wake the backend. */
  readonly wake: readonly string[];
  /** Open TCP connections + UDP flows together; at the limit, room is made (../session/eviction.ts). */
  readonly maxConnections: number;
  /** Per client address; undefined = no limit (the default). */
  readonly maxPerSource: number | undefined;
}

/** One port of `[knock] sequence`: `PORT`, `IPV4:PORT` or `[IPV6]:PORT`, with `/udp` or `/tcp` (default). */
export interface KnockStep {
  readonly listen: ListenAddress & { kind: 'inet' };
  readonly protocol: Protocol;
  /** As written. */
  readonly text: string;
}

export interface KnockConfig {
  /** Empty when only single-packet knocks are configured. */
  readonly sequence: readonly KnockStep[];
  readonly windowMs: number;
  readonly openForMs: number;
  /** Absolute path of the single-packet key file; unset = no single-packet knocks. */
  readonly key?: string;
  /** The UDP address single-packet knocks arrive on (set when key is). */
  readonly listen?: ListenAddress & { kind: 'inet' };
  /** 1-based lines of the section header and of its keys (the header's when absent), for
   *  errors found later (the key file, a socket systemd did not pass). */
  readonly line: number;
  readonly keyLine: number;
  readonly sequenceLine: number;
  readonly listenLine: number;
}

export interface LogConfig {
  readonly level: LogLevel;
  readonly file?: string;
  readonly maxSize?: string;
  readonly maxFiles?: string;
}

export interface Config {
  /** Absolute path of the file this was read from. */
  readonly file: string;
  readonly service: ServiceConfig;
  readonly sockets: readonly SocketConfig[];
  readonly idle: IdleConfig;
  readonly access: AccessConfig;
  /** `[knock]`; absent when the section is. */
  readonly knock?: KnockConfig;
  readonly log: LogConfig;
  /** The line of each key set in the file, by `section.key` (e.g. `socket.web.listen`); see lineOf(). */
  readonly lines: Readonly<Record<string, number>>;
}
