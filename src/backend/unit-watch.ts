// Notice when a `unit =` backend stops or dies without us, without polling. With cgroup v2,
// every change of the unit cgroup's "populated" state is an inotify event on its
// cgroup.events file; elsewhere (cgroup v1), what systemd (PID 1) logs about the unit is
// followed with journalctl. Either way nothing runs while nothing happens, and on each
// event systemctl tells whether the unit is still up (a unit may run with no process).
// Every call puts `--` before the unit name, so that no name is ever read as an option.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';

/** States in which the backend may still be (or become) available. */
const UP_STATES = new Set(['active', 'activating', 'reloading', 'refreshing']);
const CGROUP_ROOT = '/sys/fs/cgroup';

export interface UnitWatch {
  close(): void;
}

export function isActive(unit: string, env: NodeJS.ProcessEnv, systemctl = 'systemctl'): string {
  const r = spawnSync(systemctl, ['is-active', '--', unit], { env, encoding: 'utf8' });
  return (r.stdout ?? '').trim() || 'unknown';
}

function controlGroup(unit: string, env: NodeJS.ProcessEnv, systemctl: string): string | undefined {
  const r = spawnSync(systemctl, ['show', '--property=ControlGroup', '--value', '--', unit], { env, encoding: 'utf8' });
  const group = (r.stdout ?? '').trim();
  return group.startsWith('/') ? group : undefined;
}

/**
 * Calls `onDown(state)` once when `unit` (already started) is seen down. Returns undefined
 * when the unit's cgroup cannot be watched (no cgroup v2, no ControlGroup): a dead unit is
 * then noticed when a client cannot connect to it.
 */
export function watchUnit(
  unit: string,
  env: NodeJS.ProcessEnv,
  onDown: (state: string) => void,
  systemctl = 'systemctl',
): UnitWatch | undefined {
  return whenUnitState(unit, env, systemctl, (onEvent) => watchCgroup(unit, env, systemctl, onEvent) ?? followJournal(unit, env, onEvent),
    (state) => !UP_STATES.has(state), onDown);
}

/**
 * On every event of `events` (how to stop them is what it returns), asks systemctl for the
 * unit's state — one check at a time, and once more when events came during one — and calls
 * `found(state)` once, when `wanted(state)`. Undefined when `events` cannot be had.
 */
export function whenUnitState(
  unit: string,
  env: NodeJS.ProcessEnv,
  systemctl: string,
  events: (onEvent: () => void) => (() => void) | undefined,
  wanted: (state: string) => boolean,
  found: (state: string) => void,
): UnitWatch | undefined {
  let closed = false;
  let checking = false;
  /** An event arrived during a check: the state may be newer than what the check saw. */
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
    const child = spawn(systemctl, ['is-active', '--', unit], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', () => (checking = false));
    child.once('close', () => {
      checking = false;
      const state = out.trim() || 'unknown';
      if (!closed && wanted(state)) {
        close();
        found(state);
      } else if (again) check();
    });
  };
  const source = events(check);
  if (source === undefined) return undefined;
  stopSource = source;
  return { close };
}

/** cgroup v2: inotify on the unit's cgroup.events. Returns how to stop, or undefined. */
function watchCgroup(unit: string, env: NodeJS.ProcessEnv, systemctl: string, onEvent: () => void): (() => void) | undefined {
  const group = controlGroup(unit, env, systemctl);
  const events = group === undefined ? undefined : `${CGROUP_ROOT}${group}/cgroup.events`;
  if (events === undefined || !fs.existsSync(events)) return undefined;
  let watcher: fs.FSWatcher;
  try {
    watcher = fs.watch(events, { persistent: false });
  } catch {
    return undefined;
  }
  watcher.on('change', onEvent);
  watcher.on('error', onEvent); // the cgroup was removed: the unit is gone or going
  if (!populated(events)) onEvent(); // it may have died between `systemctl start` and now
  return () => watcher.close();
}

/** Elsewhere: PID 1's journal lines about the unit. Returns how to stop, or undefined. */
export function followJournal(unit: string, env: NodeJS.ProcessEnv, onEvent: () => void): (() => void) | undefined {
  const journal = spawn('journalctl', ['--follow', '--lines=0', '--output=cat', '--quiet', '--', `UNIT=${unit}`, '_PID=1'], {
    env,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  journal.once('error', () => undefined); // no journalctl: connect failures still reveal it
  // node:readline on first use: every daemon loads this module, few watch a journal.
  const { createInterface } = createRequire(import.meta.url)('node:readline') as typeof import('node:readline');
  createInterface({ input: journal.stdout, crlfDelay: Infinity }).on('line', onEvent);
  // It may already have gone down between `systemctl start` and the follow starting.
  onEvent();
  return () => journal.kill();
}

function populated(eventsFile: string): boolean {
  try {
    return /^populated 1$/m.test(fs.readFileSync(eventsFile, 'utf8'));
  } catch {
    return false;
  }
}
