/**
 * A block device with no storage (SPDK's null bdev, Linux's null_blk): writes
 * are discarded, reads return zeros. For measuring the target and transport
 * without a medium. Like SPDK's, it supports Write Zeroes but not Flush or
 * Unmap; Flush completes at once since nothing is ever cached.
 */
import { BlockDeviceBase, type BdevCallback, type BdevReadCallback, type BlockDevice, type BlockDeviceOptions, type UnmapRange } from './block-device.js';

/** Grown, never shrunk: every read is a view of it. Nothing writes to it. */
let sharedZeros = Buffer.alloc(0);
const ZEROS_GRANULARITY = 128 * 1024;

function zeros(length: number): Buffer {
  if (length > sharedZeros.length) {
    sharedZeros = Buffer.alloc(Math.ceil(length / ZEROS_GRANULARITY) * ZEROS_GRANULARITY);
  }
  return sharedZeros.subarray(0, length);
}

export class NullBlockDevice extends BlockDeviceBase implements BlockDevice {
  readonly volatileWriteCache = false;
  readonly supportsUnmap = false;
  readonly supportsWriteZeroes = true;

  /** @throws ConfigError for a bad geometry */
  constructor(opts: BlockDeviceOptions) {
    super('Null', opts);
  }

  /** Calls back with a view of one zero buffer shared by every null device; no allocation once it is big enough. */
  read(_lba: number, nlb: number, cb: BdevReadCallback): void {
    cb(null, zeros(nlb * this.blockSize));
  }

  write(_lba: number, _data: Buffer, cb: BdevCallback): void {
    cb(null);
  }

  flush(cb: BdevCallback): void {
    cb(null);
  }

  writeZeroes(_lba: number, _nlb: number, cb: BdevCallback): void {
    cb(null);
  }

  unmap(_ranges: readonly UnmapRange[], cb: BdevCallback): void {
    cb(new Error(`${this.name}: a null device does not support unmap`));
  }

  close(cb: BdevCallback): void {
    cb(null);
  }
}
