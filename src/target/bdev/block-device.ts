/**
 * The block device interface behind every namespace (SPDK's `spdk_bdev`, Linux
 * nvmet's bdev/file back ends). Callback style, because the core calls it once
 * per I/O: a promise per command would be an allocation and a microtask per
 * command. Devices may call back synchronously (RAM) or later (a file through
 * libuv); the core handles both.
 */
import { randomUUID } from 'node:crypto';
import { ConfigError } from '../../spec/errors.js';

/** Completion of a command that moves no data to the caller. */
export type BdevCallback = (err: Error | null) => void;

/**
 * Completion of a read. On success `data` holds exactly `nlb * blockSize`
 * bytes; it may be a view of the device's own memory (see `BlockDevice.read`).
 */
export type BdevReadCallback = (err: Error | null, data: Buffer | null) => void;

/** One range to deallocate. */
export interface UnmapRange {
  lba: number;
  /** Number of blocks (a count, not 0-based as on the wire). */
  numBlocks: number;
}

/** What a block device can do beyond read and write. */
export interface BlockDeviceCapabilities {
  /** Writes may sit in a volatile cache until `flush` (Identify VWC, FUA matters). */
  readonly volatileWriteCache: boolean;
  /** `unmap` deallocates, and deallocated blocks read back as zeros (DSM, DLFEAT). */
  readonly supportsUnmap: boolean;
  /** `writeZeroes` is implemented without the core sending zero data (ONCS Write Zeroes). */
  readonly supportsWriteZeroes: boolean;
}

/**
 * A block device. LBAs and block counts are JavaScript numbers: 2^53 blocks is
 * far beyond any device this target serves. The core checks ranges against
 * `numBlocks` before calling, so devices need not.
 */
export interface BlockDevice extends BlockDeviceCapabilities {
  /** Unique name (SPDK's bdev name, e.g. `Malloc0`). */
  readonly name: string;
  /** Logical block size in bytes (a power of two, 512..65536). */
  readonly blockSize: number;
  readonly numBlocks: number;
  /** UUID string; namespaces default their UUID and NGUID to it. */
  readonly uuid: string;
  /**
   * Reads `nlb` blocks from `lba`. The buffer handed to `cb` belongs to the
   * caller until it has been sent; a device must not reuse it for another read
   * (a RAM device may return a view of its memory: see MallocBlockDevice).
   */
  read(lba: number, nlb: number, cb: BdevReadCallback): void;
  /** Writes `data` (a whole number of blocks) at `lba`. `data` is only valid until `cb`. */
  write(lba: number, data: Buffer, cb: BdevCallback): void;
  /** Makes every completed write durable. */
  flush(cb: BdevCallback): void;
  /** Zeroes `nlb` blocks from `lba`. */
  writeZeroes(lba: number, nlb: number, cb: BdevCallback): void;
  /** Deallocates `ranges`; only called when `supportsUnmap`. */
  unmap(ranges: readonly UnmapRange[], cb: BdevCallback): void;
  /** Releases the device's resources; no I/O follows. */
  close(cb: BdevCallback): void;
}

/** Options every device constructor takes. */
export interface BlockDeviceOptions {
  /** Device name; default `<Kind><n>` (Malloc0, Null0...) as SPDK names them. */
  name?: string;
  /** Logical block size in bytes; default 512. */
  blockSize?: number;
  numBlocks: number;
  /** Default: a random UUID. */
  uuid?: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The checked geometry and identity of a new device. */
export interface ResolvedBlockDeviceOptions {
  name: string;
  blockSize: number;
  numBlocks: number;
  uuid: string;
}

/**
 * Checks device options and fills defaults.
 * @param defaultName used when `opts.name` is absent
 * @throws ConfigError naming the bad option
 */
export function resolveBlockDeviceOptions(opts: BlockDeviceOptions, defaultName: string): ResolvedBlockDeviceOptions {
  const blockSize = opts.blockSize ?? 512;
  if (!Number.isInteger(blockSize) || blockSize < 512 || blockSize > 65536 || (blockSize & (blockSize - 1)) !== 0) {
    throw new ConfigError('blockSize', `expected a power of two from 512 to 65536, got ${blockSize}`);
  }
  if (!Number.isSafeInteger(opts.numBlocks) || opts.numBlocks < 1) {
    throw new ConfigError('numBlocks', `expected a positive integer, got ${opts.numBlocks}`);
  }
  const uuid = opts.uuid ?? randomUUID();
  if (!UUID_RE.test(uuid)) throw new ConfigError('uuid', `expected a UUID like 5a0c0b2e-1d2f-4e3a-9b4c-000000000001, got '${uuid}'`);
  const name = opts.name ?? defaultName;
  if (name.length === 0) throw new ConfigError('name', 'a block device name cannot be empty');
  return { name, blockSize, numBlocks: opts.numBlocks, uuid: uuid.toLowerCase() };
}

/** Devices created so far, per kind, for default names (`Malloc0`, `Malloc1`...). */
const createdPerKind = new Map<string, number>();

/**
 * What every device kind shares: the checked name, geometry and UUID. A
 * device without a name is called `<kind><n>`, counted per kind as SPDK does.
 */
export abstract class BlockDeviceBase {
  readonly name: string;
  readonly blockSize: number;
  readonly numBlocks: number;
  readonly uuid: string;

  /**
   * @param check the kind's own limits on the resolved options; throws ConfigError
   * @throws ConfigError naming the bad option
   */
  protected constructor(kind: string, opts: BlockDeviceOptions, check?: (r: ResolvedBlockDeviceOptions) => void) {
    const index = createdPerKind.get(kind) ?? 0;
    const r = resolveBlockDeviceOptions(opts, `${kind}${index}`);
    check?.(r);
    createdPerKind.set(kind, index + 1);
    this.name = r.name;
    this.blockSize = r.blockSize;
    this.numBlocks = r.numBlocks;
    this.uuid = r.uuid;
  }
}
