/**
 * A queue pair as the application sees it (SPDK's `spdk_nvme_qpair`): request
 * slots indexed by CID, submit helpers with callbacks, queueing past the queue
 * depth, splitting past the maximum transfer size, per-command timeouts, and
 * failure of everything outstanding when the transport dies.
 *
 * Hot path: a submit takes a pooled request, writes the SQE in place, takes a
 * CID from a stack and hands both to the transport; a completion is one array
 * lookup by CID and a status check on the raw CQE. Nothing is allocated per
 * I/O once the pools are warm, and no closure is made per I/O.
 */
import type { QpairEvents, QueueMemory, TransportQpair } from '../transport/transport.js';
import { CommandTimeoutError, ProtocolError, TransportError } from '../spec/errors.js';
import { CqeOffset, cqeStatusField } from '../spec/cqe.js';
import { encodeSqe, SQE_SIZE, SqeOffset, type SqeInit } from '../spec/sqe.js';
import { IoOpcode } from '../spec/opcodes.js';
import { GenericStatus, isSuccess, NvmeStatusError, StatusCodeType } from '../spec/status.js';
import { encodeDsmRanges, DsmAttribute, NLB_MAX, writeIoCommand, type DsmRange } from '../spec/commands.js';
import { formatCommand, formatCompletion } from './trace.js';

/**
 * Called once per command. `err` is an `NvmeStatusError` (the command failed with
 * a status), a `CommandTimeoutError`, or a `TransportError` / `ProtocolError`
 * (the queue pair died). `cdw0` and `cdw1` are the completion's dwords 0 and 1,
 * also with a status error (Connect reports the invalid parameter there), and 0
 * when there was no completion; most callers ignore `cdw1`.
 */
export type IoCallback = (err: Error | null, cdw0: number, cdw1: number) => void;

/** Dwords 0 and 1 of a completion, as `rawAsync` resolves them. */
export interface RawCompletion {
  cdw0: number;
  cdw1: number;
}

/** How a `QueuePair` behaves; filled in by the controller or by `attachQpair`. */
export interface QueuePairOptions {
  /** Fail a command with `CommandTimeoutError` after this long without a completion; 0 disables. */
  commandTimeoutMs: number;
  /** Largest transfer of one command in bytes (MDTS); the transport's own limit also applies. */
  maxTransferSize?: number;
  /** Receives one line per command and completion in SPDK's trace format. */
  trace?: (line: string) => void;
  /**
   * Poll the transport for completions on its own while commands are
   * outstanding (admin queue of a polled transport).
   */
  autoPoll?: boolean;
  /** A command timed out: best-effort Abort (the controller sends it on its admin queue). */
  onTimeout?: (sqid: number, cid: number, opc: number) => void;
  /** The transport reported a fatal error (after every command was failed). */
  onFatal?: (err: Error) => void;
  /**
   * `free()` is about to close the transport queue pair (its commands already
   * failed): PCIe deletes the SQ and CQ on the controller here, before the
   * transport frees their memory.
   */
  beforeClose?: () => Promise<void>;
  /** `free()` closed the transport queue pair: the owner may reuse the QID or release more. */
  onFree?: () => void | Promise<void>;
}

/** One command: its SQE, its data and who to tell. Pooled per queue pair. */
class Request {
  readonly sqe = Buffer.alloc(SQE_SIZE);
  data: Buffer | null = null;
  cb: IoCallback | null = null;
  parent: SplitParent | null = null;
  /** Timeout clock tick at submission. */
  startTick = 0;
  /** Failed by a timeout; the CID stays reserved until the late completion comes. */
  timedOut = false;
  /** Exempt from timeouts (Asynchronous Event Requests wait indefinitely). */
  longLived = false;
  /** Free list or pending queue link. */
  next: Request | null = null;
}

/** A command split past the maximum transfer size: completes once, with the first error. */
class SplitParent {
  cb: IoCallback | null = null;
  remaining = 0;
  error: Error | null = null;
  next: SplitParent | null = null;
}

