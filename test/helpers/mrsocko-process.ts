// mrsocko as a real process (the built CLI), optionally under systemd-socket-activate.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { cliPath } from './paths.js';

export interface MrsockoProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the output line matching `pattern`, or rejects after `timeoutMs`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM, then wait; resolves with the exit code (SIGKILL after 10 s). */
  stop(): Promise<number | null>;
}

export function startMrsocko(opts: { configFile: string; activate?: string[]; env?: NodeJS.ProcessEnv }): MrsockoProcess {
  const mrsocko = [process.execPath, cliPath, 'run', '--config', opts.configFile];
  const argv = opts.activate ? ['systemd-socket-activate', ...opts.activate, ...mrsocko] : mrsocko;
  const child = spawn(argv[0] as string, argv.slice(1), {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters: (() => void)[] = [];
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
    for (const w of waiters.splice(0)) w();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    waitForLine(pattern, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} in ${timeoutMs} ms; output:\n${output}`)), timeoutMs);
        const check = (): void => {
          const line = output.split('\n').find((l) => pattern.test(l));
          if (line !== undefined) {
            clearTimeout(timer);
            resolve(line);
          } else waiters.push(check);
        };
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return exited;
    },
  };
}

export function readStarts(file: string): { pid: number; leaked: string }[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [pid, leaked] = line.split(' ');
      return { pid: Number(pid), leaked: (leaked ?? '').replace('leaked=', '') };
    });
}
