/**
 * A virtual block device that adds latency to reads and writes of a base
 * device (SPDK's delay bdev): after the base completes, a read or a write is
 * held for the average latency, or for one in a hundred I/Os the p99 latency.
 * Flush, Write Zeroes and unmap pass straight through, as in SPDK.
 *
 * Since every I/O of one kind waits the same time from its base completion,
 * each kind's waiting I/Os are already in deadline order: four FIFO lists
 * (average read, p99 read, average write, p99 write) replace a priority
 * queue, and one timer, armed for the earliest head, serves them all. No
 * timer per I/O: at 100k IOPS a timer fires about once a millisecond and
 * completes every I/O that is due.
 */
import { ConfigError } from '../../spec/errors.js';
import { BlockDeviceBase, type BdevCallback, type BdevReadCallback, type BlockDevice, type UnmapRange } from './block-device.js';
import { nowTicks, TICK_RATE } from './iostat.js';

/** SPDK `bdev_delay_create` parameters, latencies in microseconds. */
export interface DelayBlockDeviceOptions {
  /** The device to delay (SPDK `base_bdev_name`). */
  base: BlockDevice;
  /** SPDK `name`. */
  name: string;
  avgReadLatencyUs: number;
  p99ReadLatencyUs: number;
  avgWriteLatencyUs: number;
  p99WriteLatencyUs: number;
  /** Default: a random UUID. */
  uuid?: string;
  /** Draws in [0, 1) choosing p99 for one I/O in a hundred; default Math.random. */
  random?: () => number;
}

/** The four latencies, by their SPDK JSON names (`bdev_get_bdevs` driver_specific, `save_config`). */
export type DelayLatencyName = 'avg_read_latency' | 'p99_read_latency' | 'avg_write_latency' | 'p99_write_latency';

const TICKS_PER_US = TICK_RATE / 1_000_000;
const TICKS_PER_MS = TICK_RATE / 1_000;
/** Share of I/Os that wait the p99 latency. */
const P99_SHARE = 0.01;

/** Index of a wait list. */
const enum Lane {
  AVG_READ,
  P99_READ,
  AVG_WRITE,
  P99_WRITE,
}

/** A read or write waiting for its base completion and then its deadline; pooled, callbacks bound once. */
class DelayedIo {
  lane = Lane.AVG_READ;
  deadline = 0;
  err: Error | null = null;
  data: Buffer | null = null;
  done: BdevCallback | null = null;
  readDone: BdevReadCallback | null = null;
  next: DelayedIo | null = null;
  readonly onBase: BdevCallback;
  readonly onBaseRead: BdevReadCallback;

  constructor(dev: DelayBlockDevice) {
    this.onBase = (err) => dev.enqueue(this, err, null);
    this.onBaseRead = (err, data) => dev.enqueue(this, err, data);
  }
}

/** One FIFO of delayed I/Os, linked through `next`. */
class WaitList {
  head: DelayedIo | null = null;
  tail: DelayedIo | null = null;

  push(io: DelayedIo): void {
    io.next = null;
    if (this.tail) this.tail.next = io;
    else this.head = io;
    this.tail = io;
  }

  shift(): DelayedIo {
    const io = this.head!;
    this.head = io.next;
    if (this.head === null) this.tail = null;
    io.next = null;
    return io;
  }
}

function latencyTicks(key: string, us: number): number {
  if (!Number.isSafeInteger(us) || us < 0) throw new ConfigError(key, `expected a latency in microseconds (an integer >= 0), got ${us}`);
  return us * TICKS_PER_US;
}

export class DelayBlockDevice extends BlockDeviceBase implements BlockDevice {
  readonly base: BlockDevice;
  readonly volatileWriteCache: boolean;
  readonly supportsUnmap: boolean;
  readonly supportsWriteZeroes: boolean;
  /** Latency per lane, in ticks. */
  private readonly latency: number[];
  private readonly lanes = [new WaitList(), new WaitList(), new WaitList(), new WaitList()];
  private readonly pool: DelayedIo[] = [];
  private readonly random: () => number;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  /** Deadline the armed timer or immediate serves; Infinity when none is armed. */
  private armedFor = Infinity;
  private readonly fire = (): void => this.completeDue();

  /** @throws ConfigError for a negative latency, a p99 below its average, or a bad name or UUID */
  constructor(opts: DelayBlockDeviceOptions) {
    super('Delay', { name: opts.name, blockSize: opts.base.blockSize, numBlocks: opts.base.numBlocks, uuid: opts.uuid });
    this.base = opts.base;
    this.volatileWriteCache = opts.base.volatileWriteCache;
    this.supportsUnmap = opts.base.supportsUnmap;
    this.supportsWriteZeroes = opts.base.supportsWriteZeroes;
    this.latency = [
      latencyTicks('avg_read_latency', opts.avgReadLatencyUs),
      latencyTicks('p99_read_latency', opts.p99ReadLatencyUs),
      latencyTicks('avg_write_latency', opts.avgWriteLatencyUs),
      latencyTicks('p99_write_latency', opts.p99WriteLatencyUs),
    ];
    if (opts.p99ReadLatencyUs < opts.avgReadLatencyUs) {
      throw new ConfigError('p99_read_latency', `expected at least avg_read_latency (${opts.avgReadLatencyUs} us), got ${opts.p99ReadLatencyUs}`);
    }
    if (opts.p99WriteLatencyUs < opts.avgWriteLatencyUs) {
      throw new ConfigError('p99_write_latency', `expected at least avg_write_latency (${opts.avgWriteLatencyUs} us), got ${opts.p99WriteLatencyUs}`);
    }
    this.random = opts.random ?? Math.random;
  }

