/**
 * One NVMe/RDMA queue pair on the host side (Linux drivers/nvme/host/rdma.c,
 * SPDK lib/nvme/nvme_rdma.c): its own rdma_cm ID and event channel, PD, CQ
 * and RC QP; the 64-byte SQE goes out in a SEND, the CQE comes back in a
 * RECV, data moves by the controller's RDMA READ / WRITE.
 *
 * Data placement: every slot has a registered bounce buffer of
 * `RDMA_MAX_TRANSFER_SIZE` bytes. Write data is copied into it at submit and
 * read data copied out at completion. The alternative, registering the
 * caller's Buffers (with a cache), was rejected: a Node Buffer's memory can be
 * freed by the GC and its address reused for another allocation while a
 * cached MR still pins the old pages, which silently breaks data; and
 * registering per I/O costs a syscall plus page pinning, far more than a
 * 128 KiB copy. Small writes on I/O queues travel in the capsule (SGL 0x01,
 * a second SGE on the SEND) when they fit IOCCSZ; everything else is a
 * Keyed Data Block (SGL 0x40) naming the bounce buffer's address and rkey.
 *
 * Progress, poll mode (I/O queues by default, as SPDK's perf): `processCompletions`
 * polls the CQ, and because the driver's queue pairs on fabrics do not poll
 * for us, the queue pair drives itself: a `setImmediate` loop runs while
 * commands that complete soon are outstanding, and a slow unref'd timer while
 * only an Asynchronous Event Request is (it may stay outstanding for hours
 * and must not spin a core).
 *
 * Event mode (the admin queue, and I/O queues opened with `interrupts`, e.g.
 * `nvme-perf -E`): the CQ is created on the device's completion channel, whose
 * fd libuv watches (`native/completion-channel.ts`, shared with the target);
 * polls run while they find work, then the CQ is armed and nothing runs until
 * a completion raises the next event. An idle host costs no CPU.
 *
 * Hot path: no allocation per command: the send WR and its SGEs live in one
 * native scratch area rewritten in place, CQEs are kept per slot. The
 * pointers handed to the verbs calls are made once per queue pair, and SGE
 * addresses are numbers written as two dwords (no BigInt per I/O).
 */
import { writeAddress } from '../../spec/address.js';
import type { QpairConnectOptions, TransportQpair } from '../transport.js';
import { QpairEventSource, QpairState } from '../qpair-events.js';
import { ProtocolError, TransportError } from '../../spec/errors.js';
import { CqeOffset } from '../../spec/cqe.js';
import { DataDirection, Psdt, SQE_SIZE, SqeOffset } from '../../spec/sqe.js';
import { AdminOpcode } from '../../spec/opcodes.js';
import { commandDataDirection } from '../../spec/fabrics.js';
import { writeInCapsuleSgl, writeKeyedSgl } from '../../spec/sgl.js';
import { decodeRdmaCmAccept, encodeRdmaCmRequest, RDMA_CM_REQUEST_SIZE, rdmaCmRequestFor } from '../../spec/rdma.js';
import {
  Access,
  contextOps,
  NativeScratch,
  RECV_WR_SIZE,
  RegisteredMemory,
  SEND_WR_SIZE,
  SendFlag,
  SGE_SIZE,
  SgeOffset,
  verbs,
  WC_SIZE,
  WcOffset,
  WcStatus,
  WrOffset,
  WrOpcode,
  type ContextOps,
} from '../../native/verbs.js';
import { CmEventType, CmIdOffset, rdmacm, type CmEvent } from '../../native/rdmacm.js';
import { CqProgress, releaseSharedChannel, sharedCompletionChannel, type CompletionChannel } from '../../native/completion-channel.js';
import { RdmaCommandSlots, RESPONDED_COMPLETE } from './command-slots.js';
import { expectCmEvent, waitCmEvent } from './cm-connect.js';
import {
  connectionParameters,
  createRcQp,
  DISCONNECT_WAIT_MS,
  prepareRecvWr,
  RC_RETRY_COUNT,
  WC_BATCH,
} from './rc-queue-pair.js';

/** Largest data transfer of one command: the bounce buffer of a slot. */
export const RDMA_MAX_TRANSFER_SIZE = 128 * 1024;
/** Poll period while only long-lived commands (AER) are outstanding. */
const IDLE_POLL_MS = 10;
/** RDMA READs the controller may have in flight against us (our responder resources), as Linux's host offers. */
const RESPONDER_RESOURCES = 16;
/** wr_id of receives: this bit plus the receive buffer's index; sends carry the slot. */
const RECV_TAG = 0x8000_0000;
const RESPONSE_SIZE = 16;

