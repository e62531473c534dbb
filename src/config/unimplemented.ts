// Settings the contract defines but this version of the daemon does not carry out yet.
// `run` refuses them (a silently ignored `allow =` would be an open door); `check` warns.
// Remove an entry here in the same change that implements it.
import fs from 'node:fs';
import { ConfigError } from '../errors.js';
import { locate } from './locate.js';

const NOT_YET: Readonly<Record<string, readonly string[]>> = {
  service: [],
  socket: [],
  idle: [],
  access: [],
  log: [],
};

/** The first setting in `file` that this version cannot honour, as a ConfigError. */
export function findUnimplemented(file: string): ConfigError | undefined {
  const raw = locate(fs.readFileSync(file, 'utf8'), file);
  for (const section of raw.sections) {
    const kind = section.name.startsWith('socket.') ? 'socket' : section.name;
    for (const entry of section.entries.values()) {
      if (NOT_YET[kind]?.includes(entry.key)) {
        return new ConfigError(
          { file, line: entry.line, section: section.name, key: entry.key },
          'not supported by this version of mrsocko yet; remove it (mrsocko will not run with a setting it would ignore)',
        );
      }
    }
  }
  return undefined;
}
