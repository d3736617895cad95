/**
 * librdmacm through koffi: event channels, CM IDs, address and route
 * resolution, QP creation and connect / disconnect.
 *
 * The event channel's fd is switched to O_NONBLOCK, so `getEvent` never blocks
 * the event loop: callers watch the fd (`channelFd`, `fd-watch.ts`) or poll it
 * from a timer and get null when nothing is pending. Every event is copied out
 * (`CmEvent`) and acknowledged at once.
 *
 * Loaded on first use; machines without librdmacm keep working until an RDMA
 * transport ID is used, which then fails with one clear message.
 */
import { TransportError } from '../spec/errors.js';
import { RDMA_PACKAGES, verbs } from './verbs.js';

type Koffi = typeof import('koffi');
type Fn = (...args: unknown[]) => unknown;

/** `struct rdma_cm_id` fields. */
export const CmIdOffset = {
  VERBS: 0,
  CHANNEL: 8,
  QP: 24,
  /** `route.addr.src_addr` and `route.addr.dst_addr` (each in a 128-byte `sockaddr_storage` union): `rdma_get_local_addr` and `rdma_get_peer_addr` are inline. */
  SRC_ADDR: 32,
  DST_ADDR: 160,
} as const;
/** `struct rdma_cm_event`: id, listen_id, event, status, then param.conn (`struct rdma_conn_param`). */
const CmEventOffset = { ID: 0, LISTEN_ID: 8, EVENT: 16, STATUS: 20, PARAM: 24 } as const;
/** `struct rdma_conn_param` (24 bytes). */
export const CONN_PARAM_SIZE = 24;
export const ConnParamOffset = {
  PRIVATE_DATA: 0,
  PRIVATE_DATA_LEN: 8,
  RESPONDER_RESOURCES: 9,
  INITIATOR_DEPTH: 10,
  FLOW_CONTROL: 11,
  RETRY_COUNT: 12,
  RNR_RETRY_COUNT: 13,
  SRQ: 14,
  QP_NUM: 16,
} as const;

/** enum rdma_cm_event_type */
export const CmEventType = {
  ADDR_RESOLVED: 0,
  ADDR_ERROR: 1,
  ROUTE_RESOLVED: 2,
  ROUTE_ERROR: 3,
  CONNECT_REQUEST: 4,
  CONNECT_RESPONSE: 5,
  CONNECT_ERROR: 6,
  UNREACHABLE: 7,
  REJECTED: 8,
  ESTABLISHED: 9,
  DISCONNECTED: 10,
  DEVICE_REMOVAL: 11,
  MULTICAST_JOIN: 12,
  MULTICAST_ERROR: 13,
  ADDR_CHANGE: 14,
  TIMEWAIT_EXIT: 15,
} as const;

/** RDMA_PS_TCP: reliable connected, the port space NVMe/RDMA uses. */
export const RDMA_PS_TCP = 0x0106;
const AF_INET = 2;
const AF_INET6 = 10;
const F_GETFL = 3;
const F_SETFL = 4;
const O_NONBLOCK = 0o4000;

/** One CM event, copied out of librdmacm's structure. */
export interface CmEvent {
  type: number;
  /** The CM ID the event is for (for CONNECT_REQUEST: the new ID). */
  id: bigint;
  listenId: bigint | null;
  /** Negative errno, or the IB CM reject reason for REJECTED. */
  status: number;
  /** The peer's private data (connect request, accept or reject); empty when none. */
  privateData: Buffer;
  /** CONNECT_REQUEST: the initiator depth and responder resources the peer offered. */
  initiatorDepth: number;
  responderResources: number;
}

/** An address read back from a CM ID. */
export interface SocketAddress {
  family: 4 | 6;
  address: string;
  port: number;
}

/** Reads `struct sockaddr_in` / `sockaddr_in6` at `ptr`. */
function readSocketAddress(koffi: Koffi, ptr: bigint): SocketAddress {
  const raw = Buffer.from(koffi.view(ptr, 28).slice(0));
  const port = raw.readUInt16BE(2);
  if (raw.readUInt16LE(0) === AF_INET6) {
    const words: number[] = [];
    for (let i = 0; i < 8; i++) words.push(raw.readUInt16BE(8 + i * 2));
    return { family: 6, address: shortIpv6(words), port };
  }
  return { family: 4, address: [...raw.subarray(4, 8)].join('.'), port };
}

/** RFC 5952 text (`::1`, `fe80::1:2`): the longest run of two or more zero words becomes `::`, as Node prints addresses. */
export function shortIpv6(words: readonly number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (ws: readonly number[]): string => ws.map((w) => w.toString(16)).join(':');
  return best < 0 ? hex(words) : `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`;
}

