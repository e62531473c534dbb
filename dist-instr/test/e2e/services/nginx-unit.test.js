// nginx in unit mode under a real systemd (nspawn): `unit =` a Type=forking service with
// PIDFile=, installed with gen-unit, `ready = http://…/health`. A cold burst of curl from
// the host, idle stop (systemctl stop), restart, and no nginx process left after the stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../helpers/daemon.js';
import { freePort } from '../../helpers/net.js';
import { haveCommand, prerequisite } from '../../helpers/require.js';
import { bootContainer, nspawnAvailable, NSPAWN_REQUIREMENT } from '../../helpers/nspawn.js';
import { mrsocko, nodeBinds } from '../../helpers/systemd-e2e.js';
import { report, run } from '../../helpers/services.js';
const INSTANCE = 'web';
const BACKEND = 'mrsocko-test-nginx.service';
const BURST = 20;
test('nginx by unit = (Type=forking) under systemd: a cold burst of curl, idle stop, restart, nothing left', async (t) => {
    if (!prerequisite(t, nspawnAvailable(), NSPAWN_REQUIREMENT))
        return;
    if (!prerequisite(t, fs.existsSync('/usr/sbin/nginx') && haveCommand('curl'), 'Debian\'s nginx-light and curl (contrib/test-deps.sh)'))
        return;
    const dir = tempDir('mrsocko-nginx-unit-');
    fs.chmodSync(dir, 0o755);
    const [listen, backend] = [await freePort(), await freePort()];
    fs.mkdirSync(path.join(dir, 'www'));
    fs.writeFileSync(path.join(dir, 'www', 'index.html'), 'hello from nginx\n');
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `${k}_temp_path /tmp/nginx-${k};`).join(' ');
    fs.writeFileSync(path.join(dir, 'nginx.conf'), `user root root;
worker_processes 2;
pid /run/mrsocko-test-nginx.pid;
error_log stderr;
events { worker_connections 256; }
http {
  access_log off;
  ${temp}
  server {
    listen 127.0.0.1:${backend};
    root /srv/nginx/www;
    location = /health { return 204; }
  }
}
`);
    const c = await bootContainer({
        machine: `mrsocko-nginx-${process.pid}`,
        binds: [...nodeBinds(), { host: dir, container: '/srv/nginx', readOnly: true }],
    });
    const diag = async () => `\n--- journal\n${await c.journal([`mrsocko@${INSTANCE}`, BACKEND])}`;
    const get = () => run(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '30', `http://127.0.0.1:${listen}/index.html`]);
    const left = async () => {
        const r = await c.exec('pgrep -c nginx');
        return Number(r.stdout.trim() || '0');
    };
    try {
        await c.writeFile(`/etc/systemd/system/${BACKEND}`, `[Unit]
Description=nginx for the mrsocko service matrix
[Service]
Type=forking
PIDFile=/run/mrsocko-test-nginx.pid
ExecStart=/usr/sbin/nginx -c /srv/nginx/nginx.conf
`);
        await c.writeFile(`/etc/mrsocko/${INSTANCE}.conf`, `[service]
unit = ${BACKEND}
ready = http://127.0.0.1:${backend}/health
start_timeout = 30s
[socket.web]
listen = 127.0.0.1:${listen}
backend = 127.0.0.1:${backend}
[idle]
timeout = 3s
`);
        const gen = await c.exec(mrsocko('gen-unit', INSTANCE));
        assert.equal(gen.status, 0, `gen-unit: ${gen.stdout}${gen.stderr}`);
        const enable = await c.exec(`systemctl daemon-reload && systemctl enable --now mrsocko@${INSTANCE}.socket`);
        assert.equal(enable.status, 0, `enable: ${enable.stderr}${await diag()}`);
        const burst = await Promise.all(Array.from({ length: BURST }, get));
        const coldStartMs = Math.min(...burst.map((r) => r.ms));
        const errors = burst.filter((r) => r.stdout !== '200');
        assert.ok((await left()) >= 3, `master and 2 workers expected${await diag()}`);
        const idle = await c.waitFor(`systemctl is-active ${BACKEND}`, (r) => r.stdout.trim() === 'inactive', 20_000, 100);
        await new Promise((r) => setTimeout(r, 1000));
        const processesLeft = await left();
        const again = await get();
        const restart = again.stdout === '200';
        report('nginx unit (forking)', { coldStartMs, burst: BURST, burstErrors: errors.length, idleStop: idle.ok, restart, processesLeft });
        assert.deepEqual(errors.map((r) => r.stdout + r.stderr), [], `errors in the cold burst${await diag()}`);
        assert.ok(idle.ok, `no idle stop${await diag()}`);
        assert.equal(processesLeft, 0, 'nginx processes left after the idle stop');
        assert.ok(restart, `restart: ${again.stdout}${again.stderr}${await diag()}`);
    }
    finally {
        await c.poweroff();
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
//# sourceMappingURL=nginx-unit.test.js.map