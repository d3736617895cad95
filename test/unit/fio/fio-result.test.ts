import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIO_DEFAULT_PERCENTILES } from '../../../src/fio/fio-job.js';
import { buildFioResult, fioPlatIndex, fioPlatValue, FIO_VERSION_STRING } from '../../../src/fio/fio-result.js';
import { NVMEKIT_VERSION } from '../../../src/version.js';
import { clone, FIO_VECTORS, makeJob, repeat, run, sampleShapedRun } from './fio-result-fixtures.js';

describe("fio's percentile buckets", () => {
  it('keep every value below 128 ns as its own bucket', () => {
    for (let v = 0; v < 128; v++) {
      expect(fioPlatIndex(v)).toBe(v);
      expect(fioPlatValue(v)).toBe(v);
    }
  });

  it('put 27000 ns in the bucket fio reports as 27008 (msb 14: 256 ns wide, middle of 26880..27135)', () => {
    // msb 14 -> 8 error bits, base (8 + 1) << 6 = 576, offset (27000 >> 8) & 63 = 41.
    expect(fioPlatIndex(27_000)).toBe(576 + 41);
    expect(fioPlatValue(576 + 41)).toBe(16384 + 41.5 * 256);
    expect(fioPlatIndex(26_880)).toBe(617);
    expect(fioPlatIndex(27_135)).toBe(617);
    expect(fioPlatIndex(27_136)).toBe(618);
  });

  it('reproduce every percentile value fio wrote in sample.json as a bucket value', () => {
    const sample = JSON.parse(readFileSync(`${FIO_VECTORS}sample.json`, 'utf8')) as {
      jobs: { read: { clat_ns: { percentile?: Record<string, number> } } }[];
    };
    const values = sample.jobs.flatMap((j) => Object.values(j.read.clat_ns.percentile ?? {}));
    expect(values.length).toBe(34);
    for (const v of values) expect(fioPlatValue(fioPlatIndex(v)), `value ${v}`).toBe(v);
  });

  it('clamp values past the last bucket into it, like fio', () => {
    expect(fioPlatIndex(2 ** 40)).toBe(29 * 64 - 1);
    expect(fioPlatIndex(2 ** 40 - 1)).toBe(29 * 64 - 1);
  });
});

