/**
 * fio's random map without the map: a full-period permutation of `[0, n)`, so
 * a random workload touches every slot once per pass before any repeats (fio
 * keeps a bitmap of blocks done; `norandommap` turns it off). Here the order
 * comes from an LCG modulo the next power of two (full period: multiplier
 * ≡ 1 mod 4, odd increment), scrambled by an invertible mix, and values ≥ n
 * are skipped (cycle walking, under 2 steps on average). Each pass draws a new
 * increment and start, so passes differ. O(1) state, no allocation per draw.
 */
import type { Xoshiro128 } from './prng.js';

/** Slots a map covers at most: the LCG works on 32-bit words. */
export const RANDOM_MAP_MAX_SLOTS = 2 ** 32;

const MULTIPLIER = 0x2c9277b5; // ≡ 1 mod 4

export class RandomMap {
  private readonly mask: number;
  private readonly bits: number;
  private state = 0;
  private increment = 1;
  private left = 0;

  constructor(
    readonly slotCount: number,
    private readonly rng: Xoshiro128,
  ) {
    if (!(slotCount >= 1) || slotCount > RANDOM_MAP_MAX_SLOTS) {
      throw new RangeError(`a random map covers 1 to ${RANDOM_MAP_MAX_SLOTS} slots, got ${slotCount}`);
    }
    let bits = 1;
    while (2 ** bits < slotCount) bits++;
    this.bits = bits;
    this.mask = bits === 32 ? -1 : (1 << bits) - 1;
  }

  /** The next slot; every slot comes once in each run of `slotCount` draws. */
  next(): number {
    if (this.left === 0) this.newPass();
    this.left--;
    for (;;) {
      this.state = (Math.imul(this.state, MULTIPLIER) + this.increment) & this.mask;
      const slot = this.scramble(this.state);
      if (slot < this.slotCount) return slot;
    }
  }

  private newPass(): void {
    this.left = this.slotCount;
    this.increment = (this.rng.nextU32() | 1) & this.mask;
    this.state = this.rng.nextU32() & this.mask;
  }

  /** A bijection on `bits`-bit words: breaks the LCG's regular low bits. */
  private scramble(x: number): number {
    const m = this.mask;
    const half = (this.bits + 1) >> 1;
    x = (x ^ (x >>> half)) & m;
    x = Math.imul(x, 0x2545f491) & m; // odd: invertible modulo 2^bits
    x = (x ^ (x >>> half)) & m;
    return x >>> 0;
  }
}
