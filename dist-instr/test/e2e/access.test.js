// [access] and [idle] keepalive end to end: the real CLI under systemd-socket-activate, on a
// dual-stack [::]:P socket (IPv4 clients arrive as ::ffff:a.b.c.d), in front of the
// slow-echo backend. Distinct clients are distinct source addresses of this machine:
// 127.0.0.1, 127.0.0.2 and ::1. All traffic stays on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cliPath, repoRoot } from '../helpers/paths.js';
import { haveCommand, prerequisite } from '../helpers/require.js';
import { tempDir } from '../helpers/daemon.js';
import { freePort, waitFor } from '../helpers/net.js';
import { readStarts, startMrsocko } from '../helpers/mrsocko-process.js';
import { attempt, connectClient, refused } from '../helpers/clients.js';
import { REFUSAL_MAX_SOURCES } from '../../src/access/refusal-log.js';
const echo = path.join(repoRoot, 'test/fixtures/slow-echo.mjs');
function configText(o) {
    return `[service]
exec = ${process.execPath} ${echo} 127.0.0.1:${o.backendPort} ${o.delayMs} ${o.starts}
start_timeout = 20s
stop_timeout = 5s
[socket.web]
listen = ${o.port}
backend = 127.0.0.1:${o.backendPort}
[idle]
${o.idle}
[access]
${o.access}
`;
}
/** mrsocko run --config DIR/web.conf under systemd-socket-activate -l '[::]:P' --fdname=web. */
async function setup(o) {
    const dir = tempDir();
    const [port, backendPort] = [await freePort('::'), await freePort()];
    const starts = path.join(dir, 'starts');
    const file = path.join(dir, 'web.conf');
    fs.writeFileSync(file, configText({ backendPort, port, starts, delayMs: o.delayMs ?? 50, idle: o.idle ?? 'timeout = 1min', access: o.access }));
    const env = { MRSOCKO_RUNTIME_DIR: path.join(dir, 'run') };
    // systemd-socket-activate passes on only the environment it is told to (-E)
    const m = startMrsocko({ configFile: file, activate: ['-l', `[::]:${port}`, '--fdname=web', '-E', `MRSOCKO_RUNTIME_DIR=${env.MRSOCKO_RUNTIME_DIR}`] });
    await m.waitForLine(/Listening on/);
    return {
        m,
        port,
        dir,
        file,
        starts,
        env,
        v4: (from = '127.0.0.1') => ({ host: '127.0.0.1', port, from }),
        v6: () => ({ host: '::1', port }),
        async stop() {
            assert.equal(await m.stop(), 0, m.output());
        },
    };
}
function mrsockoStatus(s, args) {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, [cliPath, 'status', ...args], { env: { ...process.env, ...s.env } });
        let out = '';
        let err = '';
        child.stdout.on('data', (c) => (out += c.toString()));
        child.stderr.on('data', (c) => (err += c.toString()));
        child.once('close', (code) => resolve({ code, out, err }));
    });
}
async function reload(s, access, idle = 'timeout = 1min') {
    const text = fs.readFileSync(s.file, 'utf8');
    fs.writeFileSync(s.file, text.replace(/\[idle\][^[]*\[access\][\s\S]*$/, `[idle]\n${idle}\n[access]\n${access}\n`));
    const before = s.m.output().split('configuration reloaded').length;
    // systemd-socket-activate execs mrsocko: the child's pid is mrsocko's
    process.kill(s.m.child.pid, 'SIGHUP');
    assert.ok(await waitFor(() => s.m.output().split('configuration reloaded').length > before, 5000), s.m.output());
}
const refusalLines = (output) => output.split('\n').filter((l) => /\brefused\b/.test(l));
test('allow = 10.0.0.0/8 refuses 127.0.0.1 (seen as ::ffff:127.0.0.1) without starting the backend; allow = 127.0.0.1 admits it; status shows the bytes', async (t) => {
    if (!prerequisite(t, haveCommand('systemd-socket-activate'), 'systemd-socket-activate not installed'))
        return;
    const s = await setup({ access: 'allow = 10.0.0.0/8' });
    try {
        assert.equal(await attempt(s.v4()), 'reset');
        assert.equal(await attempt(s.v6()), 'reset');
        await s.m.waitForLine(/refused connection from \[::ffff:127\.0\.0\.1\]:\d+: not in allow/);
        await s.m.waitForLine(/refused connection from \[::1\]:\d+: not in allow/);
        assert.deepEqual(readStarts(s.starts), [], 'a refused client never starts the backend');
        assert.match(s.m.output(), /adopted from systemd on \[::\]:\d+/);
        await reload(s, 'allow = 127.0.0.1');
        const c = await connectClient(s.v4());
        const sent = Buffer.alloc(300_000, 7);
        assert.deepEqual(await c.echo(sent), sent);
        await c.echo('and a bit more');
        assert.equal(readStarts(s.starts).length, 1);
        assert.ok(await refused(s.v6()), '::1 is not 127.0.0.1');
        const json = await mrsockoStatus(s, ['web', '--json']);
        assert.equal(json.code, 0, json.err);
        const report = JSON.parse(json.out);
        const me = report.clients.find((x) => x.address === '127.0.0.1');
        assert.ok(me, json.out);
        assert.equal(me.connections, 1);
        assert.equal(me.bytesIn, c.sent, 'bytes in = what the client sent');
        assert.equal(me.bytesOut, c.received, 'bytes out = what the client received');
        assert.equal(c.sent, 300_014);
        assert.equal(report.backend.state, 'running');
        assert.equal(report.totals.refused, 3);
        const text = await mrsockoStatus(s, ['web']);
        assert.equal(text.code, 0, text.err);
        assert.match(text.out, /^ {2}127\.0\.0\.1 +1 +0 +300014 +300014 /m);
        await c.close();
    }
    finally {
        await s.stop();
    }
    const gone = await mrsockoStatus(s, ['web']);
    assert.equal(gone.code, 1);
    assert.match(gone.err, /no control socket at .*\/run\/web\/control\.sock; is mrsocko@web running\?/);
});
test('wake = 127.0.0.2: 127.0.0.1 cannot start the backend, but is served once it runs', async (t) => {
    if (!prerequisite(t, haveCommand('systemd-socket-activate'), 'systemd-socket-activate not installed'))
        return;
    const s = await setup({ access: 'wake = 127.0.0.2' });
    try {
        assert.ok(await refused(s.v4()));
        assert.ok(await refused(s.v6()));
        await s.m.waitForLine(/refused connection from \[::ffff:127\.0\.0\.1\]:\d+: not in wake, and the backend is not running/);
        assert.deepEqual(readStarts(s.starts), []);
        const waker = await connectClient(s.v4('127.0.0.2'));
        assert.equal((await waker.echo('wake up')).toString(), 'wake up');
        assert.equal(readStarts(s.starts).length, 1);
        for (const target of [s.v4(), s.v6()]) {
            const c = await connectClient(target);
            assert.equal((await c.echo('served')).toString(), 'served', `${target.host} while the backend runs`);
            await c.close();
        }
        await waker.close();
        assert.equal(readStarts(s.starts).length, 1);
    }
    finally {
        await s.stop();
    }
});
test('keepalive = 127.0.0.2: traffic from 127.0.0.1 does not keep the backend up, traffic from 127.0.0.2 does', async (t) => {
    if (!prerequisite(t, haveCommand('systemd-socket-activate'), 'systemd-socket-activate not installed'))
        return;
    const s = await setup({ access: '', idle: 'timeout = 1s\nkeepalive = 127.0.0.2' });
    try {
        const chatter = async (from, ms) => {
            const c = await connectClient(s.v4(from));
            const until = Date.now() + ms;
            try {
                while (Date.now() < until) {
                    await c.echo('ping');
                    await sleep(150);
                }
            }
            catch {
                return 'closed';
            }
            finally {
                c.socket.destroy();
            }
            return 'served';
        };
        const t0 = Date.now();
        assert.equal(await chatter('127.0.0.1', 4000), 'closed', 'the backend was stopped under the uncounted client');
        const stoppedAfter = Date.now() - t0;
        assert.ok(stoppedAfter >= 900 && stoppedAfter < 3000, `stopped ${stoppedAfter} ms after the start`);
        await s.m.waitForLine(/stopping backend .*: no traffic for 1s/);
        assert.ok(await waitFor(() => s.m.output().includes('stopped after'), 5000));
        assert.equal(await chatter('127.0.0.2', 3000), 'served', 'the counted client keeps it up');
        assert.equal(readStarts(s.starts).length, 2);
        const json = await mrsockoStatus(s, ['web', '--json']);
        const report = JSON.parse(json.out);
        assert.deepEqual(report.clients.map((c) => [c.address, c.counted]).sort(), [['127.0.0.1', false], ['127.0.0.2', true]]);
    }
    finally {
        await s.stop();
    }
});
test('deny wins over allow', async (t) => {
    if (!prerequisite(t, haveCommand('systemd-socket-activate'), 'systemd-socket-activate not installed'))
        return;
    const s = await setup({ access: 'allow = 127.0.0.0/8, ::1\ndeny = 127.0.0.2, ::1' });
    try {
        const c = await connectClient(s.v4());
        assert.equal((await c.echo('allowed')).toString(), 'allowed');
        assert.ok(await refused(s.v4('127.0.0.2')));
        assert.ok(await refused(s.v6()));
        await s.m.waitForLine(/refused connection from \[::ffff:127\.0\.0\.2\]:\d+: matches deny = 127\.0\.0\.2/);
        await c.close();
    }
    finally {
        await s.stop();
    }
});
test('max_per_source = 2: the third connection from a source is refused while other sources keep working', async (t) => {
    if (!prerequisite(t, haveCommand('systemd-socket-activate'), 'systemd-socket-activate not installed'))
        return;
    const s = await setup({ access: 'max_per_source = 2' });
    try {
        const a1 = await connectClient(s.v4());
        const a2 = await connectClient(s.v4());
        await a1.echo('one');
        await a2.echo('two');
        assert.ok(await refused(s.v4()), 'third from 127.0.0.1');
        await s.m.waitForLine(/refused connection from \[::ffff:127\.0\.0\.1\]:\d+: max_per_source = 2 reached/);
        const others = [await connectClient(s.v4('127.0.0.2')), await connectClient(s.v4('127.0.0.2')), await connectClient(s.v6())];
        for (const o of others)
            assert.equal((await o.echo('other')).toString(), 'other');
        assert.equal((await a1.echo('still')).toString(), 'still', 'the admitted ones are unaffected');
        await a2.close();
        assert.ok(await waitFor(async () => (await attempt(s.v4(), 2000)) === 'echoed', 3000), 'a slot is free again');
        for (const c of [a1, ...others])
            await c.close();
    }
    finally {
        await s.stop();
    }
});
test('10 000 refused connections in a burst from 41 sources: a bounded number of log lines, every refusal counted, no backend start', async (t) => {
    if (!prerequisite(t, haveCommand('systemd-socket-activate'), 'systemd-socket-activate not installed'))
        return;
    const s = await setup({ access: 'allow = 10.0.0.0/8' });
    const TOTAL = 10_000;
    // more sources than are logged one by one (16): 127.0.0.1 … 127.0.0.40 and ::1
    const targets = [...Array.from({ length: 40 }, (_, i) => s.v4(`127.0.0.${i + 1}`)), s.v6()];
    const outcomes = new Map();
    const t0 = Date.now();
    try {
        let next = 0;
        const worker = async () => {
            while (next < TOTAL) {
                const i = next++;
                const how = await attempt(targets[i % targets.length]);
                outcomes.set(how, (outcomes.get(how) ?? 0) + 1);
            }
        };
        await Promise.all(Array.from({ length: 100 }, worker));
    }
    finally {
        await s.stop();
    }
    const ms = Date.now() - t0;
    assert.equal(outcomes.get('echoed'), undefined, JSON.stringify([...outcomes]));
    assert.equal((outcomes.get('reset') ?? 0) + (outcomes.get('closed') ?? 0), TOTAL, JSON.stringify([...outcomes]));
    assert.deepEqual(readStarts(s.starts), []);
    const lines = refusalLines(s.m.output());
    // The bound: 2 × 16 + 1 lines per minute (src/access/refusal-log.ts); the burst is shorter.
    const windows = Math.ceil(ms / 60_000) + 1;
    assert.ok(lines.length <= (2 * REFUSAL_MAX_SOURCES + 1) * windows, `${lines.length} lines:\n${lines.join('\n')}`);
    // In fact (one window): a first line and a summary for each of 16 sources, one line for the 25 others.
    assert.equal(lines.length, 2 * REFUSAL_MAX_SOURCES + 1, lines.join('\n'));
    assert.match(lines.at(-1), /refused \d+ connections from 25 other sources in the last \d+m?s \(not in allow; too many sources to log each\)/);
    let counted = 0;
    for (const l of lines) {
        const more = /refused (?:another )?(\d+) connections? from/.exec(l);
        counted += more ? Number(more[1]) : 1;
    }
    assert.equal(counted, TOTAL, lines.join('\n'));
    assert.ok(s.m.output().split('\n').length < 2 * REFUSAL_MAX_SOURCES + 1 + 15, `whole log:\n${s.m.output()}`);
    console.log(`10000 refused in ${ms} ms -> ${lines.length} refusal lines, the last: ${lines.at(-1)}`);
});
//# sourceMappingURL=access.test.js.map