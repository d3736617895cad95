/**
 * A virtual block device that injects errors into the I/O of a base device,
 * for testing initiators (SPDK's error bdev, `EE_<base>`). Injections are
 * armed per I/O type with a count; each matching I/O uses one up:
 *
 * - `failure`: completes with an error; the target answers Internal Error
 *   (SCT 0, SC 06h, DNR clear), as SPDK's target does for a failed bdev I/O.
 * - `pending`: never completes until `resumePending()`, or until the device
 *   is closed (then it fails, as SPDK aborts it) — for host timeouts and Abort.
 * - `corrupt_data`: a write reaches the base with one byte XORed with
 *   `corruptValue` at `corruptOffset`; a read returns data corrupted so.
 * - `nomem`: the I/O is held back and submitted again on the next turn of the
 *   event loop, as SPDK's bdev layer retries an I/O that ran out of memory;
 *   the host sees only latency.
 *
 * Not supported: SPDK's `queue_depth` (inject only at a given depth) and the
 * `nvme` error type with a chosen SCT/SC, which needs a typed device error
 * the target core would map to a status.
 */
import { ConfigError } from '../../spec/errors.js';
import { BlockDeviceBase, type BdevCallback, type BdevReadCallback, type BlockDevice, type UnmapRange } from './block-device.js';

/** SPDK `bdev_error_inject_error` io_type values. `clear` disarms every type. */
export const ERROR_IO_TYPES = ['read', 'write', 'unmap', 'flush', 'all', 'clear'] as const;
export type ErrorIoType = (typeof ERROR_IO_TYPES)[number];

/** SPDK `bdev_error_inject_error` error_type values. */
export const ERROR_TYPES = ['failure', 'pending', 'corrupt_data', 'nomem'] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

/** SPDK `bdev_error_inject_error` parameters (besides `name`). */
export interface ErrorInjection {
  ioType: ErrorIoType;
  errorType: ErrorType;
  /** How many I/Os to affect (SPDK `num`); default 1. */
  num?: number;
  /** Byte offset within the I/O's data for `corrupt_data` (SPDK `corrupt_offset`); default 0. */
  corruptOffset?: number;
  /** XOR mask for `corrupt_data`, 1..255 (SPDK `corrupt_value`). */
  corruptValue?: number;
}

/** The error an injected `failure` (or an aborted `pending` I/O) completes with. */
export class InjectedIoError extends Error {
  override readonly name = 'InjectedIoError';
}

/** The I/O types injections apply to (Write Zeroes is never affected, as in SPDK). */
type Target = 'read' | 'write' | 'unmap' | 'flush';
const TARGETS: readonly Target[] = ['read', 'write', 'unmap', 'flush'];

interface Armed {
  errorType: ErrorType;
  remaining: number;
  corruptOffset: number;
  corruptValue: number;
}

/** A submitted I/O, kept as a closure only when an injection applies (the rare path). */
type Resubmit = () => void;

function checkedInteger(key: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new ConfigError(key, `expected an integer from ${min} to ${max}, got ${value}`);
  return value;
}

export class ErrorBlockDevice extends BlockDeviceBase implements BlockDevice {
  readonly volatileWriteCache: boolean;
  readonly supportsUnmap: boolean;
  readonly supportsWriteZeroes: boolean;
  private readonly armed = new Map<Target, Armed>();
  private readonly pending: { retry: Resubmit; fail: () => void }[] = [];

  /** @throws ConfigError for a bad UUID */
  constructor(
    readonly base: BlockDevice,
    uuid?: string,
  ) {
    super('EE_', { name: `EE_${base.name}`, blockSize: base.blockSize, numBlocks: base.numBlocks, uuid });
    this.volatileWriteCache = base.volatileWriteCache;
    this.supportsUnmap = base.supportsUnmap;
    this.supportsWriteZeroes = base.supportsWriteZeroes;
  }

