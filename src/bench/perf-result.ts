/**
 * The result of an nvme-perf run as one plain object: what ran (settings,
 * versions, start time), what attached, a row per (namespace, worker core) and
 * SPDK's Total. Reporters format it and nothing else; it survives
 * `JSON.stringify` and `postMessage` unchanged.
 *
 * Row numbers follow SPDK's `print_performance`: IOPS = completions × 10^6 /
 * elapsed µs, MiB/s = IOPS × I/O size / 2^20, latency in µs; the Total sums
 * IOPS and MiB/s over rows that completed I/O, weights the average by I/O count,
 * and takes the least minimum and the greatest maximum.
 */
import { countsToHdr } from './hdr-layout.js';
import { LatencyStats } from './latency-stats.js';
import type { PerfOptions } from './perf-options.js';
import { SPDK_LATENCY_CUTOFFS, spdkBucketsFromCounts, spdkCutoffs, type SpdkBucket, type SpdkCutoff } from './spdk-histogram.js';

/** PerfOptions as run: the seed is the one actually used. */
export interface PerfSettings extends Omit<PerfOptions, 'seed'> {
  seed: number;
}

export interface PerfVersions {
  nvmekit: string;
  node: string;
  v8: string;
  platform: string;
  arch: string;
}

/** An attached controller, for `Attached to NVMe[oF] Controller at <name>`. */
export interface PerfController {
  name: string;
  /** NVMe over Fabrics (prints `NVMeoF`), false for PCIe. */
  fabrics: boolean;
}

/** A (namespace, worker) pairing, for `Associating <name> with lcore <n>`. */
export interface PerfAssociation {
  name: string;
  lcore: number;
  /** With `-d N%`: the I/O count that percent came to, and the percent. */
  numberIos?: { count: number; percent: number };
}

/** A latency at a percentile, from the HdrHistogram (3 significant digits). */
export interface PerfPercentile {
  percentile: number;
  latencyUs: number;
}

/** Numbers shared by a row and the Total. */
export interface PerfFigures {
  /** Completions, failed ones included. */
  ios: number;
  /** Completions with an error status. */
  errors: number;
  bytes: number;
  iops: number;
  mibps: number;
  avgUs: number;
  minUs: number;
  maxUs: number;
  /** HdrHistogram percentiles at SPDK's 15 cutoffs. */
  percentiles: PerfPercentile[];
}

/** One (namespace, worker core) context. */
export interface PerfRow extends PerfFigures {
  name: string;
  lcore: number;
  /** The `-L` summary as SPDK computes it (upper edges of SPDK buckets). */
  spdkCutoffs: SpdkCutoff[];
  /** Non-empty SPDK buckets, the `-LL` histogram. */
  buckets: SpdkBucket[];
  /** HdrHistogram V2 compressed base64 of the latencies in ns. */
  histogram: string;
}

/** Transport counters of one (worker, namespace) for `--transport-stats`, by transport type. */
export type PerfTransportStats =
  | {
      trtype: 'TCP';
      polls: number;
      idlePolls: number;
      socketCompletions: number;
      nvmeCompletions: number;
      submittedRequests: number;
      queuedRequests: number;
    }
  | {
      trtype: 'RDMA';
      devices: {
        name: string;
        polls: number;
        idlePolls: number;
        completions: number;
        queuedRequests: number;
        totalSendWrs: number;
        sendDoorbellUpdates: number;
        totalRecvWrs: number;
        recvDoorbellUpdates: number;
      }[];
    }
  | {
      trtype: 'PCIe';
      polls: number;
      idlePolls: number;
      completions: number;
      cqMmioDoorbellUpdates: number;
      cqShadowDoorbellUpdates: number;
      submittedRequests: number;
      sqMmioDoorbellUpdates: number;
      sqShadowDoorbellUpdates: number;
      queuedRequests: number;
    };

export interface PerfTransportStatsEntry {
  lcore: number;
  name: string;
  stats: PerfTransportStats;
}

/** One `--verify` failure. */
export interface PerfVerifyMismatch {
  name: string;
  lcore: number;
  lba: number;
  message: string;
}

export interface PerfVerifySummary {
  /** Reads whose data was checked (reads of blocks this run had written). */
  readsChecked: number;
  /** Checked reads that were wrong. */
  mismatchCount: number;
  /** The first few of them, per context. */
  mismatches: PerfVerifyMismatch[];
}

/** Throughput over one interval of the measured run (warm-up excluded). */
export interface PerfTimelineSample {
  /** End of the interval, seconds since the measured run started. */
  tSec: number;
  /** Length of the interval in seconds (the last one may be short). */
  durationSec: number;
  /** Completions per second over the interval, every worker together. */
  iops: number;
  /** IOPS × the I/O size, in MiB/s. */
  mibps: number;
}

