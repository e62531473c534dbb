// A backend cgroup left frozen by an mrsocko that died: on the v1 freezer even SIGKILL
// waits for a thaw, so the next mrsocko's sweep thaws it before removing it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../helpers/net.js';
import { isRoot, prerequisite } from '../helpers/require.js';
import { BackendCgroup } from '../../src/backend/cgroup.js';
/** A pid that no process has now (a dead mrsocko's). */
async function deadPid() {
    const child = spawn('true');
    await new Promise((resolve) => child.once('exit', resolve));
    return child.pid;
}
test('v1 freezer: a frozen, killed leftover of a dead mrsocko ends at the next cgroup creation, and its cgroup is removed', async (t) => {
    const made = isRoot ? BackendCgroup.create('v1-freezer') : { problem: 'needs root to make cgroups' };
    if (!prerequisite(t, 'cgroup' in made, `cgroup v1 freezer: ${'problem' in made ? made.problem : ''}`))
        return;
    const ours = made.cgroup;
    const home = path.dirname(ours.dir);
    ours.remove();
    const dir = path.join(home, `mrsocko-backend-${await deadPid()}-0123abcd`);
    fs.mkdirSync(dir);
    const child = spawn('sleep', ['300'], { stdio: 'ignore' });
    const pid = child.pid;
    try {
        fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
        fs.writeFileSync(path.join(dir, 'freezer.state'), 'FROZEN');
        assert.ok(await waitFor(() => fs.readFileSync(path.join(dir, 'freezer.state'), 'utf8').trim() === 'FROZEN', 2000));
        process.kill(pid, 'SIGKILL'); // what systemd sends when it stops the dead mrsocko's unit
        await sleep(300);
        assert.ok(fs.existsSync(`/proc/${pid}`), 'frozen on v1: the SIGKILL waits');
        const next = BackendCgroup.create('v1-freezer'); // sweeps
        if ('cgroup' in next)
            next.cgroup.remove();
        assert.ok(await waitFor(() => child.exitCode !== null || child.signalCode !== null, 2000), 'thawed: the SIGKILL took effect');
        // the cgroup empties once the process is reaped; the sweep after that removes it
        const again = BackendCgroup.create('v1-freezer');
        if ('cgroup' in again)
            again.cgroup.remove();
        assert.equal(fs.existsSync(dir), false, 'the leftover cgroup is removed');
    }
    finally {
        try {
            fs.writeFileSync(path.join(dir, 'freezer.state'), 'THAWED');
        }
        catch {
            // removed
        }
        child.kill('SIGKILL');
        try {
            fs.rmdirSync(dir);
        }
        catch {
            // removed
        }
    }
});
//# sourceMappingURL=cgroup-leftover.test.js.map