// The bench's `frontdoor` phase: what two front-door features cost per connection, for
// every mrsocko target side by side. Both parts run against one warm nginx (one worker,
// the 100-byte file of the http phase). This machine's load drifts by more than the
// effects (tens of µs), and two processes of the same build differ by as much (their
// heaps, their JIT, when their GCs come), so each target's variants are sockets (or
// settings) of one mrsocko, and the variants alternate as finely as the measure allows:
// each figure is the median of differences paired within a cycle, ± its standard error.
//
// PROXY protocol header ([socket.X] proxy_protocol = v1 | v2). Per target one mrsocko with
// three sockets, `off`, `v1` and `v2`: `off` to nginx's plain port, v1 and v2 each to a
// `listen … proxy_protocol` port of the same server, so the backend reads and parses the
// header as a real one does (and answers 400 without it: the run fails). One client in the
// bench makes sequential connections — connect → GET → response → close, nothing else in
// flight — a cycle being one connection to each socket of each target (see `turns` for
// the order), `cycles` cycles. Per connection: the latency, connect → first byte of the
// answer (mrsocko's accept, its upstream connect, the header, nginx reading it: all
// inside), and mrsocko's CPU time (all threads, schedstat: ns, not 10 ms ticks) from its
// connect to its end (what mrsocko does after that lands in the next connection, which is
// another variant's as often as its own). The table shows v1 − off and v2 − off, paired
// within each cycle: connections a millisecond apart see the same machine.
//
// The peek (starting_page = yes reads a held connection's first bytes to tell a browser's
// request; wake_on = data reads them to wake the backend only on a first byte). Both read
// only held connections — src/session/session.ts starts either only when the backend is
// not running — so on a running backend a connection goes straight through and neither
// costs anything. The cost is paid at a start: per target one mrsocko with two sockets to
// nginx, `plain` and `page` (starting_page = yes, starting_page_after = 0: each request is
// sniffed as it arrives, the most the page does for a connection it does not answer), and
// `wake_on` switched between connect and data by a reload. The exec backend is only a
// placeholder (nginx runs already: readiness takes one probe, no retries) and
// `ready_delay` holds every client of a start for a fixed time. Per start one client
// wakes it and, once it is launched, `peekConnections` more connect at once, each sending
// a GET with `Accept: */*` (not a browser: held to the end); all are released together.
// Three variants: no peek (plain socket, wake on connect), starting_page (page socket,
// wake on connect), wake_on = data (plain socket). Per held connection: mrsocko's CPU time
// while they arrive and are held (accept; with a peek, the read and the sniff), its CPU
// time from their release to the last answer (connect upstream, pass on, close) — the
// table shows the whole and the part while held: without a peek the client's bytes are
// read at the release instead, so only the whole is the peek's cost — and the
// release latency: the first client's first byte back to the last one's, ÷ clients — what
// the last one waits for the others, the peek's share of it on the clients' path (reading
// ahead happens while they wait for the backend anyway). The launch itself is left out
// (its cost varies by milliseconds). A cycle is one start of each variant of each
// target; the table shows each variant minus no peek, paired within the cycle.
import type { PhaseContext, Target } from './context.js';
import { cpuNs, firstByte, freePorts, sleep, waitListening, type Proc } from './procs.js';
import { fmt, median } from './stats.js';

export interface FrontdoorSettings {
  /** Cycles of one connection to each socket of each target (PROXY header). */
  cycles: number;
  /** Starts per peek variant and target. */
  peekCycles: number;
  /** Clients held per start. */
  peekConnections: number;
}

const HEADERS = ['off', 'v1', 'v2'] as const;
type Header = (typeof HEADERS)[number];
const PEEKS = ['off', 'starting_page', 'wake_on'] as const;
type Peek = (typeof PEEKS)[number];

/** One connection: connect → first byte, and mrsocko's CPU time from its connect to its end (µs). */
interface HeaderConnection {
  latencyUs: number;
  cpuUs: number;
}

