/**
 * One NVMe/RDMA queue pair on the target (Linux nvmet-rdma's queue, SPDK's
 * `spdk_nvmf_rdma_qpair`): an rdma_cm connection with its own CQ and RC QP,
 * a RECV posted per queue entry for the command capsules, and the data moved
 * by this side: RDMA READ of write data from the host's keyed buffer, RDMA
 * WRITE of read data followed by the SEND of the CQE (SEND_WITH_INVALIDATE
 * when the host's SGL asked for it).
 *
 * Receives and commands are separate, as in SPDK: a receive buffer is reposted
 * as soon as its command's response is about to be sent (the host may send
 * its next command as soon as it sees the CQE), while the command context
 * lives on until the SEND completes and its data buffer may be reused. A
 * capsule that finds every context busy waits for one.
 *
 * Progress is event driven (`CqProgress`): the CQ is polled while polls find
 * work and armed on the device's completion channel when idle.
 *
 * Hot path: no allocation per command. Work requests are rewritten in one
 * native scratch area, addresses are numbers written as two dwords, command
 * contexts, views and callbacks are made once per connection.
 */
import { writeAddress } from '../../../spec/address.js';
import { ProtocolError, TransportError } from '../../../spec/errors.js';
import { CQE_SIZE, CqeOffset } from '../../../spec/cqe.js';
import { FABRICS_OPCODE } from '../../../spec/opcodes.js';
import { FabricsCommandType, FabricsSqeOffset } from '../../../spec/fabrics.js';
import { encodeRdmaCmAccept, RDMA_CM_ACCEPT_SIZE, RDMA_CM_RECFMT } from '../../../spec/rdma.js';
import { SQE_SIZE, SqeOffset } from '../../../spec/sqe.js';
import { SglOffset } from '../../../spec/sgl.js';
import { CqProgress } from '../../../native/completion-channel.js';
import { rdmacm } from '../../../native/rdmacm.js';
import {
  Access,
  NativeScratch,
  RegisteredMemory,
  SendFlag,
  SgeOffset,
  verbs,
  WC_SIZE,
  WcOffset,
  WcStatus,
  WrOffset,
  WrOpcode,
} from '../../../native/verbs.js';
import {
  connectionParameters,
  createRcQp,
  DISCONNECT_WAIT_MS,
  prepareRecvWr,
  WC_BATCH,
} from '../../../transport/rdma/rc-queue-pair.js';
import type { LogLevel } from '../../target-context.js';
import type { CommandFailure, TargetConnectionInfo, TargetQueuePair } from '../transport.js';
import type { PoolBuffer } from './buffer-pool.js';
import { describeRdmaCommandData, RdmaDataPath, type RdmaCommandData } from './command-data.js';
import type { AcceptedConnect } from './connect-request.js';
import { IndexQueue, WorkRequestCredits } from './flow-control.js';
import type { RdmaTransportOptions } from './options.js';
import type { RdmaDevice } from './rdma-device.js';

/** wr_id tags (bits 31:30); the low bits hold the receive or command index. */
const Tag = { RECV: 0x4000_0000, SEND: 0x8000_0000, READ: 0xc000_0000 } as const;
const TAG_MASK = 0xc000_0000;

/** Scratch layout: two chained send WRs (READ or WRITE, then SEND), their SGEs, a receive WR, out-pointer, private data, WCs. */
const Scratch = {
  WR0: 0,
  WR1: 128,
  SGE0: 256,
  SGE1: 272,
  RECV_WR: 288,
  RECV_SGE: 320,
  BAD_WR: 336,
  PRIVATE_DATA: 352,
  WC: 384,
  SIZE: 384 + WC_BATCH * WC_SIZE,
} as const;

const CmdState = {
  FREE: 0,
  WAIT_BUFFER: 1,
  WAIT_READ: 2,
  READING: 3,
  EXECUTING: 4,
  WAIT_SEND: 5,
  SENDING: 6,
} as const;
type CmdState = (typeof CmdState)[keyof typeof CmdState];

