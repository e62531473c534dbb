// Notice when a `unit =` backend stops or dies without us: follow what systemd itself
// (PID 1) logs about the unit, and on each such line ask systemctl for the unit's state.
// Event-driven: nothing runs while systemd has nothing to say about the unit.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** States in which the backend may still be (or become) available. */
const UP_STATES = new Set(['active', 'activating', 'reloading', 'refreshing']);

export interface UnitWatch {
  close(): void;
}

export function isActive(unit: string, env: NodeJS.ProcessEnv, systemctl = 'systemctl'): string {
  const r = spawnSync(systemctl, ['is-active', unit], { env, encoding: 'utf8' });
  return (r.stdout ?? '').trim() || 'unknown';
}

/**
 * Calls `onDown(state)` once when `unit` is seen inactive/failed. Returns undefined when
 * journalctl is missing (then a dead unit is noticed when a client cannot connect).
 */
export function watchUnit(
  unit: string,
  env: NodeJS.ProcessEnv,
  onDown: (state: string) => void,
  systemctl = 'systemctl',
): UnitWatch | undefined {
  let journal: ChildProcess;
  try {
    journal = spawn('journalctl', ['--follow', '--lines=0', '--output=cat', '--quiet', `UNIT=${unit}`, '_PID=1'], {
      env,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return undefined;
  }
  let closed = false;
  let checking = false;
  /** A line arrived during a check: its state may be newer than what the check saw. */
  let again = false;
  journal.once('error', () => undefined);
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
      const state = out.trim() || 'unknown';
      if (!closed && !UP_STATES.has(state)) {
        closed = true;
        journal.kill();
        onDown(state);
      } else if (again) check();
    });
  };
  createInterface({ input: journal.stdout!, crlfDelay: Infinity }).on('line', check);
  return {
    close() {
      closed = true;
      journal.kill();
    },
  };
}
