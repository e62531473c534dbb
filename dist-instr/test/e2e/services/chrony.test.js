// chrony (Debian's chrony), a UDP server, by `exec =`: `chronyd -d -x -f CONFIG` serving
// NTP from a throw-away config (its local clock at stratum 10, no clock changes, no
// command port, driftfile and pidfile in a temp directory) on a port of the test's.
// Clients: chrony's own one-shot query (`chronyd -Q`, which prints the offset), and NTP
// client packets from the test, which count their retries. A cold burst of both with 0
// lost answers, idle stop after UDP silence, restart, nothing of the test's chronyd left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, tempDir } from '../../helpers/daemon.js';
import { freeUdpPort } from '../../helpers/net.js';
import { ntpQuery } from '../../helpers/ntp.js';
import { marked } from '../../helpers/processes.js';
import { isRoot, prerequisite } from '../../helpers/require.js';
import { account, backendCgroup, cgroupMembers, idleStopDone, liveCount, processTree, report, run } from '../../helpers/services.js';
import { phaseReached } from '../../helpers/daemon.js';
const CHRONYD = '/usr/sbin/chronyd';
const BURST = 10; // of each client: chronyd -Q and NTP packets
const STOP_TIMEOUT_MS = 1000;
test('chrony by exec =: a cold burst of chronyd -Q and NTP clients loses no answer; idle stop, restart, nothing left', async (t) => {
    const chrony = account('_chrony');
    if (!prerequisite(t, isRoot && fs.existsSync(CHRONYD) && chrony !== undefined, 'root and Debian\'s chrony (contrib/test-deps.sh)'))
        return;
    if (chrony === undefined)
        return;
    const dir = tempDir('mrsocko-chrony-');
    // chronyd drops to _chrony once its socket is bound: the drift file and the pidfile's removal are its own
    fs.chownSync(dir, chrony.uid, chrony.gid);
    const [listen, backend] = [await freeUdpPort(), await freeUdpPort()];
    const conf = path.join(dir, 'chrony.conf');
    fs.writeFileSync(conf, `port ${backend}
bindaddress 127.0.0.1
allow 127.0.0.1
local stratum 10
driftfile ${dir}/drift
pidfile ${dir}/chronyd.pid
cmdport 0
`);
    const d = await startDaemon(`[service]
exec = ${CHRONYD} -d -x -f ${conf}
start_timeout = 20s
stop_timeout = ${STOP_TIMEOUT_MS / 1000}s
[socket.ntp]
listen = 127.0.0.1:${listen}
protocol = udp
backend = 127.0.0.1:${backend}
flow_timeout = 2s
[idle]
timeout = 2s
`, tempDir());
    // one sample is enough for an offset; iburst: chrony's own retries come 2 s apart
    const query = () => run([CHRONYD, '-Q', '-t', '10', `server 127.0.0.1 port ${listen} iburst maxsamples 1`]);
    const answered = (r) => r.status === 0 && /System clock wrong by -?[0-9.]+ seconds/.test(r.stderr);
    try {
        const first = await query();
        assert.ok(answered(first), `chronyd -Q: ${first.stderr}\n${d.lines.join('\n')}`);
        const coldStartMs = first.ms;
        assert.ok(await phaseReached(d.daemon, 'stopped', 15_000), 'no idle stop after the first client');
        const [queries, packets] = await Promise.all([
            Promise.all(Array.from({ length: BURST }, query)),
            Promise.all(Array.from({ length: BURST }, () => ntpQuery('127.0.0.1', listen))),
        ]);
        const lost = [...queries.filter((r) => !answered(r)).map((r) => `chronyd -Q: ${r.stderr.trim()}`),
            ...packets.filter((a) => a.stratum !== 10).map((a) => `NTP client: stratum ${a.stratum}, ${a.problem}`)];
        const retries = packets.reduce((n, a) => n + a.retries, 0);
        const slowest = Math.max(...queries.map((r) => r.ms));
        const tree = processTree(d.daemon.backendPid ?? 0);
        const cgroup = backendCgroup(d.daemon.backendPid ?? 0);
        assert.ok(cgroup !== undefined, 'the backend has no cgroup of its own: the scan of it would find nothing');
        const seen = [...new Set([...tree, ...cgroupMembers(cgroup)])];
        assert.ok(seen.length >= 1 && marked(conf).every((p) => seen.includes(p)), `chronyd is not seen: ${seen.join(' ')}`);
        const idleStop = await idleStopDone(d.daemon, 15_000, STOP_TIMEOUT_MS);
        const left = [...new Set([...cgroupMembers(cgroup), ...marked(conf)])];
        const processesLeft = Math.max(left.length, liveCount(seen));
        const again = await query();
        const restart = answered(again);
        console.log(`# chrony burst: ${retries} retries among ${BURST} NTP packet clients (1 s apart); slowest chronyd -Q ${Math.round(slowest)} ms`);
        report('chrony exec', { coldStartMs, burst: 2 * BURST, burstErrors: lost.length, idleStop, restart, processesLeft });
        assert.deepEqual(lost, [], 'lost answers in the cold burst');
        assert.ok(idleStop, `no idle stop within stop_timeout + 1 s\n${d.lines.join('\n')}`);
        assert.deepEqual(left, [], `left stop_timeout + 1 s after the stop (seen while running: ${seen.join(' ')})`);
        assert.equal(liveCount(seen), 0, `processes seen while it ran are left: ${seen.join(' ')}`);
        assert.ok(restart, `restart: ${again.stderr}`);
    }
    finally {
        await d.stop();
        for (const pid of marked(conf))
            process.kill(pid, 'SIGKILL');
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
//# sourceMappingURL=chrony.test.js.map