const ConnState = { ACCEPTING: 0, RUNNING: 1, CLOSING: 2, CLOSED: 3 } as const;
type ConnState = (typeof ConnState)[keyof typeof ConnState];

/** One command context. */
class RdmaCommand implements RdmaCommandData {
  path: RdmaDataPath = RdmaDataPath.NONE;
  length = 0;
  capsuleOffset = 0;
  rkey = 0;
  invalidate = false;
  failure: CommandFailure | null = null;
  state: CmdState = CmdState.FREE;
  /** The receive buffer holding its capsule, or -1 once reposted. */
  recv = -1;
  buffer: PoolBuffer | null = null;
  /** Send-queue entries its response holds (1, or 2 with an RDMA WRITE). */
  sendCredits = 0;
  /** Bytes of read data to RDMA WRITE before the response. */
  writeBytes = 0;
  /** Keyed SGL address, low and high dwords (kept: the capsule's buffer is reposted before a read's data goes out). */
  remoteLo = 0;
  remoteHi = 0;
  readonly done: (cqe: Buffer, data: Buffer | null) => void;

  constructor(
    readonly index: number,
    onDone: (cmd: RdmaCommand, cqe: Buffer, data: Buffer | null) => void,
  ) {
    this.done = (cqe, data) => onDone(this, cqe, data);
  }
}

/** What the listener hands each connection. */
export interface RdmaConnectionContext {
  options: RdmaTransportOptions;
  log: (level: LogLevel, msg: string) => void;
}

export class RdmaConnection {
  /** `192.0.2.2:41234`, for logs. */
  readonly name: string;
  /** Resolves once every resource is released. */
  readonly closed: Promise<void>;

  private state: ConnState = ConnState.ACCEPTING;
  private closeReason = '';
  private qid = -1;
  private readonly qsize: number;
  private readonly recvSize: number;
  private readonly commands: RdmaCommand[] = [];
  private readonly freeCommands: number[] = [];
  private readonly sqeViews: Buffer[] = [];
  private readonly dataViews: Buffer[] = [];
  private readonly recvBytes: Uint32Array;
  private readonly waitingRecv: IndexQueue;
  private readonly waitingBuffer: IndexQueue;
  private readonly waitingRead: IndexQueue;
  private readonly waitingSend: IndexQueue;
  private readonly credits: WorkRequestCredits;
  private executing = 0;
  private waitingForPool = false;
  private released = false;
  private disconnectTimer: NodeJS.Timeout | null = null;
  private resolveClosed!: () => void;

  private cq: bigint | null = null;
  private qp: bigint | null = null;
  private recvMem: RegisteredMemory | null = null;
  private rspMem: RegisteredMemory | null = null;
  private scratch: NativeScratch | null = null;
  private progress: CqProgress | null = null;
  private core: TargetQueuePair | null = null;
  private recvBase = 0;
  private rspBase = 0;
  private wr0 = 0n;
  private wr1 = 0n;
  private recvWr = 0n;
  private badWr = 0n;
  private wcAddr = 0n;

  /**
   * Creates the CQ, QP and buffers for an accepted request and posts the receives; `accept` then answers the host.
   * @throws TransportError when a verbs resource cannot be created (the caller rejects with NO_RESOURCES)
   */
  constructor(
    /** The connection's `rdma_cm_id *`. */
    readonly id: bigint,
    private readonly device: RdmaDevice,
    private readonly ctx: RdmaConnectionContext,
    readonly info: TargetConnectionInfo,
    private readonly request: AcceptedConnect,
  ) {
    this.name = `${info.peerAddress}:${info.peerPort}`;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    const qsize = (this.qsize = request.qsize);
    this.recvSize = SQE_SIZE + ctx.options.inCapsuleDataSize;
    this.recvBytes = new Uint32Array(qsize);
    this.waitingRecv = new IndexQueue(qsize);
    this.waitingBuffer = new IndexQueue(qsize);
    this.waitingRead = new IndexQueue(qsize);
    this.waitingSend = new IndexQueue(qsize);
    this.credits = new WorkRequestCredits(2 * qsize, request.readDepth);
    for (let i = 0; i < qsize; i++) {
      this.commands.push(new RdmaCommand(i, this.onCommandDone));
      this.freeCommands.push(qsize - 1 - i);
    }
    try {
      this.createResources();
    } catch (err) {
      // The listener rejects the request and destroys the CM ID.
      this.releaseVerbs();
      throw err;
    }
  }

