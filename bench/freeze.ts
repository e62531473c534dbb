// The bench's `freeze` phase: a client's connect → first byte when the backend is frozen
// ([idle] freeze: mrsocko thaws it) and when it is stopped (a cold start), side by side for
// the same exec backend (bench/cold-backend.ts, ready as soon as its process runs), for
// every mrsocko target. Per target two mrsockos: one with `freeze = 300ms` (and a
// `timeout` of an hour: it is never stopped), one with `timeout = 300ms` and no freeze.
// A cycle connects, sends a byte, times the first byte back, then waits for mrsocko's log
// to say it froze the backend again ("frozen (…)") or stopped it. Cycles alternate the two
// (which goes first alternates too) and the table shows medians. The log's own line names
// the freezer mrsocko used (cgroup v2 or the v1 freezer, SIGSTOP without a cgroup): the
// bench runs as root, so it can make the cgroup.
import type { PhaseContext, Target } from './context.js';
import { ColdBackend } from './cold-backend-files.js';
import { firstByte, freePorts, sleep, waitListening, type Proc } from './procs.js';
import { fmt, median, quantile } from './stats.js';

const MODES = ['thaw', 'cold'] as const;
type Mode = (typeof MODES)[number];

export interface FreezeResult {
  /** How mrsocko froze it, from its log ("cgroup freezer (v1-freezer)"). */
  how: string;
  /** target id → mode → connect → first byte of each cycle, ms */
  samples: Map<string, Record<Mode, number[]>>;
}

const FROZEN = /frozen \((.*)\); the next client thaws it/;
const STOPPED = /backend .* stopped after/;

interface FreezeInstance {
  target: Target;
  mode: Mode;
  port: number;
  proc: Proc;
}

function freezeConfig(port: number, backend: ColdBackend, mode: Mode): string {
  return backend.config(port, mode === 'thaw' ? ['timeout = 1h', 'freeze = 300ms'] : ['timeout = 300ms']);
}

export async function freezePhase(ctx: PhaseContext, ts: readonly Target[], cycles: number): Promise<FreezeResult> {
  const mr = ts.filter((t) => t.kind === 'mrsocko');
  const ports = await freePorts(2 * MODES.length * mr.length);
  const insts: FreezeInstance[] = mr.flatMap((t, i) => MODES.map((mode, k) => {
    const n = 2 * (i * MODES.length + k);
    const port = ports[n] as number;
    const name = `freeze-${mode}-${t.id}`;
    const backend = new ColdBackend(ctx.work, name, ports[n + 1] as number);
    return { target: t, mode, port, proc: ctx.mrsocko(t, name, port, freezeConfig(port, backend, mode)) };
  }));
  const r: FreezeResult = { how: '', samples: new Map(mr.map((t) => [t.id, { thaw: [], cold: [] }])) };
  for (const inst of insts) {
    await waitListening(inst.port);
    await freezeCycle(inst); // starts mrsocko itself and the backend's first run: not counted
  }
  // "cgroup freezer (v2, /sys/fs/cgroup/…/mrsocko-backend-…)": the kind, without this run's directory
  r.how = (FROZEN.exec(insts.find((i) => i.mode === 'thaw')?.proc.output() ?? '')?.[1] ?? '').replace(/, \/[^)]*\)/, ')');
  ctx.log(`freeze: mrsocko freezes the backend by ${r.how}`);
  for (let cycle = 0; cycle < cycles; cycle++) {
    for (const t of mr) {
      for (const mode of cycle % 2 === 0 ? MODES : [...MODES].reverse()) {
        const inst = insts.find((i) => i.target === t && i.mode === mode) as FreezeInstance;
        const ms = await freezeCycle(inst);
        r.samples.get(t.id)?.[mode].push(ms);
        ctx.log(`freeze: ${mode === 'thaw' ? 'frozen' : 'stopped'} backend, cycle ${cycle + 1}/${cycles}: ${t.label} connect → first byte ${fmt(ms, 2)} ms`);
      }
    }
  }
  await Promise.all(insts.map((i) => i.proc.stop()));
  return r;
}

/** One client while the backend is frozen (or stopped): connect → first byte, ms; back once it is frozen (stopped) again. */
async function freezeCycle(inst: FreezeInstance): Promise<number> {
  const mark = inst.proc.output().length;
  const { start, first } = await firstByte(inst.port, 'x');
  await inst.proc.waitForLine(inst.mode === 'thaw' ? FROZEN : STOPPED, 20_000, mark).catch((err: unknown) => {
    const failed = /could not freeze[^\n]*/.exec(inst.proc.output().slice(mark))?.[0];
    throw failed ? new Error(`freeze: mrsocko says it ${failed}`) : err;
  });
  await sleep(100);
  return Number(first - start) / 1e6;
}

// ---- report ----

/** Rows of the "mrsocko alone" table, one cell per target in `mr`. */
export function freezeRows(r: FreezeResult, mr: readonly Target[]): string[][] {
  const of = (t: Target, mode: Mode): number[] => r.samples.get(t.id)?.[mode] ?? [];
  const col = (f: (t: Target) => number, digits: number): string[] => mr.map((t) => fmt(f(t), digits));
  return [
    [`backend frozen (${r.how || 'freezer unknown'}): connect → first byte, median (ms)`, ...col((t) => median(of(t, 'thaw')), 2)],
    ['… worst (ms)', ...col((t) => quantile(of(t, 'thaw'), 1), 2)],
    ['the same backend stopped (cold start): connect → first byte, median (ms)', ...col((t) => median(of(t, 'cold')), 1)],
    ['… worst (ms)', ...col((t) => quantile(of(t, 'cold'), 1), 1)],
  ];
}

/** Lines of the "every run" list. */
export function freezeRuns(r: FreezeResult, mr: readonly Target[]): string[] {
  return mr.map((t) => {
    const s = r.samples.get(t.id);
    const list = (xs: readonly number[] = []): string => xs.map((x) => x.toFixed(2)).join(', ');
    return `- connect → first byte of ${t.label} (ms): frozen ${list(s?.thaw)}; stopped ${list(s?.cold)}`;
  });
}
