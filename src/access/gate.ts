// The front door: each new TCP connection and each datagram from a client without a UDP
// flow is admitted or refused here, before the session holds it and before the backend is
// demanded ([access], ./admission.ts). A refusal is logged (rate-limited, ./refusal-log.ts)
// and counted; at max_connections room is made first when it can be: the connection or
// flow chosen (../session/eviction.ts) is closed and logged (rate-limited too). When
// admitted, the client's accounting is opened at once (`clients.open(address, kind)`), in
// the same turn, so the limits see it.
//
// Where the next features go: `knocked` is a rule of the AccessPolicy, told by the knock
// listener; `wake_on = data` lets a connection in without demanding the backend (the
// session decides when it does). A `counts = no` socket never wakes the backend: while it
// is down, its clients are refused like those outside `wake`.
import type net from 'node:net';
import type { AcceptedSocket } from '../proxy/relay.js';
import type { LogEvent } from '../log/events.js';
import { EvictionLog } from './eviction-log.js';
import type { ClientHandle, ClientTable, FlowKind } from '../session/clients.js';
import { describePeer } from '../proxy/tcp.js';
import { formatInet } from '../util/format.js';
import { clientAddress, LOCAL_CLIENT, type ClientAddress } from '../net/address.js';
import { Admission, type AccessPolicy } from './admission.js';
import { RefusalLog } from './refusal-log.js';
import { SilentLog } from './silent-log.js';
import type { SilentEnd } from '../session/silent-connections.js';

export interface GateOptions {
  policy: AccessPolicy;
  clients: ClientTable;
  emit(event: LogEvent): void;
  /** Whether the backend is up or on its way (`wake` applies otherwise). */
  backendWanted(): boolean;
  /** `mrsocko stop --for` in force: why every client is refused (the block, until when); undefined otherwise. */
  blocked?(): string | undefined;
}

export class Gate {
  private readonly admission: Admission;
  private readonly refusals: RefusalLog;
  /** What was closed to make room at max_connections. */
  private readonly evictions: EvictionLog;
  /** Connections that sent nothing under `wake_on = data`. */
  private readonly silentLog: SilentLog;

  constructor(private readonly o: GateOptions) {
    this.admission = new Admission(o.policy, o.clients);
    this.refusals = new RefusalLog({
      emit: o.emit,
      explain: (refusal, address) => (refusal === 'blocked' ? o.blocked?.() : undefined) ?? this.admission.policy.explain(refusal, address),
    });
    this.evictions = new EvictionLog({ emit: o.emit });
    this.silentLog = new SilentLog(o.emit);
  }

  /** Connections that closed or timed out without a byte under `wake_on = data`, since start. */
  get silent(): number {
    return this.silentLog.total;
  }

  /** Such a connection (the session held it and closed it): counted and logged, bounded. */
  silentConnection(source: string, socket: string, client: string, end: SilentEnd): void {
    this.silentLog.silent(source, socket, client, end);
  }

  /** [access] and [idle] keepalive as they are now. */
  get policy(): AccessPolicy {
    return this.admission.policy;
  }

  get refused(): number {
    return this.refusals.total;
  }

  get evicted(): number {
    return this.evictions.total;
  }

  /** A reload: new rules for new clients. */
  update(policy: AccessPolicy): void {
    this.admission.update(policy);
  }

  /** A refusal decided elsewhere (a knock port's traffic), logged and counted with the others. */
  refuse(...args: Parameters<RefusalLog['refused']>): void {
    this.refusals.refused(...args);
  }

  shutdown(): void {
    this.refusals.shutdown();
    this.evictions.shutdown();
    this.silentLog.shutdown();
  }

  /**
   * A new TCP (or unix) connection: its accounting if admitted; if not, it is closed here,
   * unread. `counts`: the socket's `counts =` (no: never activity, never wakes the backend).
   */
  connection(socket: net.Socket | AcceptedSocket, socketName: string, unix: boolean, counts = true): ClientHandle | undefined {
    // A TCP socket without a remote address was reset before we got to it: nothing to admit.
    const address = unix ? LOCAL_CLIENT : socket.remoteAddress === undefined ? undefined : clientAddress(socket.remoteAddress);
    if (address !== undefined && this.admit(socketName, address, socket, 'connection', counts)) return this.o.clients.open(address, 'connection', counts);
    // Refused (or gone already): close at once, unread; an RST tells a TCP client it was refused.
    if ('on' in socket) socket.on('error', () => undefined);
    if (unix) socket.destroy();
    else socket.resetAndDestroy();
    return undefined;
  }

  /** A datagram from `remoteAddress`:`port` without a flow: may it open one? */
  flow(socketName: string, remoteAddress: string, port: number, counts = true): boolean {
    const address = clientAddress(remoteAddress);
    return address !== undefined && this.admit(socketName, address, formatInet(remoteAddress, port), 'flow', counts);
  }

  /** The accounting of a flow flow() let in, in the same turn. */
  openFlow(remoteAddress: string, counts = true): ClientHandle {
    return this.o.clients.open(clientAddress(remoteAddress) ?? LOCAL_CLIENT, 'flow', counts);
  }

  private admit(socketName: string, address: ClientAddress, peer: net.Socket | AcceptedSocket | string, kind: FlowKind, counts: boolean): boolean {
    const decision = this.o.blocked?.() !== undefined ? 'blocked' : this.admission.decide(address, this.o.backendWanted(), counts);
    if (decision === undefined) return true;
    const client = typeof peer === 'string' ? peer : describePeer(peer);
    if (typeof decision !== 'string') {
      const victim = this.o.clients.evict(decision);
      this.evictions.evicted(decision, victim, client, this.admission.policy.maxConnections);
      return true;
    }
    this.refusals.refused(address, socketName, client, decision, kind === 'connection' ? 'connection' : 'datagram');
    return false;
  }
}