  private createResources(): void {
    const v = verbs();
    const qsize = this.qsize;
    const sendDepth = this.credits.sendDepth;
    this.cq = v.createCq(this.device.ctx, sendDepth + qsize, null, this.device.channel.channel, 0);
    if (!this.cq) throw new TransportError(`ibv_create_cq failed: ${v.errnoName()}`, v.errnoName());
    this.qp = createRcQp(this.id, this.device.pd, this.cq, { maxSendWr: sendDepth, maxRecvWr: qsize, maxSendSge: 1 });
    this.recvMem = new RegisteredMemory(this.device.pd, qsize * this.recvSize, Access.LOCAL_WRITE);
    this.rspMem = new RegisteredMemory(this.device.pd, qsize * CQE_SIZE, Access.LOCAL_WRITE);
    this.scratch = new NativeScratch(Scratch.SIZE);
    this.recvBase = Number(this.recvMem.address);
    this.rspBase = Number(this.rspMem.address);
    const base = this.scratch.address;
    this.wr0 = base + BigInt(Scratch.WR0);
    this.wr1 = base + BigInt(Scratch.WR1);
    this.recvWr = base + BigInt(Scratch.RECV_WR);
    this.badWr = base + BigInt(Scratch.BAD_WR);
    this.wcAddr = base + BigInt(Scratch.WC);
    for (let r = 0; r < qsize; r++) {
      const at = r * this.recvSize;
      this.sqeViews.push(this.recvMem.buffer.subarray(at, at + SQE_SIZE));
      this.dataViews.push(this.recvMem.buffer.subarray(at + SQE_SIZE, at + SQE_SIZE));
    }
    this.prepareWorkRequests();
    for (let r = 0; r < qsize; r++) {
      if (!this.postRecv(r)) throw new TransportError('ibv_post_recv failed', 'EIO');
    }
    const cq = this.cq;
    this.progress = new CqProgress(this.device.ops, cq, this.reap);
    this.device.channel.add(cq, this.progress.onEvent);
  }

  /** The parts of the scratch work requests that never change. */
  private prepareWorkRequests(): void {
    const s = this.scratch!;
    const b = s.buffer;
    const base = Number(s.address);
    writeAddress(b, Scratch.WR0 + WrOffset.SG_LIST, base + Scratch.SGE0);
    b.writeInt32LE(1, Scratch.WR0 + WrOffset.NUM_SGE);
    writeAddress(b, Scratch.WR1 + WrOffset.SG_LIST, base + Scratch.SGE1);
    b.writeInt32LE(1, Scratch.WR1 + WrOffset.NUM_SGE);
    b.writeUInt32LE(SendFlag.SIGNALED, Scratch.WR1 + WrOffset.SEND_FLAGS);
    b.writeUInt32LE(CQE_SIZE, Scratch.SGE1 + SgeOffset.LENGTH);
    b.writeUInt32LE(this.rspMem!.lkey, Scratch.SGE1 + SgeOffset.LKEY);
    prepareRecvWr(s, Scratch.RECV_WR, Scratch.RECV_SGE, this.recvSize, this.recvMem!.lkey);
  }

