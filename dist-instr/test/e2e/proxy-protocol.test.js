// PROXY protocol (`[socket.X] proxy_protocol = v1 | v2`) read by real backends: Debian's
// nginx (`listen … proxy_protocol`, answering $proxy_protocol_addr and _port) and HAProxy
// (`bind … accept-proxy`, answering %[src] and %[src_port]), each as an exec backend
// behind an in-process mrsocko with a dual-stack TCP socket and a unix socket. Clients:
// curl over 127.0.0.1 (an IPv4-mapped peer on the dual-stack socket: the header says IPv4),
// over [::1], and over the unix socket (UNKNOWN / LOCAL: the backend sees mrsocko itself),
// cold (the first client starts the backend; with ready = connect it gets the readiness
// probe's connection) and warm. With ready = exec the probe's connection is not handed on
// and closes without a byte: neither backend may log it as a broken header.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { phaseReached, startDaemon, tempDir } from '../helpers/daemon.js';
import { freePort } from '../helpers/net.js';
import { haveCommand, isRoot, prerequisite } from '../helpers/require.js';
import { run } from '../helpers/services.js';
const NGINX = '/usr/sbin/nginx';
const HAPROXY = '/usr/sbin/haproxy';
/** The exec = line of a backend on `port` that answers "CLIENT-ADDRESS CLIENT-PORT" from the PROXY header. */
function backendConfig(kind, dir, port) {
    const log = path.join(dir, `${kind}.log`);
    if (kind === 'nginx') {
        const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `${k}_temp_path ${dir}/${k};`).join(' ');
        const conf = path.join(dir, 'nginx.conf');
        fs.writeFileSync(conf, `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${log} info;
events { worker_connections 64; }
http {
  access_log off;
  ${temp}
  server {
    listen 127.0.0.1:${port} proxy_protocol;
    location / { default_type text/plain; return 200 "$proxy_protocol_addr $proxy_protocol_port\\n"; }
  }
}
`);
        return { exec: `${NGINX} -c ${conf} -g "daemon off;"`, log };
    }
    const conf = path.join(dir, 'haproxy.cfg');
    fs.writeFileSync(conf, `global
  log stderr format raw local0 info
defaults
  mode http
  log global
  option httplog
  timeout connect 5s
  timeout client 10s
  timeout server 10s
frontend fe
  bind 127.0.0.1:${port} accept-proxy
  http-request return status 200 content-type text/plain lf-string "%[src] %[src_port]\\n"
`);
    return { exec: `/bin/sh -c "exec ${HAPROXY} -f ${conf} -db 2>>${log}"`, log };
}
async function curl(url, unix) {
    const r = await run(['curl', '-sg', '--max-time', '30', '-w', ' %{local_port}', ...(unix ? ['--unix-socket', unix] : []), url]);
    assert.equal(r.status, 0, `curl ${url}: ${r.stderr}`);
    const m = /^(.*)\n (\d*)$/s.exec(r.stdout);
    assert.ok(m, `unexpected answer: ${JSON.stringify(r.stdout)}`);
    return { body: m[1].trim(), localPort: m[2] };
}
const cases = [
    ['nginx', 'v1', 'connect'], ['nginx', 'v2', 'connect'], ['haproxy', 'v1', 'connect'], ['haproxy', 'v2', 'connect'],
    ['nginx', 'v2', 'exec'], ['nginx', 'v1', 'exec'], ['haproxy', 'v1', 'exec'], ['haproxy', 'v2', 'exec'],
];
for (const [kind, version, ready] of cases) {
    test(`${kind} reads PROXY ${version} (ready = ${ready}): IPv4, IPv6 and unix clients, cold and warm`, async (t) => {
        const binary = kind === 'nginx' ? NGINX : HAPROXY;
        if (!prerequisite(t, isRoot && fs.existsSync(binary) && haveCommand('curl'), `root, Debian's ${kind} and curl (contrib/test-deps.sh)`))
            return;
        const dir = tempDir(`mrsocko-pp-${kind}-`);
        fs.chmodSync(dir, 0o755);
        const [listen, backend] = [await freePort(), await freePort()];
        const unix = path.join(dir, 'front.sock');
        const b = backendConfig(kind, dir, backend);
        const d = await startDaemon(`[service]
exec = ${b.exec}
${ready === 'exec' ? 'ready = exec /bin/true\n' : ''}start_timeout = 30s
stop_timeout = 5s
[socket.web]
listen = ${listen}
backend = 127.0.0.1:${backend}
proxy_protocol = ${version}
[socket.local]
listen = ${unix}
backend = 127.0.0.1:${backend}
proxy_protocol = ${version}
[idle]
timeout = 1s
`, tempDir());
        const v4 = `http://127.0.0.1:${listen}/`;
        const v6 = `http://[::1]:${listen}/`;
        try {
            const cold4 = await curl(v4);
            assert.equal(cold4.body, `127.0.0.1 ${cold4.localPort}`, 'cold, IPv4 client (IPv4-mapped on the dual-stack socket)');
            const warm6 = await curl(v6);
            assert.equal(warm6.body, `::1 ${warm6.localPort}`, 'warm, IPv6 client');
            const local = await curl('http://local/', unix);
            // nginx has no client address for UNKNOWN / LOCAL; HAProxy falls back to the connection's own (mrsocko's)
            if (kind === 'nginx')
                assert.equal(local.body, '', 'unix client: no address');
            else
                assert.match(local.body, /^127\.0\.0\.1 \d+$/, 'unix client: the connection\'s own address');
            assert.ok(await phaseReached(d.daemon, 'stopped', 15_000), 'no idle stop');
            const cold6 = await curl(v6);
            assert.equal(cold6.body, `::1 ${cold6.localPort}`, 'cold, IPv6 client');
            const warm4 = await curl(v4);
            assert.equal(warm4.body, `127.0.0.1 ${warm4.localPort}`, 'warm, IPv4 client');
            const log = fs.existsSync(b.log) ? fs.readFileSync(b.log, 'utf8') : '';
            assert.doesNotMatch(log, /broken header|PROXY|proxy protocol/i, `${kind} complained about a header:\n${log}`);
        }
        finally {
            await d.stop();
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
}
//# sourceMappingURL=proxy-protocol.test.js.map