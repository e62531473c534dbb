import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, tempDir } from '../helpers/daemon.js';
import { freePort } from '../helpers/net.js';
import { dnsClients, dnsmasqArgv } from '../helpers/dns.js';

test('smoke', async () => {
  const [p, b] = [await freePort(), await freePort()];
  const d = await startDaemon(`[service]\nexec = ${dnsmasqArgv(b, 1000)}\nstart_timeout = 10s\n[socket.dns]\nlisten = 127.0.0.1:${p}\nprotocol = udp\nbackend = 127.0.0.1:${b}\n[idle]\ntimeout = 1min\n[log]\nlevel = debug\n`, tempDir());
  try {
    const t0 = Date.now();
    const r = await dnsClients("127.0.0.1", p, 50, 20, 8000);
    console.log('answered', r.answered, 'ms', Date.now() - t0, r.problems.slice(0, 5), d.daemon.udpStats);
    console.log(d.lines.filter((l) => !l.includes('held until')).join('\n'));
    assert.equal(r.answered, 1000);
  } finally {
    await d.stop();
  }
});