/** Scratch layout: one send WR with two SGEs, one recv WR with its SGE, the bad-WR pointer, the WC array. */
const Scratch = {
  SEND_WR: 0,
  SEND_SGE: SEND_WR_SIZE,
  RECV_WR: SEND_WR_SIZE + 2 * SGE_SIZE,
  RECV_SGE: SEND_WR_SIZE + 2 * SGE_SIZE + RECV_WR_SIZE,
  BAD_WR: SEND_WR_SIZE + 3 * SGE_SIZE + RECV_WR_SIZE,
  WC: 256,
  PRIVATE_DATA: 256 + WC_BATCH * WC_SIZE,
  SIZE: 256 + WC_BATCH * WC_SIZE + RDMA_CM_REQUEST_SIZE,
} as const;

/** Where a queue pair connects to: a socket address for rdma_resolve_addr. */
export interface RdmaEndpoint {
  sockaddr: Buffer;
  /** `192.0.2.1:4420`, for messages. */
  label: string;
}

export class RdmaQpair extends QpairEventSource implements TransportQpair {
  readonly qid: number;
  readonly qsize: number;
  readonly inCapsuleDataSize: number;
  readonly maxTransferSize = RDMA_MAX_TRANSFER_SIZE;
  /** The controller's receive queue size from the accept (CRQSIZE). */
  crqsize = 0;
  /** Completions come through the completion channel (event mode) rather than polls. */
  readonly eventMode: boolean;

  private readonly slots: RdmaCommandSlots;
  /** 1 for a slot holding an Asynchronous Event Request (does not keep the poll loop spinning). */
  private readonly longLived: Uint8Array;
  private longLivedCount = 0;
  private pollImmediate: NodeJS.Immediate | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  /** Inside `processCompletions`. */
  private polling = false;
  /** Work completions the last `reap` took (event mode: whether to poll again before arming). */
  private lastReaped = 0;
  private progress: CqProgress | null = null;
  private compChannel: CompletionChannel | null = null;
  /** The `ibv_context *` of the device (for the shared completion channel). */
  private ctx = 0n;
  /** ESTABLISHED was seen: `close` disconnects. */
  private established = false;

  // Native resources, created in order by `open` and released in reverse by `teardown`.
  private channel: bigint | null = null;
  private id: bigint | null = null;
  private pd: bigint | null = null;
  private cq: bigint | null = null;
  private qp: bigint | null = null;
  private ops!: ContextOps;
  private ctrlMem: RegisteredMemory | null = null;
  private dataMem: RegisteredMemory | null = null;
  private scratch: NativeScratch | null = null;
  /** Numeric addresses of the control and data regions (user-space addresses fit 2^53): SGEs and keyed SGLs are written from them. */
  private ctrlBase = 0;
  private dataBase = 0;
  /** The scratch's send WR, receive WR, bad-WR out-pointer and WC array, as the verbs calls take them. */
  private sendWr = 0n;
  private recvWr = 0n;
  private badWr = 0n;
  private wcAddr = 0n;
  /** Offset of the response (receive) buffers in the control region, after the SQEs. */
  private rspBase = 0;

  /**
   * Opens queue pair `opts.qid` to `endpoint`: address and route resolution,
   * PD, CQ, QP, registered buffers, a RECV per queue entry, then rdma_connect
   * with the NVMe/RDMA private data.
   *
   * @throws TransportError when a library or device is missing, the address has no RDMA device, or the connect fails or times out
   * @throws RdmaCmRejectError when the controller rejects the private data
   */
  static async connect(endpoint: RdmaEndpoint, opts: QpairConnectOptions): Promise<RdmaQpair> {
    const qp = new RdmaQpair(endpoint, opts);
    try {
      await qp.open(endpoint, opts);
    } catch (err) {
      qp.state = QpairState.CLOSED;
      qp.teardown();
      throw err;
    }
    return qp;
  }

