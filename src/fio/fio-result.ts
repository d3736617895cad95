/**
 * fio's numbers from what the engine measured: the per-job (or, with
 * `group_reporting`, per-group) statistics and the group run status, computed
 * the way fio's stat.c computes them, so the text, JSON and HTML reporters
 * only format. Plain data.
 *
 * Latencies come from LatencyStats histograms (1 ns below 2 µs, 3 significant
 * digits above). Each of its buckets lies inside one of fio's coarser
 * percentile buckets (64 per power of two), so fio's percentile histogram, its
 * percentiles and its json+ bins come out as fio would have recorded them.
 * What the histogram cannot give exactly: the standard deviation (computed
 * from bucket midpoints, within 0.025 % of each value above 2 µs) and the
 * latency distribution for values in a bucket that straddles a boundary such
 * as 50 µs (counted by the bucket's lowest value).
 */
import { hdrLowestValueAt } from '../bench/hdr-layout.js';
import { LatencyStats, type LatencyStatsSnapshot } from '../bench/latency-stats.js';
import { NVMEKIT_VERSION } from '../version.js';
import type { FioJob, FioRw, PerDirection } from './fio-job.js';
import type { FioDirectionRaw, FioJobRaw, FioRunRaw } from './fio-stats.js';

/** What nvme-fio prints where fio prints `fio-3.33`. */
export const FIO_VERSION_STRING = `nvmekit-fio-${NVMEKIT_VERSION}`;

/** One percentile of a latency: `percent` (e.g. 99.9) and fio's bucket value in ns. */
export interface FioPercentile {
  percent: number;
  valueNs: number;
}

/** One non-empty bucket of fio's latency histogram (json+ `bins`): its value in ns and the I/O count. */
export interface FioBin {
  valueNs: number;
  count: number;
}

/** fio's `slat_ns` / `clat_ns` / `lat_ns`. */
export interface FioLatencyResult {
  min: number;
  max: number;
  mean: number;
  /** Sample standard deviation (n - 1), as fio's Welford sums give. */
  stddev: number;
  n: number;
  /** At the job's `percentile_list` (sorted); null when percentiles are off for this latency or N is 0. */
  percentiles: FioPercentile[] | null;
  /** fio's histogram buckets that hold I/Os, in bucket order. */
  bins: FioBin[];
}

/** One direction of a reported job, with fio's JSON names in comments where they differ. */
export interface FioDirectionResult {
  ioBytes: number;
  /** `io_kbytes`: ioBytes >> 10. */
  ioKbytes: number;
  /** `bw_bytes`: bytes per second, integer division as fio does. */
  bwBytes: number;
  /** `bw`: KiB/s. */
  bw: number;
  /** I/Os per second, unrounded. */
  iops: number;
  runtimeMs: number;
  /** `total_ios`: I/Os issued. */
  totalIos: number;
  shortIos: number;
  dropIos: number;
  slat: FioLatencyResult;
  clat: FioLatencyResult;
  lat: FioLatencyResult;
  /** Bandwidth samples in KiB/s: min/max/mean/dev summed over merged clones, as fio sums them. */
  bwMin: number;
  bwMax: number;
  /** `bw_agg`: this job's mean bandwidth in percent of its group's aggregate (0 without samples). */
  bwAgg: number;
  bwMean: number;
  bwDev: number;
  bwSamples: number;
  iopsMin: number;
  iopsMax: number;
  iopsMean: number;
  iopsStddev: number;
  iopsSamples: number;
}

/** One reported job: a clone, or with `group_reporting` the clones of a group merged. */
export interface FioJobResult {
  name: string;
  groupId: number;
  /** Clones merged into this report (`jobs=N`). */
  members: number;
  /** errno-style code of the first member that failed; 0 when all ran to the end. */
  error: number;
  errorMessage: string | null;
  /** Whole seconds since the job started (fio rounds up). */
  elapsedSec: number;
  /** The first member's options as written (`job options`). */
  jobOptions: Readonly<Record<string, string>>;
  directions: PerDirection<FioDirectionResult>;
  /** Sum of the members' runtimes (`job_runtime`), the base of the CPU percentages. */
  jobRuntimeMs: number;
  usrCpu: number;
  sysCpu: number;
  ctx: number;
  majf: number;
  minf: number;
  /** Percent of I/Os per depth bucket (1, 2, 4, 8, 16, 32, >=64). */
  iodepthLevel: number[];
  /** Percent of submit calls / reaps per batch bucket (0, 4, 8, 16, 32, 64, >=64). */
  iodepthSubmit: number[];
  iodepthComplete: number[];
  /** Percent of I/Os per completion-latency bucket: ns, µs and ms ranges (see FIO_LATENCY_BUCKETS). */
  latencyNs: number[];
  latencyUs: number[];
  latencyMs: number[];
  /** fio's latency-target fields; nvme-fio has no `latency_target`, so target and window are 0. */
  latencyDepth: number;
  latencyTarget: number;
  latencyPercentile: number;
  latencyWindow: number;
  clatPercentiles: boolean;
  latPercentiles: boolean;
  /** Decimals of the percentile labels in the text report (fio's `percentile_precision`). */
  percentilePrecision: number;
}

