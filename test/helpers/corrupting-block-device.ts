/**
 * A block device that lies: reads of blocks in one LBA range come back with a
 * bit flipped (in a copy; the device's own data stays right). For proving
 * that `nvme-perf --verify` notices bad data and names the block.
 */
import type { BdevCallback, BdevReadCallback, BlockDevice, UnmapRange } from '../../src/target/bdev/block-device.js';

export class CorruptingBlockDevice implements BlockDevice {
  readonly name: string;
  readonly blockSize: number;
  readonly numBlocks: number;
  readonly uuid: string;
  readonly volatileWriteCache: boolean;
  readonly supportsUnmap: boolean;
  readonly supportsWriteZeroes: boolean;
  /** Reads that came back corrupted. */
  corrupted = 0;

  /**
   * @param inner the device that holds the data
   * @param firstLba first block whose reads are corrupted
   * @param count how many blocks from there
   * @param byteOffset which byte of such a block gets bit 4 flipped
   */
  constructor(
    private readonly inner: BlockDevice,
    readonly firstLba: number,
    readonly count: number,
    readonly byteOffset = 100,
  ) {
    this.name = `Corrupting${inner.name}`;
    this.blockSize = inner.blockSize;
    this.numBlocks = inner.numBlocks;
    this.uuid = inner.uuid;
    this.volatileWriteCache = inner.volatileWriteCache;
    this.supportsUnmap = inner.supportsUnmap;
    this.supportsWriteZeroes = inner.supportsWriteZeroes;
  }

  read(lba: number, nlb: number, cb: BdevReadCallback): void {
    this.inner.read(lba, nlb, (err, data) => {
      const first = Math.max(lba, this.firstLba);
      const end = Math.min(lba + nlb, this.firstLba + this.count);
      if (err !== null || data === null || first >= end) {
        cb(err, data);
        return;
      }
      const copy = Buffer.from(data);
      for (let b = first; b < end; b++) copy[(b - lba) * this.blockSize + this.byteOffset]! ^= 0x10;
      this.corrupted++;
      cb(null, copy);
    });
  }

  write(lba: number, data: Buffer, cb: BdevCallback): void {
    this.inner.write(lba, data, cb);
  }

  flush(cb: BdevCallback): void {
    this.inner.flush(cb);
  }

  writeZeroes(lba: number, nlb: number, cb: BdevCallback): void {
    this.inner.writeZeroes(lba, nlb, cb);
  }

  unmap(ranges: readonly UnmapRange[], cb: BdevCallback): void {
    this.inner.unmap(ranges, cb);
  }

  close(cb: BdevCallback): void {
    this.inner.close(cb);
  }
}