  private constructor(endpoint: RdmaEndpoint, opts: QpairConnectOptions) {
    super(`NVMe/RDMA qid ${opts.qid} to ${endpoint.label}`);
    this.qid = opts.qid;
    this.qsize = opts.qsize;
    // Linux's host sends in-capsule data only on I/O queues; the admin queue uses keyed SGLs throughout.
    this.inCapsuleDataSize = opts.qid === 0 ? 0 : Math.min(opts.inCapsuleDataSize ?? 0, RDMA_MAX_TRANSFER_SIZE);
    this.eventMode = opts.qid === 0 || opts.interrupts === true;
    this.slots = new RdmaCommandSlots(opts.qsize, opts.qsize);
    this.longLived = new Uint8Array(this.slots.size);
  }

  private async open(endpoint: RdmaEndpoint, opts: QpairConnectOptions): Promise<void> {
    const cm = rdmacm();
    const v = verbs();
    const deadline = Date.now() + opts.connectTimeoutMs;
    const wait = async (expected: number, step: string): Promise<CmEvent> => {
      const ev = await waitCmEvent(this.channel!, deadline, this.where, step);
      expectCmEvent(ev, expected, this.where);
      return ev;
    };
    this.channel = cm.createEventChannel();
    this.id = cm.createId(this.channel);
    const timeout = Math.max(1, Math.min(opts.connectTimeoutMs, 5000));
    if (cm.resolveAddr(this.id, endpoint.sockaddr, timeout) !== 0) throw this.resolveError('rdma_resolve_addr');
    await wait(CmEventType.ADDR_RESOLVED, 'ADDR_RESOLVED');
    if (cm.resolveRoute(this.id, timeout) !== 0) throw this.resolveError('rdma_resolve_route');
    await wait(CmEventType.ROUTE_RESOLVED, 'ROUTE_RESOLVED');

    const ctx = (this.ctx = v.koffi.decode(this.id, CmIdOffset.VERBS, 'void *') as bigint);
    this.ops = contextOps(ctx);
    this.pd = v.allocPd(ctx);
    if (!this.pd) throw new TransportError(`${this.where}: ibv_alloc_pd failed: ${v.errnoName()}`, v.errnoName());
    if (this.eventMode) this.compChannel = sharedCompletionChannel(ctx);
    this.cq = v.createCq(ctx, 2 * this.qsize, null, this.compChannel?.channel ?? null, 0);
    if (!this.cq) throw new TransportError(`${this.where}: ibv_create_cq failed: ${v.errnoName()}`, v.errnoName());
    this.qp = createRcQp(this.id, this.pd, this.cq, { maxSendWr: this.qsize, maxRecvWr: this.qsize, maxSendSge: 2 }, this.where);

    const size = this.slots.size;
    this.rspBase = size * SQE_SIZE;
    this.ctrlMem = new RegisteredMemory(this.pd, this.rspBase + this.qsize * RESPONSE_SIZE, Access.LOCAL_WRITE);
    this.dataMem = new RegisteredMemory(
      this.pd,
      size * RDMA_MAX_TRANSFER_SIZE,
      Access.LOCAL_WRITE | Access.REMOTE_READ | Access.REMOTE_WRITE,
    );
    this.ctrlBase = Number(this.ctrlMem.address);
    this.dataBase = Number(this.dataMem.address);
    this.scratch = new NativeScratch(Scratch.SIZE);
    const scratchBase = this.scratch.address;
    this.sendWr = scratchBase + BigInt(Scratch.SEND_WR);
    this.recvWr = scratchBase + BigInt(Scratch.RECV_WR);
    this.badWr = scratchBase + BigInt(Scratch.BAD_WR);
    this.wcAddr = scratchBase + BigInt(Scratch.WC);
    this.prepareWorkRequests();
    for (let i = 0; i < this.qsize; i++) {
      if (!this.postRecv(i)) throw new TransportError(`${this.where}: ibv_post_recv failed`, 'EIO');
    }

    // The private data must sit at a native address the param structure can point to.
    encodeRdmaCmRequest(rdmaCmRequestFor(this.qid, this.qsize), this.scratch.buffer, Scratch.PRIVATE_DATA);
    const param = connectionParameters({
      scratch: this.scratch,
      offset: Scratch.PRIVATE_DATA,
      length: RDMA_CM_REQUEST_SIZE,
      responderResources: RESPONDER_RESOURCES,
      initiatorDepth: 0,
      retryCount: RC_RETRY_COUNT,
    });
    if (cm.connect(this.id, param) !== 0) {
      const e = cm.errnoName();
      throw new TransportError(`${this.where}: rdma_connect failed: ${e}`, e);
    }
    const established = await wait(CmEventType.ESTABLISHED, 'ESTABLISHED');
    this.established = true;
    if (established.privateData.length > 0) this.crqsize = decodeRdmaCmAccept(established.privateData).crqsize;
    this.state = QpairState.READY;
    if (this.compChannel !== null) {
      this.progress = new CqProgress(this.ops, this.cq, this.pollOnEvent);
      this.compChannel.add(this.cq, this.progress.onEvent);
      // Arms the CQ (after a first poll): from here on the channel says when to look.
      this.progress.kick();
    }
  }

