// A `unit =` backend can be started by someone else while mrsocko has it stopped: a unit
// that Requires= it (Debian's pg_receivewal@ pulls postgresql up), a timer, an admin.
// Unnoticed, it would run for ever with `status` saying "stopped" and no idle stop. While
// stopped, PID 1's journal lines about the unit are followed (./unit-watch.ts's
// followJournal: nothing runs while nothing happens); on each, systemctl says whether it
// is now active, and the lifecycle adopts it as it is. Where journalctl is missing, such a
// start is noticed as before: never (a client's arrival then starts it, which is a no-op).
import { spawn } from 'node:child_process';
import { followJournal } from './unit-watch.js';

export interface OutsideStartWatch {
  close(): void;
}

/** Calls `started` once, when `unit` is seen active. */
export function watchForOutsideStart(
  unit: string,
  env: NodeJS.ProcessEnv,
  started: (by: string) => void,
  systemctl = 'systemctl',
): OutsideStartWatch | undefined {
  let closed = false;
  let checking = false;
  let again = false;
  let stopSource = (): void => undefined;
  const close = (): void => {
    closed = true;
    stopSource();
  };
  const check = (): void => {
    if (closed) return;
    if (checking) {
      again = true;
      return;
    }
    checking = true;
    again = false;
    const child = spawn(systemctl, ['is-active', unit], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', () => (checking = false));
    child.once('close', () => {
      checking = false;
      // activating: not usable yet; PID 1 logs again once it is started
      if (!closed && out.trim() === 'active') {
        close();
        started(`${unit} is active`);
      } else if (again) check();
    });
  };
  const source = followJournal(unit, env, check);
  if (source === undefined) return undefined;
  stopSource = source;
  return { close };
}
