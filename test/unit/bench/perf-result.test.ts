import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { LatencyStats } from '../../../src/bench/latency-stats.js';
import { associateNamespaces } from '../../../src/bench/ns-association.js';
import { perfControllerName, perfNamespaceName } from '../../../src/bench/perf-names.js';
import { formatPerfJson, PERF_JSON_SCHEMA, toPerfJson } from '../../../src/bench/perf-json-report.js';
import { parsePerfCommandLine } from '../../../src/bench/perf-options.js';
import { buildPerfResult, runtimeVersions, type PerfRunData } from '../../../src/bench/perf-result.js';
import { SPDK_LATENCY_CUTOFFS } from '../../../src/bench/spdk-histogram.js';
import { parseTransportId } from '../../../src/nvme-driver/transport-id.js';

const TRID = parseTransportId('trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:nqn.2016-06.io.nvmekit:cnode1');

function stats(latenciesNs: number[], errors = 0): LatencyStats {
  const s = new LatencyStats();
  for (const l of latenciesNs) s.record(l, 4096);
  for (let i = 0; i < errors; i++) s.recordError();
  return s;
}

function runData(): PerfRunData {
  const cl = parsePerfCommandLine(['-q', '4', '-o', '4096', '-w', 'randrw', '-M', '70', '-t', '2', '-c', '0x3', '-LL', '-r', 'trtype:TCP traddr:127.0.0.1']);
  if (cl.kind !== 'run') throw new Error('expected a run');
  const ns1 = perfNamespaceName(TRID, 1);
  const ns2 = perfNamespaceName(TRID, 2);
  return {
    settings: { ...cl.options, seed: 7 },
    startTime: new Date('2026-01-02T03:04:05.678Z'),
    versions: runtimeVersions('0.1.0'),
    elapsedUs: 2_000_000,
    controllers: [{ name: perfControllerName(TRID), fabrics: true }],
    associations: [
      { name: ns1, lcore: 0 },
      { name: ns2, lcore: 1 },
    ],
    contexts: [
      { name: ns2, lcore: 1, stats: stats([300_000, 500_000, 400_000, 200_000]) },
      { name: ns1, lcore: 0, stats: stats([100_000, 120_000, 80_000], 1) },
      { name: ns1, lcore: 1, stats: new LatencyStats() },
    ],
  };
}

describe('buildPerfResult', () => {
  const result = buildPerfResult(runData());

  it('orders rows by worker core, keeping association order within a core', () => {
    expect(result.rows.map((r) => [r.lcore, r.name.slice(-6)])).toEqual([
      [0, 'NSID 1'],
      [1, 'NSID 2'],
      [1, 'NSID 1'],
    ]);
  });

  it("computes a row as SPDK's print_performance does", () => {
    const row = result.rows[0]!;
    expect(row.ios).toBe(3);
    expect(row.errors).toBe(1);
    expect(row.iops).toBe((3 * 1000 * 1000) / 2_000_000);
    expect(row.mibps).toBe((row.iops * 4096) / (1024 * 1024));
    expect(row.avgUs).toBeCloseTo(100, 9);
    expect(row.minUs).toBe(80);
    expect(row.maxUs).toBe(120);
    expect(row.spdkCutoffs).toHaveLength(15);
    expect(row.buckets.reduce((s, b) => s + b.count, 0)).toBe(3);
    expect(row.percentiles.map((p) => p.percentile)).toEqual(SPDK_LATENCY_CUTOFFS.map((c) => c * 100));
  });

  it("computes SPDK's Total over the rows that completed I/O", () => {
    const t = result.total!;
    expect(t.ios).toBe(7);
    expect(t.errors).toBe(1);
    expect(t.iops).toBe(result.rows[0]!.iops + result.rows[1]!.iops);
    expect(t.mibps).toBe(result.rows[0]!.mibps + result.rows[1]!.mibps);
    expect(t.avgUs).toBeCloseTo((300 + 500 + 400 + 200 + 100 + 120 + 80) / 7, 9);
    expect(t.minUs).toBe(80);
    expect(t.maxUs).toBe(500);
    // Percentiles of all I/O together, not of one row.
    expect(t.percentiles.at(-1)!.latencyUs).toBeCloseTo(500, 0);
  });

  it('leaves the engine\'s statistics untouched and has no Total without I/O', () => {
    const data = runData();
    const before = data.contexts.map((c) => c.stats.ios);
    buildPerfResult(data);
    expect(data.contexts.map((c) => c.stats.ios)).toEqual(before);
    const idle = buildPerfResult({ ...data, contexts: [{ name: 'x', lcore: 0, stats: new LatencyStats() }] });
    expect(idle.total).toBeNull();
    expect(idle.rows[0]!.percentiles).toEqual([]);
  });

  it('is plain data', () => {
    expect(structuredClone(result)).toEqual(result);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });
});

