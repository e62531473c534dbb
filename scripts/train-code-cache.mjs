// The code cache of scripts/bundle.mjs, made from a real start: a daemon on loopback that
// launches a backend for one client, proxies its answer and stops — socket-activated as
// the units run it, where systemd-socket-activate is installed. A cache made by
// `run --help` holds the modules' top-level code only; every function of a start (the
// config's parsing, the sockets, the first client's admission, the launch) is then
// compiled while a socket-activated mrsocko's first client waits, several ms of it on a
// small machine (docs/performance.md). V8 saves what has been compiled when the cache is
// written (scripts/bin-loader.cjs, at the end of the run), so this run puts the start's
// functions in it too. Returns why it could not (the caller keeps the `run --help` cache).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const TIMEOUT_MS = 15_000;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** One client through the daemon on `port`: what the backend answered. */
function ask(port) {
  return new Promise((resolve, reject) => {
    let got = '';
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write('x'));
    socket.on('data', (chunk) => (got += chunk));
    socket.once('end', () => resolve(got));
    socket.once('error', reject);
  });
}

/** systemd-socket-activate, if installed. */
function socketActivate() {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/bin', '/bin'];
  return dirs.map((d) => path.join(d, 'systemd-socket-activate')).find((f) => {
    try {
      fs.accessSync(f, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** `node` (with `flags`) runs `bin run` under MRSOCKO_WRITE_CODE_CACHE=`cache`; undefined once the cache is written. */
export async function trainCodeCache({ node, flags, bin, cache }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mrsocko-train-'));
  const [port, backendPort] = [await freePort(), await freePort()];
  const config = path.join(dir, 'train.conf');
  fs.writeFileSync(config, [
    '[service]',
    // it ends by itself, should this run fail and leave it behind
    `exec = ${node} -e "require('net').createServer((s) => s.end('ok')).listen(${backendPort}, '127.0.0.1'); setTimeout(process.exit, ${TIMEOUT_MS})"`,
    'stop_timeout = 2s',
    '[socket.web]',
    `listen = 127.0.0.1:${port}`,
    `backend = 127.0.0.1:${backendPort}`,
    '',
  ].join('\n'), { mode: 0o644 });
  const env = { ...process.env, MRSOCKO_WRITE_CODE_CACHE: cache, MRSOCKO_RUNTIME_DIR: path.join(dir, 'run') };
  for (const name of ['NOTIFY_SOCKET', 'LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'JOURNAL_STREAM', 'WATCHDOG_USEC', 'NODE_OPTIONS']) delete env[name];
  const run = [node, ...flags, bin, 'run', '--config', config];
  const activate = socketActivate();
  // systemd-socket-activate passes on only the variables it is given, and execs mrsocko (same pid) at the first client
  const [command, ...args] = activate === undefined ? run : [activate, '-l', `127.0.0.1:${port}`, '--fdname=web',
    ...['MRSOCKO_WRITE_CODE_CACHE', 'MRSOCKO_RUNTIME_DIR', 'PATH'].flatMap((name) => ['-E', `${name}=${env[name] ?? ''}`]), ...run];
  const daemon = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  daemon.stdout.on('data', (chunk) => (output += chunk));
  daemon.stderr.on('data', (chunk) => (output += chunk));
  let gone = false;
  const exited = new Promise((resolve) => daemon.once('exit', (code, signal) => {
    gone = true;
    resolve(code ?? signal);
  }));
  const timer = setTimeout(() => daemon.kill('SIGKILL'), TIMEOUT_MS);
  try {
    let answer;
    // until it listens (refused meanwhile)
    for (;;) {
      if (gone) throw new Error('exited before it served');
      try {
        answer = await ask(port);
        break;
      } catch (err) {
        if (err.code !== 'ECONNREFUSED') throw err;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    if (answer !== 'ok') throw new Error(`the backend's answer came through as ${JSON.stringify(answer)}`);
    daemon.kill('SIGTERM');
    const status = await exited;
    if (status !== 0) throw new Error(`exited with ${status}`);
    return fs.existsSync(cache) ? undefined : 'no cache written';
  } catch (err) {
    daemon.kill('SIGKILL');
    await exited;
    return `${err instanceof Error ? err.message : String(err)}${output ? `; its output:\n${output}` : ''}`;
  } finally {
    clearTimeout(timer);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
