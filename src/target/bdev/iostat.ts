/**
 * Per block device I/O statistics, as SPDK's bdev layer keeps them for
 * `bdev_get_iostat`: operation and byte counts, total / min / max latency in
 * ticks. Counting happens in `MeteredBlockDevice`, a wrapper every registered
 * device wears, so malloc, null, file and virtual devices are counted alike
 * and no device has to know about statistics.
 */
import type { BdevCallback, BdevReadCallback, BlockDevice, UnmapRange } from './block-device.js';

/**
 * Ticks per second of every latency counter. SPDK counts TSC ticks and
 * reports their rate; we count nanoseconds of `performance.now()`.
 */
export const TICK_RATE = 1_000_000_000;

/** The current tick (nanoseconds since the process started). */
export function nowTicks(): number {
  return Math.round(performance.now() * 1e6);
}

/** One latency family (read, write, unmap, copy): total, min, max in ticks. */
class LatencyCounter {
  total = 0;
  /** `Infinity` until the first sample; reported as 0 then, as SPDK reports its UINT64_MAX. */
  min = Infinity;
  max = 0;

  add(ticks: number): void {
    this.total += ticks;
    if (ticks < this.min) this.min = ticks;
    if (ticks > this.max) this.max = ticks;
  }

  get reportedMin(): number {
    return this.min === Infinity ? 0 : this.min;
  }
}

/** SPDK's names for the failed I/O statuses counted under `io_error`. */
export type BdevIoErrorKind = 'failed';

/** One entry of `bdev_get_iostat`'s `bdevs` array, SPDK's key order. */
export interface BdevIostatEntry {
  name: string;
  bytes_read: number;
  num_read_ops: number;
  bytes_written: number;
  num_write_ops: number;
  bytes_unmapped: number;
  num_unmap_ops: number;
  bytes_copied: number;
  num_copy_ops: number;
  read_latency_ticks: number;
  max_read_latency_ticks: number;
  min_read_latency_ticks: number;
  write_latency_ticks: number;
  max_write_latency_ticks: number;
  min_write_latency_ticks: number;
  unmap_latency_ticks: number;
  max_unmap_latency_ticks: number;
  min_unmap_latency_ticks: number;
  copy_latency_ticks: number;
  max_copy_latency_ticks: number;
  min_copy_latency_ticks: number;
  io_error: Partial<Record<BdevIoErrorKind, number>>;
}

/** The whole `bdev_get_iostat` result. */
export interface BdevIostatResult {
  tick_rate: number;
  ticks: number;
  bdevs: BdevIostatEntry[];
}

/** Counters of one device. Plain fields, bumped in place. */
export class BdevIoStat {
  bytesRead = 0;
  numReadOps = 0;
  bytesWritten = 0;
  numWriteOps = 0;
  bytesUnmapped = 0;
  numUnmapOps = 0;
  /** nvmekit has no Copy command yet; kept so the report has SPDK's every key. */
  bytesCopied = 0;
  numCopyOps = 0;
  /** I/Os the device completed with an error (SPDK's `io_error.failed`). */
  failedOps = 0;
  readonly readLatency = new LatencyCounter();
  readonly writeLatency = new LatencyCounter();
  readonly unmapLatency = new LatencyCounter();
  readonly copyLatency = new LatencyCounter();

  /** The `bdevs[]` entry of `bdev_get_iostat` for a device called `name`. */
  toJSON(name: string): BdevIostatEntry {
    return {
      name,
      bytes_read: this.bytesRead,
      num_read_ops: this.numReadOps,
      bytes_written: this.bytesWritten,
      num_write_ops: this.numWriteOps,
      bytes_unmapped: this.bytesUnmapped,
      num_unmap_ops: this.numUnmapOps,
      bytes_copied: this.bytesCopied,
      num_copy_ops: this.numCopyOps,
      read_latency_ticks: this.readLatency.total,
      max_read_latency_ticks: this.readLatency.max,
      min_read_latency_ticks: this.readLatency.reportedMin,
      write_latency_ticks: this.writeLatency.total,
      max_write_latency_ticks: this.writeLatency.max,
      min_write_latency_ticks: this.writeLatency.reportedMin,
      unmap_latency_ticks: this.unmapLatency.total,
      max_unmap_latency_ticks: this.unmapLatency.max,
      min_unmap_latency_ticks: this.unmapLatency.reportedMin,
      copy_latency_ticks: this.copyLatency.total,
      max_copy_latency_ticks: this.copyLatency.max,
      min_copy_latency_ticks: this.copyLatency.reportedMin,
      io_error: this.failedOps > 0 ? { failed: this.failedOps } : {},
    };
  }
}

