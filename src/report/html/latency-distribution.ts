/**
 * Latency distributions for the charts, from the HdrHistogram counts both
 * tools record (src/bench/latency-stats.ts): a histogram in log-spaced
 * buckets (equal width on the chart's log axis) and latencies at percentiles.
 */
import { countsToHdr, hdrLowestValueAt } from '../../bench/hdr-layout.js';
import type { HistogramBucket, PercentilePoint } from './report-data.js';

/** Buckets per factor of 10: fine enough to show modes, coarse enough to be read. */
export const BUCKETS_PER_DECADE = 10;

const NS_PER_US = 1000;

/**
 * The counts (HDR layout, values in ns) in buckets whose edges are
 * 10^(k / BUCKETS_PER_DECADE) ns, from the first non-empty bucket to the last,
 * empty ones between kept so the bars sit where they belong. Latencies below
 * 1 ns go to the first bucket.
 */
export function logBuckets(counts: Float64Array): HistogramBucket[] {
  const byKey = new Map<number, number>();
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c === 0) continue;
    const key = Math.floor(Math.log10(Math.max(1, hdrLowestValueAt(i))) * BUCKETS_PER_DECADE + 1e-9);
    byKey.set(key, (byKey.get(key) ?? 0) + c);
    if (key < lo) lo = key;
    if (key > hi) hi = key;
  }
  const out: HistogramBucket[] = [];
  for (let k = lo; k <= hi; k++) {
    out.push({
      startUs: 10 ** (k / BUCKETS_PER_DECADE) / NS_PER_US,
      endUs: 10 ** ((k + 1) / BUCKETS_PER_DECADE) / NS_PER_US,
      count: byKey.get(k) ?? 0,
    });
  }
  return out;
}

/**
 * Latencies at `percentiles` (0-100) from the counts, in µs; empty when the
 * counts are. Percentiles the I/O count cannot resolve (99.99 of 100 I/Os)
 * are left out rather than repeating the maximum.
 */
export function percentilePoints(counts: Float64Array, percentiles: readonly number[]): PercentilePoint[] {
  const h = countsToHdr(counts);
  try {
    const total = h.totalCount;
    if (total === 0) return [];
    const resolvable = percentiles.filter((p) => p <= 100 * (1 - 1 / (total + 1)) || p === percentiles[0]);
    return resolvable.map((percentile) => ({ percentile, latencyUs: h.getValueAtPercentile(percentile) / NS_PER_US }));
  } finally {
    h.destroy();
  }
}
