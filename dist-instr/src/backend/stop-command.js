// `stop =`: a custom stop command (e.g. `docker compose down`), run with its arguments and
// no shell, bounded by a deadline. Its output and exit status are reported line by line
// (lines bounded as the backend's, ./line-reader.ts).
import { spawn } from 'node:child_process';
import { describeExit } from './driver.js';
import { timerDelay } from '../util/timer.js';
import { readLines } from './line-reader.js';
export function runStopCommand(argv, options) {
    return new Promise((resolve) => {
        const child = spawn(argv[0], argv.slice(1), {
            env: options.env,
            cwd: options.cwd,
            uid: options.uid,
            gid: options.gid,
            detached: true,
            stdio: ['ignore', 'pipe', 'pipe'],
        });
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            try {
                process.kill(-child.pid, 'SIGKILL');
            }
            catch {
                // already gone
            }
        }, timerDelay(options.timeoutMs));
        child.once('error', (err) => {
            clearTimeout(timer);
            resolve({ ok: false, status: `cannot run ${argv[0]}: ${err.code === 'ENOENT' ? 'no such file' : err.message}` });
        });
        child.once('spawn', () => {
            for (const stream of [child.stdout, child.stderr]) {
                readLines(stream, options.output);
            }
        });
        child.once('close', (code, signal) => {
            clearTimeout(timer);
            if (timedOut)
                resolve({ ok: false, status: `timed out after ${options.timeoutMs} ms (killed)` });
            else
                resolve({ ok: code === 0, status: describeExit(code, signal) });
        });
    });
}
//# sourceMappingURL=stop-command.js.map