import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import dgram from 'node:dgram';
import path from 'node:path';
import { MrsockoError } from '../../src/errors.js';
import {
  describeSocket,
  inspectSocketFd,
  matchesProtocol,
  protocolMismatch,
  socketInode,
  type SocketInfo,
} from '../../src/systemd/socket-info.js';
import { hexToAddress, parseProcNetInetLine, parseProcNetUnixLine, parseSsLine } from '../../src/systemd/socket-text.js';
import { haveCommand, prerequisite } from '../helpers/require.js';
import { repoRoot } from '../helpers/paths.js';

// ---- parsing, from lines seen on Debian 12 ----

describe('/proc/net parsing', () => {
  test('socketInode', () => {
    assert.equal(socketInode('socket:[7121]'), 7121);
    assert.equal(socketInode('pipe:[7121]'), undefined);
    assert.equal(socketInode('/dev/null'), undefined);
  });

  test('tcp and udp rows (little-endian words)', () => {
    const tcp = '   0: 0100007F:4DC7 00000000:0000 0A 00000000:00000001 00:00000000 00000000     0        0 7121 2 00000000c8078231 100 0 0 10 0';
    assert.deepEqual(parseProcNetInetLine(tcp, true), { inode: 7121, host: '127.0.0.1', port: 19911, state: 0x0a });
    const udp = '11591: 0100007F:4DD1 00000000:0000 07 00000000:00000340 00:00000000 00000000     0        0 10584 2 00000000d76e291f 0';
    assert.deepEqual(parseProcNetInetLine(udp, true), { inode: 10584, host: '127.0.0.1', port: 19921, state: 0x07 });
    const tcp6 = '   0: 00000000000000000000000000000000:4DC8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7124 1 00000000cde0f070 100 0 0 10 0';
    assert.deepEqual(parseProcNetInetLine(tcp6, true), { inode: 7124, host: '::', port: 19912, state: 0x0a });
    const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
    assert.equal(parseProcNetInetLine(header, true), undefined);
    assert.equal(parseProcNetInetLine('', true), undefined);
  });

  test('addresses: word order and IPv6 compression', () => {
    assert.equal(hexToAddress('0100007F', true), '127.0.0.1');
    assert.equal(hexToAddress('7F000001', false), '127.0.0.1');
    assert.equal(hexToAddress('00000000000000000000000001000000', true), '::1');
    assert.equal(hexToAddress('0000000000000000FFFF00000100007F', true), '::ffff:127.0.0.1');
    assert.equal(hexToAddress('000080FE00000000FF3F0002FE1B0D56', true), 'fe80::200:3fff:560d:1bfe');
  });

  test('unix rows: type, listening flag, path', () => {
    assert.deepEqual(parseProcNetUnixLine('000000005f693c14: 00000002 00000000 00010000 0001 01  7125 /tmp/x.sock'), {
      inode: 7125, type: 1, listening: true, path: '/tmp/x.sock',
    });
    assert.deepEqual(parseProcNetUnixLine('00000000f398eff7: 00000002 00000000 00000000 0002 01 10588 /tmp/xd.sock'), {
      inode: 10588, type: 2, listening: false, path: '/tmp/xd.sock',
    });
    assert.deepEqual(parseProcNetUnixLine('0000000000000000: 00000002 00000000 00010000 0005 01 99 @abstract name'), {
      inode: 99, type: 5, listening: true, path: '@abstract name',
    });
    assert.deepEqual(parseProcNetUnixLine('0000000000000000: 00000003 00000000 00000000 0001 03 12345'), {
      inode: 12345, type: 1, listening: false, path: '',
    });
    assert.equal(parseProcNetUnixLine('Num       RefCount Protocol Flags    Type St Inode Path'), undefined);
  });

  test('ss lines: Send-Q of a listening socket, v6only, and which inode is the socket', () => {
    const tcp = 'LISTEN 1      4096   127.0.0.1:19911 0.0.0.0:* ino:7121 sk:1 cgroup:/ <->';
    assert.deepEqual(parseSsLine(tcp, 7121, 'inet'), { recvQ: 1, sendQ: 4096 });
    assert.equal(parseSsLine(tcp, 712, 'inet'), undefined);
    const tcp6 = 'LISTEN 0      4096           *:19912       *:* ino:7124 sk:3 cgroup:/ v6only:0 <->';
    assert.deepEqual(parseSsLine(tcp6, 7124, 'inet6'), { recvQ: 0, sendQ: 4096, v6only: false });
    const udp6 = 'UNCONN 0      0              [::]:19922       [::]:* ino:10587 sk:100a cgroup:/ v6only:1 <->';
    assert.deepEqual(parseSsLine(udp6, 10587, 'inet6'), { recvQ: 0, sendQ: 0, v6only: true });
    // unix: the socket inode follows the path; "ino:" is the socket *file's* inode.
    const unix = 'u_str LISTEN 0      4096                                  /tmp/x.sock 7125 * 0 <-> ino:2146526 dev:0/65024 peers:';
    assert.deepEqual(parseSsLine(unix, 7125, 'unix'), { recvQ: 0, sendQ: 4096 });
    assert.equal(parseSsLine(unix, 2146526, 'unix'), undefined);
    assert.deepEqual(parseSsLine('LISTEN 0 5 * 812 * 0', 812, 'unix'), { recvQ: 0, sendQ: 5 });
    assert.equal(parseSsLine('', 1, 'inet'), undefined);
  });
});

