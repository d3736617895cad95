/**
 * Where the next I/O goes, as a slot index in `[0, slotCount)`: sequential
 * and wrapping, uniform random, once-per-pass random (fio's random map), or
 * skewed (SPDK's and fio's zipf, fio's pareto and normal). Shared by
 * nvme-perf's and nvme-fio's workload generators; a draw allocates nothing.
 *
 * Skewed ranks are not scattered over the range as fio's hash does: rank 0
 * (the hottest) is the first slot, as in SPDK perf, so a heat map reads directly.
 */
import type { Xoshiro128 } from './prng.js';
import { RandomMap } from './random-map.js';
import { zipfRank, type ZipfDistribution } from './zipf.js';

/** fio's normal distribution averages this many uniform draws (lib/gauss.c). */
const GAUSS_ITERS = 12;

/** A skewed distribution's constants; plain data. */
export type SlotSkew =
  | { kind: 'zipf'; zipf: ZipfDistribution }
  /** fio `pareto:h`: rank = (n - 1) * u^power, power = log(h) / log(1 - h). */
  | { kind: 'pareto'; power: number }
  /** fio `normal:sigma`: the mean of 12 uniform ranks, plus a uniform jitter of `stddevSlots` width. */
  | { kind: 'normal'; stddevSlots: number };

export type SlotOrder = 'sequential' | 'random' | 'random-map';

/** The pareto constants for `h` in (0, 1), as fio's `pareto_init`. */
export function paretoSkew(h: number): SlotSkew {
  if (!(h > 0 && h < 1)) throw new RangeError(`pareto h must be in (0, 1), got ${h}`);
  return { kind: 'pareto', power: Math.log(h) / Math.log(1 - h) };
}

/** The normal constants for `sigma` percent of `slotCount` slots, as fio's `gauss_init` (capped at half the range). */
export function normalSkew(sigmaPercent: number, slotCount: number): SlotSkew {
  if (!(sigmaPercent >= 0)) throw new RangeError(`normal sigma must be >= 0, got ${sigmaPercent}`);
  return { kind: 'normal', stddevSlots: Math.min(Math.ceil((sigmaPercent * slotCount) / 100), Math.floor(slotCount / 2)) };
}

export class SlotPicker {
  private cursor = 0;
  private readonly map: RandomMap | null;

  /**
   * @param rng the generator's stream (shared with its other draws, so one seed fixes the whole sequence)
   * @param skew for random orders; null = uniform. A zipf's range must equal `slotCount`.
   */
  constructor(
    readonly slotCount: number,
    readonly order: SlotOrder,
    private readonly rng: Xoshiro128,
    private readonly skew: SlotSkew | null = null,
  ) {
    if (!(slotCount >= 1)) throw new RangeError(`slotCount must be at least 1, got ${slotCount}`);
    if (skew?.kind === 'zipf' && skew.zipf.range !== slotCount) {
      throw new RangeError(`zipf constants are for ${skew.zipf.range} slots, the range has ${slotCount}`);
    }
    this.map = order === 'random-map' && skew === null ? new RandomMap(slotCount, rng) : null;
  }

  next(): number {
    if (this.order === 'sequential') {
      const slot = this.cursor;
      this.cursor = slot + 1 === this.slotCount ? 0 : slot + 1;
      return slot;
    }
    const skew = this.skew;
    if (skew !== null) return skewedRank(skew, this.slotCount, this.rng);
    return this.map !== null ? this.map.next() : this.rng.nextBelow(this.slotCount);
  }
}

function skewedRank(skew: SlotSkew, n: number, rng: Xoshiro128): number {
  switch (skew.kind) {
    case 'zipf':
      return zipfRank(skew.zipf, rng.nextFloat());
    case 'pareto':
      return Math.floor((n - 1) * Math.pow(rng.nextFloat(), skew.power));
    case 'normal': {
      let sum = 0;
      for (let i = 0; i < GAUSS_ITERS; i++) sum += rng.nextBelow(n + 1);
      sum = Math.ceil(sum / GAUSS_ITERS);
      const sd = skew.stddevSlots;
      if (sd > 0) {
        let dev = Math.floor(sd * rng.nextFloat()) - Math.floor(sd / 2);
        while (dev > 0 && dev + sum >= n) dev = Math.trunc(dev / 2);
        sum += dev;
      }
      // A negative jitter below slot 0 wraps to the top, as fio's unsigned sum does.
      return ((sum % n) + n) % n;
    }
  }
}