  /** A failed address or route resolution; ENODEV means no RDMA device sits behind the address (e.g. loopback). */
  private resolveError(call: string): TransportError {
    const e = rdmacm().errnoName();
    const text = e === 'ENODEV' ? 'no RDMA device reaches this address' : `${call} failed`;
    return new TransportError(`${this.where}: ${text} (${call}: ${e})`, e);
  }

  /** Fills the parts of the scratch work requests that never change. */
  private prepareWorkRequests(): void {
    const s = this.scratch!;
    const b = s.buffer;
    writeAddress(b, Scratch.SEND_WR + WrOffset.SG_LIST, Number(s.address) + Scratch.SEND_SGE);
    b.writeUInt32LE(WrOpcode.SEND, Scratch.SEND_WR + WrOffset.OPCODE);
    b.writeUInt32LE(SendFlag.SIGNALED, Scratch.SEND_WR + WrOffset.SEND_FLAGS);
    b.writeUInt32LE(SQE_SIZE, Scratch.SEND_SGE + SgeOffset.LENGTH);
    b.writeUInt32LE(this.ctrlMem!.lkey, Scratch.SEND_SGE + SgeOffset.LKEY);
    b.writeUInt32LE(this.dataMem!.lkey, Scratch.SEND_SGE + SGE_SIZE + SgeOffset.LKEY);
    prepareRecvWr(s, Scratch.RECV_WR, Scratch.RECV_SGE, RESPONSE_SIZE, this.ctrlMem!.lkey);
  }

  submit(sqe: Buffer, data: Buffer | null): void {
    if (!this.readyToSubmit()) return;
    const cid = sqe.readUInt16LE(SqeOffset.CID);
    const length = data === null ? 0 : data.length;
    const opc = sqe[SqeOffset.OPC]!;
    const direction = commandDataDirection(sqe);
    if (length > RDMA_MAX_TRANSFER_SIZE) {
      throw new RangeError(`${length} bytes exceed the NVMe/RDMA transfer size of ${RDMA_MAX_TRANSFER_SIZE} (the driver splits larger I/O)`);
    }
    if (length > 0 && direction !== DataDirection.HOST_TO_CONTROLLER && direction !== DataDirection.CONTROLLER_TO_HOST) {
      throw new RangeError(`opcode 0x${opc.toString(16)} moves no data one way (direction ${direction}) but was given ${length} bytes`);
    }
    const toHost = direction === DataDirection.CONTROLLER_TO_HOST;
    if (!this.slots.canSend) {
      this.fail(new TransportError(`${this.where}: send queue full with ${this.slots.outstanding} commands outstanding (more than qsize)`, 'EOVERFLOW'));
      return;
    }
    const slot = this.slots.open(cid, length > 0 ? data : null, toHost);
    if (this.qid === 0 && opc === AdminOpcode.ASYNC_EVENT_REQUEST) {
      this.longLived[slot] = 1;
      this.longLivedCount++;
    }

    const cmd = this.ctrlMem!.buffer;
    const at = slot * SQE_SIZE;
    sqe.copy(cmd, at, 0, SQE_SIZE);
    cmd[at + SqeOffset.FLAGS] = (cmd[at + SqeOffset.FLAGS]! & 0x3f) | (Psdt.SGL_MPTR_CONTIG << 6);
    const bounce = slot * RDMA_MAX_TRANSFER_SIZE;
    const inCapsule = !toHost && length > 0 && length <= this.inCapsuleDataSize;
    if (!toHost && length > 0) data!.copy(this.dataMem!.buffer, bounce, 0, length);
    if (inCapsule) writeInCapsuleSgl(cmd, at + SqeOffset.DPTR, length, 0);
    else if (length > 0) writeKeyedSgl(cmd, at + SqeOffset.DPTR, this.dataBase + bounce, length, this.dataMem!.rkey);
    else writeKeyedSgl(cmd, at + SqeOffset.DPTR, 0, 0, 0);

    const b = this.scratch!.buffer;
    b.writeUInt32LE(slot, Scratch.SEND_WR + WrOffset.WR_ID);
    b.writeInt32LE(inCapsule ? 2 : 1, Scratch.SEND_WR + WrOffset.NUM_SGE);
    writeAddress(b, Scratch.SEND_SGE + SgeOffset.ADDR, this.ctrlBase + at);
    if (inCapsule) {
      writeAddress(b, Scratch.SEND_SGE + SGE_SIZE + SgeOffset.ADDR, this.dataBase + bounce);
      b.writeUInt32LE(length, Scratch.SEND_SGE + SGE_SIZE + SgeOffset.LENGTH);
    }
    const rc = this.ops.postSend(this.qp!, this.sendWr, this.badWr);
    if (rc !== 0) {
      this.fail(new TransportError(`${this.where}: ibv_post_send failed (${rc}) for cid ${cid}`, 'EIO'));
      return;
    }
    // Event mode: the armed CQ raises an event for the completions of this command.
    if (this.progress === null) this.schedulePoll();
  }

