// Which code moves the bytes of an open stream connection: the native addon (native/,
// splice() kernel to kernel, see ./splice-pipe.ts) when it was built and loads, else the
// JavaScript copy loop (./pipe.ts); and of an open UDP flow's replies (native/udp.c, batched,
// or a dgram socket per flow: ./udp-upstream.ts). Decided once per process;
// MRSOCKO_DATA_PATH=js forces the JavaScript paths (for tests, and for a user who suspects the addon).
import { loadNativeAddon } from '../native/addon.js';

export const DATA_PATH_ENV = 'MRSOCKO_DATA_PATH';

/** One direction moved by the addon (native/splice.c). */
export interface NativeSplice {
  /** Stop now, report the bytes not reported yet, close its duplicates and pipe. Idempotent. */
  close(): void;
  /** Report the bytes not reported yet, now. */
  flush(): void;
  /** Bytes read from the source so far. */
  readonly total: number;
  /** Bytes read but not yet written (in its pipe). */
  readonly pipeBytes: number;
}

export interface SpliceAddon {
  Splice: new (
    sourceFd: number,
    destinationFd: number,
    /** One callback moves a share of turnBytes among the busy directions, from leastBytes to mostBytes. */
    leastBytes: number,
    mostBytes: number,
    turnBytes: number,
    reportMs: number,
    report: (kind: number, value: number) => void,
  ) => NativeSplice;
}

/** The upstream side of one UDP flow, owned by the addon (native/udp.c, see ./udp-upstream.ts). */
export interface NativeUdpRelay {
  /** One datagram to the backend: 0, or the errno. */
  send(datagram: Buffer): number;
  /** Report the replies relayed and not reported yet, now. */
  flush(): void;
  /** Stop, report what is not reported yet, close its sockets. Idempotent. */
  close(): void;
  /** Let `reader` send this client's datagrams up itself (counted as reports); false when it cannot. */
  attach(reader: NativeUdpReader): boolean;
  /** The client's datagrams go to JavaScript again. */
  detach(): void;
}

/** The receiving side of a UDP listening socket, owned by the addon (native/udp.c). */
export interface NativeUdpReader {
  /** Stop reading, detach every relay. Idempotent. */
  close(): void;
}

export interface UdpRelayAddon {
  UdpRelay: new (
    /** Replies go out through its descriptor of the listening socket. */
    reader: NativeUdpReader,
    clientAddress: string,
    clientPort: number,
    backendAddress: string,
    backendPort: number,
    reportMs: number,
    report: (kind: number, a: number, b: number) => void,
  ) => NativeUdpRelay;
  /** deliver(datagram, address, port) for a client without an attached relay; deliver(null, errno, 0) when reading failed. */
  UdpReader: new (listeningFd: number, deliver: (datagram: Buffer | null, address: string | number, port: number) => void) => NativeUdpReader;
}

/** A whole stream connection run by the addon (native/relay.c, see ./relay.ts). */
export interface NativeRelay {
  /** Report the bytes not reported yet, then close both sides (reset: an RST to the client). Idempotent. */
  close(reset?: boolean): void;
  /** The client's descriptor, handed back (the upstream side is closed); -1 once closed. */
  detach(): number;
  /** Report the bytes not reported yet, now. */
  flush(): void;
  /** Bytes read from the client so far, and from the backend. */
  readonly up: number;
  readonly down: number;
  /** 0 connecting, 1 open, 2 connect failed (the client's descriptor still held), 3 done. */
  readonly phase: number;
}

/** Accepting on a TCP listening socket in the addon (native/accept.c). */
export interface NativeAcceptor {
  /** Accept nothing more, now. Idempotent. */
  close(): void;
}

export interface RelayAddon {
  Relay: new (
    downstreamFd: number,
    /** An IP address, or with port 0 a unix socket path. */
    backendHost: string,
    backendPort: number,
    header: Buffer | null,
    leastBytes: number,
    mostBytes: number,
    turnBytes: number,
    reportMs: number,
    report: (kind: number, a: number, b: number) => void,
  ) => NativeRelay;
  /** accepted(fd, address, port) per connection; accepted(-errno, undefined, 0) when accepting failed (it pauses a moment). */
  Acceptor: new (listeningFd: number, accepted: (fd: number, address: string | undefined, port: number) => void) => NativeAcceptor;
  /** Close a descriptor with an RST. */
  resetSocket(fd: number): void;
  closeSocket(fd: number): void;
  /** A socket's own address and port (getsockname()); undefined when it has none any more. */
  socketAddress(fd: number): [string, number] | undefined;
  /** Empty pipes the addon keeps for the next connections (native/pump.c), and closing them. */
  pooledPipes(): number;
  dropPipes(): void;
}

export interface DataPath {
  readonly name: 'native' | 'js';
  /** Set when name is 'native'. */
  readonly addon: SpliceAddon | undefined;
  /** Set when the addon accepts and relays connections itself (native, and built with native/relay.c). */
  readonly relay?: RelayAddon | undefined;
  /** Why this path, for `mrsocko check` and the start-up log. */
  readonly why: string;
}

/** The addon, or why it could not be loaded. */
export function loadSpliceAddon(): SpliceAddon | string {
  if (process.platform !== 'linux') return 'splice() is Linux only';
  const loaded = loadNativeAddon();
  if (typeof loaded === 'string') return loaded;
  if (typeof loaded.Splice !== 'function') return 'the addon has no Splice';
  return loaded as unknown as SpliceAddon;
}

export function chooseDataPath(env: Readonly<Record<string, string | undefined>>): DataPath {
  const wanted = env[DATA_PATH_ENV] ?? '';
  if (wanted === 'js') return { name: 'js', addon: undefined, why: `${DATA_PATH_ENV}=js` };
  const known = wanted === '' || wanted === 'auto' || wanted === 'native';
  const addon = loadSpliceAddon();
  if (typeof addon === 'string') {
    const fix = 'build it with `npm run build:native` (needs g++, make, python3 and Node.js headers; see docs/native.md)';
    return { name: 'js', addon: undefined, why: `the native addon is not available (${addon}); ${fix}` };
  }
  const why = known ? 'the native addon is built' : `${DATA_PATH_ENV}=${wanted} is not js, native or auto; the native addon is built`;
  const relay = addon as Partial<RelayAddon>;
  const relays = typeof relay.Relay === 'function' && typeof relay.Acceptor === 'function' && typeof relay.socketAddress === 'function';
  return { name: 'native', addon, relay: relays ? (addon as unknown as RelayAddon) : undefined, why };
}

/** This process's choice (the environment and the addon do not change while it runs). */
export const dataPath: DataPath = chooseDataPath(process.env);

export function describeDataPath(path: DataPath): string {
  const how = path.name === 'js' ? 'js (copied through Node.js)'
    : path.relay === undefined ? 'native (splice(), kernel to kernel)'
    : 'native (splice(), kernel to kernel; connections arriving while the backend runs are accepted and relayed by the addon)';
  return `TCP data path: ${how}: ${path.why}`;
}
