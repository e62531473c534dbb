// `npm run bench`: mrsocko against systemd-socket-proxyd, socat and a direct connection, on
// this machine, in one run (and against a plain Node.js proxy, the floor for any proxy
// written on Node.js). Every proxy runs under systemd-socket-activate (as under a
// .socket unit) in front of the same backend; runs alternate (direct, proxyd, socat,
// mrsocko, direct, …) for several rounds and the table shows medians. Prints markdown on
// stdout (paste it into docs/performance.md), progress on stderr.
//
// Measures: bulk throughput (iperf3, 1 and 8 streams) and the proxy's CPU time per GB moved;
// UDP throughput (iperf3 -u, as fast as it can send); small HTTP requests (wrk against
// nginx) over keep-alive connections and with a new connection per request; mrsocko's
// cold start overhead (connect → first byte with the backend stopped, minus the backend's
// own start time); its idle footprint (RSS, CPU over 60 s); RSS per idle open connection;
// what the front door's per-connection features cost (the PROXY protocol header, the
// peek of starting_page and wake_on = data: bench/frontdoor.ts); connect → first byte with
// the backend frozen against the same backend stopped (bench/freeze.ts).
// mrsocko runs twice side by side: on its native data path (native/, splice()) and with
// MRSOCKO_DATA_PATH=js (the JavaScript copy loop).
//
// Environment (defaults fit a 2-core machine, about 10 minutes in all):
//   BENCH_ROUNDS=3            rounds of alternating runs per measure
//   BENCH_IPERF_SECONDS=3     per iperf3 run (plus 1 s omitted as warm-up)
//   BENCH_WRK_SECONDS=5       per wrk run
//   BENCH_WRK_CONNECTIONS=16  BENCH_WRK_THREADS=1
//   BENCH_COLD_REPS=12        cold starts per mrsocko
//   BENCH_FIRST_REPS=5        first connections per mrsocko, each to a freshly started one
//   BENCH_IDLE_SECONDS=60     each of the two idle CPU windows (shorter for quick runs)
//   BENCH_IDLE_CONNECTIONS=5000
//   BENCH_FRONTDOOR_CYCLES=1500   connections to each of off, v1, v2 for the PROXY header's cost
//   BENCH_PEEK_CYCLES=12      starts per peek variant (none, starting_page, wake_on = data)
//   BENCH_PEEK_CONNECTIONS=100        clients held per start
//   BENCH_FREEZE_CYCLES=10    thaws, and cold starts, per mrsocko
//   BENCH_ONLY=throughput,udp,http,cold,idle,conns,frontdoor,freeze   a subset
//   BENCH_TARGETS=direct,proxyd,socat,node,mrsocko,mrsocko-js   a subset of the peers (node: bench/node-proxy.ts;
//                             mrsocko: its native data path when built, mrsocko-js: MRSOCKO_DATA_PATH=js)
//   BENCH_EXTRA_MRSOCKO=label=/path/to/dist/mrsocko.cjs[,…]  more mrsocko builds, side by side
//   BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"         more node options for every mrsocko
//                             (after the units' own, NODE_FLAGS of src/systemd/units.ts)
//   BENCH_NO_INSTALL=1        do not run contrib/bench-deps.sh
//   BENCH_OUT=FILE            also write the markdown there
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import dgram from 'node:dgram';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  clockTicks, cpuNs, cpuTicks, cpuTicksWithChildren, groupCpuTicks, establishedTo, firstByte, freePorts, installCleanup, rememberGroup, rssBytes, run, sleep, start,
  stopAll, waitForPort, waitListening, type Proc,
} from './procs.js';
import { fmt, fmt3, median, quantile, ratio } from './stats.js';
import { wrk } from './wrk.js';
import { ColdBackend } from './cold-backend-files.js';
import { frontdoorPhase, frontdoorRows, frontdoorRuns, type FrontdoorResult } from './frontdoor.js';
import { freezePhase, freezeRows, freezeRuns, type FreezeResult } from './freeze.js';
import type { PhaseContext, Target } from './context.js';
import { NODE_FLAGS } from '../src/systemd/units.js';
import { DATA_PATH_ENV, chooseDataPath } from '../src/proxy/data-path.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const distBench = here; // dist/bench
const mainCli = path.join(repoRoot, 'dist/mrsocko.cjs');