/** What a metered I/O counts as once it completes. */
const enum Counted {
  READ,
  WRITE,
  UNMAP,
  /** Flush and Write Zeroes: SPDK's iostat has no counters for them; only failures count. */
  NONE,
}

/**
 * The per-I/O state of a metered command. Slots are pooled per device and
 * their callbacks bound once, so a command allocates nothing here.
 */
class IoSlot {
  kind = Counted.NONE;
  bytes = 0;
  start = 0;
  done: BdevCallback | null = null;
  readDone: BdevReadCallback | null = null;
  readonly onDone: BdevCallback;
  readonly onRead: BdevReadCallback;

  constructor(dev: MeteredBlockDevice) {
    this.onDone = (err) => dev.finish(this, err, null);
    this.onRead = (err, data) => dev.finish(this, err, data);
  }
}

/**
 * A block device with statistics: forwards every call to `inner` and counts
 * it when it completes. This is what namespaces hold, so the I/O of every
 * host and of every virtual device stacked on top is counted here.
 */
export class MeteredBlockDevice implements BlockDevice {
  readonly stat = new BdevIoStat();
  private readonly free: IoSlot[] = [];
  private outstanding = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(readonly inner: BlockDevice) {}

  get name(): string {
    return this.inner.name;
  }
  get blockSize(): number {
    return this.inner.blockSize;
  }
  get numBlocks(): number {
    return this.inner.numBlocks;
  }
  get uuid(): string {
    return this.inner.uuid;
  }
  get volatileWriteCache(): boolean {
    return this.inner.volatileWriteCache;
  }
  get supportsUnmap(): boolean {
    return this.inner.supportsUnmap;
  }
  get supportsWriteZeroes(): boolean {
    return this.inner.supportsWriteZeroes;
  }

  /** Commands submitted and not yet completed. */
  get inflight(): number {
    return this.outstanding;
  }

  read(lba: number, nlb: number, cb: BdevReadCallback): void {
    const slot = this.begin(Counted.READ, nlb * this.inner.blockSize);
    slot.readDone = cb;
    this.inner.read(lba, nlb, slot.onRead);
  }

  write(lba: number, data: Buffer, cb: BdevCallback): void {
    const slot = this.begin(Counted.WRITE, data.length);
    slot.done = cb;
    this.inner.write(lba, data, slot.onDone);
  }

  flush(cb: BdevCallback): void {
    const slot = this.begin(Counted.NONE, 0);
    slot.done = cb;
    this.inner.flush(slot.onDone);
  }

  writeZeroes(lba: number, nlb: number, cb: BdevCallback): void {
    const slot = this.begin(Counted.NONE, 0);
    slot.done = cb;
    this.inner.writeZeroes(lba, nlb, slot.onDone);
  }

  unmap(ranges: readonly UnmapRange[], cb: BdevCallback): void {
    let blocks = 0;
    for (let i = 0; i < ranges.length; i++) blocks += ranges[i]!.numBlocks;
    const slot = this.begin(Counted.UNMAP, blocks * this.inner.blockSize);
    slot.done = cb;
    this.inner.unmap(ranges, slot.onDone);
  }

  close(cb: BdevCallback): void {
    this.inner.close(cb);
  }

  /** Calls `cb` once no command is outstanding (at once if none is). */
  whenIdle(cb: () => void): void {
    if (this.outstanding === 0) cb();
    else this.idleWaiters.push(cb);
  }

  /** @internal completion of a slot; called by the slot's bound callbacks. */
  finish(slot: IoSlot, err: Error | null, data: Buffer | null): void {
    const latency = nowTicks() - slot.start;
    const s = this.stat;
    if (err) s.failedOps++;
    else if (slot.kind === Counted.READ) {
      s.numReadOps++;
      s.bytesRead += slot.bytes;
      s.readLatency.add(latency);
    } else if (slot.kind === Counted.WRITE) {
      s.numWriteOps++;
      s.bytesWritten += slot.bytes;
      s.writeLatency.add(latency);
    } else if (slot.kind === Counted.UNMAP) {
      s.numUnmapOps++;
      s.bytesUnmapped += slot.bytes;
      s.unmapLatency.add(latency);
    }
    const done = slot.done;
    const readDone = slot.readDone;
    slot.done = null;
    slot.readDone = null;
    this.free.push(slot);
    this.outstanding--;
    if (readDone) readDone(err, data);
    else done!(err);
    if (this.outstanding === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private begin(kind: Counted, bytes: number): IoSlot {
    const slot = this.free.pop() ?? new IoSlot(this);
    slot.kind = kind;
    slot.bytes = bytes;
    slot.start = nowTicks();
    this.outstanding++;
    return slot;
  }
}
