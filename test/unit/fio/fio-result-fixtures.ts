/**
 * FioJob / FioJobRaw builders for the result and report tests: latencies are
 * recorded into real LatencyStats and snapshotted, as the engine does.
 */
import { fileURLToPath } from 'node:url';
import { LatencyStats, type LatencyStatsSnapshot } from '../../../src/bench/latency-stats.js';
import type { FioJob } from '../../../src/fio/fio-job.js';
import type { FioDirectionRaw, FioJobRaw, FioRunRaw } from '../../../src/fio/fio-stats.js';
import { fioJob } from '../../helpers/fio-job.js';

export const FIO_VECTORS = fileURLToPath(new URL('../../../../shared/vectors/fio/', import.meta.url));

/** A job with fio's defaults (as the job parser resolves them); `bs` applies to all three directions. */
export function makeJob(overrides: Partial<FioJob> & { bs?: number } = {}): FioJob {
  const { bs = 4096, ...rest } = overrides;
  const share = [{ bytes: bs, percent: 100 }];
  return fioJob('job', { blockSizes: [share, share, share], ...rest });
}

export function snapshot(valuesNs: readonly number[], bytesEach: number): LatencyStatsSnapshot {
  const s = new LatencyStats();
  for (const v of valuesNs) s.record(v, bytesEach);
  return s.snapshot();
}

/** One direction: completion latencies, an optional submission latency per I/O, block size, samples. */
export interface DirectionSpec {
  clatNs?: readonly number[];
  slatNs?: number;
  bs?: number;
  /** Defaults to the number of completions. */
  issued?: number;
  dropped?: number;
  bwSamples?: number[];
  iopsSamples?: number[];
}

export function direction(spec: DirectionSpec = {}): FioDirectionRaw {
  const clat = spec.clatNs ?? [];
  const bs = spec.bs ?? 4096;
  const slat = spec.slatNs;
  return {
    slat: snapshot(slat === undefined ? [] : clat.map(() => slat), bs),
    clat: snapshot(clat, bs),
    lat: snapshot(clat.map((c) => c + (slat ?? 0)), bs),
    issued: spec.issued ?? clat.length,
    short: 0,
    dropped: spec.dropped ?? 0,
    bwSamples: spec.bwSamples ?? [],
    iopsSamples: spec.iopsSamples ?? [],
  };
}

export interface CloneSpec {
  job: FioJob;
  clone?: number;
  groupId?: number;
  read?: DirectionSpec;
  write?: DirectionSpec;
  trim?: DirectionSpec;
  runtimeMs?: number;
  cpu?: FioJobRaw['cpu'];
  depths?: FioJobRaw['depths'];
  logs?: FioJobRaw['logs'];
  startedAt?: number;
}

export function clone(spec: CloneSpec): FioJobRaw {
  const runtimeMs = spec.runtimeMs ?? 1000;
  const startedAt = spec.startedAt ?? Date.UTC(2026, 10, 25, 12, 0, 0);
  return {
    job: spec.job,
    clone: spec.clone ?? 0,
    groupId: spec.groupId ?? 0,
    directions: [direction(spec.read), direction(spec.write), direction(spec.trim)],
    runtimeMs,
    elapsedSec: runtimeMs / 1000,
    startedAt,
    endedAt: startedAt + runtimeMs,
    error: 0,
    errorMessage: null,
    cpu: spec.cpu ?? { usrPct: 0, sysPct: 0, ctx: 0, majf: 0, minf: 0 },
    depths: spec.depths ?? { depth: [0, 0, 0, 0, 0, 0, 0], submit: [0, 0, 0, 0, 0, 0, 0], complete: [0, 0, 0, 0, 0, 0, 0] },
    logs: spec.logs ?? {},
    verify: { checked: 0, mismatchCount: 0, mismatches: [] },
  };
}