describe('buildFioResult: one clone', () => {
  // Below 128 ns fio's buckets (and ours) are exact, so every statistic is exact.
  const clat = [10, 20, 30, 40, 100];
  const job = makeJob({ name: 'one', rw: 'randread', rawOptions: { rw: 'randread' } });
  const result = buildFioResult(
    run([clone({ job, runtimeMs: 2000, read: { clatNs: clat, slatNs: 10, bwSamples: [10, 20, 30.9], iopsSamples: [3, 5] } })]),
  );
  const read = result.jobs[0]!.directions[0];

  it('counts bytes, I/Os and rates as fio does (integer bytes/s, float IOPS)', () => {
    expect(result.fioVersion).toBe(`nvmekit-fio-${NVMEKIT_VERSION}`);
    expect(FIO_VERSION_STRING).toBe(result.fioVersion);
    expect(read.ioBytes).toBe(5 * 4096);
    expect(read.ioKbytes).toBe(20);
    expect(read.bwBytes).toBe(Math.floor((5 * 4096 * 1000) / 2000));
    expect(read.bw).toBe(Math.floor(10240 / 1024));
    expect(read.iops).toBe(2.5);
    expect(read.runtimeMs).toBe(2000);
    expect(read.totalIos).toBe(5);
    const write = result.jobs[0]!.directions[1];
    expect(write.runtimeMs).toBe(0);
    expect(write.iops).toBe(0);
  });

  it('gives min, max, mean and the sample standard deviation of each latency', () => {
    const mean = 200 / 5;
    const s = clat.reduce((a, v) => a + (v - mean) ** 2, 0);
    expect(read.clat).toMatchObject({ min: 10, max: 100, mean, n: 5 });
    expect(read.clat.stddev).toBeCloseTo(Math.sqrt(s / 4), 9);
    expect(read.slat).toMatchObject({ min: 10, max: 10, mean: 10, stddev: 0, n: 5, percentiles: null });
    expect(read.lat).toMatchObject({ min: 20, max: 110, mean: mean + 10, n: 5, percentiles: null });
  });

  it('computes percentiles on clat at the default list, sorted, with fio bucket values', () => {
    expect(read.clat.percentiles!.map((p) => p.percent)).toEqual(FIO_DEFAULT_PERCENTILES);
    // Running count reaches p% of 5 at the ceil(p / 20)-th value.
    const expected = FIO_DEFAULT_PERCENTILES.map((p) => clat[Math.ceil((p / 100) * 5) - 1]);
    expect(read.clat.percentiles!.map((p) => p.valueNs)).toEqual(expected);
    expect(read.clat.bins).toEqual(clat.map((v) => ({ valueNs: v, count: 1 })));
  });

  it('summarises bandwidth and IOPS samples (KiB/s floored like fio integer samples)', () => {
    expect(read).toMatchObject({ bwMin: 10, bwMax: 30, bwMean: 20, bwSamples: 3, iopsMin: 3, iopsMax: 5, iopsMean: 4, iopsSamples: 2 });
    expect(read.bwDev).toBeCloseTo(10, 9);
    expect(read.iopsStddev).toBeCloseTo(Math.sqrt(2), 9);
    // The group moves 10240 B/s = 10 KiB/s; the job's mean is 20: capped at 100 %.
    expect(read.bwAgg).toBe(100);
  });

  it('reports one job in one group, with the run status fio prints', () => {
    expect(result.jobs).toHaveLength(1);
    expect(result.jobs[0]).toMatchObject({ name: 'one', groupId: 0, members: 1, error: 0, elapsedSec: 2 });
    expect(result.groups).toEqual([
      {
        groupId: 0,
        directions: [{ ioBytes: 20480, aggBw: 10240, minBw: 10240, maxBw: 10240, minRunMs: 2000, maxRunMs: 2000 }, null, null],
      },
    ]);
    expect(result.headers).toEqual([
      { name: 'one', groupId: 0, rw: 'randread', blockSizes: [[4096, 4096], [4096, 4096], [4096, 4096]], iodepth: 1, clone: 0 },
    ]);
    expect(result.threads).toBe(1);
  });
});

