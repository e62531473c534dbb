// `mrsocko status` never sends a client's or a backend's control characters to the
// terminal: a backend's name comes from `exec =` (where `\x1b` escapes are decoded),
// clients' addresses and reasons from outside.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderStatus, statusJson } from '../../src/control/report.js';
import { startDaemon } from '../helpers/daemon.js';
import { freePort } from '../helpers/net.js';
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/; // every control character but the line feeds between lines
test('the attack: a backend name with terminal escapes, from exec =, is shown escaped', async () => {
    const port = await freePort();
    // \x1b]0;…\x07 sets the terminal's title, \x1b[2J clears it, \x9b is CSI in 8-bit form, \r rewrites the line
    const d = await startDaemon(`[service]
exec = "/nonexistent/sl\\x1b]0;pwned\\x07\\x1b[2J\\u009b31m\\rfake" 60
[socket.web]
listen = 127.0.0.1:${port}
backend = 127.0.0.1:1
`);
    try {
        const report = d.daemon.statusReport();
        assert.match(report.backend.name, /\x1b/, 'the report itself keeps the name as it is');
        const text = renderStatus(report);
        assert.doesNotMatch(text.replaceAll('\n', ''), RAW_CONTROL, text);
        assert.match(text, /\\x1b\]0;pwned\\x07\\x1b\[2J\\u009b31m\\rfake/);
        const json = statusJson(report);
        assert.doesNotMatch(json.replaceAll('\n', ''), RAW_CONTROL);
        assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(report)), 'the same JSON once parsed');
    }
    finally {
        await d.stop();
    }
});
test('client addresses and reasons are escaped too', () => {
    const report = {
        version: 1, instance: 'a\x1b[31m', pid: 1, time: '',
        backend: { name: 'b', state: 'stopped', stateForMs: 0, pid: null, starts: 0 },
        idle: { state: 'not-running', timeoutMs: null, stopInMs: null, reason: 'r\r\x85', keepalive: [] },
        totals: { clients: 1, connections: 1, flows: 0, held: 0, refused: 0 },
        clients: [{ address: '\x1b[2Jx', connections: 1, flows: 0, bytesIn: 0, bytesOut: 0, firstSeen: '', lastActivity: '', idleMs: 0, counted: true }],
    };
    const text = renderStatus(structuredClone(report));
    assert.doesNotMatch(text.replaceAll('\n', ''), RAW_CONTROL, text);
    assert.match(text, /mrsocko@a\\x1b\[31m/);
    assert.match(text, /\\x1b\[2Jx/);
    assert.match(text, /r\\r\\u0085/);
});
//# sourceMappingURL=report-escape.test.js.map