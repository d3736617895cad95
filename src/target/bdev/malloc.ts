/**
 * A RAM block device (SPDK's malloc bdev): one Buffer holds every block.
 * Every operation completes synchronously, inside the call.
 */
import { constants as bufferConstants } from 'node:buffer';
import { ConfigError } from '../../spec/errors.js';
import {
  BlockDeviceBase,
  type BdevCallback,
  type BdevReadCallback,
  type BlockDevice,
  type BlockDeviceOptions,
  type ResolvedBlockDeviceOptions,
  type UnmapRange,
} from './block-device.js';

export interface MallocBlockDeviceOptions extends BlockDeviceOptions {
  /**
   * Report a volatile write cache, so hosts send Flush and FUA as they would
   * to a real drive. Default true, as SPDK's malloc bdev reports one.
   */
  volatileWriteCache?: boolean;
}

function checkSize(r: ResolvedBlockDeviceOptions): void {
  const sizeBytes = r.numBlocks * r.blockSize;
  if (sizeBytes > bufferConstants.MAX_LENGTH) {
    throw new ConfigError('numBlocks', `a malloc device holds at most ${bufferConstants.MAX_LENGTH} bytes, got ${sizeBytes}`);
  }
}

export class MallocBlockDevice extends BlockDeviceBase implements BlockDevice {
  readonly volatileWriteCache: boolean;
  readonly supportsUnmap = true;
  readonly supportsWriteZeroes = true;
  private ram: Buffer;

  /** @throws ConfigError for a bad geometry or a size Node cannot allocate in one Buffer */
  constructor(opts: MallocBlockDeviceOptions) {
    super('Malloc', opts, checkSize);
    this.volatileWriteCache = opts.volatileWriteCache ?? true;
    this.ram = Buffer.alloc(this.numBlocks * this.blockSize);
  }

  /**
   * Calls back with a view of the device memory, not a copy. That is safe under
   * the transport contract ("the core must not change `data` until it has been
   * written to the socket"): the only thing that changes these bytes is a later
   * Write, Write Zeroes or DSM from a host. A host command sent after it saw this
   * read complete cannot run before the data went out, because the completion
   * follows the data on the same connection. A command sent while the read is
   * still outstanding has no ordering against it (NVMe orders no two commands
   * unless fused), so whatever the view shows then is a result the spec allows;
   * and since the event loop copies one socket write at a time, a single block is
   * never seen half old, half new (AWUN 0: one block is atomic).
   */
  read(lba: number, nlb: number, cb: BdevReadCallback): void {
    const start = lba * this.blockSize;
    cb(null, this.ram.subarray(start, start + nlb * this.blockSize));
  }

  write(lba: number, data: Buffer, cb: BdevCallback): void {
    data.copy(this.ram, lba * this.blockSize);
    cb(null);
  }

  flush(cb: BdevCallback): void {
    cb(null);
  }

  writeZeroes(lba: number, nlb: number, cb: BdevCallback): void {
    this.zero(lba, nlb);
    cb(null);
  }

  unmap(ranges: readonly UnmapRange[], cb: BdevCallback): void {
    for (const range of ranges) this.zero(range.lba, range.numBlocks);
    cb(null);
  }

  close(cb: BdevCallback): void {
    this.ram = Buffer.alloc(0);
    cb(null);
  }

  private zero(lba: number, nlb: number): void {
    const start = lba * this.blockSize;
    this.ram.fill(0, start, start + nlb * this.blockSize);
  }
}
