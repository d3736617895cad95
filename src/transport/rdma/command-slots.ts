/**
 * Per-command state of one NVMe/RDMA queue pair, in typed arrays indexed by
 * slot (the CID's low bits, as for NVMe/TCP), and the send-queue accounting.
 *
 * A command finishes only when both its SEND work completion and its response
 * capsule are in: the response can overtake the SEND's completion (the
 * controller answers before our side has seen the ACK), and until the SEND
 * completes the NIC may still read the command buffer and in-capsule data,
 * so neither the slot nor its bounce buffer may be reused (SPDK's
 * nvme_rdma_req "completion_flags" do the same).
 *
 * Every command holds exactly one send-queue entry from `submit` to its SEND
 * completion, and at most `qsize` commands are outstanding, so a send queue
 * of `qsize` entries never overflows; receives are reposted one for one, so
 * the `qsize` RECVs posted at connect always cover every response in flight.
 */

/** Completion flags of a slot. */
export const SlotFlag = {
  /** Slot holds an outstanding command. */
  BUSY: 1,
  /** The SEND work completion came back. */
  SENT: 2,
  /** The response capsule arrived (its CQE is in `cqes`). */
  RESPONDED: 4,
} as const;

const DONE = SlotFlag.BUSY | SlotFlag.SENT | SlotFlag.RESPONDED;

/** CQE bytes kept per slot. */
const CQE_BYTES = 16;

export class RdmaCommandSlots {
  /** Number of slots: `qsize` rounded up to a power of two. */
  readonly size: number;
  private readonly mask: number;
  readonly cid: Uint16Array;
  readonly flags: Uint8Array;
  /** The caller's data buffer: copied to the bounce buffer at submit (write) or from it at completion (read). */
  readonly data: (Buffer | null)[];
  /** 1 when the data is controller-to-host (copied out at completion). */
  readonly toHost: Uint8Array;
  /** The response CQE of each slot, kept until the SEND completion arrives too. */
  readonly cqes: Buffer;
  /** Send-queue entries not held by a command. */
  private sendCredits: number;
  /** Commands outstanding. */
  outstanding = 0;

  /**
   * @param qsize queue entries; CIDs must differ in their low bits modulo the next power of two
   * @param sendQueueDepth send work requests the QP was created with
   */
  constructor(qsize: number, sendQueueDepth: number) {
    let size = 1;
    while (size < qsize) size <<= 1;
    this.size = size;
    this.mask = size - 1;
    this.cid = new Uint16Array(size);
    this.flags = new Uint8Array(size);
    this.data = new Array<Buffer | null>(size).fill(null);
    this.toHost = new Uint8Array(size);
    this.cqes = Buffer.alloc(size * CQE_BYTES);
    this.sendCredits = sendQueueDepth;
  }

  /** Whether a SEND can be posted now. */
  get canSend(): boolean {
    return this.sendCredits > 0;
  }

  /**
   * Starts tracking `cid` and takes a send-queue entry for its SEND; returns the slot.
   * @throws RangeError when the slot is held by an outstanding command or the send queue is full
   */
  open(cid: number, data: Buffer | null, toHost: boolean): number {
    const slot = cid & this.mask;
    if (this.flags[slot] !== 0) {
      throw new RangeError(`cid ${cid}: slot ${slot} is still held by outstanding cid ${this.cid[slot]}`);
    }
    if (this.sendCredits === 0) throw new RangeError(`cid ${cid}: the send queue is full (${this.outstanding} commands outstanding)`);
    this.sendCredits--;
    this.outstanding++;
    this.cid[slot] = cid;
    this.flags[slot] = SlotFlag.BUSY;
    this.data[slot] = data;
    this.toHost[slot] = toHost ? 1 : 0;
    return slot;
  }

  /** Byte offset of `slot`'s CQE in `cqes`. */
  cqeOffset(slot: number): number {
    return slot * CQE_BYTES;
  }

  /**
   * The SEND of `slot` completed: its send-queue entry is free again.
   * @returns true when the command is now complete (its response was already in)
   * @throws RangeError when `slot` has no SEND outstanding
   */
  sent(slot: number): boolean {
    const f = this.flags[slot]!;
    if ((f & SlotFlag.BUSY) === 0 || (f & SlotFlag.SENT) !== 0) {
      throw new RangeError(`SEND completion for slot ${slot}, which has no SEND outstanding`);
    }
    this.sendCredits++;
    return (this.flags[slot] = f | SlotFlag.SENT) === DONE;
  }

  /**
   * The response for `cid` arrived; its 16-byte CQE at `cqe[offset]` is kept.
   * @returns the slot and whether the command is complete (its SEND already completed), as slot | 0x10000 when complete, or -1 for a CID not outstanding
   */
  responded(cid: number, cqe: Buffer, offset: number): number {
    const slot = cid & this.mask;
    const f = this.flags[slot]!;
    if ((f & SlotFlag.BUSY) === 0 || (f & SlotFlag.RESPONDED) !== 0 || this.cid[slot] !== cid) return -1;
    cqe.copy(this.cqes, slot * CQE_BYTES, offset, offset + CQE_BYTES);
    return (this.flags[slot] = f | SlotFlag.RESPONDED) === DONE ? slot | RESPONDED_COMPLETE : slot;
  }

  /** Forgets `slot` (before its completion is delivered, so the CID can be reused at once). */
  close(slot: number): void {
    this.flags[slot] = 0;
    this.data[slot] = null;
    this.outstanding--;
  }
}

/** Set in the value `responded` returns when the command is complete. */
export const RESPONDED_COMPLETE = 0x10000;
