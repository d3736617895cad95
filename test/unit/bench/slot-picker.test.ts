import { describe, expect, it } from 'vitest';
import { Xoshiro128 } from '../../../src/bench/prng.js';
import { RandomMap } from '../../../src/bench/random-map.js';
import { normalSkew, paretoSkew, SlotPicker } from '../../../src/bench/slot-picker.js';

const draws = (p: SlotPicker, n: number): number[] => Array.from({ length: n }, () => p.next());

describe('RandomMap (fio random map without the map)', () => {
  it.each([1, 2, 7, 1000, 4096, 5000])('visits each of %i slots exactly once per pass', (n) => {
    const map = new RandomMap(n, new Xoshiro128(n));
    for (let pass = 0; pass < 3; pass++) {
      const seen = new Uint8Array(n);
      for (let i = 0; i < n; i++) seen[map.next()]!++;
      expect(seen.every((c) => c === 1)).toBe(true);
    }
  });

  it('orders each pass differently and not in runs', () => {
    const map = new RandomMap(4096, new Xoshiro128(7));
    const a = Array.from({ length: 4096 }, () => map.next());
    const b = Array.from({ length: 4096 }, () => map.next());
    expect(a).not.toEqual(b);
    const ascending = a.filter((v, i) => i > 0 && v === a[i - 1]! + 1).length;
    expect(ascending).toBeLessThan(40);
  });
});

describe('SlotPicker', () => {
  it('walks sequentially and wraps', () => {
    expect(draws(new SlotPicker(4, 'sequential', new Xoshiro128(1)), 9)).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 0]);
  });

  it('repeats the same offsets for the same seed, and others for another', () => {
    const a = draws(new SlotPicker(1e6, 'random', new Xoshiro128(42)), 100);
    expect(draws(new SlotPicker(1e6, 'random', new Xoshiro128(42)), 100)).toEqual(a);
    expect(draws(new SlotPicker(1e6, 'random', new Xoshiro128(43)), 100)).not.toEqual(a);
  });

  it('pareto:0.2 puts about 80 % of the I/O on the first 20 % of the slots (fio pareto)', () => {
    const n = 10_000;
    const d = draws(new SlotPicker(n, 'random', new Xoshiro128(3), paretoSkew(0.2)), 100_000);
    expect(d.every((s) => s >= 0 && s < n && Number.isInteger(s))).toBe(true);
    const hot = d.filter((s) => s < n * 0.2).length / d.length;
    expect(hot).toBeGreaterThan(0.78);
    expect(hot).toBeLessThan(0.82);
  });

  it('normal centres on the middle with the spread of 12 averaged uniforms (fio gauss)', () => {
    const n = 12_000;
    const d = draws(new SlotPicker(n, 'random', new Xoshiro128(5), normalSkew(0, n)), 50_000);
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    const sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length);
    expect(Math.abs(mean - n / 2)).toBeLessThan(n * 0.01);
    expect(sd / (n / 12)).toBeGreaterThan(0.95);
    expect(sd / (n / 12)).toBeLessThan(1.05);
  });

  it('normal with sigma widens the spread and stays inside the range', () => {
    const n = 1000;
    const narrow = draws(new SlotPicker(n, 'random', new Xoshiro128(9), normalSkew(0, n)), 20_000);
    const wide = draws(new SlotPicker(n, 'random', new Xoshiro128(9), normalSkew(50, n)), 20_000);
    const sd = (d: number[]): number => {
      const m = d.reduce((a, b) => a + b, 0) / d.length;
      return Math.sqrt(d.reduce((a, b) => a + (b - m) ** 2, 0) / d.length);
    };
    expect(wide.every((s) => s >= 0 && s < n)).toBe(true);
    expect(sd(wide)).toBeGreaterThan(sd(narrow) * 1.3);
  });
});
