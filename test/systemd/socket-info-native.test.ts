// inspectSocketFd through the native addon (native/sockinfo.c) against the /proc and ss
// way, on real sockets of every kind: the same SocketInfo, the same errors, and none of the
// /proc/net reads or ss runs that made a start slow on a busy host.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MrsockoError } from '../../src/errors.js';
import { inspectSocketFd, type SocketInfo } from '../../src/systemd/socket-info.js';
import { nativeClass } from '../../src/native/addon.js';
import { haveCommand, isRoot, prerequisite } from '../helpers/require.js';
import { fixture } from '../helpers/paths.js';

const addonBuilt = typeof nativeClass('inspectSocket') === 'function';
const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));

type Outcome = { info: SocketInfo; error?: undefined; code?: undefined } | { info?: undefined; error: string; code: string };

interface BothWays {
  pid: number;
  native: string;
  fds: Record<string, { fd: number; native: Outcome; fallback: Outcome }>;
}

function outcome(fd: number, options: Parameters<typeof inspectSocketFd>[1]): Outcome {
  try {
    return { info: inspectSocketFd(fd, options) };
  } catch (err) {
    if (!(err instanceof MrsockoError)) throw err;
    return { error: err.message, code: err.code };
  }
}

describe('inspectSocketFd through the native addon', () => {
  test('every kind of socket: the addon and /proc + ss give the same SocketInfo, or the same error', (t) => {
    if (!prerequisite(t, addonBuilt, 'the native addon is not built (npm run build:native)')) return;
    if (!prerequisite(t, haveCommand('python3'), 'python3 not installed')) return;
    if (!prerequisite(t, haveCommand('ss'), 'ss (iproute2) not installed')) return;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mrsocko-sockinfo-'));
    try {
      const run = spawnSync('python3', [fixture('sockets-then-exec.py'), dir, process.execPath, fixture('inspect-both.mjs')], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(run.status, 0, run.stderr);
      const r = JSON.parse(run.stdout) as BothWays;
      assert.equal(r.native, 'loaded');
      const { 'tcp4-other-netns': otherNetns, ...same } = r.fds;
      for (const [label, { native, fallback }] of Object.entries(same)) assert.deepEqual(native, fallback, label);

      const info = (label: string): SocketInfo => {
        const entry = r.fds[label];
        assert.ok(entry?.native.info, `${label}: ${JSON.stringify(entry)}`);
        return entry.native.info;
      };
      const brief = (label: string) => {
        const i = info(label);
        return [i.type, i.family, i.listening, i.backlog, i.v6only];
      };
      assert.deepEqual(brief('tcp4'), ['stream', 'inet', true, 37, undefined]);
      assert.match(info('tcp4').local, /^127\.0\.0\.1:\d+$/);
      assert.deepEqual(brief('tcp4-connected'), ['stream', 'inet', false, undefined, undefined]);
      // listen(2) clamps the backlog to net.core.somaxconn
      assert.deepEqual(brief('tcp4-any-huge'), ['stream', 'inet', true, somaxconn, undefined]);
      assert.deepEqual(brief('tcp6-v6only'), ['stream', 'inet6', true, 19, true]);
      assert.match(info('tcp6-v6only').local, /^\[::1\]:\d+$/);
      assert.deepEqual(brief('tcp6-dual'), ['stream', 'inet6', true, 7, false]);
      assert.equal(info('tcp6-mapped').host, '::ffff:127.0.0.1');
      assert.deepEqual(brief('udp4'), ['dgram', 'inet', false, undefined, undefined]);
      assert.deepEqual(brief('udp6-v6only'), ['dgram', 'inet6', false, undefined, true]);
      assert.deepEqual(brief('udp6-dual'), ['dgram', 'inet6', false, undefined, false]);
      // ss -l lists unconnected datagram sockets only, so its v6only is unknown here: the same
      assert.deepEqual(brief('udp6-connected'), ['dgram', 'inet6', false, undefined, undefined]);
      assert.deepEqual(brief('unix-stream'), ['stream', 'unix', true, 23, undefined]);
      assert.equal(info('unix-stream').local, path.join(dir, 'stream.sock'));
      // an abstract name as /proc/net/unix prints it: "@" first, every NUL as "@"
      assert.deepEqual(brief('unix-abstract'), ['stream', 'unix', true, 5, undefined]);
      assert.equal(info('unix-abstract').local, `@mrsocko-${r.pid}@x`);
      assert.deepEqual(brief('unix-dgram'), ['dgram', 'unix', false, undefined, undefined]);
      assert.equal(info('unix-dgram').local, path.join(dir, 'dgram.sock'));
      assert.equal(info('unix-unnamed').local, '');
      assert.deepEqual([info('unix-pair').local, info('unix-pair').listening], ['', false]);
      for (const i of Object.values(r.fds)) if (i.native.info) assert.equal(i.native.info.fd, i.fd);

      const refused = (label: string): string => {
        const entry = r.fds[label];
        assert.equal(entry?.native.code, 'MRSOCKO_SOCKET', `${label}: ${JSON.stringify(entry)}`);
        return entry.native.error ?? '';
      };
      assert.match(refused('unix-seqpacket'), /^fd \d+ is an AF_UNIX SOCK_SEQPACKET socket \(ListenSequentialPacket=\)/);
      assert.match(refused('netlink'), /^fd \d+ is socket inode \d+ but it is in none of \/proc\/net\/\{tcp,tcp6,udp,udp6,unix\}: not an AF_INET/);
      assert.match(refused('pipe'), /^fd \d+ is not a socket: it is pipe:\[\d+\]$/);
      assert.match(refused('devnull'), /^fd \d+ is not a socket: it is \/dev\/null$/);

      // Where the two differ: a socket of another network namespace is in none of our
      // /proc/net tables, but it answers for itself; sock_diag (ours) does not know it.
      if (isRoot) {
        assert.ok(otherNetns, 'python3 made no socket in another network namespace');
        assert.match(otherNetns.fallback.error ?? '', /^fd \d+ is socket inode \d+ but it is in none of .*another network namespace$/);
        const adopted = otherNetns.native.info;
        assert.deepEqual([adopted?.type, adopted?.family, adopted?.host, adopted?.listening, adopted?.backlog], ['stream', 'inet', '0.0.0.0', true, undefined]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the addon reads no /proc/net and runs no ss', async (t) => {
    if (!prerequisite(t, addonBuilt, 'the native addon is not built (npm run build:native)')) return;
    if (!prerequisite(t, haveCommand('ss'), 'ss (iproute2) not installed')) return;
    const realSs = spawnSync('sh', ['-c', 'command -v ss'], { encoding: 'utf8' }).stdout.trim();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mrsocko-sockinfo-'));
    const emptyProc = path.join(dir, 'proc');
    const calls = path.join(dir, 'calls');
    const fakeSs = path.join(dir, 'ss');
    writeFileSync(fakeSs, `#!/bin/sh\necho "$*" >> '${calls}'\nexec '${realSs}' "$@"\n`);
    chmodSync(fakeSs, 0o755);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0, backlog: 29 }, resolve));
    try {
      const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
      const quiet = { procRoot: emptyProc, ss: fakeSs };
      const native = inspectSocketFd(fd, quiet);
      assert.equal(existsSync(calls), false, 'ss ran');
      assert.equal(native.backlog, 29);
      // the same, the /proc way, from the real /proc and through the recording ss
      assert.deepEqual(inspectSocketFd(fd, { ss: fakeSs, native: false }), native);
      assert.match(readFileSync(calls, 'utf8'), /-Hltne/);
      // and the /proc way cannot work from there at all: the options did take
      assert.throws(() => inspectSocketFd(fd, { ...quiet, native: false }), /is not open \(ENOENT\)/);
      // an fd that is not open: the addon defers to the /proc way's message
      assert.deepEqual(outcome(987, {}), outcome(987, { native: false }));
      assert.match(outcome(987, {}).error ?? '', /^fd 987 is not open \(ENOENT\)$/);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