  /**
   * Answers the host: the core's queue pair is created, then rdma_accept with
   * CRQSIZE and our RDMA READ depth.
   * @throws TransportError when rdma_accept fails
   */
  accept(core: TargetQueuePair): void {
    this.core = core;
    core.onTerminate = (reason) => this.close(`terminated by the target: ${reason}`);
    const s = this.scratch!;
    encodeRdmaCmAccept({ recfmt: RDMA_CM_RECFMT, crqsize: this.qsize }, s.buffer, Scratch.PRIVATE_DATA);
    // Responder resources 0: the host does not RDMA READ from us.
    const param = connectionParameters({
      scratch: s,
      offset: Scratch.PRIVATE_DATA,
      length: RDMA_CM_ACCEPT_SIZE,
      responderResources: 0,
      initiatorDepth: this.request.readDepth,
      retryCount: 0,
    });
    const cm = rdmacm();
    if (cm.accept(this.id, param) !== 0) {
      const e = cm.errnoName();
      throw new TransportError(`rdma_accept failed: ${e}`, e);
    }
    this.state = ConnState.RUNNING;
    this.progress!.kick();
    const r = this.request.request;
    this.log('info', `accepted: qid ${r.qid}, HSQSIZE ${r.hsqsize}, HRQSIZE ${r.hrqsize}, ${this.request.readDepth} RDMA READs in flight`);
  }

  /** ESTABLISHED arrived (the QP is already usable: capsules may have come in before it). */
  established(): void {
    this.log('debug', 'established');
  }

  /**
   * Disconnects and releases everything once the core has finished the
   * commands it holds. Safe to call more than once.
   */
  close(reason: string): Promise<void> {
    if (this.state >= ConnState.CLOSING) return this.closed;
    this.closeReason = reason;
    const wasRunning = this.state === ConnState.RUNNING;
    this.state = ConnState.CLOSING;
    if (wasRunning && rdmacm().disconnect(this.id) === 0) {
      // The DISCONNECTED event (ours or the host's) finishes the close; a timer covers a peer that never answers.
      this.disconnectTimer = setTimeout(() => this.finish(), DISCONNECT_WAIT_MS);
    } else {
      this.finish();
    }
    return this.closed;
  }

  /** DISCONNECTED, TIMEWAIT_EXIT or DEVICE_REMOVAL for this connection's ID. */
  disconnected(event: string): void {
    if (this.state < ConnState.CLOSING) {
      this.closeReason = `${event} from the host`;
      this.state = ConnState.CLOSING;
      rdmacm().disconnect(this.id);
    }
    this.finish();
  }

  // ---- completions ----

  /** Polls the CQ; returns the work completions reaped. */
  private readonly reap = (): number => {
    if (this.state === ConnState.CLOSED) return 0;
    const b = this.scratch!.buffer;
    let total = 0;
    for (;;) {
      const n = this.device.ops.pollCq(this.cq!, WC_BATCH, this.wcAddr);
      if (n < 0) {
        this.fatal(new TransportError(`ibv_poll_cq failed (${n})`, 'EIO'));
        return total;
      }
      for (let i = 0; i < n; i++) {
        const wc = Scratch.WC + i * WC_SIZE;
        const wrId = b.readUInt32LE(wc + WcOffset.WR_ID);
        const status = b.readUInt32LE(wc + WcOffset.STATUS);
        const tag = (wrId & TAG_MASK) >>> 0;
        const index = wrId & ~TAG_MASK;
        if (status !== WcStatus.SUCCESS) {
          this.failedCompletion(tag, index, status);
          continue;
        }
        if (this.state !== ConnState.RUNNING) continue;
        if (tag === Tag.RECV) this.onRecv(index, b.readUInt32LE(wc + WcOffset.BYTE_LEN));
        else if (tag === Tag.READ) this.onReadDone(this.commands[index]!);
        else this.onSendDone(this.commands[index]!);
      }
      total += n;
      if (n < WC_BATCH || total >= 4 * this.qsize) return total;
    }
  };

