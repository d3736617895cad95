/**
 * One PCIe queue pair: an SQ ring and a CQ ring in DMA memory, a PRP list page
 * and a bounce buffer per command slot, and the two doorbells in BAR0.
 *
 * Data: a Buffer that lies in DMA memory (`Controller.allocDmaBuffer`, or a
 * subarray of one; found by `dmaIovaOf`) goes out with PRPs at its own IOVA,
 * zero copy. Any other Buffer lives in the V8 heap, which the controller cannot
 * reach, so its data goes through the slot's bounce buffer (copied in before a
 * write is posted, copied out when a read completes; the direction comes from
 * the opcode's low two bits, as the spec defines). The slot is the command's
 * CID: the driver hands out CIDs 0..qsize-2.
 *
 * Doorbells are batched: `submit` only writes the SQE; `processCompletions`
 * writes the SQ tail doorbell once if anything was posted, reaps every CQE
 * whose phase tag matches (read with Atomics.load: ordinary memory the device
 * writes), writes the CQ head doorbell once, and rings the SQ doorbell again
 * for commands the completion callbacks submitted.
 *
 * Interrupt mode: the CQ's MSI-X vector signals an eventfd, read on libuv's
 * thread pool; each wake-up reaps the CQ. Nobody polls then, so a submit
 * schedules one SQ doorbell write per tick (process.nextTick) instead.
 *
 * Controller health: a poll that finds nothing, CSTS_CHECK_MS after the last
 * completion (or the last check), reads CSTS; busy polls do not even read the
 * clock. CFS = 1, or all ones (the function is gone), is reported once through
 * `onControllerFatal`, which the controller fans out to every queue pair of
 * its thread. A controller reset empties the rings (`resetRings`) and the
 * queue pair works again.
 */
import { read } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { CQE_SIZE, CqeOffset } from '../../spec/cqe.js';
import { TransportError } from '../../spec/errors.js';
import { writePrps, type PrpListMemory } from '../../spec/prp.js';
import { SQE_SIZE, SqeOffset } from '../../spec/sqe.js';
import { Register } from '../../spec/registers.js';
import type { QpairEvents, QueueMemory, TransportQpair } from '../transport.js';
import { dmaIovaOf } from './dma-memory.js';

/** Where the parts of a queue pair sit in its DMA region (byte offsets, page aligned). */
export interface QpairLayout {
  sqOffset: number;
  cqOffset: number;
  /** One page of PRP list per slot. */
  prpListOffset: number;
  /** `maxTransferSize` bytes per slot. */
  bounceOffset: number;
  totalBytes: number;
}

const alignUp = (n: number, to: number): number => Math.ceil(n / to) * to;

/** The layout of a queue pair of `qsize` entries moving up to `maxTransferSize` bytes per command. */
export function qpairLayout(qsize: number, maxTransferSize: number, pageSize: number): QpairLayout {
  const slots = qsize - 1;
  const sqOffset = 0;
  const cqOffset = alignUp(qsize * SQE_SIZE, pageSize);
  const prpListOffset = cqOffset + alignUp(qsize * CQE_SIZE, pageSize);
  const bounceOffset = prpListOffset + slots * pageSize;
  return { sqOffset, cqOffset, prpListOffset, bounceOffset, totalBytes: bounceOffset + slots * alignUp(maxTransferSize, pageSize) };
}

/** What a `PcieQpair` works on. */
export interface PcieQpairConfig {
  qid: number;
  qsize: number;
  /** Controller memory page size (CC.MPS), also the PRP page size. */
  pageSize: number;
  maxTransferSize: number;
  /** The queue pair's DMA memory (laid out by `qpairLayout`) and its device address. */
  memory: { buf: Buffer; iova: number };
  /** BAR0 as 32-bit words. */
  bar: Uint32Array;
  /** Byte offsets of this queue's SQ tail and CQ head doorbells in BAR0 (`doorbellOffset`). */
  sqDoorbell: number;
  cqDoorbell: number;
  /** MSI-X vector of the CQ, or null for a polled CQ. */
  interruptVector: number | null;
  /** Interrupt mode: the file the vector signals (an eventfd), and how to wake its pending read on close. */
  interrupt?: { fd: number; wake: () => void };
  /** Releases the DMA memory; called once by `close`. */
  release: () => void;
  /** The controller's address, for messages (`0000:04:00.0`). */
  device: string;
  /** CSTS says the controller failed; default: this queue pair's `events.onFatal` only. */
  onControllerFatal?: (err: TransportError) => void;
}

/** An idle poll reads CSTS when this long passed without a completion or a check. */
export const CSTS_CHECK_MS = 100;
const CSTS_CFS = 1 << 1;
/** What a read of a function that left the bus (or a dead link) returns. */
const ALL_ONES = 0xffff_ffff;

/** Opcode bits 1:0: 01 host to controller, 10 controller to host, 11 both. */
const TO_CONTROLLER = 1;
const TO_HOST = 2;
const PSDT_MASK = 0x3f;
/** PRP1 may point anywhere in a page but must be dword aligned (its bits 1:0 are reserved). */
const PRP1_ALIGN_MASK = 3;

