// A backend is ready when its address accepts a connection. Probe often enough that a
// held client waits only a few milliseconds longer than the backend itself needs to start,
// and no oftener: the interval grows with the time already waited (about 1/400 of it), so
// the detection delay stays a fraction of a percent of the start time, from 1 ms (a local
// backend; 10 ms for a remote one, which is not flooded with SYNs) up to 50 ms.
// A refused loopback probe costs about 50 µs of CPU, so a 1 s start costs about 40 ms of
// CPU and a 90 s one about 170 ms. Measured by `npm run bench` (backends ready 0.1–1.1 s
// after launch): a held client's first byte comes about 4 ms after the backend listens; the
// doubling backoff this replaced (5 ms … 250 ms) made it 125 ms (medians).
// The probe that gets through need not be wasted: `keep` may take its connection, and the
// daemon makes it the first held client's connection to the backend (one connect fewer
// before the first byte, and a backend that logs connections sees no empty one).
//
// UDP has no connection to accept. A connected UDP socket whose datagram reaches a port
// nobody is bound to gets an ICMP port-unreachable back, which Linux reports on that
// socket as ECONNREFUSED (shared/NOTES.md). So a UDP backend is "not yet" while an empty
// datagram to it is refused, and ready once one is not refused within a short window.
// Only the last probe datagram — the one not refused — reaches the backend: every
// earlier one found the port closed. An empty datagram is the least a service can be
// sent: DNS (dnsmasq), WireGuard, QUIC, NTP and game servers drop it as too short.
// Where ICMP is filtered (a remote backend behind a firewall) no refusal ever comes back,
// and the backend counts as ready after one window: queued datagrams are then sent at
// once, and a client retries what is lost, as UDP clients do.
import net from 'node:net';
import dgram from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BackendAddress } from '../config/types.js';
import { monotonicMs } from '../util/clock.js';

/** Shortest pause between two probes: a loopback or unix-socket backend, and a remote one. */
export const MIN_PROBE_INTERVAL_MS = { local: 1, remote: 10 } as const;
/** Longest pause between two probes, however long the backend takes. */
export const MAX_PROBE_INTERVAL_MS = 50;
/** The pause is this fraction of the time waited so far (within the bounds above). */
const PROBE_INTERVAL_FRACTION = 1 / 400;

/** The pause before the next probe, `waitedMs` after probing began. */
export function probeIntervalMs(waitedMs: number, local: boolean): number {
  const min = local ? MIN_PROBE_INTERVAL_MS.local : MIN_PROBE_INTERVAL_MS.remote;
  return Math.min(MAX_PROBE_INTERVAL_MS, Math.max(min, waitedMs * PROBE_INTERVAL_FRACTION));
}

/** A single attempt to a remote host may hang (no RST); don't let one attempt eat the budget. */
const ATTEMPT_TIMEOUT_MS = 1000;

export function connectOptions(address: BackendAddress): net.NetConnectOpts {
  return address.kind === 'unix' ? { path: address.path } : { host: address.host, port: address.port };
}

/**
 * Resolves when `address` accepts a TCP/unix stream connection; rejects when `signal`
 * aborts. The connection that got through is closed, unless `keep` takes it (returns true).
 */
export async function waitUntilAccepting(
  address: BackendAddress,
  signal: AbortSignal,
  keep?: (connection: net.Socket) => boolean,
): Promise<void> {
  const local = address.kind === 'unix' || isLoopbackHost(address.host);
  const began = monotonicMs();
  for (;;) {
    signal.throwIfAborted();
    if (await tryConnect(address, signal, keep)) return;
    await sleep(probeIntervalMs(monotonicMs() - began, local), undefined, { signal });
  }
}

function tryConnect(address: BackendAddress, signal: AbortSignal, keep?: (connection: net.Socket) => boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(connectOptions(address));
    const finish = (ok: boolean): void => {
      signal.removeEventListener('abort', onAbort);
      socket.setTimeout(0);
      socket.off('timeout', onTimeout);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      if (!(ok && keep?.(socket))) socket.destroy();
      resolve(ok);
    };
    const onAbort = (): void => finish(false);
    const onTimeout = (): void => finish(false);
    const onConnect = (): void => finish(!signal.aborted);
    const onError = (): void => finish(false);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.setTimeout(ATTEMPT_TIMEOUT_MS, onTimeout);
    socket.once('connect', onConnect);
    socket.once('error', onError);
  });
}

/**
 * How long a probe datagram waits for its refusal. On loopback the ICMP error arrives
 * within microseconds (measured: median 15 µs, worst 0.8 ms in 200 tries); elsewhere it
 * needs a network round trip.
 */
const UDP_REFUSAL_WINDOW_MS = { loopback: 20, remote: 250 } as const;

/**
 * Resolves when nothing refuses datagrams to `address` any more (see the top of this
 * file); rejects when `signal` aborts. Probes as often as waitUntilAccepting, plus the window.
 */
export async function waitUntilUdpBound(address: BackendAddress, signal: AbortSignal): Promise<void> {
  if (address.kind !== 'inet') throw new Error(`udp backend ${address.text} is not HOST:PORT`);
  const local = isLoopbackHost(address.host);
  const windowMs = local ? UDP_REFUSAL_WINDOW_MS.loopback : UDP_REFUSAL_WINDOW_MS.remote;
  const began = monotonicMs();
  let socket: dgram.Socket | undefined;
  try {
    for (;;) {
      signal.throwIfAborted();
      socket ??= await connectUdp(address.host, address.port, signal);
      if (socket !== undefined && (await tryUdp(socket, windowMs, signal))) return;
      await sleep(probeIntervalMs(monotonicMs() - began, local), undefined, { signal });
    }
  } finally {
    socket?.close();
  }
}

/** A UDP socket connected to host:port, or undefined when that failed (e.g. a name not resolving yet). */
function connectUdp(host: string, port: number, signal: AbortSignal): Promise<dgram.Socket | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    const finish = (ok: boolean): void => {
      signal.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      if (ok) {
        // A refusal arriving between probes (after one gave up) must not be unhandled.
        socket.on('error', () => undefined);
        resolve(socket);
      } else {
        socket.close();
        resolve(undefined);
      }
    };
    const onAbort = (): void => finish(false);
    const onError = (): void => finish(false);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.connect(port, host, () => finish(true));
  });
}

/** One probe: true when an empty datagram was not refused within `windowMs`. */
function tryUdp(socket: dgram.Socket, windowMs: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      resolve(ok);
    };
    const onAbort = (): void => finish(false);
    // ECONNREFUSED: nobody bound yet. EHOSTUNREACH and the like: not reachable yet either.
    const onError = (): void => finish(false);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', onError);
    socket.send(Buffer.alloc(0), (err) => {
      if (err) return finish(false);
      // The window is over: let one more poll phase run (setImmediate comes after it),
      // so a refusal already queued behind a busy event loop is still seen.
      timer = setTimeout(() => setImmediate(() => finish(true)), windowMs);
    });
  });
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host.startsWith('127.') || host === '::1' || /^::ffff:127\./i.test(host);
}