  private failedCompletion(tag: number, index: number, status: number): void {
    if (this.state !== ConnState.RUNNING) return;
    if (status === WcStatus.WR_FLUSH_ERR) {
      // The QP went to the error state under us: the host left before its DISCONNECTED event was read.
      this.log('info', 'queue pair flushed: the host went away');
      void this.close('queue pair flushed');
      return;
    }
    const what = tag === Tag.RECV ? 'RECV' : tag === Tag.READ ? `RDMA READ of command ${index}` : `SEND of command ${index}`;
    this.fatal(new TransportError(`${what} completed with ${verbs().wcStatusStr(status)} (wc status ${status})`, 'EIO'));
  }

  private onRecv(r: number, byteLen: number): void {
    if (byteLen < SQE_SIZE) {
      this.fatal(new ProtocolError('capsule', byteLen, `a command capsule of at least ${SQE_SIZE} bytes`));
      return;
    }
    this.recvBytes[r] = byteLen;
    const c = this.freeCommands.pop();
    if (c === undefined) this.waitingRecv.push(r);
    else this.startCommand(this.commands[c]!, r);
  }

  private startCommand(cmd: RdmaCommand, r: number): void {
    cmd.recv = r;
    cmd.buffer = null;
    cmd.sendCredits = 0;
    cmd.writeBytes = 0;
    const sqe = this.sqeViews[r]!;
    describeRdmaCommandData(sqe, this.recvBytes[r]! - SQE_SIZE, this.ctx.options, cmd);
    cmd.remoteLo = sqe.readUInt32LE(SqeOffset.DPTR + SglOffset.ADDRESS);
    cmd.remoteHi = sqe.readUInt32LE(SqeOffset.DPTR + SglOffset.ADDRESS + 4);
    if (cmd.failure !== null) {
      this.fail(cmd, cmd.failure);
      return;
    }
    switch (cmd.path) {
      case RdmaDataPath.IN_CAPSULE:
        this.execute(cmd, this.inCapsuleData(r, cmd.capsuleOffset, cmd.length));
        return;
      case RdmaDataPath.RDMA_READ:
      case RdmaDataPath.RDMA_WRITE:
        this.needBuffer(cmd);
        return;
      default:
        this.execute(cmd, null);
    }
  }

  /** The in-capsule data as a view kept per receive buffer (reused while offset and length repeat). */
  private inCapsuleData(r: number, offset: number, length: number): Buffer {
    const view = this.dataViews[r]!;
    const start = SQE_SIZE + offset;
    if (view.length === length && view.byteOffset === this.recvMem!.buffer.byteOffset + r * this.recvSize + start) return view;
    const at = r * this.recvSize + start;
    return (this.dataViews[r] = this.recvMem!.buffer.subarray(at, at + length));
  }

  private needBuffer(cmd: RdmaCommand): void {
    let buf: PoolBuffer | null;
    try {
      buf = this.device.pool.acquire(cmd.length);
    } catch (err) {
      this.fatal(err as Error);
      return;
    }
    if (buf === null) {
      cmd.state = CmdState.WAIT_BUFFER;
      this.waitingBuffer.push(cmd.index);
      if (!this.waitingForPool) {
        this.waitingForPool = true;
        this.device.pool.whenAvailable(this.resumeBuffers);
      }
      return;
    }
    cmd.buffer = buf;
    if (cmd.path === RdmaDataPath.RDMA_READ) this.startRead(cmd);
    else this.execute(cmd, null);
  }

  private readonly resumeBuffers = (): void => {
    this.waitingForPool = false;
    if (this.state !== ConnState.RUNNING) return;
    const n = this.waitingBuffer.length;
    for (let i = 0; i < n && this.waitingForPool === false; i++) this.needBuffer(this.commands[this.waitingBuffer.shift()]!);
  };

  private startRead(cmd: RdmaCommand): void {
    if (this.waitingRead.length > 0 || !this.credits.takeRead()) {
      cmd.state = CmdState.WAIT_READ;
      this.waitingRead.push(cmd.index);
      return;
    }
    this.postRead(cmd);
  }

