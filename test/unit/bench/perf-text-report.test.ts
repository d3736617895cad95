import { describe, expect, it } from 'vitest';
import { parseTransportId } from '../../../src/nvme-driver/transport-id.js';
import { cFixed } from '../../../src/bench/c-format.js';
import { LatencyStats } from '../../../src/bench/latency-stats.js';
import { associateNamespaces } from '../../../src/bench/ns-association.js';
import { perfControllerName, perfNamespaceName } from '../../../src/bench/perf-names.js';
import { parsePerfCommandLine, type PerfOptions } from '../../../src/bench/perf-options.js';
import { buildPerfResult, runtimeVersions, type PerfFigures, type PerfResult } from '../../../src/bench/perf-result.js';
import {
  formatPerfResults,
  formatPerfText,
  formatProgressLine,
  ioErrorLine,
  RateLimitedLog,
  transportStatsLines,
} from '../../../src/bench/perf-text-report.js';
import { Xoshiro128 } from '../../../src/bench/prng.js';
import { SPDK_PERF_COMMAND, SPDK_PERF_LINES, SPDK_PERF_STDOUT, VECTOR_BUCKETS, VECTOR_CUTOFFS, rowNumbers } from './spdk-vector.js';

/** The capture's command line as argv (its -r value lost its quotes in the log line). */
const TRID = 'trtype:tcp adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:nqn.2016-06.io.spdk:cnode1';
const ARGV = ['-r', TRID, '-c', '0x2', '-q', '64', '-o', '4096', '-w', 'randread', '-t', '10', '-LL'];

function vectorOptions(): PerfOptions {
  expect(SPDK_PERF_COMMAND).toContain(['spdk_nvme_perf', ...ARGV].join(' '));
  const cl = parsePerfCommandLine(ARGV);
  if (cl.kind !== 'run') throw new Error('expected a run');
  return cl.options;
}

const trid = parseTransportId(TRID);
const NS_NAME = perfNamespaceName(trid, 1);

function figures(numbers: number[], ios: number): PerfFigures {
  const [iops, mibps, avgUs, minUs, maxUs] = numbers as [number, number, number, number, number];
  return { ios, errors: 0, bytes: ios * 4096, iops, mibps, avgUs, minUs, maxUs, percentiles: [] };
}

/** A result holding exactly the numbers SPDK printed. */
function resultFromVector(): PerfResult {
  const options = vectorOptions();
  const association = associateNamespaces([NS_NAME], options.cores, options.useEveryCore)[0]!;
  const ios = VECTOR_BUCKETS.reduce((s, b) => s + b.count, 0);
  return {
    startTime: '2026-11-25T12:48:02.000Z',
    versions: runtimeVersions('0.1.0'),
    settings: { ...options, seed: 1 },
    elapsedUs: 10_000_000,
    controllers: [{ name: perfControllerName(trid), fabrics: true }],
    associations: [{ name: association.ns, lcore: association.lcore }],
    warnings: [],
    rows: [
      {
        name: NS_NAME,
        lcore: association.lcore,
        ...figures(rowNumbers(`${NS_NAME} from core`), ios),
        spdkCutoffs: VECTOR_CUTOFFS.map((c) => ({ percentile: Number(c.percentile), latencyUs: Number(c.latency) })),
        buckets: VECTOR_BUCKETS.map((b) => ({ startUs: Number(b.start), endUs: Number(b.end), count: b.count })),
        histogram: '',
      },
    ],
    total: figures(rowNumbers('Total'), ios),
    transportStats: [],
    verify: null,
  };
}

