// What a proxied connection or flow tells about its traffic, and to whom: the per-client
// accounting of ../session/clients.ts implements it. Declared here, where it is used, so
// the proxies depend on nothing above them.

/** One connection's or flow's accounting (a ClientHandle). */
export interface ClientAccounting {
  /** `n` bytes (one chunk or datagram) downstream → upstream. */
  addUp(n: number): void;
  /** `n` bytes upstream → downstream. */
  addDown(n: number): void;
  /** The connection or flow ended. Idempotent. */
  close(): void;
  /** Whether this client's traffic counts as activity (`[idle] keepalive`; re-evaluated on reload). */
  readonly counted: boolean;
}
