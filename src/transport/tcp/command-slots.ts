/**
 * Per-command state of one NVMe/TCP queue pair, in preallocated typed arrays
 * indexed by slot (no object per command).
 *
 * A slot is the CID's low bits: the driver hands out CIDs below the queue
 * size, and hosts that put a generation counter in the high bits (Linux)
 * still map each outstanding command to its own slot. The full CID is kept
 * to tell a stale or unknown CID from the one in flight.
 */

/** What a command moves, as the transport sees it. */
export const CommandKind = {
  FREE: 0,
  NO_DATA: 1,
  /** Host to controller: in-capsule, or through R2T / H2CData. */
  WRITE: 2,
  /** Controller to host: C2HData. */
  READ: 3,
} as const;
export type CommandKind = (typeof CommandKind)[keyof typeof CommandKind];

/** Names for messages, indexed by `CommandKind`. */
export const COMMAND_KIND_NAMES: readonly string[] = ['free', 'no-data', 'write', 'read'];

export class CommandSlots {
  private readonly mask: number;
  readonly cid: Uint16Array;
  readonly kind: Uint8Array;
  /** The command's data buffer (write source or read destination), or null. */
  readonly data: (Buffer | null)[];
  /** Data bytes moved so far: C2HData received (read), in-capsule or H2CData queued (write). */
  readonly done: Uint32Array;
  /** A status field to report instead of success (a data digest error hit the data), else 0. */
  readonly status: Uint16Array;

  /** @param qsize queue entries; CIDs must differ in their low bits modulo the next power of two */
  constructor(qsize: number) {
    let size = 1;
    while (size < qsize) size <<= 1;
    this.mask = size - 1;
    this.cid = new Uint16Array(size);
    this.kind = new Uint8Array(size);
    this.data = new Array<Buffer | null>(size).fill(null);
    this.done = new Uint32Array(size);
    this.status = new Uint16Array(size);
  }

  /** The slot of outstanding command `cid`, or -1. */
  find(cid: number): number {
    const slot = cid & this.mask;
    return this.kind[slot] !== CommandKind.FREE && this.cid[slot] === cid ? slot : -1;
  }

  /**
   * Starts tracking `cid`; returns its slot.
   * @throws RangeError when its slot is taken (a CID reused before its completion)
   */
  open(cid: number, kind: CommandKind, data: Buffer | null, done: number): number {
    const slot = cid & this.mask;
    if (this.kind[slot] !== CommandKind.FREE) {
      throw new RangeError(`cid ${cid}: slot ${slot} is still held by outstanding cid ${this.cid[slot]}`);
    }
    this.cid[slot] = cid;
    this.kind[slot] = kind;
    this.data[slot] = data;
    this.done[slot] = done;
    this.status[slot] = 0;
    return slot;
  }

  /** Data length of the command in `slot`. */
  length(slot: number): number {
    return this.data[slot]?.length ?? 0;
  }

  /** Forgets the command in `slot` (before its completion is delivered, so the CID can be reused at once). */
  close(slot: number): void {
    this.kind[slot] = CommandKind.FREE;
    this.data[slot] = null;
  }
}
