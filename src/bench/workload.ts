/**
 * The per-(worker, namespace) workload generator: where the next I/O goes and
 * whether it reads or writes, as SPDK perf's `submit_single_io` decides it.
 * Offsets are whole I/O-size slots (so every I/O is aligned to its size):
 * sequential and wrapping, uniform random, or zipf; the read/write choice is
 * `rand % 100 < rwmixread`, drawn after the offset as SPDK does.
 *
 * With `verify` the generator also never hands out a slot that is already in
 * flight, and keeps each slot's write generation so reads know what to expect.
 * `next` and `complete` allocate nothing.
 */
import { InFlightSet } from './inflight-set.js';
import { Xoshiro128 } from './prng.js';
import { SlotPicker } from './slot-picker.js';
import type { ZipfDistribution } from './zipf.js';

/** Slots whose generations `--verify` tracks at most (16 M: 64 MiB of state; 64 GiB of 4 KiB I/O). */
export const VERIFY_MAX_SLOTS = 1 << 24;

/** Random redraws of a busy slot before walking to the next free one. */
const REDRAWS = 8;

export interface WorkloadConfig {
  /** Random offsets (`rand*` patterns) instead of sequential. */
  readonly random: boolean;
  /** Percent of reads, 0 to 100. */
  readonly rwMixRead: number;
  /** Logical blocks per I/O. */
  readonly ioSizeBlocks: number;
  /** First slot of the range this generator covers (default 0). */
  readonly firstSlot?: number;
  /** Slots in the range: SPDK's `size_in_ios` for a whole namespace. */
  readonly slotCount: number;
  /** Zipf constants built for `slotCount` ranks; random patterns only. */
  readonly zipf?: ZipfDistribution | null;
  /** Seed of this generator's stream (see `deriveSeed`). */
  readonly seed: number;
  /** Track slots in flight and write generations (`--verify`). */
  readonly verify?: boolean;
  /** Most I/Os in flight at once (the queue depth); needed with `verify`. */
  readonly maxInFlight?: number;
}

/** One I/O as the generator describes it; the engine keeps one per task and reuses it. */
export class IoDescriptor {
  isRead = false;
  /** First LBA. */
  lba = 0;
  /** Number of logical blocks (not 0's based). */
  nlb = 0;
  /** The I/O-size slot within the generator's range (`lba / nlb - firstSlot`). */
  slot = 0;
  /**
   * With verify: the generation to stamp (writes), or the one a read must find,
   * 0 when this run has not (successfully) written the slot and there is nothing to check.
   */
  generation = 0;
}

export class WorkloadGenerator {
  private readonly rng: Xoshiro128;
  private readonly first: number;
  private readonly count: number;
  private readonly random: boolean;
  private readonly rwMixRead: number;
  private readonly nlb: number;
  private readonly picker: SlotPicker;
  private readonly inFlight: InFlightSet | null;
  /** Last generation written per slot (verify). */
  private readonly generations: Uint32Array | null;
  /** 1 when the slot's last write completed successfully (verify). */
  private readonly known: Uint8Array | null;

  constructor(cfg: WorkloadConfig) {
    if (!(cfg.slotCount >= 1)) throw new RangeError(`slotCount must be at least 1, got ${cfg.slotCount}`);
    this.rng = new Xoshiro128(cfg.seed);
    const zipf = cfg.random ? (cfg.zipf ?? null) : null;
    this.picker = new SlotPicker(cfg.slotCount, cfg.random ? 'random' : 'sequential', this.rng, zipf ? { kind: 'zipf', zipf } : null);
    this.first = cfg.firstSlot ?? 0;
    this.count = cfg.slotCount;
    this.random = cfg.random;
    this.rwMixRead = cfg.rwMixRead;
    this.nlb = cfg.ioSizeBlocks;
    if (cfg.verify) {
      if (cfg.slotCount > VERIFY_MAX_SLOTS) {
        throw new RangeError(`verify tracks at most ${VERIFY_MAX_SLOTS} slots, the range has ${cfg.slotCount} (see verifyRange)`);
      }
      if (!(cfg.maxInFlight! >= 1)) throw new RangeError('verify needs maxInFlight (the queue depth)');
      this.inFlight = new InFlightSet(cfg.maxInFlight!);
      this.generations = new Uint32Array(cfg.slotCount);
      this.known = new Uint8Array(cfg.slotCount);
    } else {
      this.inFlight = null;
      this.generations = null;
      this.known = null;
    }
  }

  /** I/Os handed out and not yet completed (verify only; 0 otherwise). */
  get inFlightCount(): number {
    return this.inFlight ? this.inFlight.size : 0;
  }

  /**
   * Fills `d` with the next I/O. Returns false only with verify, when every slot
   * of the range is in flight: keep the task aside and call again after the
   * next `complete`.
   */
  next(d: IoDescriptor): boolean {
    let slot = this.drawSlot();
    const inFlight = this.inFlight;
    if (inFlight) {
      if (inFlight.size >= this.count) return false;
      if (inFlight.has(slot)) slot = this.freeSlotNear(inFlight);
      inFlight.add(slot);
    }
    const mix = this.rwMixRead;
    const isRead = mix === 100 || (mix !== 0 && this.rng.nextBelow(100) < mix);
    d.isRead = isRead;
    d.slot = slot;
    d.lba = (this.first + slot) * this.nlb;
    d.nlb = this.nlb;
    const gens = this.generations;
    if (gens) {
      if (isRead) {
        d.generation = this.known![slot] ? gens[slot]! : 0;
      } else {
        const g = (gens[slot]! + 1) >>> 0 || 1;
        gens[slot] = g;
        this.known![slot] = 0;
        d.generation = g;
      }
    } else {
      d.generation = 0;
    }
    return true;
  }

  /** Reports that `d` finished; a failed write leaves its slot's content unknown (reads of it go unchecked). */
  complete(d: IoDescriptor, success: boolean): void {
    const inFlight = this.inFlight;
    if (!inFlight) return;
    inFlight.delete(d.slot);
    if (!d.isRead) this.known![d.slot] = success ? 1 : 0;
  }

  /** A slot index within the range (0-based, before `firstSlot`). */
  private drawSlot(): number {
    return this.picker.next();
  }

  /** A slot not in flight; the caller has checked one exists. */
  private freeSlotNear(inFlight: InFlightSet): number {
    let slot = this.drawSlot();
    for (let i = 1; i < REDRAWS && this.random && inFlight.has(slot); i++) slot = this.drawSlot();
    while (inFlight.has(slot)) slot = this.random ? (slot + 1 === this.count ? 0 : slot + 1) : this.drawSlot();
    return slot;
  }
}

/** A contiguous part of a namespace's I/O slots. */
export interface SlotRange {
  firstSlot: number;
  slotCount: number;
}

/**
 * The slots one of `parts` workers sharing a namespace owns under `--verify`,
 * so no two workers ever write the same block. The namespace is cut to its
 * first {@link VERIFY_MAX_SLOTS} slots, then split evenly.
 */
export function verifyRange(sizeInIos: number, parts: number, index: number): SlotRange {
  const usable = Math.min(sizeInIos, VERIFY_MAX_SLOTS);
  if (usable < parts) throw new RangeError(`${usable} I/O slots cannot be shared by ${parts} workers`);
  const base = Math.floor(usable / parts);
  const extra = usable % parts;
  return { firstSlot: index * base + Math.min(index, extra), slotCount: base + (index < extra ? 1 : 0) };
}
