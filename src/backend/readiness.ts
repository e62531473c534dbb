// A backend is ready when its address accepts a connection. Probe with a short backoff so
// a fast backend is found within milliseconds and a slow one is not hammered.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BackendAddress } from '../config/types.js';

export const FIRST_RETRY_MS = 5;
export const MAX_RETRY_MS = 250;
/** A single attempt to a remote host may hang (no RST); don't let one attempt eat the budget. */
const ATTEMPT_TIMEOUT_MS = 1000;

export function connectOptions(address: BackendAddress): net.NetConnectOpts {
  return address.kind === 'unix' ? { path: address.path } : { host: address.host, port: address.port };
}

/** Resolves when `address` accepts a TCP/unix stream connection; rejects when `signal` aborts. */
export async function waitUntilAccepting(address: BackendAddress, signal: AbortSignal): Promise<void> {
  let delay = FIRST_RETRY_MS;
  for (;;) {
    signal.throwIfAborted();
    if (await tryConnect(address, signal)) return;
    await sleep(delay, undefined, { signal });
    delay = Math.min(delay * 2, MAX_RETRY_MS);
  }
}

function tryConnect(address: BackendAddress, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(connectOptions(address));
    const finish = (ok: boolean): void => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(ok);
    };
    const onAbort = (): void => finish(false);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.setTimeout(ATTEMPT_TIMEOUT_MS, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}