  /**
   * Polls the CQ. A call from inside a completion callback returns 0: the
   * outer call is still reading the same work-completion array.
   */
  processCompletions(maxCompletions: number): number {
    if (this.polling || this.state !== QpairState.READY) return 0;
    this.polling = true;
    try {
      return this.reap(maxCompletions);
    } finally {
      this.polling = false;
    }
  }

  private reap(maxCompletions: number): number {
    const wcAddr = this.wcAddr;
    const b = this.scratch!.buffer;
    // "No limit" still means one queue's worth (as SPDK does): a caller that
    // resubmits from its completion callback keeps the CQ non-empty, and an
    // unbounded loop would then never give the event loop back.
    const limit = maxCompletions > 0 ? maxCompletions : this.qsize;
    let reaped = 0;
    let delivered = 0;
    this.lastReaped = 0;
    for (;;) {
      const n = this.ops.pollCq(this.cq!, WC_BATCH, wcAddr);
      if (n < 0) {
        this.fail(new TransportError(`${this.where}: ibv_poll_cq failed (${n})`, 'EIO'));
        return delivered;
      }
      for (let i = 0; i < n; i++) {
        const wc = Scratch.WC + i * WC_SIZE;
        const tag = b.readUInt32LE(wc + WcOffset.WR_ID);
        const status = b.readUInt32LE(wc + WcOffset.STATUS);
        if (status !== WcStatus.SUCCESS) {
          this.failWc(status, tag);
          return delivered;
        }
        const slot = (tag & RECV_TAG) !== 0 ? this.onResponse(tag & ~RECV_TAG) : this.slots.sent(tag) ? tag : -1;
        if (slot >= 0) {
          this.finish(slot);
          delivered++;
        }
        if (this.state !== QpairState.READY) return delivered;
      }
      reaped += n;
      this.lastReaped = reaped;
      if (n < WC_BATCH || delivered >= limit || reaped >= 2 * this.qsize) return delivered;
    }
  }

  /** Closes the queue pair: rdma_disconnect, a short wait for DISCONNECTED, then every resource in reverse order. */
  async close(): Promise<void> {
    if (this.state === QpairState.CLOSED) return;
    this.state = QpairState.CLOSING;
    if (this.pollImmediate !== null) clearImmediate(this.pollImmediate);
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.pollImmediate = this.idleTimer = null;
    this.progress?.stop();
    if (this.established && rdmacm().disconnect(this.id!) === 0) {
      const deadline = Date.now() + DISCONNECT_WAIT_MS;
      for (;;) {
        const ev = await waitCmEvent(this.channel!, deadline, this.where, 'DISCONNECTED').catch(() => null);
        if (ev === null || ev.type === CmEventType.DISCONNECTED) break;
      }
    }
    this.state = QpairState.CLOSED;
    this.teardown();
  }

  // ---- completion path ----