  /** I/Os held by a `pending` injection. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /**
   * Arms (or, with `clear`, disarms) an injection.
   * @throws ConfigError for an unknown type, a bad count, or `corrupt_data` without a non-zero `corruptValue`
   */
  injectError(inj: ErrorInjection): void {
    if (!ERROR_IO_TYPES.includes(inj.ioType)) throw new ConfigError('io_type', `expected one of ${ERROR_IO_TYPES.join(', ')}, got '${inj.ioType}'`);
    if (inj.ioType === 'clear') {
      this.armed.clear();
      return;
    }
    if (!ERROR_TYPES.includes(inj.errorType)) throw new ConfigError('error_type', `expected one of ${ERROR_TYPES.join(', ')}, got '${inj.errorType}'`);
    const corruptValue = checkedInteger('corrupt_value', inj.corruptValue ?? 0, 0, 255);
    if (inj.errorType === 'corrupt_data' && corruptValue === 0) {
      throw new ConfigError('corrupt_value', 'corrupt_data needs a non-zero corrupt_value (XOR with 0 changes nothing)');
    }
    const armed = {
      errorType: inj.errorType,
      remaining: checkedInteger('num', inj.num ?? 1, 0, 0xffffffff),
      corruptOffset: checkedInteger('corrupt_offset', inj.corruptOffset ?? 0, 0, Number.MAX_SAFE_INTEGER),
      corruptValue,
    };
    for (const t of inj.ioType === 'all' ? TARGETS : [inj.ioType]) this.armed.set(t, { ...armed });
  }

  /** Submits every I/O held by `pending` to the base (SPDK `bdev_error_resume_pending`). */
  resumePending(): void {
    for (const p of this.pending.splice(0)) p.retry();
  }

  read(lba: number, nlb: number, cb: BdevReadCallback): void {
    const inj = this.take('read');
    if (inj === null) {
      this.base.read(lba, nlb, cb);
      return;
    }
    const fail = (): void => cb(new InjectedIoError(`${this.name}: injected read failure at lba ${lba}`), null);
    const run = (): void =>
      this.base.read(lba, nlb, (err, data) => {
        if (err || inj.errorType !== 'corrupt_data') cb(err, data);
        else cb(null, corrupted(data!, inj));
      });
    this.apply(inj, run, fail);
  }

  write(lba: number, data: Buffer, cb: BdevCallback): void {
    const inj = this.take('write');
    if (inj === null) {
      this.base.write(lba, data, cb);
      return;
    }
    const fail = (): void => cb(new InjectedIoError(`${this.name}: injected write failure at lba ${lba}`));
    const run = (): void => this.base.write(lba, inj.errorType === 'corrupt_data' ? corrupted(data, inj) : data, cb);
    this.apply(inj, run, fail);
  }

  flush(cb: BdevCallback): void {
    const inj = this.take('flush');
    if (inj === null) this.base.flush(cb);
    else this.apply(inj, () => this.base.flush(cb), () => cb(new InjectedIoError(`${this.name}: injected flush failure`)));
  }

  writeZeroes(lba: number, nlb: number, cb: BdevCallback): void {
    this.base.writeZeroes(lba, nlb, cb);
  }

  unmap(ranges: readonly UnmapRange[], cb: BdevCallback): void {
    const inj = this.take('unmap');
    if (inj === null) this.base.unmap(ranges, cb);
    else this.apply(inj, () => this.base.unmap(ranges, cb), () => cb(new InjectedIoError(`${this.name}: injected unmap failure`)));
  }

  /** Fails every pending I/O (SPDK aborts them); the base stays open (it is not ours). */
  close(cb: BdevCallback): void {
    for (const p of this.pending.splice(0)) p.fail();
    this.armed.clear();
    cb(null);
  }

  /** The armed injection for `type` if this I/O is to be affected, using one up; else null. */
  private take(type: Target): Armed | null {
    const inj = this.armed.get(type);
    if (inj === undefined || inj.remaining === 0) return null;
    inj.remaining--;
    return { ...inj };
  }

  private apply(inj: Armed, run: Resubmit, fail: () => void): void {
    switch (inj.errorType) {
      case 'failure':
        fail();
        return;
      case 'pending':
        this.pending.push({ retry: run, fail });
        return;
      case 'nomem':
        setImmediate(run);
        return;
      case 'corrupt_data':
        run();
        return;
    }
  }
}

/** A copy of `data` with one byte XORed (the data may be a view of a RAM device or the host's buffer: neither is ours to change). */
function corrupted(data: Buffer, inj: Armed): Buffer {
  const copy = Buffer.from(data);
  if (inj.corruptOffset < copy.length) copy[inj.corruptOffset]! ^= inj.corruptValue;
  return copy;
}