/** The NVMe status SPDK gives commands it fails itself when a queue is deleted. */
const SQ_DELETION = { sct: StatusCodeType.GENERIC, sc: GenericStatus.ABORTED_SQ_DELETION, crd: 0, more: false, dnr: true };
/** The same for commands a controller reset took away: the queue comes back, so they may be retried. */
const SQ_DELETION_BY_RESET = { ...SQ_DELETION, dnr: false };
/** Longest period of the timeout clock; the clock runs at 1/8 of the timeout below this. */
const MAX_TICK_MS = 1000;

export class QueuePair implements QpairEvents {
  /** Queue ID: 0 for the admin queue. */
  readonly qid: number;
  /** Number of SQ entries; `qsize - 1` commands can be outstanding, the rest wait in a queue. */
  readonly qsize: number;
  /** Largest data transfer of one command; larger reads and writes are split. */
  readonly maxTransferSize: number;
  /** The error that ended this queue pair, or null while it works. */
  failedReason: Error | null = null;
  /** PCIe: the rings Create I/O CQ / SQ point at (see `TransportQpair.queueMemory`). */
  readonly queueMemory: QueueMemory | undefined;

  private readonly tq: TransportQpair;
  private readonly opts: QueuePairOptions;
  private readonly trace: ((line: string) => void) | undefined;
  private readonly slots: (Request | null)[];
  private readonly freeCids: Uint16Array;
  private freeCidCount: number;
  private freeRequests: Request | null = null;
  private freeParents: SplitParent | null = null;
  private pendingHead: Request | null = null;
  private pendingTail: Request | null = null;
  private pendingCount = 0;
  private outstandingCount = 0;
  private longLivedCount = 0;
  private tick = 0;
  private readonly timeoutTicks: number;
  private readonly tickMs: number;
  private clock: NodeJS.Timeout | undefined;
  private readonly autoPoll: boolean;
  private pollScheduled = false;
  /** During a controller reset: commands wait in the pending queue. */
  private suspended = false;
  private freeing: Promise<void> | null = null;

  constructor(tq: TransportQpair, opts: QueuePairOptions) {
    if (tq.qsize < 2) throw new RangeError(`qsize must be at least 2, got ${tq.qsize}`);
    this.tq = tq;
    this.opts = opts;
    this.trace = opts.trace;
    this.autoPoll = opts.autoPoll ?? false;
    this.qid = tq.qid;
    this.qsize = tq.qsize;
    this.queueMemory = tq.queueMemory;
    this.maxTransferSize = Math.min(opts.maxTransferSize ?? Infinity, tq.maxTransferSize);
    const usable = tq.qsize - 1;
    this.slots = new Array<Request | null>(usable).fill(null);
    this.freeCids = new Uint16Array(usable);
    // Lowest CIDs on top, so a quiet queue pair reuses the same few slots.
    for (let i = 0; i < usable; i++) this.freeCids[i] = usable - 1 - i;
    this.freeCidCount = usable;
    for (let i = 0; i < tq.qsize; i++) this.releaseRequest(new Request());
    this.tickMs = Math.min(MAX_TICK_MS, Math.max(1, Math.ceil(opts.commandTimeoutMs / 8)));
    this.timeoutTicks = Math.ceil(opts.commandTimeoutMs / this.tickMs);
    this.startClock();
    tq.events = this;
  }

  /**
   * Controller reset, before the controller is disabled: commands submitted from
   * now on wait, and those the controller holds fail with ABORTED - SQ DELETION
   * (DNR clear: they may be retried once the reset is done).
   * @internal used by `Controller.reset()`
   */
  suspend(): void {
    this.suspended = true;
    if (this.failedReason === null) this.failOutstanding(null, false);
  }

  /**
   * Controller reset, once the controller runs this queue again: the queue pair
   * works (also after a fatal error) and the commands that waited go out.
   * @internal used by `Controller.reset()`
   */
  resume(): void {
    this.suspended = false;
    if (this.failedReason !== null) {
      this.failedReason = null;
      this.startClock();
    }
    this.drainPending();
    if (this.autoPoll && this.outstandingCount > this.longLivedCount) this.schedulePoll();
  }

  /** Commands handed to the transport and not completed yet. */
  get outstanding(): number {
    return this.outstandingCount;
  }

  /** Commands waiting for a free slot. */
  get queued(): number {
    return this.pendingCount;
  }