const num = (name: string, def: number): number => {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${v}: expected a positive number`);
  return n;
};
const S = {
  rounds: num('BENCH_ROUNDS', 3),
  iperfSeconds: num('BENCH_IPERF_SECONDS', 3),
  wrkSeconds: num('BENCH_WRK_SECONDS', 5),
  wrkConnections: num('BENCH_WRK_CONNECTIONS', 16),
  wrkThreads: num('BENCH_WRK_THREADS', 1),
  coldReps: num('BENCH_COLD_REPS', 12),
  firstReps: num('BENCH_FIRST_REPS', 5),
  idleSeconds: num('BENCH_IDLE_SECONDS', 60),
  idleConnections: num('BENCH_IDLE_CONNECTIONS', 5000),
  frontdoor: {
    cycles: num('BENCH_FRONTDOOR_CYCLES', 1500),
    peekCycles: num('BENCH_PEEK_CYCLES', 12),
    peekConnections: num('BENCH_PEEK_CONNECTIONS', 100),
  },
  freezeCycles: num('BENCH_FREEZE_CYCLES', 10),
};
const ALL_PHASES = ['throughput', 'udp', 'http', 'cold', 'idle', 'conns', 'frontdoor', 'freeze'] as const;
type Phase = (typeof ALL_PHASES)[number];
const only = new Set((process.env.BENCH_ONLY ?? ALL_PHASES.join(',')).split(',').map((s) => s.trim()).filter(Boolean));
for (const p of only) if (!(ALL_PHASES as readonly string[]).includes(p)) throw new Error(`BENCH_ONLY: unknown phase ${p}`);
const want = (p: Phase): boolean => only.has(p);

const PROXYD = ['/lib/systemd/systemd-socket-proxyd', '/usr/lib/systemd/systemd-socket-proxyd'].find((p) => fs.existsSync(p)) ??
  '/lib/systemd/systemd-socket-proxyd';
/** mrsocko runs with the flags its units give it (src/systemd/units.ts), then BENCH_NODE_ARGS. */
const NODE_ARGS = [...NODE_FLAGS, ...(process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean)];
/** Open files for the proxies, nginx and the connection holder: 65536, or the hard limit when lower (raising it needs CAP_SYS_RESOURCE). */
const NOFILE = (() => {
  const hard = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
  return hard === 'unlimited' || !/^\d+$/.test(hard) ? 65536 : Math.min(65536, Number(hard));
})();

// ---- targets ----

function targets(): Target[] {
  const base: Target[] = [
    { id: 'direct', label: 'direct', kind: 'direct' },
    { id: 'proxyd', label: 'systemd-socket-proxyd', kind: 'proxyd' },
    { id: 'socat', label: 'socat', kind: 'socat' },
    { id: 'node', label: 'plain Node.js proxy', kind: 'node' },
    { id: 'mrsocko', label: nativeLabel(), kind: 'mrsocko', cli: mainCli },
    { id: 'mrsocko-js', label: 'mrsocko (JS path)', kind: 'mrsocko', cli: mainCli, env: { [DATA_PATH_ENV]: 'js' } },
  ];
  const pick = process.env.BENCH_TARGETS?.split(',').map((s) => s.trim());
  const list = pick ? base.filter((t) => pick.includes(t.id)) : base;
  for (const spec of (process.env.BENCH_EXTRA_MRSOCKO ?? '').split(',').filter(Boolean)) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new Error(`BENCH_EXTRA_MRSOCKO: expected label=/path/to/mrsocko.cjs, got ${spec}`);
    const cli = path.resolve(spec.slice(eq + 1));
    if (!fs.existsSync(cli)) throw new Error(`BENCH_EXTRA_MRSOCKO: no ${cli}`);
    list.push({ id: spec.slice(0, eq), label: spec.slice(0, eq), kind: 'mrsocko', cli });
  }
  return list;
}

/** The default mrsocko's label: its native data path, unless the addon is not built here. */
function nativeLabel(): string {
  const path = chooseDataPath({});
  if (path.name === 'native') return 'mrsocko (native)';
  log(`warning: ${path.why}: the default mrsocko runs the JavaScript path too`);
  return 'mrsocko (JS path: addon not built)';
}

// ---- shared setup ----

let work = '';
let notifySocket = '';

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/** Config lines the frontdoor and freeze phases need; a build from before them (BENCH_EXTRA_MRSOCKO) is left out. */
const FRONTDOOR_KEYS = ['[socket.web]', 'listen = 127.0.0.1:1', 'backend = 127.0.0.1:2', 'proxy_protocol = v2', 'starting_page = yes', '[access]', 'wake_on = data'];
const FREEZE_KEYS = ['[socket.web]', 'listen = 127.0.0.1:1', 'backend = 127.0.0.1:2', '[idle]', 'freeze = 1s'];

/** The targets that are not mrsocko, and the mrsocko builds whose `check` accepts `keys`. */
function knowing(ts: readonly Target[], keys: readonly string[]): Target[] {
  const file = writeMrsockoConfig('keys-check', ['[service]', 'exec = /bin/true', ...keys, ''].join('\n'));
  return ts.filter((t) => {
    if (t.kind !== 'mrsocko') return true;
    const check = spawnSync(process.execPath, [t.cli as string, 'check', '--config', file], { encoding: 'utf8' });
    if (check.status !== 0) log(`${t.label}: left out of this phase, its mrsocko check refuses the config: ${check.stderr.trim().split('\n')[0] ?? ''}`);
    return check.status === 0;
  });
}

function writeMrsockoConfig(name: string, body: string): string {
  const file = path.join(work, `${name}.conf`);
  fs.writeFileSync(file, body);
  return file;
}

/**
 * argv as systemd runs a service: with SIGPIPE ignored (IgnoreSIGPIPE=yes, the default).
 * systemd-socket-proxyd relies on it: with SIGPIPE at its default, the first splice() to a
 * client that has gone kills it.
 */
function asService(argv: string[]): string[] {
  return ['sh', '-c', 'trap "" PIPE; exec "$@"', 'sh', ...argv];
}

/**
 * A mrsocko under systemd-socket-activate, listening on `port` (its [socket.web]), or on
 * each port of `sockets` (named after their [socket.NAME]); not yet activated: that takes
 * a connection.
 */
function startMrsocko(t: Target, name: string, port: number | Readonly<Record<string, number>>, config: string): Proc {
  const sockets = Object.entries(typeof port === 'number' ? { web: port } : port);
  const argv = [
    'prlimit', `--nofile=${NOFILE}:${NOFILE}`, '--',
    'systemd-socket-activate', ...sockets.flatMap(([, p]) => ['-l', `127.0.0.1:${p}`]), `--fdname=${sockets.map(([n]) => n).join(':')}`,
    '-E', `NOTIFY_SOCKET=${notifySocket}`, '-E', `MRSOCKO_RUNTIME_DIR=${work}/run-${name}`, '-E', `PATH=${process.env.PATH ?? ''}`,
    ...Object.entries(t.env ?? {}).flatMap(([k, v]) => ['-E', `${k}=${v}`]),
    process.execPath, ...NODE_ARGS, t.cli as string, 'run', '--config', config,
  ];
  return start(`${t.label} (${name})`, asService(argv));
}

/** A mrsocko binding its own sockets (standalone: systemd-socket-activate cannot pass TCP and UDP together). */
function startMrsockoStandalone(t: Target, name: string, config: string): Proc {
  const argv = [
    'prlimit', `--nofile=${NOFILE}:${NOFILE}`, '--', process.execPath, ...NODE_ARGS, t.cli as string, 'run', '--config', config,
  ];
  const env = { PATH: process.env.PATH ?? '', NOTIFY_SOCKET: notifySocket, MRSOCKO_RUNTIME_DIR: `${work}/run-${name}`, ...t.env };
  return start(`${t.label} (${name})`, asService(argv), { env });
}

/** The backend of the bulk and HTTP measures is already running: mrsocko's `exec` is a placeholder that lives as long as mrsocko. */
const PLACEHOLDER_EXEC = `/bin/sh -c "exec tail --pid=$PPID -f /dev/null"`;

function proxyConfig(port: number, backendPort: number): string {
  return [
    '[service]',
    `exec = ${PLACEHOLDER_EXEC}`,
    'start_timeout = 20s',
    'stop_timeout = 5s',
    '[socket.web]',
    `listen = 127.0.0.1:${port}`,
    `backend = 127.0.0.1:${backendPort}`,
    '[idle]',
    'timeout = infinity',
    '[access]',
    `max_connections = ${NOFILE}`,
    `max_per_source = ${NOFILE}`,
    '',
  ].join('\n');
}

interface Instance {
  target: Target;
  port: number;
  proc?: Proc;
  /** Further processes of this proxy (socat's UDP relay). */
  more?: Proc[];
}

/** One proxy of `t` in front of 127.0.0.1:backendPort; `direct` is the backend itself. */
async function startProxy(t: Target, name: string, backendPort: number, port: number): Promise<Instance> {
  const inst = proxyInstance(t, name, backendPort, port);
  if (inst.proc) await waitListening(inst.port);
  return inst;
}

function proxyInstance(t: Target, name: string, backendPort: number, port: number): Instance {
  const backend = `127.0.0.1:${backendPort}`;
  switch (t.kind) {
    case 'direct':
      return { target: t, port: backendPort };
    case 'proxyd':
      return {
        target: t,
        port,
        proc: start(`proxyd (${name})`, asService([
          'prlimit', `--nofile=${NOFILE}:${NOFILE}`, '--',
          'systemd-socket-activate', '-l', `127.0.0.1:${port}`, PROXYD, `--connections-max=${NOFILE}`, backend,
        ])),
      };
    case 'socat':
      // Debian 12's socat (1.7.4) cannot take a listening fd (ACCEPT-FD came in 1.8), so under
      // socket activation it runs inetd-style: one socat per connection (Accept=yes).
      return {
        target: t,
        port,
        proc: start(`socat (${name})`, asService([
          'systemd-socket-activate', '--accept', '-l', `127.0.0.1:${port}`, 'socat', 'FD:3', `TCP:${backend}`,
        ])),
      };
    case 'node':
      // the floor for any proxy written on Node.js (bench/node-proxy.ts)
      return {
        target: t,
        port,
        proc: start(`plain Node.js proxy (${name})`, asService([
          'prlimit', `--nofile=${NOFILE}:${NOFILE}`, '--',
          'systemd-socket-activate', '-l', `127.0.0.1:${port}`, process.execPath, path.join(distBench, 'node-proxy.js'), String(backendPort),
        ])),
      };
    case 'mrsocko':
      return { target: t, port, proc: startMrsocko(t, `${name}-${t.id}`, port, writeMrsockoConfig(`${name}-${t.id}`, proxyConfig(port, backendPort))) };
  }
}

/** What the phases in their own files (frontdoor.ts, freeze.ts) use of this one. */
function phaseContext(): PhaseContext {
  return {
    work,
    log,
    mrsocko: (t, name, sockets, config) => startMrsocko(t, name, sockets, writeMrsockoConfig(name, config)),
    rewriteConfig: (name, config) => void writeMrsockoConfig(name, config),
    placeholderExec: PLACEHOLDER_EXEC,
    nginx: startNginx,
  };
}

/** The first connection activates the proxy; for mrsocko, wait until its backend counts as running. */
async function activate(inst: Instance, poke: () => Promise<void>): Promise<void> {
  await poke();
  if (inst.target.kind === 'mrsocko' && inst.proc) await inst.proc.waitForLine(/backend .* ready after/, 20_000);
}

// ---- load tools ----

async function iperf(port: number, streams: number, seconds: number, reverse = false, udp = false): Promise<number> {
  const argv = [
    'iperf3', '-c', '127.0.0.1', '-p', String(port), '-t', String(seconds), '-O', '1', '-P', String(streams), '-J', ...(reverse ? ['-R'] : []),
    // UDP: as fast as the sender can, in datagrams that fit a 1500-byte MTU; the rate is what arrived
    ...(udp ? ['-u', '-b', '0', '-l', '1400'] : []),
  ];
  for (let attempt = 0; ; attempt++) {
    const { code, output } = await run('iperf3', argv, { timeoutMs: (seconds + 30) * 1000, allowFailure: true });
    let json: { error?: string; end?: { sum_received?: { bits_per_second?: number } } } = {};
    try {
      json = JSON.parse(output) as typeof json;
    } catch {
      // not JSON: reported below
    }
    const bps = json.end?.sum_received?.bits_per_second;
    if (code === 0 && bps !== undefined) return bps / 1e9;
    // the server may still be finishing the previous test ("busy")
    if (attempt < 3) {
      await sleep(500);
      continue;
    }
    throw new Error(`iperf3 through port ${port} failed: ${json.error ?? output.slice(-1000)}`);
  }
}

function httpGet(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let got = '';
    s.setTimeout(20_000, () => s.destroy(new Error(`no HTTP answer on port ${port} within 20 s`)));
    s.on('connect', () => s.write('GET /small.txt HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n'));
    s.on('data', (d) => (got += d.toString()));
    s.on('end', () => (got.startsWith('HTTP/1.1 200') ? resolve() : reject(new Error(`bad answer on port ${port}: ${got.slice(0, 100)}`))));
    s.on('error', reject);
  });
}

// ---- the measures ----

type Series = Map<string, number[]>; // target id → values of the runs

interface Results {
  /** client → backend (upload) */
  tput1: Series;
  tput8: Series;
  /** backend → client (download: a media server's direction) */
  tput1R: Series;
  tput8R: Series;
  /** the proxy's CPU during the 8-stream runs, % of one core */
  cpu8: Series;
  cpu8R: Series;
  /** the proxy's CPU time per GB moved, ms */
  gb1: Series;
  gb8: Series;
  gb1R: Series;
  gb8R: Series;
  /** UDP, iperf3 -u as fast as it sends: received Gbit/s, and CPU ms per GB received */
  udp: Series;
  udpR: Series;
  udpGb: Series;
  udpGbR: Series;
  /** the proxy's CPU per request, µs */
  kaCpu: Series;
  ncCpu: Series;
  kaRps: Series;
  kaP50: Series;
  kaP99: Series;
  ncRps: Series;
  ncP50: Series;
  ncP99: Series;
  errors: Map<string, number>;
  cold: Map<string, ColdResult>;
  idle: Map<string, IdleResult>;
  conns: Map<string, ConnsResult>;
  frontdoor?: FrontdoorResult;
  freeze?: FreezeResult;
}

const push = (s: Series, id: string, v: number): void => {
  const list = s.get(id) ?? [];
  list.push(v);
  s.set(id, list);
};

/**
 * The proxy's CPU time (ms) used from now until the returned function is called (NaN for
 * `direct`). socat's per-connection processes count once reaped: call `settle` first.
 */
function cpuMeter(inst: Instance): () => number {
  const pids = [inst.proc?.pid, ...(inst.more ?? []).map((p) => p.pid)].filter((p): p is number => p !== undefined);
  if (pids.length === 0) return () => NaN;
  const hz = clockTicks();
  // socat forks a process per connection (TCP) or per client (UDP): count its whole process group
  const one = inst.target.kind === 'socat' ? groupCpuTicks : cpuTicksWithChildren;
  const ticks = (): number => pids.reduce((sum, pid) => sum + one(pid), 0);
  const before = ticks();
  return () => ((ticks() - before) * 1000) / hz;
}

/** After a run: socat's per-connection processes exit and are reaped, so that no CPU time is lost between them. */
async function settle(inst: Instance): Promise<void> {
  if (inst.target.kind === 'socat') await sleep(300);
}

/** CPU ms per GB (10⁹ bytes) moved at `gbps` for `ms`. */
const perGB = (cpuMs: number, gbps: number, ms: number): number => cpuMs / ((gbps * ms) / 8e3);

async function throughputPhase(ts: Target[], r: Results): Promise<void> {
  const [iperfPort, ...ports] = await freePorts(ts.length + 1);
  const server = start('iperf3 -s', ['iperf3', '-s', '-p', String(iperfPort), '-B', '127.0.0.1']);
  await waitForPort(iperfPort as number);
  await sleep(300);
  const insts = await Promise.all(ts.map((t, i) => startProxy(t, 'iperf', iperfPort as number, ports[i] as number)));
  for (const inst of insts) {
    await activate(inst, async () => void (await iperf(inst.port, 1, 1)));
    await iperf(inst.port, 8, 1); // warm-up
  }
  for (const reverse of [false, true]) {
    for (const streams of [1, 8]) {
      const series = reverse ? (streams === 1 ? r.tput1R : r.tput8R) : streams === 1 ? r.tput1 : r.tput8;
      for (let round = 1; round <= S.rounds; round++) {
        for (const inst of insts) {
          const cpu = cpuMeter(inst);
          const t0 = performance.now();
          const gbps = await iperf(inst.port, streams, S.iperfSeconds, reverse);
          const ms = performance.now() - t0;
          await settle(inst);
          const cpuMs = cpu();
          push(series, inst.target.id, gbps);
          if (streams === 8) push(reverse ? r.cpu8R : r.cpu8, inst.target.id, (cpuMs / ms) * 100);
          // the bytes of the whole run: iperf3's rate (after the omitted second) over all of it
          push(reverse ? (streams === 1 ? r.gb1R : r.gb8R) : streams === 1 ? r.gb1 : r.gb8, inst.target.id, perGB(cpuMs, gbps, ms));
          log(`throughput ${reverse ? 'backend → client' : 'client → backend'}, ${streams} stream${streams > 1 ? 's' : ''}, ` +
            `round ${round}: ${inst.target.label} ${gbps.toFixed(2)} Gbit/s`);
        }
      }
    }
  }
  await Promise.all(insts.map((i) => i.proc?.stop()));
  await server.stop();
}

/** A proxy of `t` for both TCP (iperf3's control connection) and UDP on `port`; undefined for peers without UDP. */
async function startUdpProxy(t: Target, backendPort: number, port: number): Promise<Instance | undefined> {
  const backend = `127.0.0.1:${backendPort}`;
  switch (t.kind) {
    case 'direct':
      return { target: t, port: backendPort };
    case 'proxyd':
    case 'node':
      return undefined; // TCP only
    case 'socat': {
      // one relay per protocol; UDP4-LISTEN with fork: a child per client address, as for TCP
      const tcp = start('socat tcp (udp)', asService(['socat', `TCP4-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, `TCP4:${backend}`]));
      const udp = start('socat udp', asService(['socat', '-T', '30', `UDP4-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, `UDP4:${backend}`]));
      await waitListening(port);
      return { target: t, port, proc: tcp, more: [udp] };
    }
    case 'mrsocko': {
      const config = writeMrsockoConfig(`udp-${t.id}`, [
        '[service]', `exec = ${PLACEHOLDER_EXEC}`, 'start_timeout = 20s', 'stop_timeout = 5s',
        '[socket.control]', `listen = 127.0.0.1:${port}`, `backend = ${backend}`,
        '[socket.data]', `listen = 127.0.0.1:${port}`, 'protocol = udp', `backend = ${backend}`,
        '[idle]', 'timeout = infinity', '',
      ].join('\n'));
      const proc = startMrsockoStandalone(t, `udp-${t.id}`, config);
      await waitListening(port);
      return { target: t, port, proc };
    }
  }
}

async function udpPhase(ts: Target[], r: Results): Promise<void> {
  const [iperfPort, ...ports] = await freePorts(ts.length + 1);
  const server = start('iperf3 -s (udp)', ['iperf3', '-s', '-p', String(iperfPort), '-B', '127.0.0.1']);
  await waitForPort(iperfPort as number);
  // iperf3's server opens its UDP port only during a test. A UDP backend that refuses
  // datagrams is one that has gone, for mrsocko (its readiness waits for it, a refused flow
  // restarts it): a stand-in keeps the port bound for the whole phase (SO_REUSEADDR, as
  // iperf3 binds it; iperf3's socket, connected to its client, gets that client's datagrams).
  const standIn = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((resolve, reject) => {
    standIn.once('error', reject);
    standIn.bind(iperfPort as number, '127.0.0.1', () => resolve());
  });
  standIn.on('message', () => undefined);
  await sleep(300);
  const insts: Instance[] = [];
  for (const [i, t] of ts.entries()) {
    const inst = await startUdpProxy(t, iperfPort as number, ports[i] as number);
    if (inst === undefined) continue;
    insts.push(inst);
    // the first test's control connection starts mrsocko's backend
    await activate(inst, async () => void (await iperf(inst.port, 1, 1, false, true)));
  }
  for (const reverse of [false, true]) {
    for (let round = 1; round <= S.rounds; round++) {
      for (const inst of insts) {
        const cpu = cpuMeter(inst);
        const t0 = performance.now();
        const gbps = await iperf(inst.port, 1, S.iperfSeconds, reverse, true);
        const ms = performance.now() - t0;
        await settle(inst);
        push(reverse ? r.udpR : r.udp, inst.target.id, gbps);
        push(reverse ? r.udpGbR : r.udpGb, inst.target.id, perGB(cpu(), gbps, ms));
        log(`udp ${reverse ? 'backend → client' : 'client → backend'}, round ${round}: ${inst.target.label} ${gbps.toFixed(2)} Gbit/s received`);
      }
    }
  }
  await Promise.all(insts.flatMap((i) => [i.proc?.stop(), ...(i.more ?? []).map((p) => p.stop())]));
  standIn.close();
  await server.stop();
}

async function startNginx(port: number, proxyProtocolPorts: readonly number[] = []): Promise<Proc> {
  const dir = path.join(work, 'nginx');
  fs.mkdirSync(path.join(dir, 'html'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'html', 'small.txt'), 'x'.repeat(99) + '\n'); // a 100-byte file
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, `
worker_processes 1;
daemon off;
master_process on;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
worker_rlimit_nofile ${NOFILE};
events { worker_connections ${NOFILE}; }
http {
  access_log off;
  default_type text/plain;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  client_header_timeout 300s;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port} backlog=4096;${proxyProtocolPorts.map((p) => `
    listen 127.0.0.1:${p} backlog=4096 proxy_protocol;`).join('')}
    root ${dir}/html;
  }
}
`);
  const nginx = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p)) ?? 'nginx';
  const p = start('nginx', ['prlimit', `--nofile=${NOFILE}:${NOFILE}`, '--', nginx, '-e', `${dir}/error.log`, '-p', dir, '-c', conf]);
  await waitForPort(port);
  return p;
}

async function httpPhase(ts: Target[], r: Results): Promise<void> {
  const wrkLoad = { connections: S.wrkConnections, threads: S.wrkThreads };
  const [nginxPort, ...ports] = await freePorts(ts.length + 1);
  const nginx = await startNginx(nginxPort as number);
  const insts = await Promise.all(ts.map((t, i) => startProxy(t, 'http', nginxPort as number, ports[i] as number)));
  for (const inst of insts) {
    await activate(inst, () => httpGet(inst.port));
    await wrk(inst.port, { ...wrkLoad, seconds: 1, close: false }); // warm-up
  }
  for (const close of [false, true]) {
    for (let round = 1; round <= S.rounds; round++) {
      for (const inst of insts) {
        const cpu = cpuMeter(inst);
        const res = await wrk(inst.port, { ...wrkLoad, seconds: S.wrkSeconds, close });
        await settle(inst);
        const id = inst.target.id;
        push(close ? r.ncCpu : r.kaCpu, id, (cpu() * 1000) / res.requests);
        push(close ? r.ncRps : r.kaRps, id, res.rps);
        push(close ? r.ncP50 : r.kaP50, id, res.p50);
        push(close ? r.ncP99 : r.kaP99, id, res.p99);
        const errs = res.errors + res.non2xx;
        if (errs > 0) r.errors.set(`${close ? 'new-connection' : 'keep-alive'} ${inst.target.label}`, (r.errors.get(`${close ? 'new-connection' : 'keep-alive'} ${inst.target.label}`) ?? 0) + errs);
        log(`http ${close ? 'new connection per request' : 'keep-alive'}, round ${round}: ${inst.target.label} ` +
          `${Math.round(res.rps)} req/s, p50 ${fmt(res.p50, 3)} ms, p99 ${fmt(res.p99, 3)} ms${errs ? `, ${errs} errors` : ''}`);
      }
    }
  }
  await Promise.all(insts.map((i) => i.proc?.stop()));
  await nginx.stop();
}

// ---- cold start ----

interface ColdSample {
  readyAtMs: number;
  /** the client's connect → its first byte back */
  totalMs: number;
  /** the backend's own start: process creation + its start → listening */
  ownMs: number;
  /** the backend's own answer: the client's byte arrived → answer written */
  answerMs: number;
  /** total − own − answer: what mrsocko adds */
  overheadMs: number;
  /** connect → the backend's process began (less process creation) */
  launchMs: number;
  /** listening → the first connection accepted (mrsocko's readiness probe) */
  detectMs: number;
  /** that probe → the held client's connection accepted by the backend */
  releaseMs: number;
  /** accepted → the client's first byte arrived at the backend */
  forwardMs: number;
  /** answer written → first byte at the client */
  returnMs: number;
  /** probe connections the backend saw before the client's */
  probes: number;
  /** The first connection only: mrsocko's CPU (all threads) from its exec to its "launched" line. */
  startCpuMs?: number;
}

interface ColdResult {
  samples: ColdSample[];
  /** The very first connection: mrsocko itself not running yet (activated by it), once per fresh start. */
  first: ColdSample[];
  execGapMs: number;
}

interface ColdInstance {
  target: Target;
  port: number;
  backend: ColdBackend;
  proc: Proc;
}

/** How long process creation takes before the backend's own clock starts (spawn → performance.timeOrigin). */
async function calibrateExecGap(backendPort: number): Promise<number> {
  const gaps: number[] = [];
  const backend = new ColdBackend(work, 'calibrate', backendPort);
  for (let i = 0; i < 7; i++) {
    const seen = backend.lines().length;
    const t0 = process.hrtime.bigint();
    const [cmd, ...args] = backend.argv;
    const child = spawn(cmd as string, args, { stdio: 'ignore', detached: true });
    rememberGroup(child.pid as number, 'cold-backend');
    const rep = (await backend.linesAfter(seen, 'listen', 1, 2500))[0];
    if (rep?.type !== 'listen') throw new Error('cold start: the calibration backend did not report listening within 2.5 s');
    gaps.push(Number(BigInt(rep.start) - t0) / 1e6);
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      // gone
    }
    await new Promise((res) => (child.exitCode !== null ? res(null) : child.once('exit', res)));
  }
  return median(gaps.slice(1)); // the first one loads node from disk
}

function coldConfig(port: number, backend: ColdBackend): string {
  return backend.config(port, ['timeout = 300ms'], ['[access]', `max_connections = ${NOFILE}`, `max_per_source = ${NOFILE}`]);
}

/**
 * mrsocko's CPU from now (systemd-socket-activate still waiting in its pid: it execs node
 * in place) to the line that says the backend was launched: what its start costs.
 */
function startCpu(proc: Proc): Promise<number> {
  const before = cpuNs(proc.pid);
  const from = proc.output().length;
  return new Promise((resolve) => {
    const seen = (): void => {
      if (!/ launched as pid /.test(proc.output().slice(from))) return;
      proc.child.stdout?.off('data', seen);
      resolve((cpuNs(proc.pid) - before) / 1e6);
    };
    proc.child.stdout?.on('data', seen);
    // no such line (a start that failed is reported by the cycle itself)
    setTimeout(() => resolve(NaN), 30_000).unref();
  });
}

/** One cold start: the backend (ready `readyAtMs` after its process starts) is stopped; connect, send a byte, time the first byte back. */
async function coldCycle(ci: ColdInstance, readyAtMs: number, execGapMs: number, first = false): Promise<ColdSample> {
  ci.backend.readyAt(readyAtMs);
  const reportedBefore = ci.backend.lines().length;
  const mark = ci.proc.output().length;
  const cpu = first ? startCpu(ci.proc) : undefined;
  const { start: t0, first: tFirst } = await firstByte(ci.port, 'x');
  const fresh = await ci.backend.linesAfter(reportedBefore, 'conn', 1);
  const listenLine = fresh.find((l) => l.type === 'listen');
  const conn = fresh.find((l) => l.type === 'conn');
  if (fresh.length !== 2 || listenLine?.type !== 'listen' || conn?.type !== 'conn') {
    throw new Error(`cold start: expected one backend start and one answered connection, the report has: ${JSON.stringify(fresh)}`);
  }
  const ms = (a: bigint, b: bigint): number => Number(a - b) / 1e6;
  const start = BigInt(listenLine.start);
  const listen = BigInt(listenLine.listen);
  const accept = BigInt(conn.accept);
  const data = BigInt(conn.data);
  const respond = BigInt(conn.respond);
  const totalMs = ms(tFirst, t0);
  const ownMs = ms(listen, start) + execGapMs;
  const answerMs = ms(respond, data);
  // wait for mrsocko to stop the backend again (idle timeout 300 ms)
  await ci.proc.waitForLine(/backend .* stopped after/, 20_000, mark);
  await sleep(100);
  return {
    readyAtMs,
    totalMs,
    ownMs,
    answerMs,
    overheadMs: totalMs - ownMs - answerMs,
    launchMs: ms(start, t0) - execGapMs,
    detectMs: ms(BigInt(conn.firstAccept), listen),
    releaseMs: ms(accept, BigInt(conn.firstAccept)),
    forwardMs: ms(data, accept),
    returnMs: ms(tFirst, respond),
    probes: conn.probes,
    startCpuMs: await cpu,
  };
}

async function coldPhase(ts: Target[], reps: number, r: Results): Promise<ColdInstance[]> {
  const mr = ts.filter((t) => t.kind === 'mrsocko');
  const ports = await freePorts(mr.length * 2 + 1);
  const execGapMs = await calibrateExecGap(ports[0] as number);
  log(`cold start: process creation before the backend's clock starts: ${execGapMs.toFixed(2)} ms (subtracted as the backend's own)`);
  const insts: ColdInstance[] = mr.map((t, i) => {
    const port = ports[1 + 2 * i] as number;
    const backend = new ColdBackend(work, `cold-${t.id}`, ports[2 + 2 * i] as number);
    const config = writeMrsockoConfig(`cold-${t.id}`, coldConfig(port, backend));
    r.cold.set(t.id, { samples: [], first: [], execGapMs });
    return { target: t, port, backend, proc: startMrsocko(t, `cold-${t.id}`, port, config) };
  });
  // The first connection, mrsocko not running yet: one sample per start of mrsocko (a
  // single one varies by tens of ms with the machine's load), the builds taking turns in
  // one order, then the other.
  for (let i = 0; i < S.firstReps; i++) {
    for (const ci of i % 2 === 0 ? insts : [...insts].reverse()) {
      if (i > 0) {
        await ci.proc.stop();
        ci.proc = startMrsocko(ci.target, `cold-${ci.target.id}`, ci.port, path.join(work, `cold-${ci.target.id}.conf`));
      }
      await waitListening(ci.port);
      const first = await coldCycle(ci, 500, execGapMs, true);
      r.cold.get(ci.target.id)?.first.push(first);
      log(`cold start, first connection ${i + 1}/${S.firstReps} (mrsocko not running yet): ${ci.target.label} +${first.overheadMs.toFixed(1)} ms ` +
        `(launch ${first.launchMs.toFixed(1)}; mrsocko's CPU to the launch ${first.startCpuMs?.toFixed(1)} ms)`);
    }
  }
  // ready times spread over 0.1–1.1 s after the backend's process starts
  for (let i = 0; i < reps; i++) {
    const readyAt = Math.round(100 + ((i * 0.618034) % 1) * 1000);
    for (const ci of insts) {
      const s = await coldCycle(ci, readyAt, execGapMs);
      r.cold.get(ci.target.id)?.samples.push(s);
      log(`cold start ${i + 1}/${reps}: ${ci.target.label} ready at ${readyAt} ms: connect→first byte ${s.totalMs.toFixed(1)} ms, ` +
        `overhead ${s.overheadMs.toFixed(1)} ms (launch ${s.launchMs.toFixed(1)}, detect ${s.detectMs.toFixed(1)}, release ${s.releaseMs.toFixed(1)}, ` +
        `forward ${s.forwardMs.toFixed(1)}, return ${s.returnMs.toFixed(1)}; backend answered in ${s.answerMs.toFixed(2)}; ${s.probes} probes)`);
    }
  }
  return insts;
}