/** One start with the clients held: µs per held connection. */
interface PeekCycle {
  /** mrsocko's CPU while the clients arrive and are held (accept, and the peek's reading) */
  holdCpuUs: number;
  /** mrsocko's CPU from their release to the last answer (connect upstream, pass on, close) */
  releaseCpuUs: number;
  /** the first client's first byte back to the last one's, ÷ clients */
  releaseUs: number;
}

export interface FrontdoorResult {
  settings: FrontdoorSettings;
  /** target id → socket → its connections, cycle by cycle */
  header: Map<string, Record<Header, HeaderConnection[]>>;
  /** target id → variant → its starts, cycle by cycle */
  peek: Map<string, Record<Peek, PeekCycle[]>>;
}

/** How long a start holds its clients: long enough for all of them to connect first. */
const PEEK_READY_DELAY = '400ms';
const REQUEST = 'GET /small.txt HTTP/1.1\r\nHost: bench\r\nUser-Agent: bench\r\nAccept: */*\r\nConnection: close\r\n\r\n';

/**
 * The order of one cycle: each variant in turn (the order shifts every cycle), and within
 * a variant each target's mrsocko. So every connection or start of a mrsocko follows one of
 * another mrsocko (or, with one target, one of its own), whichever its variant: a process's
 * first work after a pause is slower (its caches are cold), and a fixed order such as
 * A.off, A.v1, A.v2, B.off … would charge that to `off` alone.
 */
function turns<I, V>(insts: readonly I[], variants: readonly V[], cycle: number): { inst: I; variant: V }[] {
  const order = variants.map((_, i) => variants[(i + cycle) % variants.length] as V);
  return order.flatMap((variant) => insts.map((inst) => ({ inst, variant })));
}

const us = (a: bigint, b: bigint): number => Number(a - b) / 1e3;

export async function frontdoorPhase(ctx: PhaseContext, ts: readonly Target[], settings: FrontdoorSettings): Promise<FrontdoorResult> {
  const mr = ts.filter((t) => t.kind === 'mrsocko');
  const r: FrontdoorResult = { settings, header: new Map(), peek: new Map() };
  const [plain, v1, v2] = await freePorts(3);
  const nginx = await ctx.nginx(plain as number, [v1 as number, v2 as number]);
  await headerCost(ctx, mr, settings, r, { off: plain as number, v1: v1 as number, v2: v2 as number });
  await peekCost(ctx, mr, settings, r, plain as number);
  await nginx.stop();
  return r;
}

function headerConfig(ctx: PhaseContext, ports: Record<Header, number>, backends: Record<Header, number>): string {
  return [
    '[service]',
    `exec = ${ctx.placeholderExec}`,
    'start_timeout = 20s',
    'stop_timeout = 5s',
    ...HEADERS.flatMap((h) => [
      `[socket.${h}]`,
      `listen = 127.0.0.1:${ports[h]}`,
      `backend = 127.0.0.1:${backends[h]}`,
      `proxy_protocol = ${h}`,
    ]),
    '[idle]',
    'timeout = infinity',
    '',
  ].join('\n');
}

async function headerCost(ctx: PhaseContext, mr: readonly Target[], s: FrontdoorSettings, r: FrontdoorResult, backends: Record<Header, number>): Promise<void> {
  const free = await freePorts(HEADERS.length * mr.length);
  const insts = mr.map((t, i) => {
    const ports = Object.fromEntries(HEADERS.map((h, k) => [h, free[i * HEADERS.length + k] as number])) as Record<Header, number>;
    return { target: t, ports, proc: ctx.mrsocko(t, `header-${t.id}`, ports, headerConfig(ctx, ports, backends)) };
  });
  for (const inst of insts) {
    await waitListening(inst.ports.off);
    // the first connection starts mrsocko (which counts its backend as running); then a warm-up
    await exchange(inst.ports.off);
    await inst.proc.waitForLine(/backend .* ready after/, 20_000);
    for (let i = 0; i < 100; i++) for (const h of HEADERS) await exchange(inst.ports[h]);
    r.header.set(inst.target.id, { off: [], v1: [], v2: [] });
  }
  for (let cycle = 0; cycle < s.cycles; cycle++) {
    for (const { inst, variant: header } of turns(insts, HEADERS, cycle)) {
      const before = cpuNs(inst.proc.pid);
      const latencyUs = await exchange(inst.ports[header]);
      r.header.get(inst.target.id)?.[header].push({ latencyUs, cpuUs: (cpuNs(inst.proc.pid) - before) / 1e3 });
    }
    if ((cycle + 1) % Math.ceil(s.cycles / 4) === 0 || cycle + 1 === s.cycles) {
      for (const inst of insts) {
        const h = r.header.get(inst.target.id) as Record<Header, HeaderConnection[]>;
        ctx.log(`frontdoor: proxy_protocol, ${cycle + 1}/${s.cycles} cycles: ${inst.target.label}: ` +
          HEADERS.map((v) => `${v} ${fmt(median(h[v].map((x) => x.latencyUs)), 0)} µs, CPU ${fmt(median(h[v].map((x) => x.cpuUs)), 0)} µs`).join('; '));
      }
    }
  }
  await Promise.all(insts.map((i) => i.proc.stop()));
}

