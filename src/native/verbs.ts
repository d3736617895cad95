/**
 * libibverbs through koffi: protection domains, memory regions, completion
 * queues, and the data-path calls `ibv_post_send`, `ibv_post_recv` and
 * `ibv_poll_cq`.
 *
 * Those three are `static inline` in verbs.h: they jump through the function
 * pointers in `struct ibv_context.ops`, so there is no symbol to bind. They
 * are called here through those same pointers with `koffi.call` (as the lab's
 * verbs-loopback probe does) rather than through a C shim: a shim would need a
 * compiler on every machine and one more shared object to ship, while the ops
 * table has kept its layout since rdma-core 13 (it is part of the provider ABI).
 *
 * Structure offsets are for x86_64 / aarch64 (LP64), rdma-core 13 and later.
 * koffi and the library load on first use, so importing this module costs
 * nothing on machines without RDMA.
 */
import { createRequire } from 'node:module';
import { TransportError } from '../spec/errors.js';

type Koffi = typeof import('koffi');
type Fn = (...args: unknown[]) => unknown;

/** Offsets inside `struct ibv_context`: the data-path entries of its ops table. */
const ContextOffset = { POLL_CQ: 96, REQ_NOTIFY_CQ: 104, POST_SEND: 208, POST_RECV: 216 } as const;

/** `struct ibv_comp_channel` { context, fd, refcnt }. */
const COMP_CHANNEL_FD = 8;

/** `struct ibv_mr` fields. */
export const MrOffset = { ADDR: 16, LKEY: 36, RKEY: 40 } as const;

/** `struct ibv_sge` { addr u64, length u32, lkey u32 }. */
export const SGE_SIZE = 16;
export const SgeOffset = { ADDR: 0, LENGTH: 8, LKEY: 12 } as const;

/** `struct ibv_send_wr` (128 bytes) and `struct ibv_recv_wr` (32 bytes): the fields used here. */
export const SEND_WR_SIZE = 128;
export const RECV_WR_SIZE = 32;
export const WrOffset = {
  WR_ID: 0,
  NEXT: 8,
  SG_LIST: 16,
  NUM_SGE: 24,
  /** send only */
  OPCODE: 28,
  SEND_FLAGS: 32,
  /** send only: imm_data / invalidate_rkey */
  IMM: 36,
  /** send only: wr.rdma.remote_addr, wr.rdma.rkey */
  REMOTE_ADDR: 40,
  RKEY: 48,
} as const;

/** `struct ibv_wc` (48 bytes). */
export const WC_SIZE = 48;
export const WcOffset = { WR_ID: 0, STATUS: 8, OPCODE: 12, BYTE_LEN: 20, IMM: 24, QP_NUM: 28 } as const;

/** `struct ibv_qp_init_attr` (64 bytes). */
export const QP_INIT_ATTR_SIZE = 64;
export const QpInitAttrOffset = {
  SEND_CQ: 8,
  RECV_CQ: 16,
  MAX_SEND_WR: 32,
  MAX_RECV_WR: 36,
  MAX_SEND_SGE: 40,
  MAX_RECV_SGE: 44,
  MAX_INLINE_DATA: 48,
  QP_TYPE: 52,
  SQ_SIG_ALL: 56,
} as const;

export const IBV_QPT_RC = 2;
/** enum ibv_wr_opcode */
export const WrOpcode = { RDMA_WRITE: 0, SEND: 2, RDMA_READ: 4, SEND_WITH_INV: 9 } as const;
/** enum ibv_wc_opcode: what a work completion was for (receives have bit 7 set). */
export const WcOpcode = { SEND: 0, RDMA_WRITE: 1, RDMA_READ: 2, RECV: 128 } as const;
/** enum ibv_send_flags */
export const SendFlag = { SIGNALED: 2, INLINE: 8 } as const;
/** enum ibv_access_flags */
export const Access = { LOCAL_WRITE: 1, REMOTE_WRITE: 2, REMOTE_READ: 4 } as const;
/** enum ibv_wc_status: SUCCESS and the flush a QP in error state produces for every queued WR. */
export const WcStatus = { SUCCESS: 0, WR_FLUSH_ERR: 5 } as const;