// ---- idle footprint ----

interface IdleResult {
  rssBytes: number;
  /** CPU (all threads, from schedstat) in the first window, right after the backend stopped */
  cpuMs: number;
  /** the same from /proc/PID/stat utime+stime (10 ms ticks) */
  cpuTicksMs: number;
  /** CPU in the window after that: steady idle */
  laterCpuMs: number;
  seconds: number;
}

interface IdleWindow {
  finish(): Promise<Map<string, IdleResult>>;
}

function mrsockoPid(proc: Proc): number {
  const cmd = fs.readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8');
  // before the first connection it is still systemd-socket-activate, which then execs node
  if (cmd.split('\0')[0] !== process.execPath) throw new Error(`pid ${proc.pid} is not mrsocko yet: ${cmd.replace(/\0/g, ' ')}`);
  return proc.pid;
}

/**
 * Two windows of S.idleSeconds each, back to back, starting 1 s after the backend stopped:
 * the first holds what follows activity (V8's memory-reducing GCs run a few seconds after
 * allocation stops), the second is steady idle. The samples are taken by timers, on time,
 * while the other measures run (they load the CPU, not this process).
 */
async function startIdleWindow(insts: ColdInstance[]): Promise<IdleWindow> {
  await sleep(1000); // let the last stop settle
  const hz = clockTicks();
  const windowMs = S.idleSeconds * 1000;
  const sample = () => insts.map((ci) => {
    const pid = mrsockoPid(ci.proc);
    return { id: ci.target.id, pid, ns: cpuNs(pid), ticks: cpuTicks(pid) };
  });
  const t0 = Date.now();
  const s0 = sample();
  log(`idle: measuring ${insts.map((i) => i.target.label).join(', ')} for 2 × ${S.idleSeconds} s (the other measures run meanwhile)`);
  const at = (ms: number) => new Promise<ReturnType<typeof sample>>((resolve) => setTimeout(() => resolve(sample()), ms));
  const s1 = at(windowMs);
  const s2 = at(2 * windowMs);
  return {
    async finish() {
      const left = t0 + 2 * windowMs - Date.now();
      if (left > 1000) log(`idle: waiting ${Math.ceil(left / 1000)} s more`);
      const [a, b] = await Promise.all([s1, s2]);
      const out = new Map<string, IdleResult>();
      for (const [i, first] of s0.entries()) {
        const mid = a[i] as (typeof a)[number];
        const end = b[i] as (typeof b)[number];
        out.set(first.id, {
          rssBytes: rssBytes(first.pid),
          cpuMs: (mid.ns - first.ns) / 1e6,
          cpuTicksMs: ((mid.ticks - first.ticks) * 1000) / hz,
          laterCpuMs: (end.ns - mid.ns) / 1e6,
          seconds: S.idleSeconds,
        });
      }
      return out;
    },
  };
}