  /** Reads `nlb` blocks at `lba` into `buf` (sized exactly to the transfer). */
  read(nsid: number, lba: number, nlb: number, buf: Buffer, cb: IoCallback): void {
    this.blockCommand(IoOpcode.READ, nsid, lba, nlb, buf, 0, cb);
  }

  /** Writes `nlb` blocks from `buf` at `lba`; `flags` are CDW12 bits (`IoCdw12Flag.FUA`). */
  write(nsid: number, lba: number, nlb: number, buf: Buffer, cb: IoCallback, flags = 0): void {
    this.blockCommand(IoOpcode.WRITE, nsid, lba, nlb, buf, flags, cb);
  }

  /** Compares `nlb` blocks at `lba` with `buf`; a mismatch fails with COMPARE FAILURE. */
  compare(nsid: number, lba: number, nlb: number, buf: Buffer, cb: IoCallback): void {
    this.blockCommand(IoOpcode.COMPARE, nsid, lba, nlb, buf, 0, cb);
  }

  /** Writes zeroes to `nlb` blocks at `lba` without transferring data. */
  writeZeroes(nsid: number, lba: number, nlb: number, cb: IoCallback): void {
    this.blockCommand(IoOpcode.WRITE_ZEROES, nsid, lba, nlb, null, 0, cb);
  }

  /** Commits the volatile write cache of namespace `nsid`. */
  flush(nsid: number, cb: IoCallback): void {
    const req = this.takeRequest();
    writeIoCommand(req.sqe, IoOpcode.FLUSH, nsid, 0, 0, 0);
    this.submit(req, null, cb);
  }

  /**
   * Dataset Management with the Deallocate attribute (trim). `ranges` is a list
   * of ranges or their encoding (`encodeDsmRanges`), which avoids an allocation.
   */
  dsm(nsid: number, ranges: readonly DsmRange[] | Buffer, cb: IoCallback): void {
    const data = Buffer.isBuffer(ranges) ? ranges : encodeDsmRanges(ranges);
    const count = data.length / 16;
    if (!Number.isInteger(count) || count < 1 || count > 256) {
      throw new RangeError(`dsm: 1 to 256 ranges of 16 bytes, got ${data.length} bytes`);
    }
    const req = this.takeRequest();
    writeIoCommand(req.sqe, IoOpcode.DATASET_MANAGEMENT, nsid, 0, 0, 0);
    req.sqe.writeUInt32LE(count - 1, SqeOffset.CDW10);
    req.sqe.writeUInt32LE(DsmAttribute.DEALLOCATE, SqeOffset.CDW11);
    this.submit(req, data, cb);
  }

  /**
   * Submits any command. `sqe` is either fields for `encodeSqe` or a 64-byte
   * SQE (copied); the CID is assigned here. `data` is the transfer buffer or null.
   */
  raw(sqe: SqeInit | Buffer, data: Buffer | null, cb: IoCallback): void {
    this.rawRequest(sqe, data, cb, false);
  }

  /**
   * Like `raw`, but the command is exempt from the timeout and does not keep the
   * admin poller busy: for Asynchronous Event Requests, which wait for events.
   */
  rawLongLived(sqe: SqeInit | Buffer, data: Buffer | null, cb: IoCallback): void {
    this.rawRequest(sqe, data, cb, true);
  }

  readAsync(nsid: number, lba: number, nlb: number, buf: Buffer): Promise<number> {
    return promised((cb) => this.read(nsid, lba, nlb, buf, cb));
  }

  writeAsync(nsid: number, lba: number, nlb: number, buf: Buffer, flags = 0): Promise<number> {
    return promised((cb) => this.write(nsid, lba, nlb, buf, cb, flags));
  }

  compareAsync(nsid: number, lba: number, nlb: number, buf: Buffer): Promise<number> {
    return promised((cb) => this.compare(nsid, lba, nlb, buf, cb));
  }

  writeZeroesAsync(nsid: number, lba: number, nlb: number): Promise<number> {
    return promised((cb) => this.writeZeroes(nsid, lba, nlb, cb));
  }

  flushAsync(nsid: number): Promise<number> {
    return promised((cb) => this.flush(nsid, cb));
  }

