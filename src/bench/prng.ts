/**
 * The benchmark's pseudo-random numbers: xoshiro128** (Blackman & Vigna), a
 * 32-bit-word generator, because JavaScript does 32-bit integer arithmetic
 * natively and 64-bit only through BigInt. State lives in an Int32Array so a
 * draw never boxes a number. SPDK's perf uses xorshift64 per thread; the
 * stream differs, the statistics are what matter.
 */
import { randomInt } from 'node:crypto';

const TWO_32 = 4294967296;
const TWO_53 = 9007199254740992;

/** splitmix32: spreads a seed over the state words so related seeds give unrelated streams. */
function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class Xoshiro128 {
  private readonly s = new Int32Array(4);

  /** @param seed any 32-bit value; 0 is fine (the state is never all zeros). */
  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      this.s[i] = splitmix32(x);
    }
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const s0 = s[0]!;
    const s1 = s[1]!;
    const s2 = s[2]!;
    const s3 = s[3]!;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    s[1] = s1 ^ n2;
    s[0] = s0 ^ n3;
    s[2] = n2 ^ t;
    s[3] = (n3 << 11) | (n3 >>> 21);
    return result >>> 0;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / TWO_53;
  }

  /**
   * A uniform integer in [0, n), n ≤ 2^53. One 32-bit draw (a multiply, not a
   * modulo, so no bias beyond 2^-32) when n fits in 32 bits.
   */
  nextBelow(n: number): number {
    if (n <= TWO_32) return Math.floor((this.nextU32() * n) / TWO_32);
    return Math.floor(this.nextFloat() * n);
  }
}

/**
 * A seed for one stream of a run: each (worker, namespace) context and each
 * purpose gets its own, all from the one `--seed`, so a run repeats exactly.
 */
export function deriveSeed(base: number, ...stream: readonly number[]): number {
  let h = splitmix32(base >>> 0);
  for (const part of stream) h = splitmix32((h ^ Math.imul(part >>> 0, 0x27d4eb2d)) >>> 0);
  return h;
}

/** A fresh 32-bit seed from the OS, for runs without `--seed` (reported so they can be repeated). */
export function randomSeed(): number {
  return randomInt(0, TWO_32);
}