  /** The configured latencies in microseconds, SPDK's names and order. */
  latenciesUs(): Record<DelayLatencyName, number> {
    const us = (lane: Lane): number => Math.round(this.latency[lane]! / TICKS_PER_US);
    return {
      avg_read_latency: us(Lane.AVG_READ),
      p99_read_latency: us(Lane.P99_READ),
      avg_write_latency: us(Lane.AVG_WRITE),
      p99_write_latency: us(Lane.P99_WRITE),
    };
  }

  /** Changes one latency for I/Os that complete at the base from now on (SPDK `bdev_delay_update_latency`). */
  updateLatency(which: DelayLatencyName, us: number): void {
    const lane = { avg_read_latency: Lane.AVG_READ, p99_read_latency: Lane.P99_READ, avg_write_latency: Lane.AVG_WRITE, p99_write_latency: Lane.P99_WRITE }[which];
    this.latency[lane] = latencyTicks(which, us);
  }

  /** I/Os the base has completed whose delay has not yet run out. */
  get waiting(): number {
    let n = 0;
    for (const list of this.lanes) for (let io = list.head; io; io = io.next) n++;
    return n;
  }

  read(lba: number, nlb: number, cb: BdevReadCallback): void {
    const io = this.take(this.random() < P99_SHARE ? Lane.P99_READ : Lane.AVG_READ);
    io.readDone = cb;
    this.base.read(lba, nlb, io.onBaseRead);
  }

  write(lba: number, data: Buffer, cb: BdevCallback): void {
    const io = this.take(this.random() < P99_SHARE ? Lane.P99_WRITE : Lane.AVG_WRITE);
    io.done = cb;
    this.base.write(lba, data, io.onBase);
  }

  flush(cb: BdevCallback): void {
    this.base.flush(cb);
  }

  writeZeroes(lba: number, nlb: number, cb: BdevCallback): void {
    this.base.writeZeroes(lba, nlb, cb);
  }

  unmap(ranges: readonly UnmapRange[], cb: BdevCallback): void {
    this.base.unmap(ranges, cb);
  }

  /** Completes every waiting I/O at once (its delay cut short) and stops the timer; the base stays open (it is not ours). */
  close(cb: BdevCallback): void {
    this.disarm();
    for (const list of this.lanes) while (list.head) this.complete(list.shift());
    cb(null);
  }

  /** @internal the base completed `io`: start its delay. */
  enqueue(io: DelayedIo, err: Error | null, data: Buffer | null): void {
    io.err = err;
    io.data = data;
    io.deadline = nowTicks() + this.latency[io.lane]!;
    this.lanes[io.lane]!.push(io);
    if (io.deadline < this.armedFor) this.arm(io.deadline);
  }

  private take(lane: Lane): DelayedIo {
    const io = this.pool.pop() ?? new DelayedIo(this);
    io.lane = lane;
    return io;
  }

  /** Completes every I/O whose deadline has passed, then arms for the earliest one left. */
  private completeDue(): void {
    this.timer = null;
    this.immediate = null;
    this.armedFor = Infinity;
    const now = nowTicks();
    let earliest = Infinity;
    for (const list of this.lanes) {
      while (list.head !== null && list.head.deadline <= now) this.complete(list.shift());
      if (list.head !== null && list.head.deadline < earliest) earliest = list.head.deadline;
    }
    if (earliest !== Infinity && earliest < this.armedFor) this.arm(earliest);
  }

  /**
   * Timers have millisecond resolution: a deadline a millisecond or more away
   * gets a timer rounded up (never early), a nearer one is polled on the next
   * turn of the event loop (as SPDK's poller would), which yields to I/O.
   */
  private arm(deadline: number): void {
    this.disarm();
    this.armedFor = deadline;
    const ms = (deadline - nowTicks()) / TICKS_PER_MS;
    if (ms >= 1) this.timer = setTimeout(this.fire, Math.ceil(ms));
    else this.immediate = setImmediate(this.fire);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    this.armedFor = Infinity;
  }

  private complete(io: DelayedIo): void {
    const { done, readDone, err, data } = io;
    io.done = null;
    io.readDone = null;
    io.err = null;
    io.data = null;
    this.pool.push(io);
    if (readDone) readDone(err, data);
    else done!(err);
  }
}