  dsmAsync(nsid: number, ranges: readonly DsmRange[] | Buffer): Promise<number> {
    return promised((cb) => this.dsm(nsid, ranges, cb));
  }

  rawAsync(sqe: SqeInit | Buffer, data: Buffer | null = null): Promise<RawCompletion> {
    return new Promise((resolve, reject) => {
      this.raw(sqe, data, (err, cdw0, cdw1) => (err ? reject(err) : resolve({ cdw0, cdw1 })));
    });
  }

  /**
   * Reaps up to `max` completions (0 = no limit) for polled transports and
   * returns how many; event-driven transports deliver completions on their own
   * and return 0.
   */
  processCompletions(max = 0): number {
    return this.tq.processCompletions(max);
  }

  /**
   * Closes the queue pair. Outstanding and queued commands fail with
   * ABORTED - SQ DELETION, as SPDK completes them.
   */
  free(): Promise<void> {
    this.freeing ??= this.close();
    return this.freeing;
  }

  private async close(): Promise<void> {
    if (this.clock) clearInterval(this.clock);
    if (this.failedReason === null) {
      this.failAll(new TransportError(`queue pair qid:${this.qid} was freed`, 'ECANCELED'), true);
    }
    try {
      await this.opts.beforeClose?.();
    } finally {
      try {
        await this.tq.close();
      } finally {
        await this.opts.onFree?.();
      }
    }
  }

  /** Transport callback: one CQE. */
  onCompletion(cqe: Buffer, offset: number): void {
    const cid = cqe.readUInt16LE(offset + CqeOffset.CID);
    const req = this.slots[cid];
    if (req === null || req === undefined) {
      this.failAll(new ProtocolError('cid', cid, `qid:${this.qid} has no outstanding command with this CID`), false);
      return;
    }
    if (this.trace !== undefined) this.trace(formatCompletion(this.qid, cqe, offset, req.sqe[SqeOffset.OPC]));
    this.slots[cid] = null;
    this.freeCids[this.freeCidCount++] = cid;
    this.outstandingCount--;
    if (req.longLived) this.longLivedCount--;
    if (req.timedOut) {
      this.releaseRequest(req);
    } else {
      const status = cqeStatusField(cqe, offset);
      const cdw0 = cqe.readUInt32LE(offset + CqeOffset.CDW0);
      const err = isSuccess(status) ? null : new NvmeStatusError(status, formatCommand(this.qid, req.sqe), req.sqe[SqeOffset.OPC], cdw0);
      this.finish(req, err, cdw0, cqe.readUInt32LE(offset + CqeOffset.CDW1));
    }
    if (this.pendingHead !== null) this.drainPending();
  }

  /** Transport callback: the queue pair is dead. */
  onFatal(err: Error): void {
    this.failAll(err, false);
  }

  /**
   * A block command, split past the maximum transfer size into SPDK's child
   * requests: one command per `maxTransferSize` bytes (and per 65536 blocks),
   * completing once, with the first error.
   */
  private blockCommand(
    opc: number,
    nsid: number,
    lba: number,
    nlb: number,
    buf: Buffer | null,
    flags: number,
    cb: IoCallback,
  ): void {
    if (!(nlb >= 1) || !Number.isSafeInteger(nlb) || !(lba >= 0) || !Number.isSafeInteger(lba)) {
      throw new RangeError(`lba must be >= 0 and nlb >= 1 (integers), got lba ${lba} nlb ${nlb}`);
    }
    if (nlb <= NLB_MAX && (buf === null || buf.length <= this.maxTransferSize)) {
      const req = this.takeRequest();
      writeIoCommand(req.sqe, opc, nsid, lba, nlb, flags);
      this.submit(req, buf, cb);
      return;
    }
    const blockBytes = buf === null ? 0 : buf.length / nlb;
    const perChild = this.blocksPerChild(nlb, buf, blockBytes);
    const parent = this.takeParent();
    parent.cb = cb;
    parent.remaining = Math.ceil(nlb / perChild);
    for (let done = 0; done < nlb; done += perChild) {
      const count = Math.min(perChild, nlb - done);
      const req = this.takeRequest();
      writeIoCommand(req.sqe, opc, nsid, lba + done, count, flags);
      req.parent = parent;
      const data = buf === null ? null : buf.subarray(done * blockBytes, (done + count) * blockBytes);
      this.submit(req, data, null);
    }
  }