/** One direction of a group's run status; null when no job of the group moved data that way. */
export interface FioGroupDirection {
  ioBytes: number;
  /** Aggregate bandwidth in bytes/s: all bytes over the longest runtime. */
  aggBw: number;
  /** Slowest and fastest reported job, bytes/s. */
  minBw: number;
  maxBw: number;
  minRunMs: number;
  maxRunMs: number;
}

/** `Run status group N (all jobs):`. */
export interface FioGroupResult {
  groupId: number;
  directions: PerDirection<FioGroupDirection | null>;
}

/** The line fio prints for each job before it starts (`name: (g=0): rw=..., bs=...`). */
export interface FioJobHeader {
  name: string;
  groupId: number;
  rw: FioRw;
  /** Smallest and largest block size per direction, bytes. */
  blockSizes: PerDirection<readonly [min: number, max: number]>;
  iodepth: number;
  /** Clones after the first print `...` once, as fio does. */
  clone: number;
}

/** A finished run in fio's terms. */
export interface FioResult {
  fioVersion: string;
  /** When the run started (ms since the epoch): JSON `timestamp`, `timestamp_ms`, `time`. */
  startedAt: number;
  /** When the last job ended (ms since the epoch): the time on each job's status line. */
  endedAt: number;
  /** Process id for the status lines (every clone is a thread of this process). */
  pid: number;
  /** Clones started (`Starting N threads`). */
  threads: number;
  headers: FioJobHeader[];
  globalOptions: Readonly<Record<string, string>>;
  jobs: FioJobResult[];
  groups: FioGroupResult[];
}

/** fio's histogram: FIO_IO_U_PLAT_BITS = 6 (64 buckets per power of two), 29 groups. */
const PLAT_BITS = 6;
const PLAT_VAL = 1 << PLAT_BITS;
const PLAT_NR = 29 * PLAT_VAL;

/** Position of the highest set bit of a positive integer (exact past 2^32, where log2 may round up). */
function highestBit(n: number): number {
  if (n < 2 ** 32) return 31 - Math.clz32(n);
  let m = Math.floor(Math.log2(n));
  if (2 ** m > n) m--;
  return m;
}

/** Index of fio's percentile bucket for `ns` (fio's `plat_val_to_idx`). */
export function fioPlatIndex(ns: number): number {
  if (ns < 2 * PLAT_VAL) return ns;
  const errorBits = highestBit(ns) - PLAT_BITS;
  const base = (errorBits + 1) << PLAT_BITS;
  const offset = Math.floor(ns / 2 ** errorBits) % PLAT_VAL;
  return Math.min(base + offset, PLAT_NR - 1);
}

/** The value fio reports for bucket `idx`: the middle of its range (fio's `plat_idx_to_val`). */
export function fioPlatValue(idx: number): number {
  if (idx < 2 * PLAT_VAL) return idx;
  const errorBits = (idx >> PLAT_BITS) - 1;
  const base = 2 ** (errorBits + PLAT_BITS);
  return base + Math.floor(((idx % PLAT_VAL) + 0.5) * 2 ** errorBits);
}

/**
 * fio's latency distribution buckets, by upper bound (exclusive) in ns: the
 * ns map (2 .. 1000 ns), the µs map (2 .. 1000 µs; "2" holds 1 to 2 µs) and the
 * ms map (2 .. 2000 ms, then ">=2000").
 */
