// A socket unit with Accept=yes passes mrsocko one connection instead of the listening
// socket. That is a misconfigured unit: a clear config error (exit 78, which systemd does
// not restart), not "internal error: listen EINVAL" and a stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { cliPath } from '../helpers/paths.js';
import { tempDir } from '../helpers/daemon.js';
import { freePort, waitFor } from '../helpers/net.js';
import { haveCommand, prerequisite } from '../helpers/require.js';
import { shellQuote } from '../helpers/nspawn.js';
test('systemd-socket-activate --accept: exit 78 naming Accept=yes, no stack', async (t) => {
    if (!prerequisite(t, haveCommand('systemd-socket-activate'), 'systemd-socket-activate not installed'))
        return;
    const dir = tempDir();
    const port = await freePort();
    const file = path.join(dir, 'accept.conf');
    fs.writeFileSync(file, `[service]\nexec = /bin/sleep 60\n[socket.web]\nlisten = 127.0.0.1:${port}\nbackend = 127.0.0.1:1\n`);
    const run = [process.execPath, cliPath, 'run', '--config', file].map(shellQuote).join(' ');
    // The inner shell sets LISTEN_PID to its own pid and execs mrsocko (same pid), as systemd
    // would for mrsocko itself; the outer one reports the exit status.
    const inner = `LISTEN_PID=$$ exec ${run}`;
    const child = spawn('systemd-socket-activate', ['--accept', '-l', `127.0.0.1:${port}`, '--fdname=web', 'sh', '-c', `sh -c ${shellQuote(inner)}; echo "exit=$?" >&2`], {
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c) => (output += c.toString()));
    child.stderr.on('data', (c) => (output += c.toString()));
    try {
        assert.ok(await waitFor(() => /Listening on/.test(output), 10_000, 20), output);
        const client = net.connect({ host: '127.0.0.1', port });
        client.on('error', () => undefined);
        assert.ok(await waitFor(() => /exit=\d+/.test(output), 15_000, 20), output);
        client.destroy();
        assert.match(output, /exit=78/, output);
        assert.match(output, /\[socket\.web\] protocol: fd 3 \(AF_INET stream 127\.0\.0\.1:\d+\) is a stream socket that is not listening \(Accept=yes is not supported; use Accept=no\)/, output);
        assert.doesNotMatch(output, /internal error|EINVAL|^ {4}at /m, output);
    }
    finally {
        child.kill('SIGTERM');
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
//# sourceMappingURL=accept-yes.test.js.map