describe('formatPerfText against spdk_nvme_perf', () => {
  it('prints the capture byte for byte from the capture\'s numbers', () => {
    // Names, widths, rules, headings, the Total row and the cumulative column
    // (derived from the bucket counts) must all come out as SPDK printed them.
    expect(formatPerfText(resultFromVector())).toBe(SPDK_PERF_STDOUT);
  });

  it("adds nvmekit's verify line after SPDK's report with --verify, and nothing without it", () => {
    const r = resultFromVector();
    const verify = { readsChecked: 1234, mismatchCount: 2, mismatches: [] };
    expect(formatPerfText({ ...r, verify })).toBe(`${SPDK_PERF_STDOUT}Verify: 1234 reads checked against the block tags this run wrote, 2 mismatched\n`);
    expect(formatPerfResults(r)).toBe(SPDK_PERF_STDOUT.slice(SPDK_PERF_STDOUT.indexOf('=====')));
  });

  it('drops the -LL histogram at -L and both latency sections without -L', () => {
    const r = resultFromVector();
    const summary = formatPerfText({ ...r, settings: { ...r.settings, latencyTracking: 1 } });
    expect(summary).toBe(SPDK_PERF_STDOUT.slice(0, SPDK_PERF_STDOUT.indexOf('Latency histogram for')));
    const plain = formatPerfText({ ...r, settings: { ...r.settings, latencyTracking: 0 } });
    expect(plain).toBe(SPDK_PERF_STDOUT.slice(0, SPDK_PERF_STDOUT.indexOf('Summary latency data for')));
  });

  /** Each line's kind, for comparing layouts whose numbers differ. */
  const KINDS: [string, RegExp][] = [
    ['row', /^.+ from core +\d+: +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+$/],
    ['total', /^Total +: +[\d.]+/],
    ['cutoff', /^ *[\d.]+% : +[\d.]+us$/],
    ['bucket', /^ *[\d.]+ - +[\d.]+: +[\d.]+% +\( +\d+\)$/],
    ['text', /.*/],
  ];
  const kindOf = (line: string): string => KINDS.find(([, re]) => re.test(line))![0];

  function layout(lines: string[]): { kinds: string[]; widths: Map<string, Set<number>>; text: string[] } {
    const kinds: string[] = [];
    const widths = new Map<string, Set<number>>();
    const text: string[] = [];
    for (const line of lines) {
      const kind = kindOf(line);
      if (kinds[kinds.length - 1] !== kind || kind === 'text') kinds.push(kind);
      if (kind === 'text') text.push(line);
      else widths.set(kind, new Set([...(widths.get(kind) ?? []), line.length]));
    }
    return { kinds, widths, text };
  }

  it('gives measured numbers the same layout as SPDK (line order, labels, column widths)', () => {
    const options = vectorOptions();
    const stats = new LatencyStats();
    const r = new Xoshiro128(64);
    for (let i = 0; i < 200_000; i++) stats.record(98_000 + r.nextFloat() * 150_000 + (r.nextBelow(5000) === 0 ? 9e6 : 0), 4096);
    const result = buildPerfResult({
      settings: { ...options, seed: 1 },
      startTime: new Date('2026-11-25T12:48:02Z'),
      versions: runtimeVersions('0.1.0'),
      elapsedUs: 10_000_000,
      controllers: [{ name: perfControllerName(trid), fabrics: true }],
      associations: [{ name: NS_NAME, lcore: 1 }],
      contexts: [{ name: NS_NAME, lcore: 1, stats }],
    });
    const ours = layout(formatPerfText(result).split('\n'));
    const spdk = layout(SPDK_PERF_LINES);
    expect(ours.kinds).toEqual(spdk.kinds);
    expect(ours.text).toEqual(spdk.text);
    expect(ours.widths).toEqual(spdk.widths);
  });

  it('pads the name column to the longest name and keeps rows without I/O out of the table', () => {
    const options = vectorOptions();
    const busy = new LatencyStats();
    busy.record(100_000, 4096);
    const short = 'TCP (addr:10.0.0.1 subnqn:s) NSID 2';
    const result = buildPerfResult({
      settings: { ...options, seed: 1, latencyTracking: 1 },
      startTime: new Date(0),
      versions: runtimeVersions('0.1.0'),
      elapsedUs: 1_000_000,
      controllers: [],
      associations: [],
      contexts: [
        { name: NS_NAME, lcore: 2, stats: new LatencyStats() },
        { name: short, lcore: 1, stats: busy },
      ],
    });
    const lines = formatPerfText(result).split('\n');
    const header = lines.find((l) => l.startsWith('Device Information'))!;
    const row = lines.find((l) => l.startsWith(short))!;
    expect(header.indexOf(':')).toBe(NS_NAME.length + 13);
    expect(row.indexOf(': ')).toBe(NS_NAME.length + 13);
    expect(row).toContain(' from core  1: ');
    expect(lines.filter((l) => l.includes(' from core  2: '))).toEqual([]);
    // The -L section still lists every context, as SPDK does, and cuts names at 43 characters.
    expect(lines).toContain(`Summary latency data for ${NS_NAME.slice(0, 43)} from core 2:`);
    expect(lines).toContain(`Summary latency data for ${short.padEnd(43)} from core 1:`);
  });
});