export const FIO_LATENCY_BUCKETS = {
  ns: { labels: ['2', '4', '10', '20', '50', '100', '250', '500', '750', '1000'], scale: 1 },
  us: { labels: ['2', '4', '10', '20', '50', '100', '250', '500', '750', '1000'], scale: 1e3 },
  ms: { labels: ['2', '4', '10', '20', '50', '100', '250', '500', '750', '1000', '2000', '>=2000'], scale: 1e6 },
} as const;
type LatencyMap = keyof typeof FIO_LATENCY_BUCKETS;
const LATENCY_MAPS: readonly LatencyMap[] = ['ns', 'us', 'ms'];
/** Upper bounds in ns of every bucket of the three maps, in order, and where each lands. */
const LATENCY_BOUNDS: { upperNs: number; map: LatencyMap; index: number }[] = LATENCY_MAPS.flatMap((map) => {
  const { labels, scale } = FIO_LATENCY_BUCKETS[map];
  return labels.map((label, index) => ({
    upperNs: label.startsWith('>=') ? Infinity : Number(label) * scale,
    map,
    index,
  }));
});

/** Depth buckets of fio's `IO depths` (1 .. >=64) and `submit`/`complete` (0 .. >=64) lines. */
export const FIO_DEPTH_LABELS = ['1', '2', '4', '8', '16', '32', '>=64'] as const;
export const FIO_BATCH_LABELS = ['0', '4', '8', '16', '32', '64', '>=64'] as const;

/** One value per direction, in fio's order. */
function perDirection<T>(f: (d: number) => T): PerDirection<T> {
  return [f(0), f(1), f(2)];
}

/** `floor(a * 1000 / b)` without losing digits past 2^53 (petabyte-seconds of I/O). */
function perSecond(amount: number, ms: number): number {
  if (ms === 0) return 0;
  const scaled = amount * 1000;
  return Number.isSafeInteger(scaled) ? Math.floor(scaled / ms) : Number((BigInt(amount) * 1000n) / BigInt(ms));
}

/** fio's `io_stat`: min, max, mean and the sum of squared deviations of a series. */
interface SampleStat {
  min: number;
  max: number;
  mean: number;
  s: number;
  samples: number;
}

function sampleStat(values: readonly number[]): SampleStat {
  const n = values.length;
  if (n === 0) return { min: 0, max: 0, mean: 0, s: 0, samples: 0 };
  const floored = values.map(Math.floor);
  const mean = floored.reduce((a, b) => a + b, 0) / n;
  // reduce, not Math.min(...): a day-long run has more samples than a call takes arguments.
  return {
    min: floored.reduce((a, b) => Math.min(a, b)),
    max: floored.reduce((a, b) => Math.max(a, b)),
    mean,
    s: floored.reduce((a, v) => a + (v - mean) ** 2, 0),
    samples: n,
  };
}

/** fio's `sum_stat(..., pure_sum = true)`: bandwidth and IOPS of merged clones add up, min and max included. */
function sumStats(stats: readonly SampleStat[]): SampleStat {
  const used = stats.filter((s) => s.samples > 0);
  const add = (f: (s: SampleStat) => number): number => used.reduce((a, s) => a + f(s), 0);
  return { min: add((s) => s.min), max: add((s) => s.max), mean: add((s) => s.mean), s: add((s) => s.s), samples: add((s) => s.samples) };
}

/** fio's `calc_lat` deviation: sqrt(S / (n - 1)). */
function deviation(s: number, n: number): number {
  return n > 1 ? Math.sqrt(s / (n - 1)) : 0;
}

function mergeSnapshots(snapshots: readonly LatencyStatsSnapshot[]): LatencyStats {
  const merged = new LatencyStats();
  for (const s of snapshots) merged.merge(LatencyStats.fromSnapshot(s));
  return merged;
}

/** Calls `visit(lowestNs, midNs, count)` for every non-empty histogram bucket (mid: the middle of its integer range). */
function forEachBucket(stats: LatencyStats, visit: (lowestNs: number, midNs: number, count: number) => void): void {
  const counts = stats.counts;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c === 0) continue;
    const low = hdrLowestValueAt(i);
    visit(low, low + (hdrLowestValueAt(i + 1) - low - 1) / 2, c);
  }
}

function platHistogram(stats: LatencyStats): Float64Array {
  const plat = new Float64Array(PLAT_NR);
  forEachBucket(stats, (low, _mid, c) => {
    plat[fioPlatIndex(low)] += c;
  });
  return plat;
}

