import { build, decodeFromCompressedBase64, type JsHistogram } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { HDR_COUNTS_LENGTH, HDR_MAX_NS, hdrIndex, hdrLowestValueAt } from '../../../src/bench/hdr-layout.js';
import { LatencyStats } from '../../../src/bench/latency-stats.js';
import { Xoshiro128 } from '../../../src/bench/prng.js';

/** Latencies shaped like a storage run: a body around 150 µs and a long tail. */
function latencies(seed: number, n: number): number[] {
  const r = new Xoshiro128(seed);
  return Array.from({ length: n }, () => {
    const body = 100_000 + r.nextFloat() * 100_000;
    return r.nextBelow(1000) === 0 ? body * (10 + r.nextFloat() * 100) : body + r.nextFloat();
  });
}

function recordAll(values: readonly number[], bytes = 4096): LatencyStats {
  const s = new LatencyStats();
  for (const v of values) s.record(v, bytes);
  return s;
}

describe('HDR counts layout', () => {
  const reference = build({ bitBucketSize: 64, highestTrackableValue: HDR_MAX_NS, numberOfSignificantValueDigits: 3 }) as JsHistogram;
  const edges = [0, 1, 2, 1023, 1024, 2047, 2048, 2049, 4095, 4096, 123_456, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5, 2 ** 40 + 12345, HDR_MAX_NS];

  it("indexes values exactly as hdr-histogram-js does (1 ns, 3 significant digits)", () => {
    const r = new Xoshiro128(1);
    const values = [...edges, ...Array.from({ length: 5000 }, () => r.nextBelow(2 ** (1 + r.nextBelow(42))))];
    for (const v of values) {
      expect(hdrIndex(v), `value ${v}`).toBe(reference.countsArrayIndex(v));
      expect(hdrLowestValueAt(hdrIndex(v)), `value ${v}`).toBe(reference.lowestEquivalentValue(v));
    }
    expect(HDR_COUNTS_LENGTH).toBe(hdrIndex(HDR_MAX_NS) + 1);
  });
});

describe('LatencyStats', () => {
  it('keeps SPDK perf\'s counters', () => {
    const s = recordAll([150_000.4, 90_000.6, 2_000_000], 512);
    s.recordError();
    expect(s).toMatchObject({ ios: 3, bytes: 1536, errors: 1, minNs: 90_001, maxNs: 2_000_000, sumNs: 150_000 + 90_001 + 2_000_000 });
    expect(s.meanNs).toBeCloseTo((150_000 + 90_001 + 2_000_000) / 3, 6);
    expect(s.counts.reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('counts a clock that ran backwards as 0 and a latency past the top in the top cell', () => {
    const s = recordAll([-5, HDR_MAX_NS * 4]);
    expect(s.minNs).toBe(0);
    expect(s.maxNs).toBe(HDR_MAX_NS * 4);
    expect(s.counts[0]).toBe(1);
    expect(s.counts[HDR_COUNTS_LENGTH - 1]).toBe(1);
  });

  it('gives percentiles within HdrHistogram precision of the exact ones', () => {
    const values = latencies(3, 50_000);
    const h = recordAll(values).toHdr();
    const sorted = values.map(Math.round).sort((a, b) => a - b);
    for (const p of [1, 50, 90, 99, 99.9, 99.99]) {
      // HdrHistogram's rank for a percentile: the round(p * n)-th smallest value.
      const exact = sorted[Math.max(1, Math.floor((p / 100) * sorted.length + 0.5)) - 1]!;
      const got = h.getValueAtPercentile(p);
      expect(Math.abs(got - exact) / exact, `p${p}`).toBeLessThan(0.001);
    }
  });

  it('merges two into the same statistics as recording everything in one', () => {
    const a = latencies(10, 20_000);
    const b = latencies(11, 30_000);
    const merged = recordAll(a);
    merged.merge(recordAll(b));
    const together = recordAll([...a, ...b]);
    expect(merged.ios).toBe(together.ios);
    expect(merged.bytes).toBe(together.bytes);
    expect(merged.sumNs).toBe(together.sumNs);
    expect(merged.minNs).toBe(together.minNs);
    expect(merged.maxNs).toBe(together.maxNs);
    expect(merged.counts).toEqual(together.counts);
    const hm = merged.toHdr();
    const ht = together.toHdr();
    for (const p of [50, 99, 99.999]) expect(hm.getValueAtPercentile(p)).toBe(ht.getValueAtPercentile(p));
  });

  it('merges an empty one without changing anything', () => {
    const s = recordAll(latencies(4, 100));
    const before = { ios: s.ios, minNs: s.minNs, maxNs: s.maxNs, counts: Float64Array.from(s.counts) };
    s.merge(new LatencyStats());
    expect({ ios: s.ios, minNs: s.minNs, maxNs: s.maxNs, counts: s.counts }).toEqual(before);
  });

  it('survives a structured-clone round trip as a snapshot (what postMessage does)', () => {
    const s = recordAll(latencies(5, 10_000));
    s.recordError();
    const snap = structuredClone(s.snapshot());
    expect(typeof snap.histogram).toBe('string');
    const back = LatencyStats.fromSnapshot(snap);
    expect(back).toMatchObject({ ios: s.ios, bytes: s.bytes, errors: 1, sumNs: s.sumNs, minNs: s.minNs, maxNs: s.maxNs });
    expect(back.counts).toEqual(s.counts);
    // The encoding is standard HdrHistogram: another decoder reads the same distribution.
    const decoded = decodeFromCompressedBase64(snap.histogram);
    expect(decoded.totalCount).toBe(s.ios);
    expect(decoded.getValueAtPercentile(99)).toBe(s.toHdr().getValueAtPercentile(99));
  });

  it('snapshots an empty one with min 0 and restores it as empty', () => {
    const snap = new LatencyStats().snapshot();
    expect(snap).toMatchObject({ ios: 0, minNs: 0, maxNs: 0 });
    const back = LatencyStats.fromSnapshot(snap);
    expect(back.minNs).toBe(Infinity);
    back.record(10, 1);
    expect(back.minNs).toBe(10);
  });

  it('forgets everything on reset (end of warm-up)', () => {
    const s = recordAll(latencies(6, 1000));
    s.recordError();
    s.reset();
    expect(s).toMatchObject({ ios: 0, bytes: 0, errors: 0, sumNs: 0, minNs: Infinity, maxNs: 0 });
    expect(s.counts.every((c) => c === 0)).toBe(true);
  });
});
