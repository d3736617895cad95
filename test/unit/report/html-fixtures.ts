/**
 * Inputs for the HTML report tests: an nvme-perf result built the way the
 * engine builds it, and an nvme-fio run as the engine would measure it
 * (src/fio/fio-stats.ts), from latencies a seeded generator draws.
 */
import { LatencyStats } from '../../../src/bench/latency-stats.js';
import { parsePerfCommandLine } from '../../../src/bench/perf-options.js';
import { buildPerfResult, runtimeVersions, type PerfResult, type PerfTimeline } from '../../../src/bench/perf-result.js';
import type { FioJob } from '../../../src/fio/fio-job.js';
import type { FioDirectionRaw, FioJobRaw, FioRunRaw } from '../../../src/fio/fio-stats.js';
import { fioJob as defaultJob } from '../../helpers/fio-job.js';
import { mulberry32 } from '../../helpers/prng.js';

/** `n` latencies around `medianNs` with a long tail. */
export function latencies(n: number, medianNs: number, seed: number): LatencyStats {
  const rnd = mulberry32(seed);
  const s = new LatencyStats();
  for (let i = 0; i < n; i++) s.record(medianNs * Math.exp(-Math.log(1 - rnd() * 0.9999) - Math.LN2), 4096);
  return s;
}

export function perfResult(opts: { name?: string; timeline?: PerfTimeline; argv?: string[] } = {}): PerfResult {
  const cl = parsePerfCommandLine(opts.argv ?? ['--loopback', '-q', '32', '-o', '4096', '-w', 'randrw', '-M', '70', '-t', '3']);
  if (cl.kind !== 'run') throw new Error('expected a run');
  const name = opts.name ?? 'TCP (addr:127.0.0.1 subnqn:nqn.2016-06.io.nvmekit:loopback) NSID 1';
  return buildPerfResult({
    settings: { ...cl.options, seed: 42 },
    startTime: new Date('2026-11-25T12:00:00.000Z'),
    versions: runtimeVersions('0.1.0'),
    elapsedUs: 3_000_000,
    controllers: [{ name: 'TCP (addr:127.0.0.1 subnqn:nqn.2016-06.io.nvmekit:loopback)', fabrics: true }],
    associations: [{ name, lcore: 0 }],
    contexts: [{ name, lcore: 0, stats: latencies(20_000, 150_000, 1) }],
    ...(opts.timeline === undefined ? {} : { timeline: opts.timeline }),
  });
}

export const PERF_TIMELINE: PerfTimeline = {
  intervalMs: 1000,
  samples: [
    { tSec: 1, durationSec: 1, iops: 6000, mibps: (6000 * 4096) / 1048576 },
    { tSec: 2, durationSec: 1, iops: 7000, mibps: (7000 * 4096) / 1048576 },
    { tSec: 3, durationSec: 1, iops: 7000, mibps: (7000 * 4096) / 1048576 },
  ],
};

/** A 70/30 randrw job at QD 16 for 2 s, time-based; fio's defaults for everything else. */
export function fioJob(name: string, rawOptions: Record<string, string>, over: Partial<FioJob> = {}): FioJob {
  return defaultJob(name, {
    source: { file: 'jobs.fio', line: 3 },
    rawOptions,
    rw: 'randrw',
    rwMixRead: 70,
    iodepth: 16,
    runtimeMs: 2000,
    timeBased: true,
    ...over,
  });
}

function direction(ios: number, medianNs: number, seed: number, iopsSamples: number[]): FioDirectionRaw {
  const clat = ios === 0 ? new LatencyStats() : latencies(ios, medianNs, seed);
  const slat = ios === 0 ? new LatencyStats() : latencies(ios, 2_000, seed + 100);
  return {
    slat: slat.snapshot(),
    clat: clat.snapshot(),
    lat: clat.snapshot(),
    issued: ios,
    short: 0,
    dropped: 0,
    iopsSamples,
    bwSamples: iopsSamples.map((v) => v * 4),
  };
}

const RUN_START = Date.parse('2026-11-25T12:00:00.000Z');

/** One clone of a randrw job: reads and writes, no trims. */
export function fioClone(job: FioJob, clone: number, startOffsetMs = 0, seed = 1): FioJobRaw {
  return {
    job,
    clone,
    groupId: 0,
    directions: [direction(7000, 120_000, seed, [3000, 3600, 3500, 3400]), direction(3000, 300_000, seed + 1, [1300, 1500, 1500, 1450]), direction(0, 0, 0, [])],
    runtimeMs: 2000,
    elapsedSec: 2,
    startedAt: RUN_START + startOffsetMs,
    endedAt: RUN_START + startOffsetMs + 2000,
    error: 0,
    errorMessage: null,
    cpu: { usrPct: 10, sysPct: 5, ctx: 100, majf: 0, minf: 10 },
    depths: { depth: [0, 0, 0, 0, 1, 0, 0], submit: [0, 1, 0, 0, 0, 0, 0], complete: [0, 1, 0, 0, 0, 0, 0] },
    logs: {},
    verify: { checked: 0, mismatchCount: 0, mismatches: [] },
  };
}

export function fioRun(jobs: FioJobRaw[], globalOptions: Record<string, string> = { ioengine: 'nvmekit', filename: 'loopback' }): FioRunRaw {
  return { globalOptions, jobs, startedAt: RUN_START };
}