/** fio's `calc_clat_percentiles`: the first bucket where the running count reaches p % of N. */
function platPercentiles(plat: Float64Array, n: number, sortedList: readonly number[]): FioPercentile[] {
  const out: FioPercentile[] = [];
  let sum = 0;
  let j = 0;
  for (let i = 0; i < PLAT_NR && j < sortedList.length; i++) {
    sum += plat[i]!;
    while (j < sortedList.length && sum >= (sortedList[j]! / 100) * n) {
      out.push({ percent: sortedList[j]!, valueNs: fioPlatValue(i) });
      j++;
    }
  }
  return out;
}

function latencyResult(stats: LatencyStats, percentileList: readonly number[] | null): FioLatencyResult {
  const n = stats.ios;
  if (n === 0) return { min: 0, max: 0, mean: 0, stddev: 0, n: 0, percentiles: null, bins: [] };
  const mean = stats.sumNs / n;
  let s = 0;
  // Clamped to the exact extremes, so a run of one repeated latency has no spread.
  forEachBucket(stats, (_low, mid, c) => {
    s += c * (Math.min(Math.max(mid, stats.minNs), stats.maxNs) - mean) ** 2;
  });
  const plat = platHistogram(stats);
  const bins: FioBin[] = [];
  plat.forEach((count, idx) => {
    if (count !== 0) bins.push({ valueNs: fioPlatValue(idx), count });
  });
  return {
    min: stats.minNs,
    max: stats.maxNs,
    mean,
    stddev: deviation(s, n),
    n,
    percentiles: percentileList ? platPercentiles(plat, n, percentileList) : null,
    bins,
  };
}

/**
 * fio's percentile list as it uses it: up to the first 0 (fio's end marker),
 * sorted. The text precision is the most decimals any entry was written with.
 */
function percentileSetup(job: FioJob): { list: number[]; precision: number } {
  const end = job.percentileList.indexOf(0);
  const list = [...(end < 0 ? job.percentileList : job.percentileList.slice(0, end))].sort((a, b) => a - b);
  const decimals = (v: number): number => {
    const text = String(v);
    const dot = text.indexOf('.');
    return dot < 0 ? 0 : text.length - dot - 1;
  };
  return { list, precision: list.reduce((p, v) => Math.max(p, decimals(v)), 0) };
}

/** fio's `convert_agg_kbytes_percent`: mean KiB/s (truncated) over the group's KiB/s, at most 100. */
function percentOfAggregate(meanKib: number, groupAggBytes: number): number {
  if (groupAggBytes <= 1024) return 100;
  return Math.min(100, (Math.trunc(meanKib) * 100) / (groupAggBytes / 1024));
}

/** fio's `stat_calc_dist`: percent per bucket, a non-empty bucket shows at least 0.1 %. */
function distribution(counts: readonly number[], total: number): number[] {
  return counts.map((c) => {
    if (!total) return 0;
    const pct = (c / total) * 100;
    return pct < 0.1 && c ? 0.1 : pct;
  });
}

function addInto(into: number[], counts: readonly number[]): void {
  counts.forEach((c, i) => {
    into[i] = (into[i] ?? 0) + c;
  });
}

/** fio's `stat_calc_lat`: completion latencies of all directions in percent of issued I/Os, at least 0.01 % when non-empty. */
function latencyDistribution(clats: readonly LatencyStats[], totalIssued: number): Record<LatencyMap, number[]> {
  const counts: Record<LatencyMap, number[]> = {
    ns: FIO_LATENCY_BUCKETS.ns.labels.map(() => 0),
    us: FIO_LATENCY_BUCKETS.us.labels.map(() => 0),
    ms: FIO_LATENCY_BUCKETS.ms.labels.map(() => 0),
  };
  for (const clat of clats) {
    forEachBucket(clat, (low, _mid, c) => {
      const bucket = LATENCY_BOUNDS.find((b) => low < b.upperNs)!;
      counts[bucket.map][bucket.index]! += c;
    });
  }
  const percent = (list: number[]): number[] =>
    list.map((c) => {
      if (!totalIssued) return 0;
      const pct = (c / totalIssued) * 100;
      return pct < 0.01 && c ? 0.01 : pct;
    });
  return { ns: percent(counts.ns), us: percent(counts.us), ms: percent(counts.ms) };
}

