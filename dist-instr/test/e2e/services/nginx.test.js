// nginx (Debian's nginx-light) by `exec =`, both ways it runs: in the foreground
// (`daemon off;`, ready = http://…/health) and forking with `pidfile =` (the master is the
// backend once it wrote its pid file). A cold burst of curl clients, idle stop, restart,
// and no master or worker left after the stop. nginx runs from a config of its own in a
// throw-away directory: Debian's default site (port 80) is never started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, tempDir } from '../../helpers/daemon.js';
import { freePort } from '../../helpers/net.js';
import { haveCommand, isRoot, prerequisite } from '../../helpers/require.js';
import { liveCount, processTree, report, run } from '../../helpers/services.js';
import { phaseReached } from '../../helpers/daemon.js';
const NGINX = '/usr/sbin/nginx';
const BURST = 20;
for (const mode of ['daemon off', 'forking']) {
    test(`nginx by exec = (${mode}): a cold burst of curl, idle stop, restart, nothing left`, async (t) => {
        if (!prerequisite(t, isRoot && fs.existsSync(NGINX) && haveCommand('curl'), 'root, Debian\'s nginx-light and curl (contrib/test-deps.sh)'))
            return;
        const dir = tempDir('mrsocko-nginx-');
        fs.chmodSync(dir, 0o755); // the workers (not root) read the pages
        const [listen, backend] = [await freePort(), await freePort()];
        const pidfile = path.join(dir, 'nginx.pid');
        const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `${k}_temp_path ${dir}/${k};`).join(' ');
        fs.mkdirSync(path.join(dir, 'www'));
        fs.writeFileSync(path.join(dir, 'www', 'index.html'), 'hello from nginx\n');
        const conf = path.join(dir, 'nginx.conf');
        fs.writeFileSync(conf, `worker_processes 2;
pid ${pidfile};
error_log ${dir}/error.log;
events { worker_connections 256; }
http {
  access_log off;
  ${temp}
  server {
    listen 127.0.0.1:${backend};
    root ${dir}/www;
    location = /health { return 204; }
  }
}
`);
        const service = mode === 'daemon off'
            ? `exec = ${NGINX} -c ${conf} -g "daemon off;"\nready = http://127.0.0.1:${backend}/health`
            : `exec = ${NGINX} -c ${conf}\npidfile = ${pidfile}`;
        const d = await startDaemon(`[service]
${service}
start_timeout = 30s
stop_timeout = 5s
[socket.web]
listen = 127.0.0.1:${listen}
backend = 127.0.0.1:${backend}
[idle]
timeout = 2s
`, tempDir());
        const get = () => run(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '30', `http://127.0.0.1:${listen}/index.html`]);
        try {
            const first = await get();
            assert.equal(first.stdout, '200', first.stderr);
            const coldStartMs = first.ms;
            assert.ok(await phaseReached(d.daemon, 'stopped', 15_000), 'no idle stop after the first client');
            const burst = await Promise.all(Array.from({ length: BURST }, get));
            const errors = burst.filter((r) => r.stdout !== '200');
            const tree = processTree(d.daemon.backendPid ?? 0);
            assert.ok(tree.length >= 3, `master and 2 workers expected, found ${tree.join(' ')}`);
            const idleStop = await phaseReached(d.daemon, 'stopped', 15_000);
            await new Promise((r) => setTimeout(r, 1000));
            const processesLeft = liveCount(tree);
            const again = await get();
            const restart = again.stdout === '200';
            report(`nginx ${mode}`, { coldStartMs, burst: BURST, burstErrors: errors.length, idleStop, restart, processesLeft });
            assert.deepEqual(errors.map((r) => r.stdout + r.stderr), [], 'errors in the cold burst');
            assert.ok(idleStop, 'no idle stop');
            assert.equal(processesLeft, 0, `processes left after the idle stop: ${tree.join(' ')}`);
            assert.ok(restart, `restart: ${again.stdout}${again.stderr}`);
        }
        finally {
            await d.stop();
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
}
//# sourceMappingURL=nginx.test.js.map