/** The bound librdmacm. */
export interface RdmaCm {
  koffi: Koffi;
  createEventChannel(): bigint;
  destroyEventChannel(channel: bigint): void;
  createId(channel: bigint): bigint;
  destroyId(id: bigint): number;
  resolveAddr(id: bigint, dst: Buffer, timeoutMs: number): number;
  resolveRoute(id: bigint, timeoutMs: number): number;
  createQp(id: bigint, pd: bigint, initAttr: Buffer): number;
  destroyQp(id: bigint): void;
  connect(id: bigint, param: Buffer): number;
  disconnect(id: bigint): number;
  /** Passive side: bind to a local address (port 0 picks one) and listen. */
  bindAddr(id: bigint, src: Buffer): number;
  listen(id: bigint, backlog: number): number;
  /** Accepts a CONNECT_REQUEST with `param` (`struct rdma_conn_param`). */
  accept(id: bigint, param: Buffer): number;
  /** Rejects a CONNECT_REQUEST with `privateData` (native memory, see `NativeScratch`) of `length` bytes. */
  reject(id: bigint, privateData: bigint, length: number): number;
  /** The local or peer socket address of a CM ID. */
  localAddress(id: bigint): SocketAddress;
  peerAddress(id: bigint): SocketAddress;
  /** The fd of an event channel, to watch for readability. */
  channelFd(channel: bigint): number;
  /** The next pending event, or null (EAGAIN). */
  getEvent(channel: bigint): CmEvent | null;
  eventName(type: number): string;
  errnoName(): string;
}

let loaded: RdmaCm | Error | undefined;

/**
 * librdmacm (and libibverbs), loaded on first use.
 * @throws TransportError (code ENOENT) naming the library and the packages to install
 */
export function rdmacm(): RdmaCm {
  if (loaded === undefined) loaded = load();
  if (loaded instanceof Error) throw loaded;
  return loaded;
}

