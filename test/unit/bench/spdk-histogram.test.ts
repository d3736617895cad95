import { describe, expect, it } from 'vitest';
import { cFixed } from '../../../src/bench/c-format.js';
import { LatencyStats } from '../../../src/bench/latency-stats.js';
import { Xoshiro128 } from '../../../src/bench/prng.js';
import {
  SPDK_LATENCY_CUTOFFS,
  spdkBucketEnd,
  spdkBucketKey,
  spdkBucketsFromCounts,
  spdkBucketStart,
  spdkCutoffs,
  type SpdkBucket,
} from '../../../src/bench/spdk-histogram.js';
import { VECTOR_BUCKETS, VECTOR_CUTOFFS } from './spdk-vector.js';

/**
 * The capture's TSC ran at 2.096 GHz: its bucket edge 128.000 µs is 268288 ticks,
 * a bucket boundary of range 11 (2^17 + 6 * 1024).
 */
const TSC_HZ = 2_096_000_000;
const us = (ticks: number): string => cFixed((ticks * 1000 * 1000) / TSC_HZ, 3);

/** SPDK's spdk_histogram_data_tally / _iterate written out directly, as the reference for the derivation. */
function spdkTally(values: readonly number[]): Map<number, number> {
  const buckets = new Map<number, number>();
  for (const v of values) {
    const clz = v > 0 ? 63 - Math.floor(Math.log2(v)) : 64;
    const range = clz <= 57 ? 57 - clz : 0;
    const index = Math.floor(v / 2 ** (range === 0 ? 0 : range - 1)) & 127;
    const key = range * 128 + index;
    buckets.set(key, (buckets.get(key) ?? 0) + 1);
  }
  return buckets;
}

describe("SPDK's bucket grid", () => {
  it('reproduces every bucket edge of the captured -LL histogram', () => {
    expect(VECTOR_BUCKETS.length).toBeGreaterThan(300);
    for (const b of VECTOR_BUCKETS) {
      const mid = Math.round(((Number(b.start) + Number(b.end)) / 2) * (TSC_HZ / 1e6));
      const key = spdkBucketKey(mid);
      expect(`${us(spdkBucketStart(key))} - ${us(spdkBucketEnd(key))}`).toBe(`${b.start} - ${b.end}`);
    }
  });

  it('has 128 one-tick buckets per range at the bottom and doubling widths above', () => {
    expect([spdkBucketKey(0), spdkBucketKey(127), spdkBucketKey(128), spdkBucketKey(255), spdkBucketKey(256)]).toEqual([0, 127, 128, 255, 256]);
    expect(spdkBucketStart(0)).toBe(0);
    expect(spdkBucketEnd(0)).toBe(1);
    expect(spdkBucketEnd(255)).toBe(256);
    // Range 2 holds 256..511 in 2-tick buckets.
    expect(spdkBucketKey(257)).toBe(256);
    expect(spdkBucketEnd(256)).toBe(258);
    expect(spdkBucketKey(2 ** 40 + 5)).toBe(spdkBucketKey(2 ** 40));
    expect(spdkBucketStart(spdkBucketKey(2 ** 40))).toBe(2 ** 40);
  });
});

describe('spdkCutoffs', () => {
  it("gives the capture's -L summary from the capture's histogram (SPDK's check_cutoff)", () => {
    const buckets: SpdkBucket[] = VECTOR_BUCKETS.map((b) => ({ startUs: Number(b.start), endUs: Number(b.end), count: b.count }));
    const got = spdkCutoffs(buckets).map((c) => ({ percentile: cFixed(c.percentile, 5), latency: cFixed(c.latencyUs, 3) }));
    expect(got).toEqual(VECTOR_CUTOFFS);
    expect(got).toHaveLength(SPDK_LATENCY_CUTOFFS.length);
  });

  it('is empty with no I/O', () => {
    expect(spdkCutoffs([])).toEqual([]);
  });
});

describe('spdkBucketsFromCounts', () => {
  it('derives exactly the buckets SPDK would tally from the same latencies (1 tick = 1 ns)', () => {
    const r = new Xoshiro128(11);
    const values: number[] = [0, 1, 127, 128, 255, 2047, 2048, 2049, 5000, 2 ** 33 + 7];
    for (let i = 0; i < 30_000; i++) values.push(r.nextBelow(2 ** (1 + r.nextBelow(36))));
    const stats = new LatencyStats();
    for (const v of values) stats.record(v, 0);

    const expected = [...spdkTally(values)].sort((a, b) => a[0] - b[0]).map(([key, count]) => ({
      startUs: spdkBucketStart(key) / 1000,
      endUs: spdkBucketEnd(key) / 1000,
      count,
    }));
    expect(spdkBucketsFromCounts(stats.counts)).toEqual(expected);
  });
});