export class PcieQpair implements TransportQpair {
  readonly qid: number;
  readonly qsize: number;
  readonly inCapsuleDataSize = 0;
  readonly maxTransferSize: number;
  readonly queueMemory: QueueMemory;
  events: QpairEvents = {
    onCompletion: () => undefined,
    onFatal: () => undefined,
  };

  private readonly sq: Buffer;
  private readonly cq: Buffer;
  /** CQ as 32-bit words, for the phase tag (dword 3). */
  private readonly cq32: Int32Array;
  private readonly bar: Uint32Array;
  private readonly sqDoorbellIndex: number;
  private readonly cqDoorbellIndex: number;
  private readonly pageSize: number;
  private readonly prpLists: PrpListMemory[];
  private readonly bounce: Buffer;
  private readonly bounceIova: number;
  private readonly slotBytes: number;
  /** Per slot (CID): the read destination to copy into on completion, or null. */
  private readonly readTarget: (Buffer | null)[];
  private readonly release: () => void;
  private readonly interrupt: { fd: number; wake: () => void } | undefined;
  /** The eventfd counter lands here; its value does not matter. */
  private readonly interruptCount = Buffer.alloc(8);
  private doorbellScheduled = false;
  private readonly cstsIndex = Register.CSTS >>> 2;
  private readonly device: string;
  private readonly onControllerFatal: (err: TransportError) => void;
  /** performance.now() of the last idle poll after completions, or of the last CSTS check. */
  private lastSign = performance.now();
  /** Completions came since `lastSign` (busy polls leave the clock alone). */
  private reapedSinceCheck = false;
  /** CSTS reported a failure; cleared by `resetRings`. */
  private controllerFailed = false;
  private sqTail = 0;
  private sqTailRung = 0;
  private cqHead = 0;
  private phase = 1;
  private closed = false;

  constructor(cfg: PcieQpairConfig) {
    const layout = qpairLayout(cfg.qsize, cfg.maxTransferSize, cfg.pageSize);
    const { buf, iova } = cfg.memory;
    if (buf.length < layout.totalBytes) throw new RangeError(`queue pair memory: need ${layout.totalBytes} bytes, got ${buf.length}`);
    if (iova % cfg.pageSize !== 0) throw new RangeError(`queue pair memory must be page aligned, IOVA 0x${iova.toString(16)}`);
    this.qid = cfg.qid;
    this.qsize = cfg.qsize;
    this.pageSize = cfg.pageSize;
    this.maxTransferSize = cfg.maxTransferSize;
    this.slotBytes = alignUp(cfg.maxTransferSize, cfg.pageSize);
    this.sq = buf.subarray(layout.sqOffset, layout.sqOffset + cfg.qsize * SQE_SIZE);
    this.cq = buf.subarray(layout.cqOffset, layout.cqOffset + cfg.qsize * CQE_SIZE);
    this.cq32 = new Int32Array(buf.buffer, buf.byteOffset + layout.cqOffset, (cfg.qsize * CQE_SIZE) / 4);
    this.cq.fill(0);
    this.bar = cfg.bar;
    this.sqDoorbellIndex = cfg.sqDoorbell >>> 2;
    this.cqDoorbellIndex = cfg.cqDoorbell >>> 2;
    const slots = cfg.qsize - 1;
    this.prpLists = Array.from({ length: slots }, (_, slot) => ({
      buf,
      offset: layout.prpListOffset + slot * cfg.pageSize,
      iova: iova + layout.prpListOffset + slot * cfg.pageSize,
    }));
    this.bounce = buf.subarray(layout.bounceOffset, layout.bounceOffset + slots * this.slotBytes);
    this.bounceIova = iova + layout.bounceOffset;
    this.readTarget = new Array<Buffer | null>(slots).fill(null);
    this.queueMemory = { sqIova: iova + layout.sqOffset, cqIova: iova + layout.cqOffset, interruptVector: cfg.interruptVector };
    this.release = cfg.release;
    this.device = cfg.device;
    this.onControllerFatal = cfg.onControllerFatal ?? ((err) => this.reportFatal(err));
    this.interrupt = cfg.interrupt;
    if (this.interrupt) this.armInterrupt();
  }

  submit(sqe: Buffer, data: Buffer | null): void {
    const slot = sqe.readUInt16LE(SqeOffset.CID);
    const at = this.sqTail * SQE_SIZE;
    sqe.copy(this.sq, at, 0, SQE_SIZE);
    if (data !== null && data.length > 0) {
      if (slot >= this.readTarget.length || data.length > this.maxTransferSize) {
        throw new RangeError(`qid:${this.qid}: CID ${slot} with ${data.length} bytes does not fit a slot (${this.readTarget.length} slots of ${this.maxTransferSize} bytes)`);
      }
      this.sq[at + SqeOffset.FLAGS] = this.sq[at + SqeOffset.FLAGS]! & PSDT_MASK;
      writePrps(this.sq, at, this.dataIova(slot, sqe[SqeOffset.OPC]!, data), data.length, this.pageSize, this.prpLists[slot]);
    } else if (slot < this.readTarget.length) {
      this.readTarget[slot] = null;
    }
    this.sqTail = this.sqTail + 1 === this.qsize ? 0 : this.sqTail + 1;
    if (this.interrupt && !this.doorbellScheduled) {
      this.doorbellScheduled = true;
      process.nextTick(this.flushSq);
    }
  }