describe('live line and log lines', () => {
  it("formats SPDK's once-a-second line", () => {
    expect(formatProgressLine({ ios: 335788, ioSizeBytes: 4096, warmup: false })).toBe('   335788 IOPS,  1311.67 MiB/s\r');
    expect(formatProgressLine({ ios: 12, ioSizeBytes: 131072, warmup: true, cpu: { busyPercent: 99.5, workers: 2 } })).toBe(
      '[warmup]        12 IOPS,     1.50 MiB/s  2 Core(s):  99.50% Busy\r',
    );
  });

  it("formats I/O errors and rate-limits them like SPDK's RATELIMIT_LOG", () => {
    expect(ioErrorLine(true, 0, 2)).toBe('Read completed with error (sct=0, sc=2)');
    const log = new RateLimitedLog(3);
    const lines = Array.from({ length: 7 }, () => log.line('x'));
    expect(lines).toEqual(['x', null, null, 'Message suppressed 2 times: x', null, null, 'Message suppressed 2 times: x']);
    const every = new RateLimitedLog(1);
    expect([every.line('y'), every.line('y')]).toEqual(['y', 'y']);
  });

  it("prints --transport-stats blocks with perf.c's labels", () => {
    const lines = transportStatsLines({
      lcore: 1,
      name: NS_NAME,
      stats: { trtype: 'TCP', polls: 10, idlePolls: 2, socketCompletions: 8, nvmeCompletions: 64, submittedRequests: 64, queuedRequests: 0 },
    });
    expect(lines).toEqual([
      '',
      '====================',
      `lcore 1, ns ${NS_NAME} statistics:`,
      'TCP transport:',
      '\tpolls:              10',
      '\tidle_polls:         2',
      '\tsock_completions:   8',
      '\tnvme_completions:   64',
      '\tsubmitted_requests: 64',
      '\tqueued_requests:    0',
    ]);
    const pcie = transportStatsLines({
      lcore: 0,
      name: 'PCIE (0000:04:00.0) NSID 1',
      stats: {
        trtype: 'PCIe',
        polls: 1,
        idlePolls: 2,
        completions: 3,
        cqMmioDoorbellUpdates: 4,
        cqShadowDoorbellUpdates: 5,
        submittedRequests: 6,
        sqMmioDoorbellUpdates: 7,
        sqShadowDoorbellUpdates: 8,
        queuedRequests: 9,
      },
    });
    expect(pcie.slice(3)).toEqual([
      'PCIE transport:',
      '\tpolls:               1',
      '\tidle_polls:          2',
      '\tcompletions:         3',
      '\tcq_mmio_doorbell_updates: 4',
      '\tcq_shadow_doorbell_updates: 5',
      '\tsubmitted_requests:  6',
      '\tsq_mmio_doorbell_updates:  7',
      '\tsq_shadow_doorbell_updates:  8',
      '\tqueued_requests:     9',
    ]);
  });
});

describe('cFixed', () => {
  it("rounds exact ties to even as glibc's printf does, everything else as toFixed", () => {
    expect(cFixed(0.125, 2)).toBe('0.12');
    expect(cFixed(0.375, 2)).toBe('0.38');
    expect(cFixed(2.5, 0)).toBe('2');
    expect(cFixed(3.5, 0)).toBe('4');
    expect(cFixed(-0.125, 2)).toBe('-0.12');
    expect(cFixed(1.005, 2)).toBe('1.00'); // 1.005 is 1.00499999999999989... in binary
    expect(cFixed(190.566, 2)).toBe('190.57');
    expect(cFixed(11246.24, 2)).toBe('11246.24');
  });
});