  /** Blocks per child command of a split: as many as fit `maxTransferSize`, at most 65536. */
  private blocksPerChild(nlb: number, buf: Buffer | null, blockBytes: number): number {
    if (buf === null) return NLB_MAX;
    if (!Number.isInteger(blockBytes)) {
      throw new RangeError(`buffer of ${buf.length} bytes is not a whole number of ${nlb} blocks`);
    }
    const perChild = Math.min(NLB_MAX, Math.floor(this.maxTransferSize / blockBytes));
    if (perChild < 1) {
      throw new RangeError(`one block of ${blockBytes} bytes exceeds the maximum transfer size ${this.maxTransferSize}`);
    }
    return perChild;
  }

  private rawRequest(sqe: SqeInit | Buffer, data: Buffer | null, cb: IoCallback, longLived: boolean): void {
    const req = this.takeRequest();
    if (Buffer.isBuffer(sqe)) {
      if (sqe.length < SQE_SIZE) throw new RangeError(`an SQE is ${SQE_SIZE} bytes, got ${sqe.length}`);
      sqe.copy(req.sqe, 0, 0, SQE_SIZE);
    } else {
      encodeSqe(sqe, req.sqe);
    }
    req.longLived = longLived;
    this.submit(req, data, cb);
  }

  private submit(req: Request, data: Buffer | null, cb: IoCallback | null): void {
    req.data = data;
    req.cb = cb;
    if (this.failedReason !== null) {
      this.finishLater(req, this.failedReason);
      return;
    }
    if (this.pendingHead !== null || this.freeCidCount === 0 || this.suspended) {
      req.next = null;
      if (this.pendingTail === null) this.pendingHead = req;
      else this.pendingTail.next = req;
      this.pendingTail = req;
      this.pendingCount++;
      return;
    }
    this.dispatch(req);
  }

  private dispatch(req: Request): void {
    const cid = this.freeCids[--this.freeCidCount]!;
    this.slots[cid] = req;
    req.sqe.writeUInt16LE(cid, SqeOffset.CID);
    req.startTick = this.tick;
    this.outstandingCount++;
    if (req.longLived) this.longLivedCount++;
    if (this.trace !== undefined) this.trace(formatCommand(this.qid, req.sqe));
    if (this.autoPoll) this.schedulePoll();
    this.tq.submit(req.sqe, req.data);
  }

  private drainPending(): void {
    while (this.pendingHead !== null && this.freeCidCount > 0 && this.failedReason === null && !this.suspended) {
      const req = this.pendingHead;
      this.pendingHead = req.next;
      if (this.pendingHead === null) this.pendingTail = null;
      req.next = null;
      this.pendingCount--;
      this.dispatch(req);
    }
  }

  private finish(req: Request, err: Error | null, cdw0: number, cdw1: number): void {
    const cb = req.cb;
    const parent = req.parent;
    this.releaseRequest(req);
    if (parent !== null) this.childDone(parent, err);
    else if (cb !== null) cb(err, cdw0, cdw1);
  }

  /** Fails a request that never reached the transport, outside the caller's stack. */
  private finishLater(req: Request, err: Error): void {
    const cb = req.cb;
    const parent = req.parent;
    this.releaseRequest(req);
    if (parent !== null) process.nextTick(() => this.childDone(parent, err));
    else if (cb !== null) process.nextTick(cb, err, 0, 0);
  }

  private childDone(parent: SplitParent, err: Error | null): void {
    if (err !== null && parent.error === null) parent.error = err;
    if (--parent.remaining > 0) return;
    const cb = parent.cb!;
    const error = parent.error;
    parent.cb = null;
    parent.error = null;
    parent.next = this.freeParents;
    this.freeParents = parent;
    cb(error, 0, 0);
  }

  /**
   * Fails every outstanding and queued command exactly once. `deleted` selects
   * SPDK's ABORTED - SQ DELETION status (free) over the transport's error (fatal).
   */
  private failAll(err: Error, deleted: boolean): void {
    if (this.failedReason !== null) return;
    this.failedReason = err;
    if (this.clock) clearInterval(this.clock);
    this.failOutstanding(deleted ? null : err, true);
    if (!deleted) this.opts.onFatal?.(err);
  }