/** One connection through to nginx: connect → GET → whole answer → close; µs to its first byte. */
async function exchange(port: number): Promise<number> {
  const { start, first } = await firstByte(port, REQUEST, { toEnd: true });
  return us(first, start);
}

interface PeekInstance {
  target: Target;
  name: string;
  ports: { plain: number; page: number };
  proc: Proc;
  wakeOnData: boolean;
}

function peekConfig(ctx: PhaseContext, ports: PeekInstance['ports'], backendPort: number, wakeOnData: boolean): string {
  return [
    '[service]',
    `exec = ${ctx.placeholderExec}`,
    `ready_delay = ${PEEK_READY_DELAY}`,
    'start_timeout = 20s',
    'stop_timeout = 5s',
    '[socket.plain]',
    `listen = 127.0.0.1:${ports.plain}`,
    `backend = 127.0.0.1:${backendPort}`,
    '[socket.page]',
    `listen = 127.0.0.1:${ports.page}`,
    `backend = 127.0.0.1:${backendPort}`,
    'starting_page = yes',
    'starting_page_after = 0',
    '[idle]',
    'timeout = 100ms',
    '[access]',
    `wake_on = ${wakeOnData ? 'data' : 'connect'}`,
    '',
  ].join('\n');
}

async function peekCost(ctx: PhaseContext, mr: readonly Target[], s: FrontdoorSettings, r: FrontdoorResult, backendPort: number): Promise<void> {
  const free = await freePorts(2 * mr.length);
  const insts: PeekInstance[] = mr.map((t, i) => {
    const ports = { plain: free[2 * i] as number, page: free[2 * i + 1] as number };
    const name = `peek-${t.id}`;
    return { target: t, name, ports, wakeOnData: false, proc: ctx.mrsocko(t, name, ports, peekConfig(ctx, ports, backendPort, false)) };
  });
  for (const inst of insts) {
    await waitListening(inst.ports.plain);
    await peekCycle(inst, inst.ports.plain, s.peekConnections); // starts mrsocko itself: not counted
    r.peek.set(inst.target.id, { off: [], starting_page: [], wake_on: [] });
  }
  for (let cycle = 0; cycle < s.peekCycles; cycle++) {
    for (const { inst, variant: peek } of turns(insts, PEEKS, cycle)) {
      await wakeOn(ctx, inst, peek === 'wake_on', backendPort);
      const c = await peekCycle(inst, peek === 'starting_page' ? inst.ports.page : inst.ports.plain, s.peekConnections);
      r.peek.get(inst.target.id)?.[peek].push(c);
      ctx.log(`frontdoor: peek ${peek}, start ${cycle + 1}/${s.peekCycles}, ${s.peekConnections} held: ${inst.target.label}, per held connection: ` +
        `release ${fmt(c.releaseUs, 1)} µs, CPU while held ${fmt(c.holdCpuUs, 1)} µs, from release to close ${fmt(c.releaseCpuUs, 1)} µs`);
    }
  }
  await Promise.all(insts.map((i) => i.proc.stop()));
}

