// `mrsocko knock HOST[:PORT] --key FILE [--open ADDRESS]`: send one single-packet knock
// (docs/knock-protocol.md); `mrsocko knock --new-key FILE`: make a key. Needs no daemon
// and no config: it runs as well on a laptop as on the server.
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import dns from 'node:dns/promises';
import net from 'node:net';
import { parseCommandArgs } from './args.js';
import { formatInet } from '../util/format.js';
import { MrsockoError, UsageError } from '../errors.js';
import { parseBackend } from '../config/address.js';
import { ValueError } from '../errors.js';
import { KeyFileError, readKeyFile, writeNewKey } from '../access/knock/key.js';
import { encodePacket, NONCE_LENGTH } from '../access/knock/packet.js';
const DEFAULT_KNOCK_PORT = 62201;
const NEW_KEY_LENGTH = 32;
const HELP = `Usage: mrsocko knock HOST[:PORT] --key FILE [--open ADDRESS]
       mrsocko knock --new-key FILE

Send one single-packet knock to an instance's [knock] listen port (UDP, default
${DEFAULT_KNOCK_PORT}): an 80-byte datagram with the time, a random nonce and an
HMAC-SHA256 made with the key, which the instance checks before it counts the
address as "knocked" for [knock] open_for. Nothing comes back: a knock is silent.

HOST is a name or an address; an IPv6 address with a port is written [V6]:PORT.
The key file's whole content is the secret (the same file as [knock] key).

Options:
  --key FILE       the shared secret (at least 16 bytes)
  --open ADDRESS   open this address instead of the one the packet comes from
                   (it is signed too: nobody can change it on the way)
  --new-key FILE   write 32 random bytes to FILE (mode 0600; an existing file is kept)
  -h, --help       show this help

Exit status: 0 sent (or key written), 1 failed, 2 usage error.

Examples:
  mrsocko knock --new-key /etc/mrsocko/jellyfin.key
  mrsocko knock media.example.org --key ~/.config/mrsocko/jellyfin.key
  mrsocko knock 192.0.2.10:62201 --key jellyfin.key --open 198.51.100.7
`;
export const knockCommand = {
    name: 'knock',
    help: HELP,
    async run(args, io) {
        const { values, positionals } = parseCommandArgs(args, { key: { type: 'string' }, open: { type: 'string' }, 'new-key': { type: 'string' } }, true);
        const newKey = values['new-key'];
        if (newKey !== undefined) {
            if (positionals.length > 0 || values.key !== undefined || values.open !== undefined) {
                throw new UsageError('--new-key FILE takes nothing else');
            }
            try {
                writeNewKey(newKey, randomBytes(NEW_KEY_LENGTH));
            }
            catch (err) {
                const code = err.code;
                throw new MrsockoError('MRSOCKO_RUNTIME', code === 'EEXIST'
                    ? `${newKey} exists already; it is kept (delete it first to make a new key)`
                    : `${newKey}: ${err.message}`);
            }
            io.out(`wrote a new ${NEW_KEY_LENGTH}-byte key to ${newKey} (mode 0600)\n`);
            return 0;
        }
        if (positionals.length !== 1)
            throw new UsageError('where to? mrsocko knock HOST[:PORT] --key FILE');
        if (values.key === undefined)
            throw new UsageError('--key FILE is needed (the file of [knock] key)');
        if (values.open !== undefined && net.isIP(values.open) === 0) {
            throw new UsageError(`--open "${values.open}" is not an IP address`);
        }
        const target = parseTarget(positionals[0]);
        let key;
        try {
            key = readKeyFile(values.key, false);
        }
        catch (err) {
            if (err instanceof KeyFileError)
                throw new MrsockoError('MRSOCKO_RUNTIME', err.message);
            throw err;
        }
        const packet = encodePacket(key, {
            timestamp: Math.floor(Date.now() / 1000),
            nonce: randomBytes(NONCE_LENGTH),
            open: values.open,
        });
        const address = await resolve(target.host);
        await send(packet, address, target.port);
        const shown = formatInet(address, target.port);
        io.out(`knock sent to ${shown} (opens ${values.open ?? 'the address it comes from'})\n`);
        return 0;
    },
};
function parseTarget(text) {
    const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
    if (net.isIPv6(bare) || !bare.includes(':'))
        return { host: bare, port: DEFAULT_KNOCK_PORT };
    try {
        const parsed = parseBackend(text);
        if (parsed.kind !== 'inet')
            throw new ValueError('not a host');
        return { host: parsed.host, port: parsed.port };
    }
    catch (err) {
        throw new UsageError(`"${text}" is not HOST, HOST:PORT or [IPV6]:PORT${err instanceof ValueError ? ` (${err.message})` : ''}`);
    }
}
async function resolve(host) {
    if (net.isIP(host) !== 0)
        return host;
    try {
        return (await dns.lookup(host)).address;
    }
    catch (err) {
        throw new MrsockoError('MRSOCKO_RUNTIME', `cannot resolve ${host}: ${err.code ?? err.message}`);
    }
}
function send(packet, address, port) {
    const socket = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
    return new Promise((resolve, reject) => {
        socket.once('error', (err) => {
            socket.close();
            reject(new MrsockoError('MRSOCKO_RUNTIME', `cannot send to ${address}:${port}: ${err.message}`));
        });
        socket.send(packet, port, address, (err) => {
            socket.close();
            if (err)
                reject(new MrsockoError('MRSOCKO_RUNTIME', `cannot send to ${address}:${port}: ${err.message}`));
            else
                resolve();
        });
    });
}
//# sourceMappingURL=knock.js.map