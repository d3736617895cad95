/**
 * SPDK's latency histogram (`spdk/histogram_data.h`) as perf's `-L` and `-LL`
 * print it. SPDK counts TSC ticks in ranges of 128 buckets: range 0 holds
 * 0..127 one tick each, range r ≥ 1 holds [2^(r+6), 2^(r+7)) in buckets of
 * 2^(r-1) ticks. nvmekit's tick is the nanosecond, so its ranges have the same
 * shape as SPDK's on a 1 GHz TSC.
 *
 * The buckets are derived exactly from the HdrHistogram counts: above 2048 ns an
 * HDR cell is 2^(m-10) wide where SPDK's bucket is 2^(m-7), both aligned, and
 * below that both are exact, so every HDR cell falls inside one SPDK bucket.
 */
import { hdrLowestValueAt } from './hdr-layout.js';

/** `g_latency_cutoffs` in perf.c: the 15 points of the `-L` summary. */
export const SPDK_LATENCY_CUTOFFS: readonly number[] = [
  0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9999, 0.99999, 0.999999, 0.9999999,
];

const BUCKET_SHIFT = 7;
const BUCKETS_PER_RANGE = 1 << BUCKET_SHIFT;
const TWO_32 = 4294967296;
const NS_PER_US = 1000;

/** One non-empty bucket: the range of latencies it covers and how many I/Os fell there. */
export interface SpdkBucket {
  /** Lower edge in µs (the previous bucket's upper edge). */
  startUs: number;
  /** Upper edge in µs; SPDK reports a percentile as this edge. */
  endUs: number;
  count: number;
}

/** One line of the `-L` summary. */
export interface SpdkCutoff {
  /** The cutoff in percent, as SPDK computes it (`cutoff * 100`). */
  percentile: number;
  /** Upper edge of the bucket where the cumulative count first reaches the cutoff. */
  latencyUs: number;
}

/** The bucket a tick count falls in, as one number: `range * 128 + index`. */
export function spdkBucketKey(ticks: number): number {
  const msb = ticks < TWO_32 ? 31 - Math.clz32(ticks | 1) : Math.floor(Math.log2(ticks));
  const range = msb > 6 ? msb - 6 : 0;
  const index = range === 0 ? ticks & (BUCKETS_PER_RANGE - 1) : Math.floor(ticks / 2 ** (range - 1)) % BUCKETS_PER_RANGE;
  return range * BUCKETS_PER_RANGE + index;
}

/** Upper edge in ticks of bucket `key` (`__spdk_histogram_data_get_bucket_start` of the next index). */
export function spdkBucketEnd(key: number): number {
  const range = Math.floor(key / BUCKETS_PER_RANGE);
  const index = key % BUCKETS_PER_RANGE;
  return range === 0 ? index + 1 : 2 ** (range + BUCKET_SHIFT - 1) + (index + 1) * 2 ** (range - 1);
}

/** Lower edge in ticks of bucket `key`. */
export function spdkBucketStart(key: number): number {
  return key === 0 ? 0 : spdkBucketEnd(key - 1);
}

/** The non-empty SPDK buckets, in order, of HDR counts in ns. */
export function spdkBucketsFromCounts(counts: Float64Array): SpdkBucket[] {
  const out: SpdkBucket[] = [];
  let lastKey = -1;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c === 0) continue;
    const key = spdkBucketKey(hdrLowestValueAt(i));
    if (key === lastKey) {
      out[out.length - 1]!.count += c;
    } else {
      out.push({ startUs: spdkBucketStart(key) / NS_PER_US, endUs: spdkBucketEnd(key) / NS_PER_US, count: c });
      lastKey = key;
    }
  }
  return out;
}

/**
 * The `-L` summary with SPDK's `check_cutoff` rule: walking the buckets in
 * order, each cutoff is reported at the first bucket whose cumulative share
 * reaches it, as that bucket's upper edge.
 */
export function spdkCutoffs(buckets: readonly SpdkBucket[]): SpdkCutoff[] {
  let total = 0;
  for (const b of buckets) total += b.count;
  const out: SpdkCutoff[] = [];
  let soFar = 0;
  let next = 0;
  for (const b of buckets) {
    if (b.count === 0) continue;
    soFar += b.count;
    const share = soFar / total;
    while (next < SPDK_LATENCY_CUTOFFS.length && share >= SPDK_LATENCY_CUTOFFS[next]!) {
      out.push({ percentile: SPDK_LATENCY_CUTOFFS[next]! * 100, latencyUs: b.endUs });
      next++;
    }
  }
  return out;
}
