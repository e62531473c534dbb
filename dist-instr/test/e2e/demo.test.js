// The README's first quick-start command: `npm start` serves the demo on the printed port,
// starting the bundled backend on the first request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { repoRoot } from '../helpers/paths.js';
import { waitFor } from '../helpers/net.js';
function get(url) {
    return new Promise((resolve, reject) => {
        http.get(url, (res) => {
            let body = '';
            res.on('data', (c) => (body += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        }).once('error', reject);
    });
}
test('npm start serves the demo on the port it prints', async () => {
    const child = spawn('npm', ['start', '--silent'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (c) => (output += c.toString()));
    child.stderr.on('data', (c) => (output += c.toString()));
    try {
        assert.ok(await waitFor(() => /listening on 127\.0\.0\.1:\d+/.test(output), 60_000, 50), output);
        const url = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1];
        assert.ok(url, `no URL printed:\n${output}`);
        const port = /listening on 127\.0\.0\.1:(\d+)/.exec(output)?.[1];
        assert.ok(url.includes(`:${port}/`), 'the printed URL is where mrsocko listens');
        const first = await get(url);
        assert.equal(first.status, 200);
        assert.match(first.body, /Hello from the demo backend/);
        assert.match(output, /starting backend backend\.mjs/);
    }
    finally {
        process.kill(-child.pid, 'SIGTERM');
        await new Promise((r) => child.once('close', r)); // stdio closes when mrsocko itself has exited
    }
    assert.match(output, /stopping backend backend\.mjs: shutdown/, output);
});
//# sourceMappingURL=demo.test.js.map