// ---- idle open connections ----

interface ConnsResult {
  count: number;
  opened: number;
  rssBefore: number;
  rssAfter: number;
  perConnection: number;
}

async function connsPhase(ts: Target[], r: Results): Promise<void> {
  const mr = ts.filter((t) => t.kind === 'mrsocko');
  const [nginxPort, ...ports] = await freePorts(mr.length + 1);
  const nginx = await startNginx(nginxPort as number);
  for (const [i, t] of mr.entries()) {
    const inst = await startProxy(t, 'conns', nginxPort as number, ports[i] as number);
    await activate(inst, () => httpGet(inst.port));
    for (let k = 0; k < 20; k++) await httpGet(inst.port); // warm the connection path
    await sleep(1500);
    const pid = mrsockoPid(inst.proc as Proc);
    const rssBefore = rssBytes(pid);
    const baseline = establishedTo(nginxPort as number);
    const holder = start('hold-connections', [
      'prlimit', `--nofile=${NOFILE}:${NOFILE}`, '--',
      process.execPath, path.join(distBench, 'hold-connections.js'), String(inst.port), String(S.idleConnections),
    ]);
    const line = await holder.waitForLine(/^open \d+/, 60_000);
    const opened = Number(/^open (\d+)/.exec(line)?.[1] ?? 0);
    const until = Date.now() + 30_000;
    while (establishedTo(nginxPort as number) - baseline < opened && Date.now() < until) await sleep(100);
    const through = establishedTo(nginxPort as number) - baseline;
    await sleep(2000);
    const rssAfter = rssBytes(pid);
    const result: ConnsResult = {
      count: S.idleConnections,
      opened: Math.min(opened, through),
      rssBefore,
      rssAfter,
      perConnection: (rssAfter - rssBefore) / Math.max(1, Math.min(opened, through)),
    };
    r.conns.set(t.id, result);
    log(`idle connections: ${t.label}: ${opened} open (${through} through to nginx); RSS ${mb(rssBefore)} → ${mb(rssAfter)} MB, ` +
      `${(result.perConnection / 1024).toFixed(2)} KiB per connection`);
    await holder.stop();
    await inst.proc?.stop();
  }
  await nginx.stop();
}