/** `[access] wake_on` of a mrsocko whose backend is stopped, switched by a reload if it differs. */
async function wakeOn(ctx: PhaseContext, inst: PeekInstance, data: boolean, backendPort: number): Promise<void> {
  if (inst.wakeOnData === data) return;
  const mark = inst.proc.output().length;
  ctx.rewriteConfig(inst.name, peekConfig(ctx, inst.ports, backendPort, data));
  process.kill(inst.proc.pid, 'SIGHUP');
  const line = await inst.proc.waitForLine(/configuration reloaded|reload failed/, 10_000, mark);
  if (!/configuration reloaded/.test(line)) throw new Error(`frontdoor: ${inst.target.label}: ${line.trim()}`);
  inst.wakeOnData = data;
}

/**
 * One start with `n` clients of `port` held; back once the backend is stopped again. A
 * first client wakes it; the others come once it is launched, so that the CPU measured
 * leaves out the launch, whose cost varies by milliseconds: from then until they are all
 * held (written, and 30 ms for mrsocko to read them), and from then to the last answer.
 */
async function peekCycle(inst: PeekInstance, port: number, n: number): Promise<PeekCycle> {
  const mark = inst.proc.output().length;
  const pid = inst.proc.pid;
  const waker = firstByte(port, REQUEST, { toEnd: true });
  await inst.proc.waitForLine(/backend .* launched/, 10_000, mark);
  await sleep(20);
  const c0 = cpuNs(pid);
  let written = 0;
  let allWritten: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (allWritten = resolve));
  const sent = (): void => {
    if (++written === n) allWritten();
  };
  const answers = Promise.all([waker, ...Array.from({ length: n }, () => firstByte(port, REQUEST, { toEnd: true, sent }))]);
  await held;
  await sleep(30);
  const c1 = cpuNs(pid);
  const t1 = process.hrtime.bigint();
  const firsts = (await answers).map((a) => a.first).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const c2 = cpuNs(pid);
  const ready = await inst.proc.waitForLine(/backend .* ready after/, 1000, mark);
  const released = Number(/releasing (\d+) held/.exec(ready)?.[1] ?? 0);
  if (released !== n + 1 || (firsts[0] as bigint) < t1) {
    throw new Error(`frontdoor: ${released} of ${n + 1} clients were held at the start (${ready.trim()}): ` +
      `ready_delay = ${PEEK_READY_DELAY} is too short for this machine to connect them all`);
  }
  await inst.proc.waitForLine(/backend .* stopped after/, 20_000, mark);
  await sleep(50);
  return {
    holdCpuUs: (c1 - c0) / 1e3 / n,
    releaseCpuUs: (c2 - c1) / 1e3 / n,
    releaseUs: us(firsts[n] as bigint, firsts[0] as bigint) / n,
  };
}

// ---- report ----

/**
 * The median over cycles of a − b, paired within each cycle, and its standard error
 * (from the median absolute deviation: robust to the one that met a GC).
 */
function paired(a: readonly number[], b: readonly number[]): { value: number; se: number } {
  const d = a.map((x, i) => x - (b[i] ?? NaN)).filter((x) => Number.isFinite(x));
  const value = median(d);
  const mad = median(d.map((x) => Math.abs(x - value)));
  return { value, se: (1.2533 * 1.4826 * mad) / Math.sqrt(d.length) };
}

const pm = (e: { value: number; se: number }): string => (Number.isFinite(e.value) ? `${fmt(e.value, 1)} ± ${fmt(e.se, 1)}` : '—');

