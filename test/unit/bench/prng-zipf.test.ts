import { describe, expect, it } from 'vitest';
import { deriveSeed, randomSeed, Xoshiro128 } from '../../../src/bench/prng.js';
import { createZipf, zipfRank } from '../../../src/bench/zipf.js';

/** Pearson's chi-square of observed counts against equal expectation. */
function chiSquareUniform(counts: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  const expected = total / counts.length;
  let chi = 0;
  for (let i = 0; i < counts.length; i++) chi += (counts[i]! - expected) ** 2 / expected;
  return chi;
}

/** Chi-square critical value at p = 0.001 (Wilson–Hilferty), for `df` degrees of freedom. */
function chiSquareCritical(df: number): number {
  const z = 3.090232; // one-sided 0.999 normal quantile
  return df * (1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df))) ** 3;
}

describe('Xoshiro128', () => {
  it('produces the xoshiro128** stream of the reference C code for its seeding', () => {
    // Reference: Blackman & Vigna's xoshiro128starstar.c, state seeded with the same
    // splitmix32 sequence (state 1,2,3,4 gives the published 11520 0 5927040 70819200 ...).
    const expected: [number, number[]][] = [
      [0, [1292791899, 1284423797, 2013314966, 3703690653, 3710537375, 750763077]],
      [1, [813387329, 1693331366, 3865924968, 2922223257, 3868668538, 2809249380]],
      [0xdeadbeef, [2495199694, 591129746, 724512286, 3710572741, 3164695751, 1621512991]],
    ];
    for (const [seed, words] of expected) {
      const r = new Xoshiro128(seed);
      expect(words.map(() => r.nextU32()), `seed ${seed}`).toEqual(words);
    }
  });

  it('draws nextBelow uniformly in range, for small and large bounds', () => {
    const r = new Xoshiro128(12345);
    const counts = new Float64Array(97);
    let bad = 0;
    for (let i = 0; i < 200_000; i++) {
      const v = r.nextBelow(97);
      if (!(Number.isInteger(v) && v >= 0 && v < 97)) bad++;
      else counts[v]!++;
    }
    expect(bad).toBe(0);
    expect(chiSquareUniform(counts)).toBeLessThan(chiSquareCritical(96));

    const big = 2 ** 40 + 3;
    const high = new Float64Array(16);
    for (let i = 0; i < 50_000; i++) {
      const v = r.nextBelow(big);
      if (!(v >= 0 && v < big && Number.isInteger(v))) bad++;
      else high[Math.floor((v / big) * 16)]!++;
    }
    expect(bad).toBe(0);
    expect(chiSquareUniform(high)).toBeLessThan(chiSquareCritical(15));
  });

  it('draws nextFloat in [0, 1) with a mean of one half', () => {
    const r = new Xoshiro128(99);
    let sum = 0;
    const n = 100_000;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const f = r.nextFloat();
      min = Math.min(min, f);
      max = Math.max(max, f);
      sum += f;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    // Standard error of the mean is sqrt(1/12/n) ≈ 0.0009.
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.005);
  });

  it('derives distinct, repeatable stream seeds', () => {
    const seeds = new Set<number>();
    for (let w = 0; w < 8; w++) for (let ns = 0; ns < 8; ns++) seeds.add(deriveSeed(42, w, ns));
    expect(seeds.size).toBe(64);
    expect(deriveSeed(42, 1, 2)).toBe(deriveSeed(42, 1, 2));
    expect(deriveSeed(42, 1, 2)).not.toBe(deriveSeed(43, 1, 2));
    expect(deriveSeed(42, 1, 2)).not.toBe(deriveSeed(42, 2, 1));
    const s = randomSeed();
    expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
  });
});

describe('zipf (SPDK spdk_zipf, Gray et al.)', () => {
  function exactZeta(n: number, theta: number): number {
    let z = 0;
    for (let k = 0; k < n; k++) z += (k + 1) ** -theta;
    return z;
  }

  it('computes zeta(n, theta) exactly below 10 M ranks and estimates the tail beyond as SPDK does', () => {
    expect(createZipf(1000, 0.99).zetan).toBeCloseTo(exactZeta(1000, 0.99), 10);
    const big = 12_000_000;
    const exact = exactZeta(big, 0.99);
    const estimated = createZipf(big, 0.99).zetan;
    // SPDK estimates the tail with one trapezoid per 1 M terms: close, not exact.
    expect(estimated).not.toBe(exact);
    expect(Math.abs(exact - estimated) / exact).toBeLessThan(1e-4);
  });

  it('gives ranks 0 and 1 their exact zipf probabilities and skews toward low ranks', () => {
    const n = 1000;
    const theta = 0.99;
    const z = createZipf(n, theta);
    const r = new Xoshiro128(7);
    const draws = 400_000;
    const counts = new Float64Array(n);
    for (let i = 0; i < draws; i++) counts[zipfRank(z, r.nextFloat())]!++;
    expect(counts.reduce((a, b) => a + b, 0)).toBe(draws);
    const zetan = exactZeta(n, theta);
    for (const k of [0, 1]) {
      const p = (k + 1) ** -theta / zetan;
      const sigma = Math.sqrt((p * (1 - p)) / draws);
      expect(Math.abs(counts[k]! / draws - p), `rank ${k}`).toBeLessThan(5 * sigma);
    }
    // Beyond rank 1 the method approximates; the hot tenth still carries its share.
    let hot = 0;
    let hotExact = 0;
    for (let k = 0; k < n / 10; k++) {
      hot += counts[k]! / draws;
      hotExact += (k + 1) ** -theta / zetan;
    }
    expect(Math.abs(hot - hotExact)).toBeLessThan(0.03);
    expect(counts[0]!).toBeGreaterThan(counts[1]!);
    expect(counts[1]!).toBeGreaterThan(counts[10]!);
    expect(counts[10]!).toBeGreaterThan(counts[500]!);
  });

  it('handles tiny ranges and refuses theta 1', () => {
    const one = createZipf(1, 0.5);
    const two = createZipf(2, 0.5);
    const r = new Xoshiro128(1);
    for (let i = 0; i < 1000; i++) {
      expect(zipfRank(one, r.nextFloat())).toBe(0);
      expect([0, 1]).toContain(zipfRank(two, r.nextFloat()));
    }
    expect(() => createZipf(100, 1)).toThrow(RangeError);
    expect(() => createZipf(0, 0.5)).toThrow(RangeError);
  });
});