/** The bound libibverbs and the libc calls that go with it. */
export interface Verbs {
  koffi: Koffi;
  allocPd(ctx: bigint): bigint | null;
  deallocPd(pd: bigint): number;
  regMr(pd: bigint, addr: bigint, length: number, access: number): bigint | null;
  deregMr(mr: bigint): number;
  createCq(ctx: bigint, cqe: number, cqContext: null, channel: bigint | null, vector: number): bigint | null;
  destroyCq(cq: bigint): number;
  wcStatusStr(status: number): string;
  /** A completion channel (its fd switched to O_NONBLOCK), or null with errno set. */
  createCompChannel(ctx: bigint): bigint | null;
  destroyCompChannel(channel: bigint): number;
  /** The fd of a completion channel, to watch for readability. */
  compChannelFd(channel: bigint): number;
  /** The CQ of the next pending completion event, or null (EAGAIN). */
  getCqEvent(channel: bigint): bigint | null;
  /** Acknowledges `n` events of `cq` (every event must be, before ibv_destroy_cq). */
  ackCqEvents(cq: bigint, n: number): void;
  /** Anonymous zeroed memory that stays put (MRs pin it). */
  mmap(length: number): bigint;
  munmap(addr: bigint, length: number): number;
  /** The name of the last errno. */
  errnoName(): string;
}

/** The data-path entries of one device context. */
export interface ContextOps {
  /** int post_send(qp, wr, bad_wr) */
  postSend(qp: bigint, wr: bigint, bad: bigint): number;
  /** int post_recv(qp, wr, bad_wr) */
  postRecv(qp: bigint, wr: bigint, bad: bigint): number;
  /** int poll_cq(cq, num_entries, wc) */
  pollCq(cq: bigint, n: number, wc: bigint): number;
  /** int req_notify_cq(cq, solicited_only): the next completion raises an event on the CQ's channel. */
  reqNotifyCq(cq: bigint, solicitedOnly: number): number;
}

/** Debian / Ubuntu packages that provide the libraries and the soft-RoCE provider. */
export const RDMA_PACKAGES = 'apt-get install rdma-core ibverbs-providers';

let loaded: Verbs | Error | undefined;

/**
 * libibverbs, loaded on first use.
 * @throws TransportError (code ENOENT) naming the library and the packages to install
 */
export function verbs(): Verbs {
  if (loaded === undefined) loaded = load();
  if (loaded instanceof Error) throw loaded;
  return loaded;
}

function load(): Verbs | Error {
  let koffi: Koffi;
  try {
    koffi = createRequire(import.meta.url)('koffi') as Koffi;
  } catch (err) {
    return new TransportError(`RDMA: koffi could not be loaded: ${(err as Error).message.split('\n')[0]}`, 'ENOENT');
  }
  let lib: ReturnType<Koffi['load']>;
  try {
    lib = koffi.load('libibverbs.so.1');
  } catch {
    return new TransportError(`RDMA: libibverbs.so.1 not found (${RDMA_PACKAGES})`, 'ENOENT');
  }
  const libc = koffi.load('libc.so.6');
  const f = (decl: string): Fn => lib.func(decl) as Fn;
  const mmap = libc.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off)') as Fn;
  const munmap = libc.func('int munmap(void *addr, size_t len)') as Fn;
  const names = Object.entries(koffi.os.errno);
  const allocPd = f('void *ibv_alloc_pd(void *ctx)');
  const deallocPd = f('int ibv_dealloc_pd(void *pd)');
  const regMr = f('void *ibv_reg_mr(void *pd, void *addr, size_t length, int access)');
  const deregMr = f('int ibv_dereg_mr(void *mr)');
  const createCq = f('void *ibv_create_cq(void *ctx, int cqe, void *cq_context, void *channel, int comp_vector)');
  const destroyCq = f('int ibv_destroy_cq(void *cq)');
  const wcStatusStr = f('const char *ibv_wc_status_str(int status)');
  const createCompChannel = f('void *ibv_create_comp_channel(void *ctx)');
  const destroyCompChannel = f('int ibv_destroy_comp_channel(void *channel)');
  const getCqEvent = f('int ibv_get_cq_event(void *channel, _Out_ void **cq, _Out_ void **cq_context)');
  const ackCqEvents = f('void ibv_ack_cq_events(void *cq, unsigned int nevents)');
  const fcntl = libc.func('int fcntl(int fd, int cmd, ...)') as Fn;
  const cqOut: [bigint | null] = [null];
  const ctxOut: [bigint | null] = [null];
  return {
    koffi,
    allocPd: (ctx) => allocPd(ctx) as bigint | null,
    deallocPd: (pd) => deallocPd(pd) as number,
    regMr: (pd, addr, length, access) => regMr(pd, addr, length, access) as bigint | null,
    deregMr: (mr) => deregMr(mr) as number,
    createCq: (ctx, cqe, cqContext, channel, vector) => createCq(ctx, cqe, cqContext, channel, vector) as bigint | null,
    destroyCq: (cq) => destroyCq(cq) as number,
    wcStatusStr: (status) => wcStatusStr(status) as string,
    createCompChannel: (ctx) => {
      const ch = createCompChannel(ctx) as bigint | null;
      if (ch) {
        // ibv_get_cq_event reads the fd: non-blocking, it returns EAGAIN instead of stalling the event loop.
        const fd = koffi.decode(ch, COMP_CHANNEL_FD, 'int') as number;
        fcntl(fd, 4 /* F_SETFL */, 'int', (fcntl(fd, 3 /* F_GETFL */, 'int', 0) as number) | 0o4000 /* O_NONBLOCK */);
      }
      return ch;
    },
    destroyCompChannel: (ch) => destroyCompChannel(ch) as number,
    compChannelFd: (ch) => koffi.decode(ch, COMP_CHANNEL_FD, 'int') as number,
    getCqEvent: (ch) => ((getCqEvent(ch, cqOut, ctxOut) as number) === 0 ? cqOut[0] : null),
    ackCqEvents: (cq, n) => void ackCqEvents(cq, n),
    mmap: (length) => {
      const p = mmap(null, length, 3 /* PROT_READ|WRITE */, 0x22 /* MAP_PRIVATE|ANONYMOUS */, -1, 0n) as bigint;
      if (p === -1n || p === 0xffff_ffff_ffff_ffffn) throw new TransportError(`RDMA: mmap of ${length} bytes failed`, 'ENOMEM');
      return p;
    },
    munmap: (addr, length) => munmap(addr, length) as number,
    errnoName: () => {
      const e = koffi.errno();
      return names.find(([, v]) => v === e)?.[0] ?? `errno ${e}`;
    },
  };
}

