// bench/cold-backend.ts as a mrsocko's exec backend: the command line, the file it reads
// its ready time from, and its report, read back (one JSON line when it listens, one per
// answered connection; see cold-backend.ts). Used by the phases that start a backend
// through mrsocko again and again: cold, frontdoor (the peek) and freeze.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rememberGroup, sleep } from './procs.js';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cold-backend.js');

export type ReportLine =
  | { type: 'listen'; pid: number; start: string; listen: string }
  | { type: 'conn'; pid: number; accept: string; data: string; respond: string; firstAccept: string; probes: number };

export class ColdBackend {
  readonly reportFile: string;
  readonly delayFile: string;

  /** Its files in `dir`, named after `name`; it will listen on 127.0.0.1:port, `readyAtMs` after its process starts. */
  constructor(dir: string, name: string, readonly port: number, readyAtMs = 0) {
    this.reportFile = path.join(dir, `${name}.report`);
    this.delayFile = path.join(dir, `${name}.delay`);
    fs.writeFileSync(this.reportFile, '');
    this.readyAt(readyAtMs);
  }

  get argv(): string[] {
    return [process.execPath, script, String(this.port), this.reportFile, this.delayFile];
  }

  /** `[service] exec =` (no word of it needs quoting: the bench's own paths) */
  get exec(): string {
    return this.argv.join(' ');
  }

  /** A mrsocko config with this backend behind 127.0.0.1:`port`, with these `[idle]` lines and more sections after. */
  config(port: number, idle: readonly string[], more: readonly string[] = []): string {
    return [
      '[service]',
      `exec = ${this.exec}`,
      'start_timeout = 30s',
      'stop_timeout = 5s',
      '[socket.web]',
      `listen = 127.0.0.1:${port}`,
      `backend = 127.0.0.1:${this.port}`,
      '[idle]',
      ...idle,
      ...more,
      '',
    ].join('\n');
  }

  /** The next start listens this long after its process began. */
  readyAt(ms: number): void {
    fs.writeFileSync(this.delayFile, `${ms}\n`);
  }

  /** Every line reported so far; each backend process seen is remembered, to be killed at the end if it outlives its mrsocko. */
  lines(): ReportLine[] {
    const lines = fs.readFileSync(this.reportFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ReportLine);
    for (const l of lines) if (l.type === 'listen') rememberGroup(l.pid, 'cold-backend');
    return lines;
  }

  /** The lines after the first `from`, once they hold `count` of `type` (or after timeoutMs: what there is). */
  async linesAfter(from: number, type: ReportLine['type'], count: number, timeoutMs = 1000): Promise<ReportLine[]> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const fresh = this.lines().slice(from);
      if (fresh.filter((l) => l.type === type).length >= count || Date.now() > until) return fresh;
      await sleep(10);
    }
  }
}
