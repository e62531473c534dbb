// Every instance on this machine, for `mrsocko status` without NAME: the runtime
// directory (./paths.ts) has a control socket for each running mrsocko; when systemd runs,
// the mrsocko@*.socket and mrsocko@*.service units add the dormant ones (the socket
// listening, mrsocko exited: `[idle] exit = yes`) and the failed ones.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { controlSocketPath, runtimeBase } from './paths.js';
import { askControl } from './client.js';
const SYSTEMCTL_TIMEOUT_MS = 5_000;
const ASK_TIMEOUT_MS = 2_000;
/** The instances with a control socket in the runtime directory. */
function runtimeInstances(runtime) {
    let entries;
    try {
        entries = fs.readdirSync(runtimeBase(runtime), { withFileTypes: true });
    }
    catch {
        return [];
    }
    return entries.filter((e) => e.isDirectory() && fs.existsSync(controlSocketPath(e.name, runtime))).map((e) => e.name);
}
/** mrsocko@NAME.{socket,service} units, from `systemctl list-units --plain`; none without systemd. */
async function systemdUnits() {
    const units = new Map();
    // sd_booted(): systemd is the init system
    if (!fs.existsSync('/run/systemd/system'))
        return units;
    const text = await new Promise((resolve) => {
        execFile('systemctl', ['list-units', '--all', '--plain', '--no-legend', '--no-pager', 'mrsocko@*'], { timeout: SYSTEMCTL_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 }, (_err, stdout) => resolve(stdout ?? ''));
    });
    for (const line of text.split('\n')) {
        // UNIT LOAD ACTIVE SUB DESCRIPTION…
        const [unit, , active, sub] = line.trim().split(/\s+/);
        const m = /^mrsocko@(.+)\.(socket|service)$/.exec(unit ?? '');
        if (m === null || active === undefined || sub === undefined)
            continue;
        const name = unescapeUnitName(m[1]);
        const entry = units.get(name) ?? { socket: null, service: null };
        entry[m[2]] = { active, sub };
        units.set(name, entry);
    }
    return units;
}
/** systemd's \xNN escapes in an instance name (systemd-escape). */
function unescapeUnitName(text) {
    return text.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}
export async function listInstances(runtime) {
    const units = await systemdUnits();
    const names = [...new Set([...runtimeInstances(runtime), ...units.keys()])].sort();
    const instances = await Promise.all(names.map(async (name) => {
        const u = units.get(name) ?? null;
        const file = controlSocketPath(name, runtime);
        let report = null;
        let problem = null;
        if (fs.existsSync(file)) {
            try {
                report = JSON.parse(await askControl(file, `mrsocko@${name}`, { command: 'status' }, ASK_TIMEOUT_MS));
            }
            catch (err) {
                problem = err instanceof Error ? err.message : String(err);
            }
        }
        return { name, state: classify(report, u, problem), units: u, report, problem };
    }));
    return { version: 1, instances };
}
function classify(report, u, problem) {
    if (report !== null)
        return 'running';
    if (u?.service?.active === 'failed' || u?.socket?.active === 'failed')
        return 'failed';
    if (u?.socket?.active === 'active' && u.service?.active !== 'active')
        return 'dormant';
    if (problem !== null)
        return 'not-answering';
    return 'inactive';
}
//# sourceMappingURL=instances.js.map