const opsCache = new Map<bigint, ContextOps>();
/** The function types of the ops-table entries, declared once (koffi type names are global). */
let protos: Record<'post' | 'poll' | 'notify', ReturnType<Koffi['proto']>> | undefined;

/** The data-path calls of device context `ctx` (an `ibv_context *`), read from its ops table once. */
export function contextOps(ctx: bigint): ContextOps {
  const cached = opsCache.get(ctx);
  if (cached) return cached;
  const { koffi } = verbs();
  const { post, poll, notify } = (protos ??= {
    post: koffi.proto('int NvmekitIbvPost(void *qp, void *wr, void *bad)'),
    poll: koffi.proto('int NvmekitIbvPoll(void *cq, int n, void *wc)'),
    notify: koffi.proto('int NvmekitIbvNotify(void *cq, int solicited_only)'),
  });
  const sendFn = koffi.decode(ctx, ContextOffset.POST_SEND, 'void *') as bigint;
  const recvFn = koffi.decode(ctx, ContextOffset.POST_RECV, 'void *') as bigint;
  const pollFn = koffi.decode(ctx, ContextOffset.POLL_CQ, 'void *') as bigint;
  const notifyFn = koffi.decode(ctx, ContextOffset.REQ_NOTIFY_CQ, 'void *') as bigint;
  const ops: ContextOps = {
    postSend: (qp, wr, bad) => koffi.call(sendFn, post, qp, wr, bad) as number,
    postRecv: (qp, wr, bad) => koffi.call(recvFn, post, qp, wr, bad) as number,
    pollCq: (cq, n, wc) => koffi.call(pollFn, poll, cq, n, wc) as number,
    reqNotifyCq: (cq, solicitedOnly) => koffi.call(notifyFn, notify, cq, solicitedOnly) as number,
  };
  opsCache.set(ctx, ops);
  return ops;
}

/**
 * Memory registered with one protection domain: an mmap'd region (so its
 * address is known and stable) viewed as a Buffer.
 */
export class RegisteredMemory {
  readonly address: bigint;
  readonly buffer: Buffer;
  readonly lkey: number;
  readonly rkey: number;
  private mr: bigint | null;

  /** @throws TransportError when mmap or ibv_reg_mr fails */
  constructor(pd: bigint, readonly length: number, access: number) {
    const v = verbs();
    this.address = v.mmap(length);
    const mr = v.regMr(pd, this.address, length, access);
    if (!mr) {
      const why = v.errnoName();
      v.munmap(this.address, length);
      throw new TransportError(`RDMA: ibv_reg_mr of ${length} bytes failed: ${why}`, why);
    }
    this.mr = mr;
    this.lkey = v.koffi.decode(mr, MrOffset.LKEY, 'uint32_t') as number;
    this.rkey = v.koffi.decode(mr, MrOffset.RKEY, 'uint32_t') as number;
    this.buffer = Buffer.from(v.koffi.view(this.address, length));
  }

  /** Deregisters and unmaps; the Buffer must not be used afterwards. */
  release(): void {
    if (this.mr === null) return;
    const v = verbs();
    v.deregMr(this.mr);
    v.munmap(this.address, this.length);
    this.mr = null;
  }
}

/** Scratch memory for work requests and completions (C reads it; no registration). */
export class NativeScratch {
  readonly address: bigint;
  readonly buffer: Buffer;

  constructor(readonly length: number) {
    const v = verbs();
    this.address = v.mmap(length);
    this.buffer = Buffer.from(v.koffi.view(this.address, length));
  }

  release(): void {
    verbs().munmap(this.address, this.length);
  }
}