/** Throughput sampled once a second while the run went on (`--report` charts it). */
export interface PerfTimeline {
  /** The sampling interval in ms. */
  intervalMs: number;
  samples: PerfTimelineSample[];
}

export interface PerfResult {
  /** ISO 8601 start of the measured run (after connecting). */
  startTime: string;
  versions: PerfVersions;
  settings: PerfSettings;
  /** Measured time in µs (SPDK's `g_elapsed_time_in_usec`); warm-up excluded. */
  elapsedUs: number;
  controllers: PerfController[];
  associations: PerfAssociation[];
  /** Printed before the run (skipped devices, ignored -M...). */
  warnings: string[];
  /** Rows in SPDK's order: by worker core, then the worker's namespaces in association order. */
  rows: PerfRow[];
  /** Over rows with completions; null when none completed any. */
  total: PerfFigures | null;
  transportStats: PerfTransportStatsEntry[];
  /** Null without `--verify`. */
  verify: PerfVerifySummary | null;
  /** IOPS and MiB/s per second of the run; absent when the engine did not sample. */
  timeline?: PerfTimeline;
}

/** One (namespace, worker) context's statistics at the end of the run. */
export interface PerfContextStats {
  name: string;
  lcore: number;
  stats: LatencyStats;
}

/** What the engine hands over. */
export interface PerfRunData {
  settings: PerfSettings;
  startTime: Date;
  versions: PerfVersions;
  elapsedUs: number;
  controllers: PerfController[];
  associations: PerfAssociation[];
  /** Any order; rows are sorted by core, keeping this order within a core. */
  contexts: PerfContextStats[];
  warnings?: string[];
  transportStats?: PerfTransportStatsEntry[];
  verify?: PerfVerifySummary | null;
  timeline?: PerfTimeline;
}

const MIB = 1024 * 1024;

/** Versions of this process, with nvmekit's own. */
export function runtimeVersions(nvmekit: string): PerfVersions {
  return { nvmekit, node: process.versions.node, v8: process.versions.v8, platform: process.platform, arch: process.arch };
}

function percentiles(counts: Float64Array): PerfPercentile[] {
  const h = countsToHdr(counts);
  try {
    if (h.totalCount === 0) return [];
    return SPDK_LATENCY_CUTOFFS.map((c) => ({ percentile: c * 100, latencyUs: h.getValueAtPercentile(c * 100) / 1000 }));
  } finally {
    h.destroy();
  }
}

function figures(stats: LatencyStats, elapsedUs: number, ioSizeBytes: number): PerfFigures {
  const iops = elapsedUs > 0 ? (stats.ios * 1000 * 1000) / elapsedUs : 0;
  return {
    ios: stats.ios,
    errors: stats.errors,
    bytes: stats.bytes,
    iops,
    mibps: (iops * ioSizeBytes) / MIB,
    avgUs: stats.meanNs / 1000,
    minUs: stats.ios === 0 ? 0 : stats.minNs / 1000,
    maxUs: stats.maxNs / 1000,
    percentiles: percentiles(stats.counts),
  };
}

/** Turns the engine's per-context statistics into the result. */
export function buildPerfResult(run: PerfRunData): PerfResult {
  const { elapsedUs } = run;
  const ioSize = run.settings.ioSizeBytes;
  const contexts = run.contexts.map((c, i) => ({ c, i })).sort((a, b) => a.c.lcore - b.c.lcore || a.i - b.i);
  const rows: PerfRow[] = contexts.map(({ c }) => {
    const buckets = spdkBucketsFromCounts(c.stats.counts);
    return {
      name: c.name,
      lcore: c.lcore,
      ...figures(c.stats, elapsedUs, ioSize),
      spdkCutoffs: spdkCutoffs(buckets),
      buckets,
      histogram: c.stats.snapshot().histogram,
    };
  });

  const activeRows = rows.filter((r) => r.ios > 0);
  let total: PerfFigures | null = null;
  if (activeRows.length > 0) {
    const merged = new LatencyStats();
    for (const { c } of contexts) merged.merge(c.stats);
    total = {
      ...figures(merged, elapsedUs, ioSize),
      // SPDK adds up the rows' IOPS and MiB/s rather than recomputing them.
      iops: activeRows.reduce((s, r) => s + r.iops, 0),
      mibps: activeRows.reduce((s, r) => s + r.mibps, 0),
    };
  }

  return {
    startTime: run.startTime.toISOString(),
    versions: run.versions,
    settings: run.settings,
    elapsedUs,
    controllers: run.controllers,
    associations: run.associations,
    warnings: run.warnings ?? [],
    rows,
    total,
    transportStats: run.transportStats ?? [],
    verify: run.verify ?? null,
    ...(run.timeline === undefined ? {} : { timeline: run.timeline }),
  };
}
