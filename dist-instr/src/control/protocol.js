// The control socket's requests and answers, shared by the daemon (./server.ts) and the
// CLI (../cli/control.ts, ../cli/status.ts).
//
// A client connects and sends one request: a line of JSON, at most MAX_REQUEST bytes,
// within REQUEST_TIMEOUT_MS. The answer is one line of JSON and the connection closes:
//   {"command":"status"}                               → the status report (./report.ts)
//   {"command":"start"}                                → {"ok":…,"message":…} once ready or failed
//   {"command":"stop","forMs":N}                       → once stopped (forMs: a block)
//   {"command":"hold","forMs":N}, {"command":"release"} → at once
// A client that sends nothing for GRACE_MS gets the status report: that is the whole of
// version 1 (a `mrsocko status` of an older build), so it keeps working.
// `client` is who is asking, as the client says: the socket is owner-only (root for
// mrsocko@NAME), and Node cannot read SO_PEERCRED, so this is what the log can name.
import { escapeControlCharacters } from '../text/control-chars.js';
export const MAX_REQUEST = 4096;
export const REQUEST_TIMEOUT_MS = 5_000;
export const GRACE_MS = 200;
const COMMANDS = ['status', 'start', 'stop', 'hold', 'release'];
/** The request in a line, or why it is not one (never throws). */
export function parseRequest(line) {
    let value;
    try {
        value = JSON.parse(line);
    }
    catch {
        return 'the request is not JSON';
    }
    if (typeof value !== 'object' || value === null)
        return 'the request is not a JSON object';
    const r = value;
    if (typeof r.command !== 'string' || !COMMANDS.includes(r.command))
        return `unknown command ${JSON.stringify(String(r.command)).slice(0, 40)}`;
    const forMs = r.forMs;
    if (forMs !== undefined && (typeof forMs !== 'number' || !(forMs > 0)))
        return 'forMs must be a positive number of milliseconds';
    if (forMs !== undefined && r.command !== 'stop' && r.command !== 'hold')
        return `${r.command} takes no span`;
    const client = clientInfo(r.client);
    return { command: r.command, ...(forMs !== undefined ? { forMs } : {}), ...(client ? { client } : {}) };
}
function clientInfo(value) {
    if (typeof value !== 'object' || value === null)
        return undefined;
    const c = value;
    if (!Number.isSafeInteger(c.pid) || !Number.isSafeInteger(c.uid))
        return undefined;
    const user = typeof c.user === 'string' && c.user !== '' ? c.user.slice(0, 64) : undefined;
    return { pid: c.pid, uid: c.uid, user };
}
/** Who asked, for the log: "pid 812, uid 0 (alice)" — as the client says. */
export function describeClient(client) {
    if (client === undefined)
        return 'a client that did not say who it is';
    const user = client.user !== undefined ? ` (${escapeControlCharacters(client.user)})` : '';
    return `pid ${client.pid}, uid ${client.uid}${user}`;
}
//# sourceMappingURL=protocol.js.map