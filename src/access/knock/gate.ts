// The knock sockets of an instance and what they decide: `[knock] sequence` ports (TCP
// connections closed at once and unread, datagrams dropped) and the single-packet port
// (./packet.ts). They are bound or adopted like the proxied sockets but never reach the
// backend, never start it, and count toward nothing else (clients, activity,
// max_connections): they only feed the knocked set that the `knocked` rule asks.
import net from 'node:net';
import dgram from 'node:dgram';
import type { Config, KnockConfig } from '../../config/types.js';
import { MrsockoError } from '../../errors.js';
import type { LogEvent } from '../../log/events.js';
import type { ReservedSocket } from '../../proxy/listeners.js';
import { formatInet } from '../../util/format.js';
import type { SocketInfo } from '../../systemd/socket-info.js';
import { clientAddress, type ClientAddress } from '../../net/address.js';
import type { Refusal } from '../admission.js';
import type { RefusedTraffic } from '../refusal-log.js';
import { KnockedSet, type KnockMethod } from './knocked.js';
import { loadKnockKey, runningAsRoot } from './key.js';
import { verifyPacket } from './packet.js';
import { ReplayCache } from './replay.js';
import { SequenceTracker } from './sequence.js';
import type { KnockedReport } from '../../control/report.js';
import { monotonicMs } from '../../util/clock.js';

export interface KnockGateHooks {
  emit(event: LogEvent): void;
  /** A failed knock, for the rate-limited refusal log. */
  refused(address: ClientAddress, socket: string, client: string, refusal: Refusal, traffic: RefusedTraffic): void;
}

export interface KnockClocks {
  /** Monotonic ms (windows, open_for). */
  monotonic: () => number;
  /** Wall-clock ms (packet timestamps, the expiry shown). */
  wall: () => number;
}

/**
 * Sequence knocks that were queued on adopted sockets before mrsocko ran (the knock that
 * made systemd start it, and the ones after it) are delivered all at once, in the order
 * the sockets were opened, not the order they were sent: they are not counted. Those that
 * arrive in the first this-many milliseconds after adopting are taken for them.
 */
const STARTUP_SETTLE_MS = 250;

const DEFAULT_CLOCKS: KnockClocks = { monotonic: monotonicMs, wall: () => Date.now() };

/** One knock socket: a sequence port (its id is its index) or the single-packet port. */
interface KnockSocketSpec extends ReservedSocket {
  readonly role: 'sequence' | 'packet';
  /** For log lines: "knock 7000/tcp". */
  readonly name: string;
}


function socketSpecs(knock: KnockConfig): KnockSocketSpec[] {
  const specs: KnockSocketSpec[] = [];
  for (const step of knock.sequence) {
    if (specs.some((s) => s.listen.text === step.listen.text && s.protocol === step.protocol)) continue;
    specs.push({
      role: 'sequence', listen: step.listen, protocol: step.protocol,
      section: 'knock', key: 'sequence', line: knock.sequenceLine, name: `knock ${step.listen.text}/${step.protocol}`,
    });
  }
  if (knock.listen !== undefined) {
    specs.push({
      role: 'packet', listen: knock.listen, protocol: 'udp',
      section: 'knock', key: 'listen', line: knock.listenLine, name: `knock ${knock.listen.text}/udp (packet)`,
    });
  }
  return specs;
}

function stepIds(knock: KnockConfig, specs: readonly KnockSocketSpec[]): number[] {
  return knock.sequence.map((step) => specs.findIndex((s) => s.role === 'sequence' && s.listen.text === step.listen.text && s.protocol === step.protocol));
}

export class KnockGate {
  private knock: KnockConfig;
  private readonly specs: KnockSocketSpec[];
  private key: Buffer | undefined;
  private tracker: SequenceTracker | undefined;
  private readonly knocked: KnockedSet;
  private readonly replay: ReplayCache;
  private readonly servers: net.Server[] = [];
  private readonly datagrams: dgram.Socket[] = [];
  private closed = false;
  /** Sequence hits before this (monotonic) are the queued ones of STARTUP_SETTLE_MS. */
  private settledAt = -Infinity;
  private queuedHits = 0;
  private settleTimer: NodeJS.Timeout | undefined;
  /** Where each socket listens, once open. */
  readonly addresses: { name: string; address: string }[] = [];