// ---- real sockets in this process ----

function fdOf(handleOwner: unknown): number {
  // Node keeps the fd on its internal handle (TCP/Pipe: server._handle; dgram: behind a symbol).
  const o = handleOwner as Record<string | symbol, unknown>;
  const direct = (o._handle as { fd?: number } | undefined)?.fd;
  if (typeof direct === 'number') return direct;
  for (const sym of Object.getOwnPropertySymbols(o)) {
    const fd = ((o[sym] as { handle?: { fd?: number } } | undefined)?.handle)?.fd;
    if (typeof fd === 'number') return fd;
  }
  throw new Error('no fd found');
}

function listen(server: net.Server, options: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => resolve());
  });
}

const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));

describe('inspectSocketFd on sockets of this process', () => {
  test('TCP listener: family, address, listening, backlog from ss', async (t) => {
    if (!prerequisite(t, haveCommand('ss'), 'ss (iproute2) not installed')) return;
    const server = net.createServer();
    await listen(server, { host: '127.0.0.1', port: 0, backlog: 37 });
    try {
      const port = (server.address() as net.AddressInfo).port;
      const info = inspectSocketFd(fdOf(server));
      assert.equal(info.type, 'stream');
      assert.equal(info.family, 'inet');
      assert.equal(info.local, `127.0.0.1:${port}`);
      assert.equal(info.host, '127.0.0.1');
      assert.equal(info.port, port);
      assert.equal(info.listening, true);
      assert.equal(info.backlog, 37);
      assert.equal(info.v6only, undefined);
      assert.ok(matchesProtocol(info, 'tcp'));
      assert.match(protocolMismatch(info, 'udp') ?? '', /stream socket but protocol = udp/);
      // the /proc way without ss (or with a broken one): the backlog is unknown, everything else the same
      const noSs = inspectSocketFd(fdOf(server), { ss: false, native: false });
      assert.equal(noSs.backlog, undefined);
      assert.deepEqual({ ...noSs, backlog: 0 }, { ...info, backlog: 0 });
      assert.equal(inspectSocketFd(fdOf(server), { ss: '/nonexistent/ss', native: false }).backlog, undefined);
    } finally {
      server.close();
    }
  });

  test('IPv6 v6only TCP listener and unix stream listener', async (t) => {
    if (!prerequisite(t, haveCommand('ss'), 'ss (iproute2) not installed')) return;
    const v6 = net.createServer();
    await listen(v6, { host: '::1', port: 0, backlog: 19, ipv6Only: true });
    const sockPath = `/tmp/mrsocko-socket-info-${process.pid}.sock`;
    rmSync(sockPath, { force: true });
    const unix = net.createServer();
    await listen(unix, { path: sockPath, backlog: 23 });
    try {
      const a = inspectSocketFd(fdOf(v6));
      assert.deepEqual(
        [a.type, a.family, a.local, a.listening, a.backlog, a.v6only],
        ['stream', 'inet6', `[::1]:${(v6.address() as net.AddressInfo).port}`, true, 19, true],
      );
      const b = inspectSocketFd(fdOf(unix));
      assert.deepEqual([b.type, b.family, b.local, b.listening, b.backlog], ['stream', 'unix', sockPath, true, 23]);
      assert.equal(b.host, undefined);
      assert.ok(matchesProtocol(b, 'tcp'));
    } finally {
      v6.close();
      unix.close();
    }
  });

  test('UDP sockets: dgram, not listening, v6only of a udp6 socket', async () => {
    const s4 = dgram.createSocket('udp4');
    const s6 = dgram.createSocket({ type: 'udp6', ipv6Only: true });
    await new Promise<void>((r) => s4.bind(0, '127.0.0.1', r));
    await new Promise<void>((r) => s6.bind(0, '::', r));
    try {
      const a = inspectSocketFd(fdOf(s4));
      assert.deepEqual([a.type, a.family, a.local, a.listening], ['dgram', 'inet', `127.0.0.1:${s4.address().port}`, false]);
      assert.ok(matchesProtocol(a, 'udp'));
      assert.match(protocolMismatch(a, 'tcp') ?? '', /datagram socket but protocol = tcp/);
      const b = inspectSocketFd(fdOf(s6));
      assert.deepEqual([b.type, b.family, b.local, b.listening], ['dgram', 'inet6', `[::]:${s6.address().port}`, false]);
      if (haveCommand('ss')) assert.equal(b.v6only, true);
    } finally {
      s4.close();
      s6.close();
    }
  });

  test('a connected TCP socket is a stream socket that is not listening', async () => {
    const server = net.createServer((c) => c.destroy());
    await listen(server, { host: '127.0.0.1', port: 0 });
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    try {
      const info = inspectSocketFd(fdOf(client));
      assert.equal(info.listening, false);
      assert.equal(info.backlog, undefined);
      assert.match(protocolMismatch(info, 'tcp') ?? '', /fd \d+ .* not listening \(Accept=yes is not supported/);
    } finally {
      client.destroy();
      server.close();
    }
  });

  test('not a socket, or not open: an error naming the fd', () => {
    const named = (fd: number, what: RegExp) => (err: unknown) => {
      assert.ok(err instanceof MrsockoError);
      assert.equal(err.code, 'MRSOCKO_SOCKET');
      assert.match(err.message, new RegExp(`^fd ${fd} `));
      assert.match(err.message, what);
      return true;
    };
    assert.throws(() => inspectSocketFd(987), named(987, /not open/));
    // stdin of a test is /dev/null or a pipe: either way not a socket
    const stdin = inspectSafely(0);
    if (stdin instanceof MrsockoError) assert.match(stdin.message, /^fd 0 is not a socket: it is /);
  });
});

function inspectSafely(fd: number): SocketInfo | MrsockoError {
  try {
    return inspectSocketFd(fd);
  } catch (err) {
    if (err instanceof MrsockoError) return err;
    throw err;
  }
}

// ---- real socket activation ----

interface Inspected {
  pid: number;
  ignored?: string;
  fds: Array<{
    fd: number;
    name: string;
    info?: SocketInfo;
    error?: string;
    code?: string;
    /** The same fd the /proc and ss way (the other being the addon's, when it is built). */
    fallback: { info?: SocketInfo; error?: string; code?: string };
  }>;
}

async function freePort(kind: 'tcp' | 'udp', host: string): Promise<number> {
  if (kind === 'tcp') {
    const s = net.createServer();
    await listen(s, { host, port: 0 });
    const port = (s.address() as net.AddressInfo).port;
    await new Promise((r) => s.close(r));
    return port;
  }
  const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((r) => s.bind(0, host, r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(r));
  return port;
}

/**
 * Runs the fixture under systemd-socket-activate. The activator execs its child only on the
 * first activity, so we poke the first socket (an IPv4 one) once it listens.
 */
function activate(
  args: string[],
  poke: () => void,
  command = (node: string, fixture: string) => [node, fixture],
): Promise<Inspected> {
  const fixture = path.join(repoRoot, 'test/fixtures/inspect-fds.mjs');
  const child = spawn('systemd-socket-activate', [...args, ...command(process.execPath, fixture)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const listens = args.filter((a) => a === '-l').length;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`systemd-socket-activate timed out; stderr: ${stderr}`));
    }, 10_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => {
      const before = (stderr.match(/Listening on /g) ?? []).length;
      stderr += d;
      const after = (stderr.match(/Listening on /g) ?? []).length;
      if (before < listens && after >= listens) poke();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`exit ${code}; stderr: ${stderr}`));
      try {
        resolve(JSON.parse(stdout) as Inspected);
      } catch (err) {
        return reject(new Error(`bad output ${JSON.stringify(stdout)}; stderr: ${stderr}`, { cause: err }));
      }
    });
  });
}

