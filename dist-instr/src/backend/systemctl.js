// `unit =` backends: a systemd unit started and stopped with systemctl. `systemctl start`
// returns once the unit itself reports started (for Type=notify units, after READY=1);
// whether it accepts connections is then probed like any other backend. While it runs,
// its cgroup is watched so a stop or crash from outside is noticed (./unit-watch.ts).
import { spawn } from 'node:child_process';
import { runStopCommand } from './stop-command.js';
import { isActive, watchUnit } from './unit-watch.js';
import { watchForOutsideStart } from './outside-start.js';
export class SystemctlBackend {
    options;
    description;
    onUnexpectedExit;
    onReport;
    pid = undefined;
    watch;
    /** How the unit was frozen last: `systemctl freeze` (the cgroup v2 freezer) or SIGSTOP. */
    frozenBy;
    leftoverResumed = false;
    constructor(options) {
        this.options = options;
        this.description = options.unit;
    }
    async start(signal) {
        const { unit, env, systemctl } = this.options;
        this.watch?.close();
        const result = await this.systemctl(['start', '--', unit], signal);
        if (result.status !== 0) {
            throw new Error(`systemctl start ${unit} failed (${result.status}): ${result.output || 'no output'}`);
        }
        this.watch = watchUnit(unit, env, (state) => this.onUnexpectedExit?.(`unit is ${state}`), systemctl);
        this.resumeLeftover();
    }
    /**
     * Once per mrsocko: an mrsocko that ended while the unit was frozen ([idle] freeze) left
     * it frozen, and `systemctl start` of an active unit does nothing. Thaw it and SIGCONT it
     * (harmless on a unit that is not frozen), not awaited: a unit that was not frozen (the
     * usual case) costs no time, a frozen one answers once the signal lands.
     */
    resumeLeftover() {
        if (this.leftoverResumed)
            return;
        this.leftoverResumed = true;
        const { unit } = this.options;
        void this.systemctl(['thaw', '--', unit])
            .then(() => this.systemctl(['kill', '--signal=SIGCONT', '--', unit]))
            .catch(() => undefined);
    }
    watchForOutsideStart(started) {
        return watchForOutsideStart(this.options.unit, this.options.env, started, this.options.systemctl);
    }
    /** Started from outside: follow it as after our own start (a stop or crash from outside is noticed). */
    adopt() {
        const { unit, env, systemctl } = this.options;
        this.resumeLeftover();
        this.watch?.close();
        this.watch = watchUnit(unit, env, (state) => this.onUnexpectedExit?.(`unit is ${state}`), systemctl);
    }
    async stop() {
        const { unit, env, stopCommand, stopTimeoutMs, output, systemctl } = this.options;
        this.watch?.close();
        this.watch = undefined;
        if (stopCommand !== undefined) {
            const result = await runStopCommand(stopCommand, { env, timeoutMs: stopTimeoutMs, output });
            this.onReport?.(result.ok ? 'info' : 'warning', `stop command: ${result.status}`);
            const state = isActive(unit, env, systemctl);
            if (state !== 'active' && state !== 'activating' && state !== 'deactivating')
                return;
            this.onReport?.('warning', `${unit} is still ${state} after the stop command; running systemctl stop`);
        }
        const result = await this.systemctl(['stop', '--', unit]);
        if (result.status !== 0) {
            this.onReport?.('warning', `systemctl stop ${unit} failed (${result.status}): ${result.output || 'no output'}`);
        }
    }
    /**
     * `systemctl freeze` where systemd can (cgroup v2: the unit's cgroup freezer); else
     * (cgroup v1, or a systemd without it) SIGSTOP to every process of the unit by
     * `systemctl kill`. Says which.
     */
    async freeze() {
        const { unit } = this.options;
        const frozen = await this.systemctl(['freeze', '--', unit]);
        if (frozen.status === 0) {
            this.frozenBy = 'freeze';
            return 'systemctl freeze: the cgroup freezer';
        }
        const stopped = await this.systemctl(['kill', '--signal=SIGSTOP', '--', unit]);
        if (stopped.status !== 0) {
            throw new Error(`systemctl freeze ${unit}: ${frozen.output || frozen.status}; systemctl kill --signal=SIGSTOP ${unit}: ${stopped.output || stopped.status}`);
        }
        this.frozenBy = 'signal';
        return `systemctl kill --signal=SIGSTOP to every process of the unit; systemctl freeze is not available (${frozen.output || `status ${frozen.status}`})`;
    }
    async thaw() {
        const { unit } = this.options;
        const how = this.frozenBy;
        this.frozenBy = undefined;
        const result = how === 'freeze'
            ? await this.systemctl(['thaw', '--', unit])
            : await this.systemctl(['kill', '--signal=SIGCONT', '--', unit]);
        if (result.status !== 0)
            throw new Error(`systemctl ${how === 'freeze' ? 'thaw' : 'kill --signal=SIGCONT'} ${unit} failed (${result.status}): ${result.output || 'no output'}`);
    }
    /** `args` end with `--` and the unit name: a name is never read as an option. */
    systemctl(args, signal) {
        const binary = this.options.systemctl ?? 'systemctl';
        return new Promise((resolve, reject) => {
            const child = spawn(binary, ['--no-ask-password', '--quiet', ...args], {
                env: this.options.env,
                stdio: ['ignore', 'pipe', 'pipe'],
                signal,
            });
            let output = '';
            const collect = (chunk) => {
                if (output.length < 4096)
                    output += chunk.toString();
            };
            child.stdout.on('data', collect);
            child.stderr.on('data', collect);
            child.once('error', (err) => {
                if (err.name === 'AbortError')
                    reject(signal?.reason ?? err);
                else
                    resolve({ status: err.code === 'ENOENT' ? `${binary} not found` : err.message, output: '' });
            });
            child.once('close', (code, sig) => resolve({ status: code ?? `killed by ${sig}`, output: output.trim() }));
        });
    }
}
//# sourceMappingURL=systemctl.js.map