function load(): RdmaCm | Error {
  let koffi: Koffi;
  try {
    koffi = verbs().koffi;
  } catch (err) {
    return err as Error;
  }
  let lib: ReturnType<Koffi['load']>;
  try {
    lib = koffi.load('librdmacm.so.1');
  } catch {
    return new TransportError(`RDMA: librdmacm.so.1 not found (${RDMA_PACKAGES})`, 'ENOENT');
  }
  const libc = koffi.load('libc.so.6');
  const fcntl = libc.func('int fcntl(int fd, int cmd, ...)') as Fn;
  const f = (decl: string): Fn => lib.func(decl) as Fn;
  const createChannel = f('void *rdma_create_event_channel()');
  const destroyChannel = f('void rdma_destroy_event_channel(void *channel)');
  const createId = f('int rdma_create_id(void *channel, void *id_out, void *context, int ps)');
  const destroyId = f('int rdma_destroy_id(void *id)');
  const resolveAddr = f('int rdma_resolve_addr(void *id, void *src, void *dst, int timeout_ms)');
  const resolveRoute = f('int rdma_resolve_route(void *id, int timeout_ms)');
  const createQp = f('int rdma_create_qp(void *id, void *pd, void *attr)');
  const destroyQp = f('void rdma_destroy_qp(void *id)');
  const connect = f('int rdma_connect(void *id, void *param)');
  const disconnect = f('int rdma_disconnect(void *id)');
  const getEvent = f('int rdma_get_cm_event(void *channel, void *event_out)');
  const ackEvent = f('int rdma_ack_cm_event(void *event)');
  const eventStr = f('const char *rdma_event_str(int event)');
  const bindAddr = f('int rdma_bind_addr(void *id, void *addr)');
  const listen = f('int rdma_listen(void *id, int backlog)');
  const accept = f('int rdma_accept(void *id, void *param)');
  const reject = f('int rdma_reject(void *id, void *private_data, uint8_t len)');

  const names = Object.entries(koffi.os.errno);
  const errnoName = (): string => {
    const e = koffi.errno();
    return names.find(([, v]) => v === e)?.[0] ?? `errno ${e}`;
  };
  const out = Buffer.alloc(8);
  return {
    koffi,
    createEventChannel: () => {
      const ch = createChannel() as bigint | null;
      if (!ch) {
        const e = errnoName();
        throw new TransportError(
          `RDMA: no RDMA device: /dev/infiniband/rdma_cm cannot be opened (${e}; needs an RDMA NIC or soft-RoCE, and modprobe rdma_ucm)`,
          e,
        );
      }
      const fd = koffi.decode(ch, 0, 'int') as number;
      const flags = fcntl(fd, F_GETFL, 'int', 0) as number;
      fcntl(fd, F_SETFL, 'int', flags | O_NONBLOCK);
      return ch;
    },
    destroyEventChannel: (ch) => void destroyChannel(ch),
    createId: (ch) => {
      if ((createId(ch, out, null, RDMA_PS_TCP) as number) !== 0) {
        throw new TransportError(`RDMA: rdma_create_id failed: ${errnoName()}`, errnoName());
      }
      return out.readBigUInt64LE(0);
    },
    destroyId: (id) => destroyId(id) as number,
    resolveAddr: (id, dst, timeoutMs) => resolveAddr(id, null, dst, timeoutMs) as number,
    resolveRoute: (id, timeoutMs) => resolveRoute(id, timeoutMs) as number,
    createQp: (id, pd, attr) => createQp(id, pd, attr) as number,
    destroyQp: (id) => void destroyQp(id),
    connect: (id, param) => connect(id, param) as number,
    disconnect: (id) => disconnect(id) as number,
    bindAddr: (id, src) => bindAddr(id, src) as number,
    listen: (id, backlog) => listen(id, backlog) as number,
    accept: (id, param) => accept(id, param) as number,
    reject: (id, pd, len) => reject(id, pd, len) as number,
    localAddress: (id) => readSocketAddress(koffi, id + BigInt(CmIdOffset.SRC_ADDR)),
    peerAddress: (id) => readSocketAddress(koffi, id + BigInt(CmIdOffset.DST_ADDR)),
    channelFd: (ch) => koffi.decode(ch, 0, 'int') as number,
    getEvent: (ch) => {
      if ((getEvent(ch, out) as number) !== 0) return null;
      const ev = out.readBigUInt64LE(0);
      const conn = CmEventOffset.PARAM;
      const pdLen = koffi.decode(ev, conn + ConnParamOffset.PRIVATE_DATA_LEN, 'uint8_t') as number;
      const pdPtr = koffi.decode(ev, conn + ConnParamOffset.PRIVATE_DATA, 'void *') as bigint | null;
      const event: CmEvent = {
        type: koffi.decode(ev, CmEventOffset.EVENT, 'int') as number,
        id: koffi.decode(ev, CmEventOffset.ID, 'void *') as bigint,
        listenId: koffi.decode(ev, CmEventOffset.LISTEN_ID, 'void *') as bigint | null,
        status: koffi.decode(ev, CmEventOffset.STATUS, 'int') as number,
        privateData: pdPtr && pdLen > 0 ? Buffer.from(koffi.view(pdPtr, pdLen).slice(0)) : Buffer.alloc(0),
        initiatorDepth: koffi.decode(ev, conn + ConnParamOffset.INITIATOR_DEPTH, 'uint8_t') as number,
        responderResources: koffi.decode(ev, conn + ConnParamOffset.RESPONDER_RESOURCES, 'uint8_t') as number,
      };
      ackEvent(ev);
      return event;
    },
    eventName: (type) => eventStr(type) as string,
    errnoName,
  };
}

/**
 * `struct sockaddr_in` / `sockaddr_in6` for `address` and `port`.
 * @throws TransportError when `address` is not a numeric IPv4 or IPv6 address
 */
export function socketAddress(address: string, port: number, family: 4 | 6): Buffer {
  if (family === 4) {
    const parts = address.split('.').map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
      throw new TransportError(`RDMA: traddr '${address}' is not an IPv4 address`, 'EINVAL');
    }
    const sa = Buffer.alloc(16);
    sa.writeUInt16LE(AF_INET, 0);
    sa.writeUInt16BE(port, 2);
    for (let i = 0; i < 4; i++) sa[4 + i] = parts[i]!;
    return sa;
  }
  const sa = Buffer.alloc(28);
  sa.writeUInt16LE(AF_INET6, 0);
  sa.writeUInt16BE(port, 2);
  ipv6Bytes(address).copy(sa, 8);
  return sa;
}

function ipv6Bytes(address: string): Buffer {
  const halves = address.split('::');
  const [head, tail] = halves as [string, string | undefined];
  const words = (s: string | undefined): number[] => (s ? s.split(':').map((w) => parseInt(w, 16)) : []);
  const h = words(head);
  const t = words(tail);
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  const all = [...h, ...new Array<number>(fill).fill(0), ...t];
  if (halves.length > 2 || all.length !== 8 || all.some((w) => !(w >= 0 && w <= 0xffff))) {
    throw new TransportError(`RDMA: traddr '${address}' is not an IPv6 address`, 'EINVAL');
  }
  const b = Buffer.alloc(16);
  all.forEach((w, i) => b.writeUInt16BE(w, i * 2));
  return b;
}