describe('buildFioResult: clones and groups', () => {
  const job = (groupReporting: boolean) => makeJob({ name: 'g', rw: 'randrw', numjobs: 2, groupReporting });
  const clones = (groupReporting: boolean) => [
    clone({
      job: job(groupReporting),
      clone: 0,
      runtimeMs: 1000,
      read: { clatNs: [1000, 1000], bwSamples: [1, 2], iopsSamples: [25, 50] },
      write: { clatNs: [1500] },
      cpu: { usrPct: 10, sysPct: 20, ctx: 5, majf: 1, minf: 2 },
      depths: { depth: [3, 0, 0, 0, 0, 0, 0], submit: [0, 3, 0, 0, 0, 0, 0], complete: [0, 3, 0, 0, 0, 0, 0] },
    }),
    clone({
      job: job(groupReporting),
      clone: 1,
      runtimeMs: 4000,
      read: { clatNs: [200, 200, 200, 200], bwSamples: [3, 5], iopsSamples: [75, 125] },
      cpu: { usrPct: 40, sysPct: 0, ctx: 7, majf: 0, minf: 3 },
      depths: { depth: [2, 2, 0, 0, 0, 0, 0], submit: [0, 2, 1, 0, 0, 0, 0], complete: [0, 4, 0, 0, 0, 0, 0] },
    }),
  ];

  it('merge with group_reporting: sums, longest runtime, pooled latencies, summed sample statistics', () => {
    const result = buildFioResult(run(clones(true)));
    expect(result.jobs).toHaveLength(1);
    const j = result.jobs[0]!;
    expect(j).toMatchObject({ name: 'g', members: 2, jobRuntimeMs: 5000, ctx: 12, majf: 1, minf: 5 });
    // usr time 100 + 1600 ms of 5000 ms; sys 200 ms.
    expect(j.usrCpu).toBeCloseTo(34, 9);
    expect(j.sysCpu).toBeCloseTo(4, 9);
    const read = j.directions[0];
    expect(read).toMatchObject({ ioBytes: 6 * 4096, totalIos: 6, runtimeMs: 4000 });
    expect(read.clat).toMatchObject({ min: 200, max: 1000, n: 6 });
    expect(read.clat.mean).toBeCloseTo(2800 / 6, 9);
    // fio adds bandwidth statistics of merged clones: min 1 + 3, max 2 + 5, mean 1.5 + 4.
    expect(read).toMatchObject({ bwMin: 4, bwMax: 7, bwMean: 5.5, bwSamples: 4, iopsMin: 100, iopsMax: 175 });
    // S adds too: 0.5 + 2 over 4 - 1.
    expect(read.bwDev).toBeCloseTo(Math.sqrt(2.5 / 3), 9);
    // The write direction ran only in clone 0.
    expect(j.directions[1]).toMatchObject({ ioBytes: 4096, totalIos: 1, runtimeMs: 1000 });
    // Depth buckets add up; percentages of the 7 issued I/Os, submit/complete of their own totals.
    expect(j.iodepthLevel.slice(0, 2)).toEqual([(5 / 7) * 100, (2 / 7) * 100]);
    expect(j.iodepthSubmit.slice(0, 3)).toEqual([0, (5 / 6) * 100, (1 / 6) * 100]);
    expect(j.iodepthComplete.slice(0, 2)).toEqual([0, 100]);
    expect(result.groups[0]!.directions[0]).toEqual({
      ioBytes: 6 * 4096,
      aggBw: Math.floor((6 * 4096 * 1000) / 4000),
      minBw: Math.floor((6 * 4096 * 1000) / 4000),
      maxBw: Math.floor((6 * 4096 * 1000) / 4000),
      minRunMs: 4000,
      maxRunMs: 4000,
    });
    expect(result.threads).toBe(2);
    expect(result.headers.map((h) => h.clone)).toEqual([0, 1]);
  });

  it('report each clone alone without group_reporting, and the group status spans them', () => {
    const result = buildFioResult(run(clones(false)));
    expect(result.jobs.map((j) => [j.members, j.directions[0].ioBytes, j.directions[0].runtimeMs])).toEqual([
      [1, 2 * 4096, 1000],
      [1, 4 * 4096, 4000],
    ]);
    const bw0 = Math.floor((2 * 4096 * 1000) / 1000);
    const bw1 = Math.floor((4 * 4096 * 1000) / 4000);
    const agg = Math.floor((6 * 4096 * 1000) / 4000);
    expect(result.groups[0]!.directions[0]).toEqual({ ioBytes: 6 * 4096, aggBw: agg, minBw: bw1, maxBw: bw0, minRunMs: 1000, maxRunMs: 4000 });
    // bw_agg: the job's mean KiB/s (truncated: 1.5 -> 1) over the group's KiB/s (6144 B/s = 6 KiB/s).
    expect(result.jobs[0]!.directions[0].bwAgg).toBeCloseTo(100 / 6, 9);
    expect(result.jobs[1]!.directions[0].bwAgg).toBeCloseTo(400 / 6, 9);
  });

  it('keeps groups apart and in order', () => {
    const a = makeJob({ name: 'a', groupReporting: true });
    const b = makeJob({ name: 'b', groupReporting: true, stonewall: true });
    const result = buildFioResult(
      run([
        clone({ job: a, groupId: 0, read: { clatNs: [500] } }),
        clone({ job: b, groupId: 1, read: { clatNs: [700, 700] } }),
      ]),
    );
    expect(result.jobs.map((j) => [j.name, j.groupId, j.members])).toEqual([
      ['a', 0, 1],
      ['b', 1, 1],
    ]);
    expect(result.groups.map((g) => [g.groupId, g.directions[0]?.ioBytes])).toEqual([
      [0, 4096],
      [1, 8192],
    ]);
  });

  it('merges the sample-shaped run into one report per group', () => {
    const result = buildFioResult(sampleShapedRun());
    expect(result.jobs.map((j) => [j.name, j.groupId, j.members])).toEqual([
      ['randrw-4k', 0, 2],
      ['seqread-128k', 1, 1],
    ]);
    expect(result.threads).toBe(3);
  });
});