  constructor(
    config: Config & { knock: KnockConfig },
    private readonly hooks: KnockGateHooks,
    private readonly clocks: KnockClocks = DEFAULT_CLOCKS,
    trustedKey = runningAsRoot(),
  ) {
    this.knock = config.knock;
    this.specs = socketSpecs(config.knock);
    this.key = loadKnockKey(config, trustedKey);
    this.tracker = this.newTracker(config.knock);
    this.knocked = new KnockedSet(clocks.monotonic);
    this.replay = new ReplayCache(clocks.wall);
  }

  /** For openListeners: the sockets to adopt from systemd. */
  get reserved(): readonly ReservedSocket[] {
    return this.specs;
  }

  /** The `knocked` rule. */
  isKnocked(address: ClientAddress): boolean {
    return this.knocked.has(address.key);
  }

  list(): KnockedReport[] {
    const now = this.clocks.monotonic();
    const wall = this.clocks.wall();
    return this.knocked.list().map((e) => ({
      address: e.address,
      method: e.method,
      until: new Date(wall + (e.until - now)).toISOString(),
      remainingMs: Math.max(0, Math.round(e.until - now)),
    }));
  }

  /**
   * Adopt (`fds`, as openListeners matched them to `reserved`) or bind (standalone) the
   * knock sockets and start listening.
   */
  async open(fds: ReadonlyArray<{ fd: number; info: SocketInfo }> | undefined): Promise<void> {
    if (fds !== undefined && this.tracker !== undefined) {
      this.settledAt = this.clocks.monotonic() + STARTUP_SETTLE_MS;
      this.settleTimer = setTimeout(() => {
        if (this.queuedHits > 0) this.hooks.emit({ kind: 'knock-queued', hits: this.queuedHits });
      }, STARTUP_SETTLE_MS);
      this.settleTimer.unref();
    }
    for (const [id, spec] of this.specs.entries()) {
      const adopted = fds?.[id];
      try {
        const address = spec.protocol === 'tcp' ? await this.openStream(id, spec, adopted) : await this.openDatagram(id, spec, adopted);
        this.addresses.push({ name: spec.name, address });
        this.hooks.emit({
          kind: 'listening', socket: spec.name, address, adopted: adopted !== undefined,
          ...(spec.protocol === 'udp' ? { protocol: 'udp' as const } : {}),
        });
      } catch (err) {
        if (err instanceof MrsockoError) throw err;
        const e = err as NodeJS.ErrnoException;
        const why = e.code === 'EADDRINUSE' ? 'address already in use' : e.code === 'EACCES' ? 'permission denied' : e.message;
        throw new MrsockoError('MRSOCKO_SOCKET', `${spec.name}: cannot ${adopted ? `adopt fd ${adopted.fd}` : `bind ${spec.listen.text}`}: ${why}`, { cause: err });
      }
    }
  }