function pokeUdp(port: number): void {
  const s = dgram.createSocket('udp4');
  s.send('poke', port, '127.0.0.1', () => s.close());
}

/** Both ways of inspecting an fd told the same about every inherited fd. */
function sameBothWays(r: Inspected): void {
  for (const { fallback, ...f } of r.fds) {
    const { info, error, code } = f;
    assert.deepEqual({ info, error, code }, { info: fallback.info, error: fallback.error, code: fallback.code }, `fd ${f.fd}`);
  }
}

function infoOf(r: Inspected, i: number): SocketInfo {
  const entry = r.fds[i];
  assert.ok(entry?.info, `fd entry ${i}: ${JSON.stringify(entry)}`);
  return entry.info;
}

describe('inherited sockets from systemd-socket-activate', () => {
  test('stream: 127.0.0.1:P, [::]:P, /path.sock, with names', async (t) => {
    if (!prerequisite(t, haveCommand('systemd-socket-activate'), 'systemd-socket-activate not installed')) return;
    if (!prerequisite(t, haveCommand('ss'), 'ss (iproute2) not installed')) return;
    const p4 = await freePort('tcp', '127.0.0.1');
    const p6 = await freePort('tcp', '::');
    const sockPath = `/tmp/mrsocko-activate-${process.pid}.sock`;
    rmSync(sockPath, { force: true });
    try {
      const r = await activate(
        ['-l', `127.0.0.1:${p4}`, '-l', `[::]:${p6}`, '-l', sockPath, '--fdname=web:admin:local'],
        () => net.connect(p4, '127.0.0.1').on('error', () => {}).on('connect', function (this: net.Socket) { this.destroy(); }),
      );
      assert.equal(r.ignored, undefined);
      assert.deepEqual(r.fds.map((f) => [f.fd, f.name]), [[3, 'web'], [4, 'admin'], [5, 'local']]);
      sameBothWays(r);
      const [a, b, c] = [infoOf(r, 0), infoOf(r, 1), infoOf(r, 2)];
      assert.deepEqual([a.type, a.family, a.local, a.listening], ['stream', 'inet', `127.0.0.1:${p4}`, true]);
      assert.deepEqual([b.type, b.family, b.local, b.listening, b.v6only], ['stream', 'inet6', `[::]:${p6}`, true, false]);
      assert.deepEqual([c.type, c.family, c.local, c.listening], ['stream', 'unix', sockPath, true]);
      // systemd asks for a huge backlog (as Backlog= does by default); the kernel clamps it
      for (const info of [a, b, c]) assert.equal(info.backlog, somaxconn, describeSocket(info));
      for (const info of [a, b, c]) assert.ok(matchesProtocol(info, 'tcp'));
    } finally {
      rmSync(sockPath, { force: true });
    }
  });

  test('datagram: 127.0.0.1:P, [::]:P and a unix path, unnamed', async (t) => {
    if (!prerequisite(t, haveCommand('systemd-socket-activate'), 'systemd-socket-activate not installed')) return;
    const p4 = await freePort('udp', '127.0.0.1');
    const p6 = await freePort('udp', '::');
    const sockPath = `/tmp/mrsocko-activate-dgram-${process.pid}.sock`;
    rmSync(sockPath, { force: true });
    try {
      const r = await activate(['-d', '-l', `127.0.0.1:${p4}`, '-l', `[::]:${p6}`, '-l', sockPath], () => pokeUdp(p4));
      assert.deepEqual(r.fds.map((f) => [f.fd, f.name]), [[3, 'unknown'], [4, 'unknown'], [5, 'unknown']]);
      sameBothWays(r);
      const [a, b, c] = [infoOf(r, 0), infoOf(r, 1), infoOf(r, 2)];
      assert.deepEqual([a.type, a.family, a.local, a.listening, a.backlog], ['dgram', 'inet', `127.0.0.1:${p4}`, false, undefined]);
      assert.deepEqual([b.type, b.family, b.local, b.listening], ['dgram', 'inet6', `[::]:${p6}`, false]);
      if (haveCommand('ss')) assert.equal(b.v6only, false);
      assert.deepEqual([c.type, c.family, c.local], ['dgram', 'unix', sockPath]);
      assert.ok(matchesProtocol(a, 'udp'));
      assert.ok(matchesProtocol(b, 'udp'));
      assert.equal(matchesProtocol(c, 'udp'), false);
      assert.match(protocolMismatch(c, 'udp') ?? '', /^fd 5 \(AF_UNIX dgram .*\): Node\.js cannot adopt AF_UNIX datagram sockets/);
    } finally {
      rmSync(sockPath, { force: true });
    }
  });

  test('datagram [::]:P with --fdname', async (t) => {
    if (!prerequisite(t, haveCommand('systemd-socket-activate'), 'systemd-socket-activate not installed')) return;
    const p4 = await freePort('udp', '127.0.0.1');
    const p6 = await freePort('udp', '::');
    const r = await activate(['-d', '-l', `127.0.0.1:${p4}`, '-l', `[::]:${p6}`, '--fdname=dns:discovery'], () => pokeUdp(p4));
    sameBothWays(r);
    assert.deepEqual(r.fds.map((f) => [f.fd, f.name, f.info?.family, f.info?.type, f.info?.local]), [
      [3, 'dns', 'inet', 'dgram', `127.0.0.1:${p4}`],
      [4, 'discovery', 'inet6', 'dgram', `[::]:${p6}`],
    ]);
  });

  test('--seqpacket: a unix SOCK_SEQPACKET socket is refused, naming the fd, both ways', async (t) => {
    if (!prerequisite(t, haveCommand('systemd-socket-activate'), 'systemd-socket-activate not installed')) return;
    if (!prerequisite(t, haveCommand('python3'), 'python3 not installed')) return;
    const sockPath = `/tmp/mrsocko-activate-seq-${process.pid}.sock`;
    rmSync(sockPath, { force: true });
    // Node cannot connect a SOCK_SEQPACKET socket; python3 can
    const connect = `import socket; socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).connect(${JSON.stringify(sockPath)})`;
    try {
      const r = await activate(['--seqpacket', '-l', sockPath], () => spawn('python3', ['-c', connect]).on('error', () => {}));
      sameBothWays(r);
      assert.equal(r.fds[0]?.code, 'MRSOCKO_SOCKET');
      assert.match(r.fds[0]?.error ?? '', /^fd 3 is an AF_UNIX SOCK_SEQPACKET socket \(ListenSequentialPacket=\)/);
    } finally {
      rmSync(sockPath, { force: true });
    }
  });

  test('variables inherited by a grandchild: LISTEN_PID is not ours, ignored with the reason', async (t) => {
    if (!prerequisite(t, haveCommand('systemd-socket-activate'), 'systemd-socket-activate not installed')) return;
    const p4 = await freePort('udp', '127.0.0.1');
    // "; true" keeps sh from exec'ing node, so node is sh's child and LISTEN_PID names sh.
    const r = await activate(['-d', '-l', `127.0.0.1:${p4}`], () => pokeUdp(p4), (node, fixture) => ['sh', '-c', `"${node}" "${fixture}"; true`]);
    assert.deepEqual(r.fds, []);
    assert.match(r.ignored ?? '', new RegExp(`^LISTEN_PID=\\d+ is not our pid ${r.pid}: .*ignoring LISTEN_FDS=1$`));
  });
});
