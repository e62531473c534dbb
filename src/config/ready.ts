// `[service] ready =` and `ready_delay =`: what makes a started backend ready, besides its
// checked addresses accepting (../backend/ready-check.ts carries it out).
//   ready = connect                         every checked backend address accepts (the default)
//   ready = http://HOST:PORT/PATH           ... and a GET to this URL answers 2xx or 3xx
//   ready = exec COMMAND ARGS               ... and this command exits 0 (split like exec =, no shell)
import type { Fields } from './fields.js';
import type { ReadyCheck } from './types.js';
import { ValueError } from '../errors.js';

const EXPECTED = 'connect, http://HOST:PORT/PATH or exec COMMAND';

export function readReadyCheck(f: Fields): ReadyCheck {
  if (f.text('ready', EXPECTED) === undefined) return { kind: 'connect' };
  // From the raw line, as exec = is read: `ini` would cut `sh -c "a; b"` at the `;`.
  const words = f.argv('ready') ?? [];
  const [first, ...rest] = words;
  if (first === 'connect' && rest.length === 0) return { kind: 'connect' };
  if (first === 'exec') {
    if (rest.length === 0 || rest[0] === '') f.fail('ready', 'exec needs a command to run, e.g. ready = exec /usr/bin/pg_isready -q');
    return { kind: 'exec', argv: rest };
  }
  if (first !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(first) && rest.length === 0) {
    return f.parse('ready', first, parseReadyUrl);
  }
  return f.fail('ready', `"${words.join(' ')}" is not one of: ${EXPECTED}`);
}

/** http://HOST[:PORT]/PATH → where to send the GET. Only plain http: the backend is local or trusted. */
function parseReadyUrl(text: string): ReadyCheck & { kind: 'http' } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ValueError(`"${text}" is not a URL; expected http://HOST:PORT/PATH`);
  }
  if (url.protocol !== 'http:') {
    throw new ValueError(`"${text}": only http:// URLs can be checked (the check talks to the backend directly, without TLS)`);
  }
  if (url.username !== '' || url.password !== '') throw new ValueError(`"${text}": a user or password in the URL is not supported`);
  if (url.hash !== '') throw new ValueError(`"${text}": a #fragment is never sent to a server; remove it`);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host === '') throw new ValueError(`"${text}" names no host`);
  return { kind: 'http', host, port: url.port === '' ? 80 : Number(url.port), path: `${url.pathname}${url.search}`, url: url.href };
}