  /** A response arrived in receive buffer `index`: keep its CQE, repost the buffer. @returns the slot when complete, else -1 */
  private onResponse(index: number): number {
    const rsp = this.ctrlMem!.buffer;
    const at = this.rspBase + index * RESPONSE_SIZE;
    const cid = rsp.readUInt16LE(at + CqeOffset.CID);
    const r = this.slots.responded(cid, rsp, at);
    if (!this.postRecv(index)) {
      this.fail(new TransportError(`${this.where}: ibv_post_recv failed`, 'EIO'));
      return -1;
    }
    if (r < 0) {
      this.fail(new ProtocolError('cid', cid, `${this.where}: response for a command not outstanding`));
      return -1;
    }
    return (r & RESPONDED_COMPLETE) !== 0 ? r & ~RESPONDED_COMPLETE : -1;
  }

  private finish(slot: number): void {
    const slots = this.slots;
    const data = slots.data[slot];
    if (data !== null && data !== undefined && slots.toHost[slot] === 1) {
      const bounce = slot * RDMA_MAX_TRANSFER_SIZE;
      this.dataMem!.buffer.copy(data, 0, bounce, bounce + data.length);
    }
    if (this.longLived[slot] === 1) {
      this.longLived[slot] = 0;
      this.longLivedCount--;
    }
    slots.close(slot);
    this.sink!.onCompletion(slots.cqes, slots.cqeOffset(slot));
  }

  private postRecv(index: number): boolean {
    const b = this.scratch!.buffer;
    b.writeUInt32LE((RECV_TAG | index) >>> 0, Scratch.RECV_WR + WrOffset.WR_ID);
    writeAddress(b, Scratch.RECV_SGE + SgeOffset.ADDR, this.ctrlBase + this.rspBase + index * RESPONSE_SIZE);
    return this.ops.postRecv(this.qp!, this.recvWr, this.badWr) === 0;
  }

  /**
   * Keeps completions flowing: an immediate (ref'd, so the process waits for
   * its I/O) while short-lived commands are outstanding, else the idle timer
   * (unref'd). A short-lived submit while the idle timer is armed replaces it.
   */
  private schedulePoll(): void {
    const busy = this.slots.outstanding > this.longLivedCount;
    if (this.pollImmediate !== null || (this.idleTimer !== null && !busy)) return;
    if (this.idleTimer !== null) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    if (busy) this.pollImmediate = setImmediate(this.pollTick);
    else this.idleTimer = setTimeout(this.pollTick, IDLE_POLL_MS).unref();
  }

  /** Event mode: the channel fired (or the last poll found work); @returns the work completions reaped. */
  private readonly pollOnEvent = (): number => {
    this.processCompletions(0);
    return this.state === QpairState.READY ? this.lastReaped : 0;
  };

  private readonly pollTick = (): void => {
    this.pollImmediate = null;
    this.idleTimer = null;
    if (this.state !== QpairState.READY) return;
    this.processCompletions(0);
    if (this.state === QpairState.READY && this.slots.outstanding > 0) this.schedulePoll();
  };

  // ---- failure and teardown ----

  private failWc(status: number, tag: number): void {
    const what = (tag & RECV_TAG) !== 0 ? 'RECV' : `SEND of cid ${this.slots.cid[tag] ?? '?'}`;
    const text = verbs().wcStatusStr(status);
    const code = status === WcStatus.WR_FLUSH_ERR ? 'ECONNRESET' : 'EIO';
    this.fail(new TransportError(`${this.where}: ${what} completed with ${text} (wc status ${status})`, code));
  }

  private fail(err: Error): void {
    if (this.state === QpairState.CLOSED || this.fatal !== null) return;
    if (this.state === QpairState.READY) this.state = QpairState.CLOSING;
    this.reportFatal(err);
  }

  /** Releases what exists, QP before CQ, MRs before PD, ID before channel. */
  private teardown(): void {
    const cm = rdmacm();
    const v = verbs();
    this.progress?.stop();
    if (this.qp !== null) cm.destroyQp(this.id!);
    if (this.cq !== null) {
      this.compChannel?.remove(this.cq);
      v.destroyCq(this.cq);
    }
    if (this.compChannel !== null) releaseSharedChannel(this.ctx);
    this.compChannel = null;
    this.ctrlMem?.release();
    this.dataMem?.release();
    this.scratch?.release();
    if (this.pd !== null) v.deallocPd(this.pd);
    if (this.id !== null) cm.destroyId(this.id);
    if (this.channel !== null) cm.destroyEventChannel(this.channel);
    this.qp = this.cq = this.pd = this.id = this.channel = null;
    this.ctrlMem = this.dataMem = this.scratch = null;
  }
}