  private postRead(cmd: RdmaCommand): void {
    cmd.state = CmdState.READING;
    const b = this.scratch!.buffer;
    const buf = cmd.buffer!;
    b.writeUInt32LE((Tag.READ | cmd.index) >>> 0, Scratch.WR0 + WrOffset.WR_ID);
    b.writeUInt32LE(0, Scratch.WR0 + WrOffset.WR_ID + 4);
    b.writeBigUInt64LE(0n, Scratch.WR0 + WrOffset.NEXT);
    b.writeUInt32LE(WrOpcode.RDMA_READ, Scratch.WR0 + WrOffset.OPCODE);
    b.writeUInt32LE(SendFlag.SIGNALED, Scratch.WR0 + WrOffset.SEND_FLAGS);
    this.writeRemote(cmd);
    writeAddress(b, Scratch.SGE0 + SgeOffset.ADDR, buf.address);
    b.writeUInt32LE(cmd.length, Scratch.SGE0 + SgeOffset.LENGTH);
    b.writeUInt32LE(buf.lkey, Scratch.SGE0 + SgeOffset.LKEY);
    if (this.device.ops.postSend(this.qp!, this.wr0, this.badWr) !== 0) {
      this.fatal(new TransportError(`ibv_post_send (RDMA READ of ${cmd.length} bytes) failed`, 'EIO'));
      return;
    }
    this.progress!.kick();
  }

  /** WR0's remote address and key: the host buffer of the command's keyed SGL. */
  private writeRemote(cmd: RdmaCommand): void {
    const b = this.scratch!.buffer;
    b.writeUInt32LE(cmd.remoteLo, Scratch.WR0 + WrOffset.REMOTE_ADDR);
    b.writeUInt32LE(cmd.remoteHi, Scratch.WR0 + WrOffset.REMOTE_ADDR + 4);
    b.writeUInt32LE(cmd.rkey >>> 0, Scratch.WR0 + WrOffset.RKEY);
  }

  private onReadDone(cmd: RdmaCommand): void {
    this.credits.returnRead();
    this.execute(cmd, cmd.buffer!.viewOf(cmd.length));
    this.serveWaiting();
  }

  private execute(cmd: RdmaCommand, data: Buffer | null): void {
    cmd.state = CmdState.EXECUTING;
    this.executing++;
    this.core!.execute(this.sqeViews[cmd.recv]!, data, cmd.done);
  }

  /** Fails a command the transport cannot serve; the core completes it at once through `onCommandDone`. */
  private fail(cmd: RdmaCommand, failure: CommandFailure): void {
    const sqe = this.sqeViews[cmd.recv]!;
    this.log('debug', `cid ${sqe.readUInt16LE(SqeOffset.CID)} opc 0x${sqe[SqeOffset.OPC]!.toString(16)}: failed by the transport, status ${failure.sct}/0x${failure.sc.toString(16)}`);
    cmd.state = CmdState.EXECUTING;
    this.executing++;
    this.core!.fail(sqe, failure, cmd.done);
  }

  private readonly onCommandDone = (cmd: RdmaCommand, cqe: Buffer, data: Buffer | null): void => {
    if (cmd.state !== CmdState.EXECUTING) {
      this.log('error', `command ${cmd.index}: the core completed a command that is not executing`);
      return;
    }
    this.executing--;
    if (this.state !== ConnState.RUNNING) {
      this.releaseCommand(cmd);
      if (this.state === ConnState.CLOSED && this.executing === 0) this.releaseResources();
      return;
    }
    const status = cqe.readUInt16LE(CqeOffset.STATUS) >> 1;
    if (status === 0 && this.qid < 0) this.noteConnect(this.sqeViews[cmd.recv]!);
    cqe.copy(this.rspMem!.buffer, cmd.index * CQE_SIZE, 0, CQE_SIZE);
    cmd.writeBytes = cmd.path === RdmaDataPath.RDMA_WRITE && data !== null && status === 0 ? Math.min(data.length, cmd.length) : 0;
    if (cmd.writeBytes > 0 && data !== cmd.buffer!.bytes) data!.copy(cmd.buffer!.bytes, 0, 0, cmd.writeBytes);
    // The capsule is consumed: the host may send its next command as soon as it sees this CQE.
    const r = cmd.recv;
    cmd.recv = -1;
    if (!this.postRecv(r)) {
      this.fatal(new TransportError('ibv_post_recv failed', 'EIO'));
      return;
    }
    cmd.sendCredits = cmd.writeBytes > 0 ? 2 : 1;
    if (this.waitingSend.length > 0 || !this.credits.takeSend(cmd.sendCredits)) {
      cmd.state = CmdState.WAIT_SEND;
      this.waitingSend.push(cmd.index);
      return;
    }
    this.postResponse(cmd);
  };