/** The clones fio reports together: consecutive ones of one group while `group_reporting` is on. */
function reportingUnits(jobs: readonly FioJobRaw[]): FioJobRaw[][] {
  const units: FioJobRaw[][] = [];
  let last: FioJobRaw | undefined;
  for (const j of jobs) {
    const startsNew = !last || !j.job.groupReporting || j.groupId !== last.groupId;
    if (startsNew) units.push([j]);
    else units[units.length - 1]!.push(j);
    last = j;
  }
  return units;
}

/** A direction before the group aggregate is known (bw_agg needs it). */
type DirectionDraft = Omit<FioDirectionResult, 'bwAgg'>;

/** A direction's latencies, every member's pooled. */
interface MergedLatencies {
  slat: LatencyStats;
  clat: LatencyStats;
  lat: LatencyStats;
}

function directionDraft(
  members: readonly FioJobRaw[],
  d: number,
  { slat, clat, lat }: MergedLatencies,
  job: FioJob,
  percentiles: number[],
): DirectionDraft {
  const raws: FioDirectionRaw[] = members.map((m) => m.directions[d]!);
  const ioBytes = lat.bytes;
  const totalIos = raws.reduce((a, r) => a + r.issued, 0);
  const runtimeMs = members.reduce((a, m) => (m.directions[d]!.lat.bytes > 0 ? Math.max(a, m.runtimeMs) : a), 0);
  const bw = sumStats(raws.map((r) => sampleStat(r.bwSamples)));
  const iops = sumStats(raws.map((r) => sampleStat(r.iopsSamples)));
  const bwBytes = perSecond(ioBytes, runtimeMs);
  return {
    ioBytes,
    ioKbytes: Math.floor(ioBytes / 1024),
    bwBytes,
    bw: Math.floor(bwBytes / 1024),
    iops: runtimeMs ? (1000 * totalIos) / runtimeMs : 0,
    runtimeMs,
    totalIos,
    shortIos: raws.reduce((a, r) => a + r.short, 0),
    dropIos: raws.reduce((a, r) => a + r.dropped, 0),
    slat: latencyResult(slat, null),
    clat: latencyResult(clat, job.clatPercentiles ? percentiles : null),
    lat: latencyResult(lat, job.latPercentiles ? percentiles : null),
    bwMin: bw.min,
    bwMax: bw.max,
    bwMean: bw.mean,
    bwDev: deviation(bw.s, bw.samples),
    bwSamples: bw.samples,
    iopsMin: iops.min,
    iopsMax: iops.max,
    iopsMean: iops.mean,
    iopsStddev: deviation(iops.s, iops.samples),
    iopsSamples: iops.samples,
  };
}

type JobDraft = Omit<FioJobResult, 'directions'> & { directions: PerDirection<DirectionDraft> };

function jobDraft(members: FioJobRaw[]): JobDraft {
  const first = members[0]!;
  // fio takes name and options from the first member, percentile settings from the last.
  const settings = members[members.length - 1]!.job;
  const { list, precision } = percentileSetup(settings);
  const merged = perDirection(
    (d): MergedLatencies => ({
      slat: mergeSnapshots(members.map((m) => m.directions[d]!.slat)),
      clat: mergeSnapshots(members.map((m) => m.directions[d]!.clat)),
      lat: mergeSnapshots(members.map((m) => m.directions[d]!.lat)),
    }),
  );
  const directions = perDirection((d) => directionDraft(members, d, merged[d]!, settings, list));
  const failed = members.find((m) => m.error !== 0);
  const jobRuntimeMs = members.reduce((a, m) => a + m.runtimeMs, 0);
  const cpuPct = (f: (m: FioJobRaw) => number): number =>
    jobRuntimeMs ? members.reduce((a, m) => a + f(m) * m.runtimeMs, 0) / jobRuntimeMs : 0;
  const sum = (f: (m: FioJobRaw) => number): number => members.reduce((a, m) => a + f(m), 0);
  const depth: number[] = [];
  const submit: number[] = [];
  const complete: number[] = [];
  for (const m of members) {
    addInto(depth, m.depths.depth);
    addInto(submit, m.depths.submit);
    addInto(complete, m.depths.complete);
  }
  const issued = directions.reduce((a, d) => a + d.totalIos, 0);
  const total = (counts: number[]): number => counts.reduce((a, c) => a + c, 0);
  const latency = latencyDistribution(merged.map((m) => m.clat), issued);
  return {
    name: first.job.name,
    groupId: first.groupId,
    members: members.length,
    error: failed?.error ?? 0,
    errorMessage: failed?.errorMessage ?? null,
    elapsedSec: Math.ceil(Math.round(Math.max(...members.map((m) => m.elapsedSec)) * 1000) / 1000),
    jobOptions: first.job.rawOptions,
    directions,
    jobRuntimeMs,
    usrCpu: cpuPct((m) => m.cpu.usrPct),
    sysCpu: cpuPct((m) => m.cpu.sysPct),
    ctx: sum((m) => m.cpu.ctx),
    majf: sum((m) => m.cpu.majf),
    minf: sum((m) => m.cpu.minf),
    iodepthLevel: distribution(padded(depth), issued),
    iodepthSubmit: distribution(padded(submit), total(submit)),
    iodepthComplete: distribution(padded(complete), total(complete)),
    latencyNs: latency.ns,
    latencyUs: latency.us,
    latencyMs: latency.ms,
    latencyDepth: settings.iodepth,
    latencyTarget: 0,
    latencyPercentile: 100,
    latencyWindow: 0,
    clatPercentiles: settings.clatPercentiles,
    latPercentiles: settings.latPercentiles,
    percentilePrecision: precision,
  };
}