  /**
   * A re-read config: window, open_for and the key apply at once; knocked addresses are
   * kept. Changed ports need a restart (returned true), and until then the old ones stay.
   * Throws (a ConfigError for the key file) before changing anything.
   */
  reload(next: Config, trustedKey = runningAsRoot()): boolean {
    if (next.knock === undefined) return true;
    // The same sockets in any order (a reordered sequence needs no new socket).
    const ids = (specs: readonly KnockSocketSpec[]): string => JSON.stringify(specs.map((s) => [s.role, s.listen.text, s.protocol]).sort());
    if (ids(socketSpecs(next.knock)) !== ids(this.specs)) return true;
    const key = loadKnockKey(next, trustedKey);
    const sequenceChanged = JSON.stringify(next.knock.sequence) !== JSON.stringify(this.knock.sequence) ||
      next.knock.windowMs !== this.knock.windowMs;
    this.key = key;
    if (sequenceChanged) this.tracker = this.newTracker(next.knock);
    this.knock = next.knock;
    return false;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.settleTimer);
    for (const s of this.servers) s.close();
    for (const d of this.datagrams) {
      try {
        d.close();
      } catch {
        // not bound yet
      }
    }
  }

  private newTracker(knock: KnockConfig): SequenceTracker | undefined {
    if (knock.sequence.length === 0) return undefined;
    return new SequenceTracker(stepIds(knock, this.specs), knock.windowMs, this.clocks.monotonic);
  }

  private async openStream(id: number, spec: KnockSocketSpec, adopted: { fd: number; info: SocketInfo } | undefined): Promise<string> {
    const server = net.createServer({ pauseOnConnect: true });
    this.servers.push(server);
    server.on('connection', (socket) => {
      // Nothing is read, nothing proxied: the connection itself was the knock.
      const remote = socket.remoteAddress;
      const port = socket.remotePort;
      socket.on('error', () => undefined);
      socket.resetAndDestroy();
      if (remote !== undefined) this.sequenceHit(id, spec, remote, port ?? 0, 'connection');
    });
    server.on('error', (err) => this.hooks.emit({ kind: 'socket-error', socket: spec.name, error: err.message }));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const done = (): void => {
        server.off('error', reject);
        resolve();
      };
      if (adopted) server.listen({ fd: adopted.fd }, adopted.info.backlog ?? 2 ** 31 - 1, done);
      else server.listen({ host: spec.listen.kind === 'inet' ? spec.listen.host : undefined, port: spec.listen.kind === 'inet' ? spec.listen.port : 0, ipv6Only: false }, done);
    });
    const bound = server.address();
    return adopted?.info.local ?? (bound !== null && typeof bound === 'object' ? formatInet(bound.address, bound.port) : spec.listen.text);
  }

  private async openDatagram(id: number, spec: KnockSocketSpec, adopted: { fd: number; info: SocketInfo } | undefined): Promise<string> {
    const inet6 = adopted ? adopted.info.family === 'inet6' : spec.listen.kind === 'inet' && spec.listen.family === 6;
    const socket = dgram.createSocket({ type: inet6 ? 'udp6' : 'udp4', ipv6Only: false });
    this.datagrams.push(socket);
    socket.on('message', (data, rinfo) => {
      if (spec.role === 'packet') this.packet(spec, data, rinfo.address, rinfo.port);
      else this.sequenceHit(id, spec, rinfo.address, rinfo.port, 'datagram');
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('listening', () => {
        socket.off('error', reject);
        socket.on('error', (err) => this.hooks.emit({ kind: 'socket-error', socket: spec.name, error: err.message }));
        resolve();
      });
      if (adopted) socket.bind({ fd: adopted.fd });
      else if (spec.listen.kind === 'inet') socket.bind({ address: spec.listen.host, port: spec.listen.port, exclusive: true });
    });
    const bound = socket.address();
    return adopted?.info.local ?? formatInet(bound.address, bound.port);
  }

  private sequenceHit(id: number, spec: KnockSocketSpec, remote: string, port: number, traffic: RefusedTraffic): void {
    if (this.closed || this.tracker === undefined) return;
    const address = clientAddress(remote);
    if (address === undefined) return;
    if (this.clocks.monotonic() < this.settledAt) {
      this.queuedHits += 1;
      return;
    }
    const verdict = this.tracker.hit(address.key, id);
    if (verdict === 'complete') this.opened(address.key, 'sequence');
    else if (verdict === 'wrong') this.hooks.refused(address, spec.name, formatInet(remote, port), 'knock-sequence', traffic);
  }

  private packet(spec: KnockSocketSpec, data: Buffer, remote: string, port: number): void {
    if (this.closed || this.key === undefined) return;
    const sender = clientAddress(remote);
    if (sender === undefined) return;
    const client = formatInet(remote, port);
    const result = verifyPacket(this.key, data, this.clocks.wall());
    if (!result.ok) {
      const refusal: Refusal = result.problem === 'bad-mac' ? 'knock-bad-key'
        : result.problem === 'expired' ? 'knock-expired'
        : result.problem === 'replayed' ? 'knock-replayed'
        : 'knock-malformed';
      this.hooks.refused(sender, spec.name, client, refusal, 'datagram');
      return;
    }
    const seen = this.replay.admit(result.packet.nonce, result.packet.timestamp);
    if (seen !== 'fresh') {
      // 'full' is refused too: only the key's holder can fill the cache (see ./replay.ts).
      this.hooks.refused(sender, spec.name, client, seen === 'full' ? 'knock-replay-full' : 'knock-replayed', 'datagram');
      return;
    }
    this.opened(result.packet.open ?? sender.key, 'packet', result.packet.open !== undefined ? sender.key : undefined);
  }

  private opened(address: string, method: KnockMethod, from?: string): void {
    const entry = this.knocked.open(address, method, this.knock.openForMs);
    const until = new Date(this.clocks.wall() + (entry.until - this.clocks.monotonic())).toISOString();
    this.hooks.emit({ kind: 'knock-opened', address, method, until, ...(from !== undefined ? { from } : {}) });
  }
}


