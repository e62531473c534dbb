// `unit =` backends: a systemd unit started and stopped with systemctl. `systemctl start`
// returns once the unit itself reports started (for Type=notify units, after READY=1);
// whether it accepts connections is then probed like any other backend.
import { spawn } from 'node:child_process';
import type { BackendDriver } from './driver.js';

export interface SystemctlOptions {
  unit: string;
  env: NodeJS.ProcessEnv;
  /** The systemctl binary; tests and odd installs may point elsewhere. */
  systemctl?: string;
}

export class SystemctlBackend implements BackendDriver {
  readonly description: string;
  onUnexpectedExit?: (status: string) => void;
  onStopProblem?: (problem: string) => void;
  readonly pid = undefined;

  constructor(private readonly options: SystemctlOptions) {
    this.description = options.unit;
  }

  async start(signal: AbortSignal): Promise<void> {
    const result = await this.systemctl(['start', this.options.unit], signal);
    if (result.status !== 0) {
      throw new Error(`systemctl start ${this.options.unit} failed (${result.status}): ${result.output || 'no output'}`);
    }
  }

  async stop(): Promise<void> {
    const result = await this.systemctl(['stop', this.options.unit]);
    if (result.status !== 0) {
      this.onStopProblem?.(`systemctl stop ${this.options.unit} failed (${result.status}): ${result.output || 'no output'}`);
    }
  }

  private systemctl(args: string[], signal?: AbortSignal): Promise<{ status: string | number; output: string }> {
    const binary = this.options.systemctl ?? 'systemctl';
    return new Promise((resolve, reject) => {
      const child = spawn(binary, ['--no-ask-password', '--quiet', ...args], {
        env: this.options.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        signal,
      });
      let output = '';
      const collect = (chunk: Buffer): void => {
        if (output.length < 4096) output += chunk.toString();
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      child.once('error', (err: NodeJS.ErrnoException) => {
        if (err.name === 'AbortError') reject(signal?.reason ?? err);
        else resolve({ status: err.code === 'ENOENT' ? `${binary} not found` : err.message, output: '' });
      });
      child.once('close', (code, sig) => resolve({ status: code ?? `killed by ${sig}`, output: output.trim() }));
    });
  }
}