export function run(jobs: FioJobRaw[], globalOptions: Record<string, string> = {}): FioRunRaw {
  return { globalOptions, jobs, startedAt: Math.min(...jobs.map((j) => j.startedAt)) };
}

/** `count` copies of each value, in order. */
export function repeat(values: readonly number[], count: number): number[] {
  return values.flatMap((v) => Array.from({ length: count }, () => v));
}

/** `total` values taken from `values` in turn. */
export function cycle(values: readonly number[], total: number): number[] {
  return Array.from({ length: total }, (_, i) => values[i % values.length]!);
}

/**
 * A run shaped like vectors/fio/sample.fio and measured like sample.txt:
 * `randrw-4k` (70/30, two clones, group_reporting, 2001 ms) with 27197 reads
 * and 11630 writes of 4 KiB in group 0, `seqread-128k` (stonewall, 2000 ms)
 * with 11023 reads of 128 KiB in group 1, queue depth 1 and no submission
 * latency (psync has none). Completion latencies fall in the same distribution
 * buckets as sample.txt's, so every line of the text report exists in both.
 */
export function sampleShapedRun(): FioRunRaw {
  // In sample.json's order: fio lists `filename` last (it applies options by its own priority).
  const globalOptions = {
    size: '64M',
    direct: '1',
    ioengine: 'nvmekit',
    runtime: '2',
    time_based: '1',
    group_reporting: '1',
    filename: 'loopback',
  };
  const randrw = makeJob({
    name: 'randrw-4k',
    rawOptions: { rw: 'randrw', rwmixread: '70', bs: '4k', iodepth: '1', numjobs: '2' },
    rw: 'randrw',
    rwMixRead: 70,
    numjobs: 2,
    groupReporting: true,
    runtimeMs: 2000,
    timeBased: true,
  });
  const seqread = makeJob({
    name: 'seqread-128k',
    rawOptions: { stonewall: '', rw: 'read', bs: '128k' },
    rw: 'read',
    bs: 131072,
    stonewall: true,
    groupReporting: true,
    runtimeMs: 2000,
    timeBased: true,
  });
  // One value per bucket of sample.txt's first job: 20, 50, 100, 250, 500, 750, 1000 us; 2, 4, 10 ms.
  const spread = [19_000, 40_000, 90_000, 200_000, 400_000, 700_000, 900_000, 1_500_000, 3_000_000, 5_000_000];
  const depths = (ios: number) => ({ depth: [ios, 0, 0, 0, 0, 0, 0], submit: [0, ios, 0, 0, 0, 0, 0], complete: [0, ios, 0, 0, 0, 0, 0] });
  const randrwClone = (n: number, reads: number, writes: number): FioJobRaw =>
    clone({
      job: randrw,
      clone: n,
      groupId: 0,
      runtimeMs: 2001,
      read: { clatNs: cycle(spread, reads), bwSamples: [26000, 27500, 26800], iopsSamples: [6500, 6875, 6700] },
      write: { clatNs: cycle(spread, writes), bwSamples: [11000, 12000, 11500], iopsSamples: [2750, 3000, 2875] },
      cpu: { usrPct: 2.25, sysPct: 31.5, ctx: 19000, majf: 0, minf: 11 },
      depths: depths(reads + writes),
    });
  const seq = clone({
    job: seqread,
    groupId: 1,
    runtimeMs: 2000,
    read: {
      clatNs: cycle([99_000, 200_000, 200_000, 400_000, 700_000, 900_000, 1_500_000], 11023),
      bs: 131072,
      bwSamples: [690432, 713836, 702720],
      iopsSamples: [5394, 5576, 5490],
    },
    cpu: { usrPct: 1.05, sysPct: 28.95, ctx: 11011, majf: 0, minf: 43 },
    depths: depths(11023),
    startedAt: Date.UTC(2026, 10, 25, 12, 0, 3),
  });
  return run([randrwClone(0, 13599, 5815), randrwClone(1, 13598, 5815), seq], globalOptions);
}