describe('buildFioResult: latency distribution and percentile options', () => {
  it("counts completion latencies in fio's ns/us/ms buckets, in percent of issued I/Os", () => {
    const job = makeJob({ rw: 'randrw' });
    // 1 ns -> ns "2"; 1500 ns -> us "2"; 30 us -> us "50"; 3 ms -> ms "4"; 3 s -> ms ">=2000".
    const result = buildFioResult(
      run([clone({ job, read: { clatNs: [1, 1500, 30_000] }, write: { clatNs: [3_000_000, 3_000_000_000] } })]),
    );
    const j = result.jobs[0]!;
    expect(j.latencyNs).toEqual([20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(j.latencyUs).toEqual([20, 0, 0, 0, 20, 0, 0, 0, 0, 0]);
    expect(j.latencyMs).toEqual([0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 20]);
  });

  it('shows a non-empty bucket as at least 0.01 % and a non-empty depth as at least 0.1 %', () => {
    const job = makeJob();
    // 120 us and 5 ms sit on bucket edges of the histogram, so they count exactly.
    const clat = [...repeat([120_000], 19_999), 5_000_000];
    const result = buildFioResult(
      run([clone({ job, read: { clatNs: clat }, depths: { depth: [19_999, 1, 0, 0, 0, 0, 0], submit: [0, 1, 0, 0, 0, 0, 0], complete: [0, 1, 0, 0, 0, 0, 0] } })]),
    );
    const j = result.jobs[0]!;
    expect(j.latencyMs[2]).toBe(0.01);
    expect(j.latencyUs[6]).toBeCloseTo(99.995, 9);
    expect(j.iodepthLevel[1]).toBe(0.1);
  });

  it('puts percentiles on lat with lat_percentiles, and sorts a custom list', () => {
    const job = makeJob({ clatPercentiles: false, latPercentiles: true, percentileList: [99.5, 50, 90.125] });
    const result = buildFioResult(run([clone({ job, read: { clatNs: [10, 20, 30, 40], slatNs: 5 } })]));
    const j = result.jobs[0]!;
    const read = j.directions[0];
    expect(read.clat.percentiles).toBeNull();
    // lat = 15, 25, 35, 45; 50 % of 4 is reached at the 2nd value.
    expect(read.lat.percentiles).toEqual([
      { percent: 50, valueNs: 25 },
      { percent: 90.125, valueNs: 45 },
      { percent: 99.5, valueNs: 45 },
    ]);
    expect(j.percentilePrecision).toBe(3);
    expect(j.latPercentiles).toBe(true);
  });

  it('gives no spread to one repeated latency, and a spread within 0.05 % of the exact one otherwise', () => {
    const job = makeJob();
    const same = buildFioResult(run([clone({ job, read: { clatNs: repeat([5001], 10) } })]));
    expect(same.jobs[0]!.directions[0].clat.stddev).toBe(0);
    const values = Array.from({ length: 2000 }, (_, i) => 100_000 + ((i * 7919) % 9_900_000));
    const mean = values.reduce((a, v) => a + v, 0) / values.length;
    const exact = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
    const spread = buildFioResult(run([clone({ job, read: { clatNs: values } })])).jobs[0]!.directions[0].clat;
    expect(spread.mean).toBe(mean);
    expect(Math.abs(spread.stddev - exact) / exact).toBeLessThan(0.0005);
  });

  it('takes the error of the first failed member', () => {
    const job = makeJob();
    const failed = { ...clone({ job, read: { clatNs: [10] } }), error: 5, errorMessage: 'Input/output error' };
    const result = buildFioResult(run([failed]));
    expect(result.jobs[0]).toMatchObject({ error: 5, errorMessage: 'Input/output error' });
  });
});