  processCompletions(maxCompletions: number): number {
    if (this.closed) return 0;
    this.ringSq();
    let reaped = 0;
    const phaseWord = CqeOffset.STATUS >>> 2;
    while (maxCompletions === 0 || reaped < maxCompletions) {
      const head = this.cqHead;
      const dw3 = Atomics.load(this.cq32, head * (CQE_SIZE / 4) + phaseWord);
      if (((dw3 >>> 16) & 1) !== this.phase) break;
      const slot = dw3 & 0xffff;
      const target = slot < this.readTarget.length ? this.readTarget[slot] : null;
      if (target !== null && target !== undefined) {
        this.bounce.copy(target, 0, slot * this.slotBytes, slot * this.slotBytes + target.length);
        this.readTarget[slot] = null;
      }
      if (head + 1 === this.qsize) {
        this.cqHead = 0;
        this.phase ^= 1;
      } else {
        this.cqHead = head + 1;
      }
      reaped++;
      this.events.onCompletion(this.cq, head * CQE_SIZE);
    }
    if (reaped > 0) {
      this.bar[this.cqDoorbellIndex] = this.cqHead;
      this.reapedSinceCheck = true;
    } else {
      this.checkController();
    }
    this.ringSq();
    return reaped;
  }

  /**
   * After CC.EN = 0 took the queues away and before the controller runs them
   * again: empty rings (tail, head and phase as after creation) and a healthy controller.
   */
  resetRings(): void {
    this.cq.fill(0);
    this.readTarget.fill(null);
    this.sqTail = this.sqTailRung = this.cqHead = 0;
    this.phase = 1;
    this.controllerFailed = false;
    this.reapedSinceCheck = false;
    this.lastSign = performance.now();
  }

  /** Tells the driver this queue pair is dead (once, until `resetRings`). */
  reportFatal(err: TransportError): void {
    if (this.controllerFailed || this.closed) return;
    this.controllerFailed = true;
    this.events.onFatal(err);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.interrupt?.wake();
    this.release();
  }

  /** Where the controller finds `data`: at its own IOVA when it is DMA memory, else in the slot's bounce buffer (filled for a write). */
  private dataIova(slot: number, opc: number, data: Buffer): number {
    const direct = dmaIovaOf(data);
    if (direct >= 0 && (direct & PRP1_ALIGN_MASK) === 0) {
      this.readTarget[slot] = null;
      return direct;
    }
    const bounceAt = slot * this.slotBytes;
    if (opc & TO_CONTROLLER) data.copy(this.bounce, bounceAt);
    this.readTarget[slot] = opc & TO_HOST ? data : null;
    return this.bounceIova + bounceAt;
  }

  private readonly flushSq = (): void => {
    this.doorbellScheduled = false;
    if (!this.closed) this.ringSq();
  };

  private armInterrupt(): void {
    read(this.interrupt!.fd, this.interruptCount, 0, 8, null, this.onInterrupt);
  }

  private readonly onInterrupt = (err: NodeJS.ErrnoException | null): void => {
    if (this.closed) return;
    if (err) {
      this.events.onFatal(new TransportError(`qid:${this.qid}: reading the MSI-X eventfd failed: ${err.message}`, err.code));
      return;
    }
    this.processCompletions(0);
    this.armInterrupt();
  };

  /** An idle poll: reads CSTS when nothing was heard for CSTS_CHECK_MS. */
  private checkController(): void {
    if (this.controllerFailed) return;
    const now = performance.now();
    if (this.reapedSinceCheck) {
      this.reapedSinceCheck = false;
      this.lastSign = now;
      return;
    }
    if (now - this.lastSign < CSTS_CHECK_MS) return;
    this.lastSign = now;
    const csts = this.bar[this.cstsIndex]! >>> 0;
    if (csts === ALL_ONES) {
      this.onControllerFatal(new TransportError(`${this.device}: the controller is gone (CSTS reads 0xffffffff: removed, or its link is down); detach it`, 'ENODEV'));
    } else if (csts & CSTS_CFS) {
      this.onControllerFatal(
        new TransportError(`${this.device}: controller fatal status (CSTS.CFS=1): its outstanding commands are lost; reset the controller (Controller.reset()) or detach it`, 'EIO'),
      );
    }
  }

  /** Writes the SQ tail doorbell when commands were posted since it was last written. */
  private ringSq(): void {
    if (this.sqTail === this.sqTailRung) return;
    this.sqTailRung = this.sqTail;
    this.bar[this.sqDoorbellIndex] = this.sqTail;
  }
}