  /** Posts the response SEND, behind the RDMA WRITE of the read data when there is some. */
  private postResponse(cmd: RdmaCommand): void {
    cmd.state = CmdState.SENDING;
    const b = this.scratch!.buffer;
    b.writeUInt32LE((Tag.SEND | cmd.index) >>> 0, Scratch.WR1 + WrOffset.WR_ID);
    b.writeUInt32LE(0, Scratch.WR1 + WrOffset.WR_ID + 4);
    b.writeBigUInt64LE(0n, Scratch.WR1 + WrOffset.NEXT);
    b.writeUInt32LE(cmd.invalidate ? WrOpcode.SEND_WITH_INV : WrOpcode.SEND, Scratch.WR1 + WrOffset.OPCODE);
    b.writeUInt32LE(cmd.invalidate ? cmd.rkey >>> 0 : 0, Scratch.WR1 + WrOffset.IMM);
    writeAddress(b, Scratch.SGE1 + SgeOffset.ADDR, this.rspBase + cmd.index * CQE_SIZE);
    let first = this.wr1;
    if (cmd.writeBytes > 0) {
      const buf = cmd.buffer!;
      b.writeUInt32LE(0, Scratch.WR0 + WrOffset.WR_ID);
      b.writeUInt32LE(0, Scratch.WR0 + WrOffset.WR_ID + 4);
      b.writeBigUInt64LE(this.wr1, Scratch.WR0 + WrOffset.NEXT);
      b.writeUInt32LE(WrOpcode.RDMA_WRITE, Scratch.WR0 + WrOffset.OPCODE);
      // Unsignaled: it retires with the SEND behind it (same QP, in order).
      b.writeUInt32LE(0, Scratch.WR0 + WrOffset.SEND_FLAGS);
      this.writeRemote(cmd);
      writeAddress(b, Scratch.SGE0 + SgeOffset.ADDR, buf.address);
      b.writeUInt32LE(cmd.writeBytes, Scratch.SGE0 + SgeOffset.LENGTH);
      b.writeUInt32LE(buf.lkey, Scratch.SGE0 + SgeOffset.LKEY);
      first = this.wr0;
    }
    if (this.device.ops.postSend(this.qp!, first, this.badWr) !== 0) {
      this.fatal(new TransportError(`ibv_post_send (response of command ${cmd.index}) failed`, 'EIO'));
      return;
    }
    this.progress!.kick();
  }

  private onSendDone(cmd: RdmaCommand): void {
    this.credits.returnSend(cmd.sendCredits);
    this.releaseCommand(cmd);
    this.serveWaiting();
  }

  private releaseCommand(cmd: RdmaCommand): void {
    if (cmd.buffer !== null) {
      this.device.pool.release(cmd.buffer);
      cmd.buffer = null;
    }
    cmd.state = CmdState.FREE;
    cmd.recv = -1;
    this.freeCommands.push(cmd.index);
  }

  /** Resumes what waited for send-queue entries, READ slots or a command context, oldest first. */
  private serveWaiting(): void {
    while (this.state === ConnState.RUNNING && this.waitingSend.length > 0) {
      const cmd = this.commands[this.waitingSend.peek()]!;
      if (!this.credits.takeSend(cmd.sendCredits)) break;
      this.waitingSend.shift();
      this.postResponse(cmd);
    }
    while (this.state === ConnState.RUNNING && this.waitingRead.length > 0 && this.credits.takeRead()) {
      this.postRead(this.commands[this.waitingRead.shift()]!);
    }
    while (this.state === ConnState.RUNNING && this.waitingRecv.length > 0 && this.freeCommands.length > 0) {
      this.startCommand(this.commands[this.freeCommands.pop()!]!, this.waitingRecv.shift());
    }
  }