describe('associateNamespaces (SPDK associate_workers_with_ns)', () => {
  it('pairs round-robin over max(namespaces, workers)', () => {
    const pairs = (ns: string[], cores: number[], every = false) =>
      associateNamespaces(ns, cores, every).map((a) => `${a.ns}@${a.lcore}`);
    expect(pairs(['a'], [0, 1])).toEqual(['a@0', 'a@1']);
    expect(pairs(['a', 'b', 'c'], [0, 1])).toEqual(['a@0', 'b@1', 'c@0']);
    expect(pairs(['a', 'b'], [2, 3])).toEqual(['a@2', 'b@3']);
    expect(pairs(['a', 'b'], [0, 1], true)).toEqual(['a@0', 'b@0', 'a@1', 'b@1']);
    expect(pairs([], [0])).toEqual([]);
  });
});

describe('perf names (spdk_nvme_build_name)', () => {
  it('names fabrics and PCIe controllers and namespaces as SPDK does', () => {
    expect(perfNamespaceName(TRID, 1)).toBe('TCP (addr:127.0.0.1 subnqn:nqn.2016-06.io.nvmekit:cnode1) NSID 1');
    expect(perfControllerName(parseTransportId('trtype:RDMA traddr:192.168.100.8 subnqn:nqn.x'))).toBe('RDMA (addr:192.168.100.8 subnqn:nqn.x)');
    const pcie = parseTransportId('trtype:PCIe traddr:04:00.0');
    expect(perfControllerName(pcie)).toBe('PCIE (0000:04:00.0)');
    expect(perfNamespaceName(pcie, 1, { vendorId: 0x8086, deviceId: 0xa54 })).toBe('PCIE (0000:04:00.0) [8086:0a54] NSID 1');
  });
});

describe('formatPerfJson', () => {
  const result = buildPerfResult(runData());
  const doc = JSON.parse(formatPerfJson(result));

  it('parses, names its schema and carries settings, versions and start time', () => {
    expect(doc.schema).toBe(PERF_JSON_SCHEMA);
    expect(doc.startTime).toBe('2026-01-02T03:04:05.678Z');
    expect(doc.versions.node).toBe(process.versions.node);
    expect(doc.settings).toMatchObject({ ioDepth: 4, pattern: 'randrw', rwMixRead: 70, seed: 7, cores: [0, 1] });
    expect(doc.elapsedUs).toBe(2_000_000);
    expect(doc).toEqual(JSON.parse(JSON.stringify(toPerfJson(result))));
  });

  it('has everything the text shows, keyed by percentile', () => {
    const row = doc.rows[0];
    const r = result.rows[0]!;
    expect(row).toMatchObject({ name: r.name, lcore: 0, ios: 3, errors: 1, iops: r.iops, mibps: r.mibps });
    expect(row.latencyUs).toMatchObject({ avg: r.avgUs, min: 80, max: 120 });
    expect(Object.keys(row.latencyUs.percentiles)).toEqual(SPDK_LATENCY_CUTOFFS.map((c) => (c * 100).toFixed(5)));
    expect(row.latencyUs.spdkCutoffs['99.00000']).toBe(r.spdkCutoffs[8]!.latencyUs);
    expect(row.histogram.spdkBuckets).toEqual(r.buckets.map((b) => [b.startUs, b.endUs, b.count]));
    expect(doc.total.latencyUs.max).toBe(500);
    expect(doc.verify).toBeNull();
  });

  it('embeds a standard HdrHistogram that decodes to the row\'s I/O', () => {
    const h = decodeFromCompressedBase64(doc.rows[1].histogram.hdr);
    expect(h.totalCount).toBe(4);
    expect(h.maxValue).toBeGreaterThanOrEqual(500_000);
    expect(h.maxValue).toBeLessThan(500_000 * 1.001);
  });

  it('carries the timeline when the run sampled one, and no key when it did not', () => {
    expect(doc).not.toHaveProperty('timeline');
    const timeline = { intervalMs: 1000, samples: [{ tSec: 1, durationSec: 1, iops: 3, mibps: 3 * 4096 / 2 ** 20 }] };
    const sampled = JSON.parse(formatPerfJson(buildPerfResult({ ...runData(), timeline })));
    expect(sampled.timeline).toEqual(timeline);
  });
});