const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);

// ---- report ----

function machine(): { box: string; tools: string } {
  const cpu = /model name\s*:\s*(.+)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown CPU';
  const mem = (os.totalmem() / 2 ** 30).toFixed(0);
  const debian = fs.existsSync('/etc/debian_version') ? `Debian ${fs.readFileSync('/etc/debian_version', 'utf8').trim()}` : os.type();
  const version = (argv: string[], pattern: RegExp): string => {
    const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
    return pattern.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`)?.[0] ?? `${argv[0]} ?`;
  };
  return {
    box: `${cpu}, ${os.cpus().length} cores, ${mem} GiB RAM; Linux ${os.release()}, ${debian}, Node.js ${process.version}`,
    tools: [
      version(['iperf3', '--version'], /iperf [\d.]+/),
      version(['wrk', '-v'], /wrk \S+/),
      version(['/usr/sbin/nginx', '-v'], /nginx\/[\d.]+/),
      version(['socat', '-V'], /socat version [\d.]+/),
      version(['systemd-socket-activate', '--version'], /systemd \d+/),
    ].join(', '),
  };
}

function report(ts: Target[], r: Results, meta: { startedAt: Date; seconds: number; load: string[] }): string {
  const out: string[] = [];
  const proxyd = ts.find((t) => t.kind === 'proxyd');
  const direct = ts.find((t) => t.kind === 'direct');
  const mrsockos = ts.filter((t) => t.kind === 'mrsocko');
  const socat = ts.find((t) => t.kind === 'socat');
  const node = ts.find((t) => t.kind === 'node');
  const ratioCols = [...mrsockos, ...(node ? [node] : []), ...(socat ? [socat] : [])];
  const git = (args: string[]): string => spawnSync('git', ['-C', repoRoot, ...args], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const commit = git(['rev-parse', '--short', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--untracked-files=no', '--', 'src']) !== '' ? ' with uncommitted changes in src/' : '';
  out.push(`Measured ${meta.startedAt.toISOString().slice(0, 10)} by \`npm run bench\`${commit ? ` at ${commit}${dirty}` : ''} (${Math.round(meta.seconds / 60)} min; ` +
    `${S.rounds} alternating rounds per figure, medians). Machine: ${machine().box}.`);
  out.push('');
  const rows: { name: string; s: Series; unit: (x: number) => string }[] = [
    { name: 'throughput client → backend, 1 stream (Gbit/s)', s: r.tput1, unit: (x: number) => fmt(x, 2) },
    { name: 'throughput client → backend, 8 streams (Gbit/s)', s: r.tput8, unit: (x: number) => fmt(x, 2) },
    { name: 'throughput backend → client, 1 stream (Gbit/s)', s: r.tput1R, unit: (x: number) => fmt(x, 2) },
    { name: 'throughput backend → client, 8 streams (Gbit/s)', s: r.tput8R, unit: (x: number) => fmt(x, 2) },
    { name: 'proxy CPU, 8 streams client → backend (% of a core)', s: r.cpu8, unit: (x: number) => fmt(x, 0) },
    { name: 'proxy CPU, 8 streams backend → client (% of a core)', s: r.cpu8R, unit: (x: number) => fmt(x, 0) },
    { name: 'proxy CPU per GB, client → backend, 1 stream (ms)', s: r.gb1, unit: (x: number) => fmt(x, 0) },
    { name: 'proxy CPU per GB, client → backend, 8 streams (ms)', s: r.gb8, unit: (x: number) => fmt(x, 0) },
    { name: 'proxy CPU per GB, backend → client, 1 stream (ms)', s: r.gb1R, unit: (x: number) => fmt(x, 0) },
    { name: 'proxy CPU per GB, backend → client, 8 streams (ms)', s: r.gb8R, unit: (x: number) => fmt(x, 0) },
    { name: 'UDP throughput client → backend, received (Gbit/s)', s: r.udp, unit: (x: number) => fmt(x, 2) },
    { name: 'UDP throughput backend → client, received (Gbit/s)', s: r.udpR, unit: (x: number) => fmt(x, 2) },
    { name: 'UDP: proxy CPU per GB received, client → backend (ms)', s: r.udpGb, unit: (x: number) => fmt(x, 0) },
    { name: 'UDP: proxy CPU per GB received, backend → client (ms)', s: r.udpGbR, unit: (x: number) => fmt(x, 0) },
    { name: 'keep-alive: requests/s', s: r.kaRps, unit: (x: number) => fmt3(x) },
    { name: 'keep-alive: p50 latency (ms)', s: r.kaP50, unit: (x: number) => fmt(x, 3) },
    { name: 'keep-alive: p99 latency (ms)', s: r.kaP99, unit: (x: number) => fmt(x, 3) },
    { name: 'keep-alive: proxy CPU per request (µs)', s: r.kaCpu, unit: (x: number) => fmt(x, 1) },
    { name: 'new connection per request: requests/s', s: r.ncRps, unit: (x: number) => fmt3(x) },
    { name: 'new connection per request: p50 latency (ms)', s: r.ncP50, unit: (x: number) => fmt(x, 3) },
    { name: 'new connection per request: p99 latency (ms)', s: r.ncP99, unit: (x: number) => fmt(x, 3) },
    { name: 'new connection per request: proxy CPU per request (µs)', s: r.ncCpu, unit: (x: number) => fmt(x, 1) },
  ].filter((row) => row.s.size > 0);
  if (rows.length > 0) {
    const head = ['measure', ...ts.map((t) => t.label)];
    for (const t of ratioCols) {
      if (direct) head.push(`${t.label} ÷ direct`);
      if (proxyd) head.push(`${t.label} ÷ proxyd`);
    }
    out.push(`| ${head.join(' | ')} |`);
    out.push(`|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`);
    for (const row of rows) {
      const med = (t: Target | undefined): number => (t ? median(row.s.get(t.id) ?? []) : NaN);
      const cells = [row.name, ...ts.map((t) => row.unit(med(t)))];
      for (const t of ratioCols) {
        if (direct) cells.push(ratio(med(t), med(direct)));
        if (proxyd) cells.push(ratio(med(t), med(proxyd)));
      }
      out.push(`| ${cells.join(' | ')} |`);
    }
    out.push('');
  }
  // mrsocko's own figures
  const own: string[][] = [];
  const col = (f: (t: Target) => string): string[] => mrsockos.map(f);
  if (r.cold.size > 0) {
    const c = (t: Target): ColdResult | undefined => r.cold.get(t.id);
    own.push(['cold start: overhead, median (ms)', ...col((t) => fmt(median(c(t)?.samples.map((s) => s.overheadMs) ?? []), 1))]);
    own.push(['cold start: overhead, worst (ms)', ...col((t) => fmt(quantile(c(t)?.samples.map((s) => s.overheadMs) ?? [], 1), 1))]);
    const part = (f: (s: ColdSample) => number, d = 1) => (t: Target): string => fmt(median(c(t)?.samples.map(f) ?? []), d);
    own.push(['… client connects → backend process begins (ms, median)', ...col(part((s) => s.launchMs))]);
    own.push(['… backend listening → mrsocko\'s probe accepted (ms, median)', ...col(part((s) => s.detectMs))]);
    own.push(['… probe accepted → held client accepted (ms, median)', ...col(part((s) => s.releaseMs))]);
    own.push(['… accepted → client\'s first byte at the backend (ms, median)', ...col(part((s) => s.forwardMs))]);
    own.push(['… backend\'s answer → client (ms, median)', ...col(part((s) => s.returnMs))]);
    const firsts = (t: Target): number[] => (c(t)?.first ?? []).map((s) => s.overheadMs);
    own.push([`first connection, mrsocko itself not running: overhead, median of ${S.firstReps} starts (ms)`, ...col((t) => fmt(median(firsts(t)), 0))]);
    own.push(['first connection, mrsocko itself not running: overhead, worst (ms)', ...col((t) => fmt(Math.max(...firsts(t)), 0))]);
    own.push(['… mrsocko\'s CPU from its exec to launching the backend (ms, median)',
      ...col((t) => fmt(median((c(t)?.first ?? []).map((s) => s.startCpuMs ?? NaN)), 1))]);
  }
  if (r.idle.size > 0) {
    const secs = [...r.idle.values()][0]?.seconds ?? S.idleSeconds;
    own.push(['idle: RSS (MB)', ...col((t) => mb(r.idle.get(t.id)?.rssBytes ?? NaN))]);
    own.push([`idle: CPU in the first ${Math.round(secs)} s after the backend stopped (ms)`, ...col((t) => {
      const i = r.idle.get(t.id);
      return i ? `${fmt(i.cpuMs, 1)} (stat: ${fmt(i.cpuTicksMs, 0)})` : '—';
    })]);
    own.push([`idle: CPU in the ${Math.round(secs)} s after that (ms)`, ...col((t) => fmt(r.idle.get(t.id)?.laterCpuMs ?? NaN, 1))]);
  }
  if (r.conns.size > 0) {
    const n = [...r.conns.values()][0]?.count ?? S.idleConnections;
    own.push([`${n.toLocaleString('en-US')} idle connections: RSS before → after (MB)`, ...col((t) => {
      const c = r.conns.get(t.id);
      return c ? `${mb(c.rssBefore)} → ${mb(c.rssAfter)}` : '—';
    })]);
    own.push(['per idle open connection (KiB)', ...col((t) => fmt((r.conns.get(t.id)?.perConnection ?? NaN) / 1024, 2))]);
  }
  if (r.frontdoor) own.push(...frontdoorRows(r.frontdoor, mrsockos));
  if (r.freeze) own.push(...freezeRows(r.freeze, mrsockos));
  if (own.length > 0) {
    out.push(`| mrsocko alone | ${mrsockos.map((t) => t.label).join(' | ')} |`);
    out.push(`| --- |${mrsockos.map(() => ' ---: ').join('|')}|`);
    for (const row of own) out.push(`| ${row.join(' | ')} |`);
    out.push('');
  }
  // targets
  const m = mrsockos[0];
  if (m) {
    const tgt: string[][] = [];
    const vs = (s: Series): number => median(s.get(m.id) ?? []) / median(proxyd ? s.get(proxyd.id) ?? [] : []);
    const line = (name: string, ok: boolean | undefined, figure: string): void => {
      if (ok === undefined) return;
      tgt.push([name, figure, ok ? 'met' : '**not met**']);
    };
    const def = (x: number): boolean | undefined => (Number.isFinite(x) ? true : undefined);
    for (const [name, series] of [
      ['throughput client → backend, 1 stream', r.tput1], ['throughput client → backend, 8 streams', r.tput8],
      ['throughput backend → client, 1 stream', r.tput1R], ['throughput backend → client, 8 streams', r.tput8R],
    ] as const) {
      const x = vs(series);
      line(`${name} ≥ 0.9 × proxyd`, def(x) && x >= 0.9, `${fmt(x, 2)}×`);
    }
    for (const [name, series] of [
      ['CPU per GB, client → backend, 1 stream', r.gb1], ['CPU per GB, client → backend, 8 streams', r.gb8],
      ['CPU per GB, backend → client, 1 stream', r.gb1R], ['CPU per GB, backend → client, 8 streams', r.gb8R],
    ] as const) {
      const x = vs(series);
      line(`${name} ≤ 1.0 × proxyd`, def(x) && x <= 1.0, `${fmt(x, 2)}×`);
    }
    for (const [name, series] of [['UDP client → backend', r.udp], ['UDP backend → client', r.udpR]] as const) {
      const x = median(series.get(m.id) ?? []) / median(socat ? series.get(socat.id) ?? [] : []);
      line(`${name} ≥ 1.0 × socat`, def(x) && x >= 1.0, `${fmt(x, 2)}×`);
    }
    const ka = vs(r.kaRps);
    line('keep-alive requests/s ≥ 1.0 × proxyd', def(ka) && ka >= 1.0, `${fmt(ka, 2)}×`);
    const nc = vs(r.ncRps);
    line('new-connection requests/s ≥ 1.0 × proxyd', def(nc) && nc >= 1.0, `${fmt(nc, 2)}×`);
    const kp = vs(r.kaP99);
    line('keep-alive p99 ≤ 1.5 × proxyd', def(kp) && kp <= 1.5, `${fmt(kp, 2)}×`);
    const np = vs(r.ncP99);
    line('new-connection p99 ≤ 1.5 × proxyd', def(np) && np <= 1.5, `${fmt(np, 2)}×`);
    const cold = median(r.cold.get(m.id)?.samples.map((s) => s.overheadMs) ?? []);
    line('cold-start overhead ≤ 5 ms', def(cold) && cold <= 5, `${fmt(cold, 1)} ms`);
    // issue 18: the first connection when mrsocko itself is not running, every one of the fresh starts
    const firsts = (r.cold.get(m.id)?.first ?? []).map((s) => s.overheadMs);
    const worstFirst = firsts.length > 0 ? Math.max(...firsts) : NaN;
    line(`first connection, mrsocko not running, worst of ${firsts.length} ≤ 100 ms`, def(worstFirst) && worstFirst <= 100, `${fmt(worstFirst, 0)} ms`);
    const idle = r.idle.get(m.id);
    if (idle) {
      line('idle RSS ≤ 45 MB', idle.rssBytes <= 45e6, `${mb(idle.rssBytes)} MB`);
      const per60 = (ms: number): number => (ms * 60) / idle.seconds;
      line('idle CPU ≤ 20 ms per 60 s, right after activity', per60(idle.cpuMs) <= 20, `${fmt(per60(idle.cpuMs), 1)} ms`);
      line('idle CPU ≤ 20 ms per 60 s, steady', per60(idle.laterCpuMs) <= 20, `${fmt(per60(idle.laterCpuMs), 1)} ms`);
    }
    const conns = r.conns.get(m.id);
    if (conns) line('≤ 12 KiB per idle open connection', conns.perConnection <= 12 * 1024, `${fmt(conns.perConnection / 1024, 2)} KiB`);
    if (tgt.length > 0) {
      out.push(`| target (${m.label}) | figure | |`);
      out.push('| --- | ---: | --- |');
      for (const row of tgt) out.push(`| ${row.join(' | ')} |`);
      out.push('');
    }
  }
  out.push(`Tools: ${machine().tools}. ` +
    `Runs of ${S.iperfSeconds} s (iperf3, after 1 s omitted) and ${S.wrkSeconds} s (wrk, ${S.wrkThreads} thread, ${S.wrkConnections} connections, ` +
    `a 100-byte file from nginx with 1 worker). Load average ${meta.load.join(' → ')} (before → after): ` +
    'everything shares the same cores, so absolute figures vary from run to run and machine to machine; compare within a column set of one run.');
  if (r.errors.size > 0) {
    out.push('');
    out.push(`Errors reported by wrk: ${[...r.errors].map(([k, v]) => `${k}: ${v}`).join('; ')}.`);
  }
  // every run, for the noise
  const all: string[] = [];
  const series: [string, Series, number][] = [
    ['throughput up 1 (Gbit/s)', r.tput1, 2], ['throughput up 8 (Gbit/s)', r.tput8, 2],
    ['throughput down 1 (Gbit/s)', r.tput1R, 2], ['throughput down 8 (Gbit/s)', r.tput8R, 2],
    ['CPU per GB up 8 (ms)', r.gb8, 0], ['CPU per GB down 8 (ms)', r.gb8R, 0], ['udp up (Gbit/s)', r.udp, 2], ['udp down (Gbit/s)', r.udpR, 2],
    ['keep-alive req/s', r.kaRps, 0],
    ['keep-alive p99 (ms)', r.kaP99, 3], ['new-conn req/s', r.ncRps, 0], ['new-conn p99 (ms)', r.ncP99, 3],
  ];
  for (const [name, s, d] of series) {
    if (s.size === 0) continue;
    all.push(`- ${name}: ${ts.map((t) => `${t.label} ${(s.get(t.id) ?? []).map((v) => v.toFixed(d)).join(' / ')}`).join('; ')}`);
  }
  for (const t of mrsockos) {
    const c = r.cold.get(t.id);
    if (c) all.push(`- cold start overheads of ${t.label} (ms): ${c.samples.map((s) => `${s.overheadMs.toFixed(1)}@${s.readyAtMs}`).join(', ')} (value@ready time); process creation subtracted: ${c.execGapMs.toFixed(2)} ms`);
  }
  if (r.frontdoor) all.push(...frontdoorRuns(r.frontdoor, mrsockos));
  if (r.freeze) all.push(...freezeRuns(r.freeze, mrsockos));
  if (all.length > 0) {
    out.push('');
    out.push('<details><summary>every run</summary>');
    out.push('');
    out.push(...all);
    out.push('');
    out.push('</details>');
  }
  return out.join('\n') + '\n';
}