  private postRecv(r: number): boolean {
    const s = this.scratch!;
    const b = s.buffer;
    b.writeUInt32LE((Tag.RECV | r) >>> 0, Scratch.RECV_WR + WrOffset.WR_ID);
    writeAddress(b, Scratch.RECV_SGE + SgeOffset.ADDR, this.recvBase + r * this.recvSize);
    return this.device.ops.postRecv(this.qp!, this.recvWr, this.badWr) === 0;
  }

  /** After the first successful Connect: the queue ID, for logs. */
  private noteConnect(sqe: Buffer): void {
    if (sqe[SqeOffset.OPC] !== FABRICS_OPCODE || sqe[FabricsSqeOffset.FCTYPE] !== FabricsCommandType.CONNECT) return;
    this.qid = sqe.readUInt16LE(FabricsSqeOffset.QID);
  }

  // ---- teardown ----

  /** The peer broke the protocol or the QP failed: log and close this connection only. */
  private fatal(err: Error): void {
    if (this.state !== ConnState.RUNNING) return;
    this.log('warn', err.message);
    void this.close(err.message);
  }

  /**
   * The connection is gone: no more completions are handled, the core
   * releases the queue, and the verbs resources go once the core has
   * returned every command it holds (in-capsule data lives in the receive
   * buffers).
   */
  private finish(): void {
    if (this.state === ConnState.CLOSED) return;
    this.state = ConnState.CLOSED;
    if (this.disconnectTimer !== null) clearTimeout(this.disconnectTimer);
    this.disconnectTimer = null;
    this.progress?.stop();
    if (this.qp !== null) {
      // No DMA after this: data buffers of queued and in-flight commands can go back to the pool.
      rdmacm().destroyQp(this.id);
      this.qp = null;
    }
    for (const cmd of this.commands) if (cmd.state !== CmdState.FREE && cmd.state !== CmdState.EXECUTING) this.releaseCommand(cmd);
    this.waitingRecv.clear();
    this.waitingBuffer.clear();
    this.waitingRead.clear();
    this.waitingSend.clear();
    if (this.waitingForPool) this.device.pool.cancel(this.resumeBuffers);
    this.log('info', `closed: ${this.closeReason}`);
    if (this.core !== null) {
      try {
        this.core.close(this.closeReason);
      } catch (err) {
        this.log('error', `queue pair close threw: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (this.executing === 0) this.releaseResources();
  }

  /**
   * Frees the verbs resources, then the CM ID, and reports the connection
   * closed. Once only: the core may return its last command from inside
   * `close` (an AER aborted with the queue), before `finish` looks again.
   */
  private releaseResources(): void {
    if (this.released) return;
    this.released = true;
    this.releaseVerbs();
    rdmacm().destroyId(this.id);
    this.state = ConnState.CLOSED;
    this.resolveClosed();
  }

  /** Frees what exists: CQ after the QP, then the MRs. */
  private releaseVerbs(): void {
    const v = verbs();
    if (this.qp !== null) rdmacm().destroyQp(this.id);
    if (this.cq !== null) {
      this.device.channel.remove(this.cq);
      v.destroyCq(this.cq);
    }
    this.recvMem?.release();
    this.rspMem?.release();
    this.scratch?.release();
    this.qp = this.cq = null;
    this.recvMem = this.rspMem = null;
    this.scratch = null;
  }

  private log(level: LogLevel, msg: string): void {
    this.ctx.log(level, `rdma ${this.name}${this.qid >= 0 ? ` qid ${this.qid}` : ''}: ${msg}`);
  }
}
