// A throw-away OpenSSH server for tests (Debian's openssh-server, run by mrsocko through
// `exec =`): its own config, host key and authorized_keys in a test directory, root
// login by key only, on a port of the test's; and the client options that go with it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
export const SSHD = '/usr/sbin/sshd';
export const haveOpenssh = () => fs.existsSync(SSHD) && fs.existsSync('/usr/bin/ssh') && fs.existsSync('/usr/bin/scp');
export const OPENSSH_REQUIREMENT = 'root, openssh-server and openssh-client (contrib/test-deps.sh)';
/**
 * Writes into `dir` (made 0700) a host key, a client key, its authorized_keys and an
 * sshd_config listening on 127.0.0.1:`port`. `MaxStartups` is raised so a burst of
 * clients is not thinned out by sshd's own random early drop (default 10:30:100).
 */
export function sshdFixture(dir, port) {
    // sshd's privilege separation directory (the ssh service's RuntimeDirectory=).
    fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    fs.chmodSync(dir, 0o700);
    for (const file of ['hostkey', 'key']) {
        const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', file, '-f', path.join(dir, file)]);
        if (r.status !== 0)
            throw new Error(`ssh-keygen: ${String(r.stderr)}`);
    }
    fs.copyFileSync(path.join(dir, 'key.pub'), path.join(dir, 'authorized_keys'));
    const config = path.join(dir, 'sshd_config');
    fs.writeFileSync(config, `ListenAddress 127.0.0.1:${port}
HostKey ${dir}/hostkey
AuthorizedKeysFile ${dir}/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
UsePAM no
PidFile none
MaxStartups 100
MaxSessions 100
Subsystem sftp /usr/lib/openssh/sftp-server
`);
    const key = path.join(dir, 'key');
    return {
        config,
        exec: `${SSHD} -D -e -f ${config}`,
        key,
        clientOptions: ['-F', '/dev/null', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes',
            '-o', 'LogLevel=ERROR', '-i', key],
    };
}
/** Live sshd processes (a zombie waiting for its parent to reap it is none). */
export function sshdPids() {
    const found = [];
    for (const name of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(name))
            continue;
        try {
            const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
            if (stat.includes(' (sshd) ') && stat.split(') ')[1]?.[0] !== 'Z')
                found.push(Number(name));
        }
        catch {
            // gone
        }
    }
    return found;
}
//# sourceMappingURL=sshd.js.map