/** Depth histograms always have fio's seven buckets. */
function padded(counts: number[]): number[] {
  return Array.from({ length: FIO_DEPTH_LABELS.length }, (_, i) => counts[i] ?? 0);
}

/** fio's group run stats, over the reported jobs (merged groups count once). */
function groupResult(groupId: number, jobs: readonly JobDraft[]): FioGroupResult {
  const directions = perDirection((d): FioGroupDirection | null => {
    const moving = jobs.map((j) => j.directions[d]!).filter((dir) => dir.runtimeMs > 0);
    if (moving.length === 0) return null;
    const ioBytes = moving.reduce((a, dir) => a + dir.ioBytes, 0);
    const runs = moving.map((dir) => dir.runtimeMs);
    const bws = moving.map((dir) => perSecond(dir.ioBytes, dir.runtimeMs));
    const maxRunMs = Math.max(...runs);
    return {
      ioBytes,
      aggBw: perSecond(ioBytes, maxRunMs),
      minBw: Math.min(...bws),
      maxBw: Math.max(...bws),
      minRunMs: Math.min(...runs),
      maxRunMs,
    };
  });
  return { groupId, directions };
}

/** The header fio prints for each clone before the run; clones after the first print `...`. */
export function fioJobHeaders(clones: readonly Pick<FioJobRaw, 'job' | 'clone' | 'groupId'>[]): FioJobHeader[] {
  return clones.map(({ job, clone, groupId }) => ({
    name: job.name,
    groupId,
    rw: job.rw,
    blockSizes: perDirection((d) => {
      const sizes = job.blockSizes[d]!.map((s) => s.bytes);
      return [Math.min(...sizes), Math.max(...sizes)] as const;
    }),
    iodepth: job.iodepth,
    clone,
  }));
}

/** fio's numbers for a finished run: one entry per reported job, one per group. */
export function buildFioResult(raw: FioRunRaw): FioResult {
  const drafts = reportingUnits(raw.jobs).map(jobDraft);
  const groupIds = [...new Set(drafts.map((j) => j.groupId))].sort((a, b) => a - b);
  const groups = groupIds.map((g) => groupResult(g, drafts.filter((j) => j.groupId === g)));
  const jobs = drafts.map((draft): FioJobResult => {
    const group = groups.find((g) => g.groupId === draft.groupId)!;
    const directions = perDirection((d): FioDirectionResult => {
      const dir = draft.directions[d]!;
      return { ...dir, bwAgg: dir.bwSamples ? percentOfAggregate(dir.bwMean, group.directions[d]?.aggBw ?? 0) : 0 };
    });
    return { ...draft, directions };
  });
  return {
    fioVersion: FIO_VERSION_STRING,
    startedAt: raw.startedAt,
    endedAt: raw.jobs.reduce((a, j) => Math.max(a, j.endedAt), raw.startedAt),
    pid: process.pid,
    threads: raw.jobs.length,
    headers: fioJobHeaders(raw.jobs),
    globalOptions: raw.globalOptions,
    jobs,
    groups,
  };
}
