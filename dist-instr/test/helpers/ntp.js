// An NTP client as RFC 5905 has one ask a server: one mode-3 request of 48 bytes, its
// transmit timestamp random so the answer can be matched (the server copies it into the
// answer's origin timestamp), and the request sent again when no answer comes in time.
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
/** Asks host:port for the time: up to `tries` requests, `waitMs` apart. */
export function ntpQuery(host, port, tries = 5, waitMs = 1000) {
    return new Promise((resolve) => {
        const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
        let sent = 0;
        let problem;
        let transmit = Buffer.alloc(8);
        let timer;
        const finish = (answer) => {
            clearTimeout(timer);
            socket.close();
            resolve(answer);
        };
        const send = () => {
            if (sent === tries) {
                finish({ retries: sent - 1, problem: problem ?? `no answer to ${tries} requests` });
                return;
            }
            const request = Buffer.alloc(48);
            request[0] = (4 << 3) | 3; // LI 0, version 4, mode 3 (client)
            transmit = randomBytes(8);
            transmit.copy(request, 40);
            sent += 1;
            socket.send(request, port, host);
            timer = setTimeout(send, waitMs);
        };
        socket.on('error', (err) => (problem = err.message));
        socket.on('message', (m) => {
            if (m.length < 48)
                problem = `short answer (${m.length} bytes)`;
            else if ((m[0] & 7) !== 4)
                problem = `mode ${m[0] & 7}, not 4 (server)`;
            else if (!m.subarray(24, 32).equals(transmit))
                problem = 'origin timestamp is not the request\'s transmit timestamp';
            else if ((m[0] >> 6) === 3)
                problem = 'the server is not synchronised (LI 3)';
            else
                finish({ retries: sent - 1, stratum: m[1] });
        });
        socket.bind(0, send);
    });
}
//# sourceMappingURL=ntp.js.map