// ---- main ----

/** A phase, and how long it took (on stderr). */
async function timed<T>(phase: Phase, run: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  const result = await run();
  log(`${phase}: ${Math.round((Date.now() - t0) / 1000)} s`);
  return result;
}

async function main(): Promise<void> {
  installCleanup();
  if (process.getuid?.() !== 0) log('warning: not root; raising file limits (prlimit) and installing tools may fail');
  if (!process.env.BENCH_NO_INSTALL) {
    const deps = spawnSync('bash', [path.join(repoRoot, 'contrib/bench-deps.sh')], { stdio: ['ignore', 2, 2] });
    if (deps.status !== 0) throw new Error('contrib/bench-deps.sh failed');
  }
  const ts = targets();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'mrsocko-bench-'));
  fs.chmodSync(work, 0o755); // nginx's workers (www-data) read the file served from here
  notifySocket = path.join(work, 'notify.sock');
  // mrsocko gets a NOTIFY_SOCKET, as under systemd, so its STATUS= updates cost what they cost there
  const sink = start('notify sink', ['socat', '-u', `UNIX-RECV:${notifySocket}`, 'OPEN:/dev/null']);
  for (let i = 0; i < 100 && !fs.existsSync(notifySocket); i++) await sleep(10);
  const startedAt = new Date();
  const load = [fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0] as string];
  log(`targets: ${ts.map((t) => t.label).join(', ')}; phases: ${[...only].join(', ')}; work dir ${work}`);
  const r: Results = {
    tput1: new Map(), tput8: new Map(), tput1R: new Map(), tput8R: new Map(), cpu8: new Map(), cpu8R: new Map(),
    gb1: new Map(), gb8: new Map(), gb1R: new Map(), gb8R: new Map(), udp: new Map(), udpR: new Map(), udpGb: new Map(), udpGbR: new Map(), kaCpu: new Map(), ncCpu: new Map(), kaRps: new Map(), kaP50: new Map(), kaP99: new Map(),
    ncRps: new Map(), ncP50: new Map(), ncP99: new Map(), errors: new Map(), cold: new Map(), idle: new Map(), conns: new Map(),
  };
  let window: IdleWindow | undefined;
  try {
    if (want('cold') || want('idle')) {
      const insts = await coldPhase(ts, want('cold') ? S.coldReps : 1, r);
      if (!want('cold')) r.cold.clear();
      if (want('idle')) window = await startIdleWindow(insts);
      else await Promise.all(insts.map((i) => i.proc.stop()));
    }
    if (want('throughput')) await timed('throughput', () => throughputPhase(ts, r));
    if (want('udp')) await timed('udp', () => udpPhase(ts, r));
    if (want('http')) await timed('http', () => httpPhase(ts, r));
    if (window) {
      r.idle = await window.finish();
      for (const [id, i] of r.idle) {
        log(`idle: ${id}: RSS ${mb(i.rssBytes)} MB, CPU ${i.cpuMs.toFixed(1)} ms in the first ${i.seconds} s, ${i.laterCpuMs.toFixed(1)} ms in the next`);
      }
    }
    if (want('conns')) await timed('conns', () => connsPhase(ts, r));
    if (want('frontdoor')) r.frontdoor = await timed('frontdoor', () => frontdoorPhase(phaseContext(), knowing(ts, FRONTDOOR_KEYS), S.frontdoor));
    if (want('freeze')) r.freeze = await timed('freeze', () => freezePhase(phaseContext(), knowing(ts, FREEZE_KEYS), S.freezeCycles));
  } finally {
    await stopAll();
    void sink;
    fs.rmSync(work, { recursive: true, force: true });
  }
  load.push(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0] as string);
  const md = report(ts, r, { startedAt, seconds: (Date.now() - startedAt.getTime()) / 1000, load });
  process.stdout.write(md);
  if (process.env.BENCH_OUT) fs.writeFileSync(process.env.BENCH_OUT, md);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1); // now: pending idle-window timers must not keep it waiting ('exit' kills what is left)
});
