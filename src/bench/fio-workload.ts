/**
 * nvme-fio's workload generator: per I/O, fio's order of choices — the data
 * direction (`rw`, `rwmixread`), then the block size (`bs`/`bssplit` of that
 * direction), then the offset (sequential, random, fio's random map, or a
 * skewed distribution, aligned to `blockalign` from the region start and kept
 * inside the region).
 * Positions are counted in units (the greatest common divisor of the job's
 * block sizes and alignments), so every I/O is a whole number of units.
 *
 * With verify it tracks, per unit, the last generation written and whether that
 * write completed, never hands out an I/O overlapping one in flight (NVMe orders
 * nothing between overlapping commands, so overlap would make false
 * mismatches), and lists written extents for `do_verify` and `verify_backlog`.
 * `next`, `complete` and the verify reads allocate nothing.
 */
import { Xoshiro128 } from './prng.js';
import { SlotPicker, type SlotOrder, type SlotSkew } from './slot-picker.js';

/** Units whose generations verify tracks at most (16 M; 64 GiB of 4 KiB units). */
export const FIO_VERIFY_MAX_UNITS = 1 << 24;

/** Random redraws of an offset whose units are in flight before walking to the next free one. */
const REDRAWS = 8;

/** Data directions, fio's `ddir` numbering. */
export const DDIR_READ = 0;
export const DDIR_WRITE = 1;
export const DDIR_TRIM = 2;
export type Ddir = 0 | 1 | 2;

/** One direction's block sizes: `units[i]` is drawn when a percent draw is below `cumPercent[i]`. */
export interface SizeTable {
  units: number[];
  /** Ascending; the last is 100. */
  cumPercent: number[];
}

/** Plain data: built on the main thread, posted to the worker. */
export interface FioWorkloadConfig {
  seed: number;
  /** First LBA of the region, and the region's length in units. */
  firstLba: number;
  unitCount: number;
  /** Logical blocks per unit. */
  unitBlocks: number;
  order: SlotOrder;
  skew: SlotSkew | null;
  /** Percent of reads (100 read-only, 0 write-only); ignored when `trim`. */
  rwMixRead: number;
  /** Every I/O is a trim (`rw=trim`/`randtrim`). */
  trim: boolean;
  /** Per direction (read, write, trim); a direction the job does not use may have an empty table. */
  sizes: readonly [SizeTable, SizeTable, SizeTable];
  /** `blockalign` per direction in units; 0 = align each I/O to its own size. */
  alignUnits: readonly [number, number, number];
  verify: boolean;
  /** Most I/Os in flight at once (the queue depth); verify's backlog ring holds `verifyBacklog` extents. */
  maxInFlight: number;
  /** Verify written extents after this many writes (0 = no backlog). */
  verifyBacklog: number;
}

/** One I/O; the engine keeps one per task and reuses it. */
export class FioIo {
  ddir: Ddir = DDIR_READ;
  /** A read of what this job wrote (do_verify / verify_backlog), not part of the workload. */
  verifyRead = false;
  /** First unit, relative to the region. */
  unit = 0;
  units = 0;
  lba = 0;
  nlb = 0;
}

export class FioWorkload {
  readonly unitCount: number;
  private readonly cfg: FioWorkloadConfig;
  private readonly rng: Xoshiro128;
  private readonly picker: SlotPicker | null;
  private cursor = 0;
  /** Per unit (verify): last generation stamped, whether that write completed, whether it is in flight. */
  private readonly generations: Uint32Array | null;
  private readonly known: Uint8Array | null;
  private readonly busy: Uint8Array | null;
  /** Completed writes waiting for a backlog verify: (unit, units) pairs in a ring. */
  private readonly backlog: Float64Array | null;
  private backlogHead = 0;
  private backlogCount = 0;
  private verifyCursor = 0;
  /** The largest I/O in units (verify reads are at most this long). */
  readonly maxUnits: number;

