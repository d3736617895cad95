/**
 * Per-(worker, namespace) I/O statistics, SPDK perf's `ns_worker_stats` plus a
 * latency histogram: completions, bytes, errors, min / max / sum of latency in
 * ns, and an HdrHistogram (1 ns resolution below 2 µs, 3 significant digits
 * above, up to 73 minutes). Recording allocates nothing. A worker posts a
 * {@link LatencyStatsSnapshot} (plain data, the histogram compressed) to the
 * main thread, which merges them.
 */
import type { JsHistogram } from 'hdr-histogram-js';
import { addEncodedCounts, countsToHdr, encodeCounts, HDR_COUNTS_LENGTH, HDR_MAX_NS, hdrIndex } from './hdr-layout.js';

/** A LatencyStats as plain, structured-clone-safe data. */
export interface LatencyStatsSnapshot {
  /** Completions, failed ones included (SPDK counts them too). */
  ios: number;
  bytes: number;
  /** Completions with an error status (a subset of `ios`). */
  errors: number;
  sumNs: number;
  /** 0 when `ios` is 0. */
  minNs: number;
  maxNs: number;
  /** HdrHistogram V2 compressed base64 of the latencies in ns. */
  histogram: string;
}

export class LatencyStats {
  ios = 0;
  bytes = 0;
  errors = 0;
  sumNs = 0;
  /** Infinity until the first record. */
  minNs = Infinity;
  maxNs = 0;
  /** Counts in the {@link hdrIndex} layout. */
  readonly counts = new Float64Array(HDR_COUNTS_LENGTH);

  /**
   * One completion that took `latencyNs` (fractions are rounded; a clock that
   * went backwards counts as 0) and moved `bytes`. Call for every completion,
   * failed ones too, then {@link recordError} for a failure.
   */
  record(latencyNs: number, bytes: number): void {
    const ns = latencyNs > 0 ? Math.round(latencyNs) : 0;
    this.counts[hdrIndex(ns < HDR_MAX_NS ? ns : HDR_MAX_NS)]++;
    this.ios++;
    this.bytes += bytes;
    this.sumNs += ns;
    if (ns < this.minNs) this.minNs = ns;
    if (ns > this.maxNs) this.maxNs = ns;
  }

  /** Marks the completion just recorded as failed. */
  recordError(): void {
    this.errors++;
  }

  /** Forgets everything (the end of warm-up). */
  reset(): void {
    this.ios = 0;
    this.bytes = 0;
    this.errors = 0;
    this.sumNs = 0;
    this.minNs = Infinity;
    this.maxNs = 0;
    this.counts.fill(0);
  }

  /** Adds `other` into this one: as if every I/O of both had been recorded here. */
  merge(other: LatencyStats): void {
    this.ios += other.ios;
    this.bytes += other.bytes;
    this.errors += other.errors;
    this.sumNs += other.sumNs;
    if (other.minNs < this.minNs) this.minNs = other.minNs;
    if (other.maxNs > this.maxNs) this.maxNs = other.maxNs;
    const a = this.counts;
    const b = other.counts;
    for (let i = 0; i < a.length; i++) a[i] += b[i]!;
  }

  /** Mean latency in ns (0 with no I/O). */
  get meanNs(): number {
    return this.ios === 0 ? 0 : this.sumNs / this.ios;
  }

  /** The histogram as an hdr-histogram-js object, for percentiles and iteration. */
  toHdr(): JsHistogram {
    return countsToHdr(this.counts);
  }

  snapshot(): LatencyStatsSnapshot {
    return {
      ios: this.ios,
      bytes: this.bytes,
      errors: this.errors,
      sumNs: this.sumNs,
      minNs: this.ios === 0 ? 0 : this.minNs,
      maxNs: this.maxNs,
      histogram: encodeCounts(this.counts),
    };
  }

  static fromSnapshot(s: LatencyStatsSnapshot): LatencyStats {
    const stats = new LatencyStats();
    stats.ios = s.ios;
    stats.bytes = s.bytes;
    stats.errors = s.errors;
    stats.sumNs = s.sumNs;
    stats.minNs = s.ios === 0 ? Infinity : s.minNs;
    stats.maxNs = s.maxNs;
    addEncodedCounts(stats.counts, s.histogram);
    return stats;
  }
}
