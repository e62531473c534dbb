// mrsocko as a real process (the built CLI): standalone, or under systemd-socket-activate,
// optionally with RLIMIT_NOFILE raised first (`ulimit -n` is per process: the test
// runner's limit says nothing about mrsocko's).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { cliPath } from './paths.js';
export function startMrsocko(opts) {
    const mrsocko = [process.execPath, ...(opts.nodeArgs ?? []), cliPath, 'run', '--config', opts.configFile];
    let argv = opts.activate ? ['systemd-socket-activate', ...opts.activate, ...mrsocko] : mrsocko;
    if (opts.nofile !== undefined) {
        // raise the hard limit if allowed (CAP_SYS_RESOURCE), then the soft one as far as it goes
        const n = opts.nofile;
        argv = ['/bin/sh', '-c', `ulimit -Hn ${n} 2>/dev/null; h=$(ulimit -Hn); ` +
                `if [ "$h" = unlimited ] || [ "$h" -ge ${n} ]; then h=${n}; fi; ulimit -n "$h" && exec "$0" "$@"`, ...argv];
    }
    const child = spawn(argv[0], argv.slice(1), {
        env: opts.inheritEnv === false ? { ...opts.env } : { ...process.env, ...opts.env },
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const waiters = new Set();
    const collect = (chunk) => {
        output += chunk.toString();
        for (const w of [...waiters])
            w();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const lines = (pattern) => output.split('\n').filter((l) => pattern.test(l));
    const waitForCount = (pattern, n, timeoutMs = 15_000) => new Promise((resolve, reject) => {
        const check = () => {
            const found = lines(pattern);
            if (found.length < n)
                return;
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
        };
        const timer = setTimeout(() => {
            waiters.delete(check);
            reject(new Error(`not ${n} lines matching ${pattern} within ${timeoutMs} ms; output:\n${output.slice(-4000)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
    });
    return {
        child,
        pid: child.pid,
        exited,
        output: () => output,
        count: (pattern) => lines(pattern).length,
        waitForCount,
        waitForLine: (pattern, timeoutMs = 15_000) => waitForCount(pattern, 1, timeoutMs).then((found) => found[0]),
        async stop(killAfterMs = 15_000) {
            if (child.exitCode === null && child.signalCode === null) {
                child.kill('SIGTERM');
                const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
                const code = await exited;
                clearTimeout(timer);
                return code;
            }
            return exited;
        },
    };
}
export function readStarts(file) {
    if (!fs.existsSync(file))
        return [];
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
//# sourceMappingURL=mrsocko-process.js.map