/** Rows of the "mrsocko alone" table, one cell per target in `mr`. */
export function frontdoorRows(r: FrontdoorResult, mr: readonly Target[]): string[][] {
  const rows: string[][] = [];
  const col = (f: (t: Target) => number): string[] => mr.map((t) => fmt(f(t), 1));
  const colPm = (f: (t: Target) => { value: number; se: number }): string[] => mr.map((t) => pm(f(t)));
  if (r.header.size > 0) {
    const h = (t: Target, v: Header, f: (x: HeaderConnection) => number): number[] => (r.header.get(t.id)?.[v] ?? []).map(f);
    const latency = (x: HeaderConnection): number => x.latencyUs;
    const cpu = (x: HeaderConnection): number => x.cpuUs;
    rows.push(['one connection at a time, proxy_protocol = off: connect → first byte, median (µs)', ...col((t) => median(h(t, 'off', latency)))]);
    for (const v of ['v1', 'v2'] as const) {
      rows.push([`… proxy_protocol = ${v}: extra latency per connection (µs, ± standard error)`, ...colPm((t) => paired(h(t, v, latency), h(t, 'off', latency)))]);
    }
    rows.push(['… proxy_protocol = off: mrsocko CPU per connection, median (µs)', ...col((t) => median(h(t, 'off', cpu)))]);
    for (const v of ['v1', 'v2'] as const) {
      rows.push([`… proxy_protocol = ${v}: extra CPU per connection (µs, ± standard error)`, ...colPm((t) => paired(h(t, v, cpu), h(t, 'off', cpu)))]);
    }
  }
  if (r.peek.size > 0) {
    const p = (t: Target, v: Peek, f: (c: PeekCycle) => number): number[] => (r.peek.get(t.id)?.[v] ?? []).map(f);
    // Without a peek the client's bytes are read at the release instead: the CPU moves
    // from one window to the other, and only the whole is the peek's cost.
    const figures: [string, string, (c: PeekCycle) => number][] = [
      ['release, first answer → last', 'release latency', (c) => c.releaseUs],
      ['mrsocko CPU, accept to close', 'CPU', (c) => c.holdCpuUs + c.releaseCpuUs],
      ['… of which while held (accept, wait)', 'CPU while held', (c) => c.holdCpuUs],
    ];
    for (const [base, extra, f] of figures) {
      const first = base.startsWith('…') ? base : `a start releasing ${r.settings.peekConnections} held clients, no peek: ${base}`;
      rows.push([`${first}, per held connection (µs)`, ...col((t) => median(p(t, 'off', f)))]);
      rows.push([`… starting_page = yes: extra ${extra} per held connection (µs, ± standard error)`, ...colPm((t) => paired(p(t, 'starting_page', f), p(t, 'off', f)))]);
      rows.push([`… wake_on = data: extra ${extra} per held connection (µs, ± standard error)`, ...colPm((t) => paired(p(t, 'wake_on', f), p(t, 'off', f)))]);
    }
  }
  return rows;
}

/** Lines of the "every run" list: the header's figures by quarter of the run, the peek's start by start. */
export function frontdoorRuns(r: FrontdoorResult, mr: readonly Target[]): string[] {
  const out: string[] = [];
  const list = (xs: readonly number[]): string => xs.map((x) => x.toFixed(0)).join(' / ');
  const quarter = <T>(xs: readonly T[], q: number): T[] => xs.slice(Math.floor((q * xs.length) / 4), Math.floor(((q + 1) * xs.length) / 4));
  for (const t of mr) {
    const h = r.header.get(t.id);
    if (h) {
      const each = (f: (x: HeaderConnection) => number): string =>
        [0, 1, 2, 3].map((q) => HEADERS.map((v) => fmt(median(quarter(h[v], q).map(f)), 0)).join('/')).join(', ');
      out.push(`- proxy_protocol off/v1/v2 of ${t.label}, medians by quarter of the run: connect → first byte (µs) ${each((x) => x.latencyUs)}; ` +
        `CPU per connection (µs) ${each((x) => x.cpuUs)}`);
    }
    const p = r.peek.get(t.id);
    if (p) {
      const each = (f: (c: PeekCycle) => number): string => PEEKS.map((v) => `${v} ${list(p[v].map(f))}`).join('; ');
      out.push(`- peek of ${t.label}, per start, per held connection (µs): release ${each((c) => c.releaseUs)}; ` +
        `CPU while held ${each((c) => c.holdCpuUs)}; CPU from release to close ${each((c) => c.releaseCpuUs)}`);
    }
  }
  return out;
}