  constructor(cfg: FioWorkloadConfig) {
    if (!(cfg.unitCount >= 1)) throw new RangeError(`the region must hold at least one unit, got ${cfg.unitCount}`);
    this.cfg = cfg;
    this.unitCount = cfg.unitCount;
    this.rng = new Xoshiro128(cfg.seed);
    this.picker = cfg.order === 'sequential' ? null : new SlotPicker(cfg.unitCount, cfg.order, this.rng, cfg.skew);
    this.maxUnits = Math.max(1, ...cfg.sizes.flatMap((t) => t.units));
    if (this.maxUnits > cfg.unitCount) throw new RangeError(`an I/O of ${this.maxUnits} units does not fit the region of ${cfg.unitCount}`);
    if (cfg.verify) {
      if (cfg.unitCount > FIO_VERIFY_MAX_UNITS) throw new RangeError(`verify tracks at most ${FIO_VERIFY_MAX_UNITS} units, the region has ${cfg.unitCount}`);
      this.generations = new Uint32Array(cfg.unitCount);
      this.known = new Uint8Array(cfg.unitCount);
      this.busy = new Uint8Array(cfg.unitCount);
      this.backlog = cfg.verifyBacklog > 0 ? new Float64Array(2 * (cfg.verifyBacklog + cfg.maxInFlight)) : null;
    } else {
      this.generations = null;
      this.known = null;
      this.busy = null;
      this.backlog = null;
    }
  }

  /**
   * Fills `io` with the next workload I/O. Returns false only with verify, when
   * no offset free of in-flight I/O was found: call again after a completion.
   */
  next(io: FioIo): boolean {
    const cfg = this.cfg;
    const mix = cfg.rwMixRead;
    const ddir: Ddir = cfg.trim ? DDIR_TRIM : mix === 100 ? DDIR_READ : mix === 0 ? DDIR_WRITE : this.rng.nextBelow(100) < mix ? DDIR_READ : DDIR_WRITE;
    const units = this.drawSize(ddir);
    const unit = this.picker === null ? this.nextSequential(units) : this.nextRandom(units, cfg.alignUnits[ddir] || units);
    if (unit < 0) return false;
    if (this.picker === null) this.cursor = unit + units;
    this.fill(io, ddir, unit, units, false);
    this.claim(io);
    return true;
  }

  /** Reports that `io` completed; a failed write leaves its units unknown (later reads go unchecked). */
  complete(io: FioIo, success: boolean): void {
    const busy = this.busy;
    if (busy === null) return;
    const end = io.unit + io.units;
    for (let u = io.unit; u < end; u++) busy[u] = 0;
    if (io.ddir === DDIR_READ) return;
    const written = success && io.ddir === DDIR_WRITE ? 1 : 0;
    this.known!.fill(written, io.unit, end);
    if (written && this.backlog !== null) this.pushBacklog(io.unit, io.units);
  }

  /** Gives up an I/O that was drawn but never submitted (the job ended while it waited). */
  abandon(io: FioIo): void {
    this.complete(io, false);
  }

  /** Generation a unit was last written with, and whether that write completed (verify only). */
  generation(unit: number): number {
    return this.generations![unit]!;
  }
  isKnown(unit: number): boolean {
    return this.known !== null && this.known[unit] === 1;
  }

  /** Completed writes waiting for a backlog verify. */
  get backlogPending(): number {
    return this.backlogCount;
  }

  /** The next backlog extent to read back; false when the backlog is empty. Extents now in flight again are skipped. */
  nextBacklogRead(io: FioIo): boolean {
    const ring = this.backlog!;
    const slots = ring.length / 2;
    while (this.backlogCount > 0) {
      const unit = ring[2 * this.backlogHead]!;
      const units = ring[2 * this.backlogHead + 1]!;
      this.backlogHead = (this.backlogHead + 1) % slots;
      this.backlogCount--;
      if (this.readable(unit, units)) {
        this.fill(io, DDIR_READ, unit, units, true);
        this.claim(io);
        return true;
      }
    }
    return false;
  }