  /**
   * Fails the commands the transport holds and, with `pending`, those waiting
   * for a slot, with `err`, or with null ABORTED - SQ DELETION (retryable when
   * the queue pair still works: a reset; final after `free`).
   */
  private failOutstanding(err: Error | null, pending: boolean): void {
    const victims: Request[] = [];
    for (let cid = 0; cid < this.slots.length; cid++) {
      const req = this.slots[cid];
      if (req === null || req === undefined) continue;
      this.slots[cid] = null;
      if (req.timedOut) this.releaseRequest(req);
      else victims.push(req);
    }
    this.freeCidCount = this.slots.length;
    for (let i = 0; i < this.slots.length; i++) this.freeCids[i] = this.slots.length - 1 - i;
    this.outstandingCount = 0;
    this.longLivedCount = 0;
    if (pending) {
      for (let req = this.pendingHead; req !== null; req = req.next) victims.push(req);
      this.pendingHead = this.pendingTail = null;
      this.pendingCount = 0;
    }
    const status = this.failedReason === null ? SQ_DELETION_BY_RESET : SQ_DELETION;
    for (const req of victims) this.finish(req, err ?? new NvmeStatusError(status, formatCommand(this.qid, req.sqe)), 0, 0);
  }

  private startClock(): void {
    if (this.opts.commandTimeoutMs <= 0 && !this.autoPoll) return;
    this.clock = setInterval(this.onClock, this.opts.commandTimeoutMs > 0 ? this.tickMs : MAX_TICK_MS);
    this.clock.unref();
  }

  private readonly onClock = (): void => {
    this.tick++;
    if (this.outstandingCount === 0) return;
    if (this.autoPoll && this.longLivedCount > 0) this.tq.processCompletions(0);
    if (this.opts.commandTimeoutMs <= 0) return;
    for (let cid = 0; cid < this.slots.length; cid++) {
      const req = this.slots[cid];
      if (req === null || req === undefined || req.timedOut || req.longLived) continue;
      if (this.tick - req.startTick > this.timeoutTicks) this.expire(cid, req);
    }
  };

  private expire(cid: number, req: Request): void {
    req.timedOut = true;
    const command = formatCommand(this.qid, req.sqe);
    if (this.trace !== undefined) this.trace(`timeout after ${this.opts.commandTimeoutMs} ms: ${command}`);
    this.opts.onTimeout?.(this.qid, cid, req.sqe[SqeOffset.OPC]!);
    const cb = req.cb;
    const parent = req.parent;
    req.cb = null;
    req.parent = null;
    req.data = null;
    const err = new CommandTimeoutError(command, this.opts.commandTimeoutMs);
    if (parent !== null) this.childDone(parent, err);
    else if (cb !== null) cb(err, 0, 0);
  }

  private schedulePoll(): void {
    if (this.pollScheduled) return;
    this.pollScheduled = true;
    setImmediate(this.pollOnce);
  }

  private readonly pollOnce = (): void => {
    this.pollScheduled = false;
    if (this.failedReason !== null || this.suspended) return;
    this.tq.processCompletions(0);
    if (this.outstandingCount > this.longLivedCount) this.schedulePoll();
  };

  private takeRequest(): Request {
    const req = this.freeRequests;
    if (req === null) return new Request();
    this.freeRequests = req.next;
    req.next = null;
    return req;
  }

  private releaseRequest(req: Request): void {
    req.data = null;
    req.cb = null;
    req.parent = null;
    req.timedOut = false;
    req.longLived = false;
    req.next = this.freeRequests;
    this.freeRequests = req;
  }

  private takeParent(): SplitParent {
    const parent = this.freeParents;
    if (parent === null) return new SplitParent();
    this.freeParents = parent.next;
    parent.next = null;
    return parent;
  }
}

function promised(start: (cb: IoCallback) => void): Promise<number> {
  return new Promise((resolve, reject) => start((err, cdw0) => (err ? reject(err) : resolve(cdw0))));
}