  /** Starts a read-back pass over every unit written (`do_verify`). */
  startVerifyPass(): void {
    this.verifyCursor = 0;
  }

  /** The next run of written units (at most the largest I/O) in the pass; false when the pass is over. */
  nextVerifyRead(io: FioIo): boolean {
    const known = this.known!;
    const busy = this.busy!;
    let u = this.verifyCursor;
    while (u < this.unitCount && (known[u] !== 1 || busy[u] === 1)) u++;
    if (u >= this.unitCount) {
      this.verifyCursor = u;
      return false;
    }
    let end = u + 1;
    while (end < this.unitCount && end - u < this.maxUnits && known[end] === 1 && busy[end] !== 1) end++;
    this.verifyCursor = end;
    this.fill(io, DDIR_READ, u, end - u, true);
    this.claim(io);
    return true;
  }

  private drawSize(ddir: Ddir): number {
    const t = this.cfg.sizes[ddir];
    if (t.units.length === 1) return t.units[0]!;
    const r = this.rng.nextBelow(100);
    let i = 0;
    while (i < t.cumPercent.length - 1 && r >= t.cumPercent[i]!) i++;
    return t.units[i]!;
  }

  /** The cursor's unit, wrapping when the I/O would run past the region; -1 when in flight. */
  private nextSequential(units: number): number {
    const unit = this.cursor + units > this.unitCount ? 0 : this.cursor;
    return this.free(unit, units) ? unit : -1;
  }

  /** A drawn unit aligned down to `align`, pulled back inside the region; -1 when no free one was found. */
  private nextRandom(units: number, align: number): number {
    const last = Math.floor((this.unitCount - units) / align) * align;
    let unit = Math.min(Math.floor(this.picker!.next() / align) * align, last);
    if (this.busy === null || this.free(unit, units)) return unit;
    for (let i = 1; i < REDRAWS; i++) {
      unit = Math.min(Math.floor(this.picker!.next() / align) * align, last);
      if (this.free(unit, units)) return unit;
    }
    for (let step = 0; step <= last; step += align) {
      unit = unit + align > last ? 0 : unit + align;
      if (this.free(unit, units)) return unit;
    }
    return -1;
  }

  private free(unit: number, units: number): boolean {
    const busy = this.busy;
    if (busy === null) return true;
    for (let u = unit; u < unit + units; u++) if (busy[u] === 1) return false;
    return true;
  }

  private readable(unit: number, units: number): boolean {
    for (let u = unit; u < unit + units; u++) if (this.known![u] !== 1 || this.busy![u] === 1) return false;
    return true;
  }

  private fill(io: FioIo, ddir: Ddir, unit: number, units: number, verifyRead: boolean): void {
    io.ddir = ddir;
    io.verifyRead = verifyRead;
    io.unit = unit;
    io.units = units;
    io.lba = this.cfg.firstLba + unit * this.cfg.unitBlocks;
    io.nlb = units * this.cfg.unitBlocks;
  }

  /** Marks the units in flight and, for a write, stamps their next generation (verify only). */
  private claim(io: FioIo): void {
    const busy = this.busy;
    if (busy === null) return;
    const gens = this.generations!;
    const end = io.unit + io.units;
    for (let u = io.unit; u < end; u++) {
      busy[u] = 1;
      if (io.ddir === DDIR_WRITE) gens[u] = (gens[u]! + 1) >>> 0 || 1;
    }
    if (io.ddir !== DDIR_READ) this.known!.fill(0, io.unit, end);
  }

  private pushBacklog(unit: number, units: number): void {
    const ring = this.backlog!;
    const slots = ring.length / 2;
    if (this.backlogCount === slots) {
      this.backlogHead = (this.backlogHead + 1) % slots;
      this.backlogCount--;
    }
    const at = (this.backlogHead + this.backlogCount) % slots;
    ring[2 * at] = unit;
    ring[2 * at + 1] = units;
    this.backlogCount++;
  }
}
