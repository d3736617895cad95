/**
 * nvme-perf's result as an HTML report: the SPDK table as the summary, the
 * once-a-second timeline, and percentiles and a histogram of every row's
 * latencies merged (what SPDK's Total row summarises).
 */
import { addEncodedCounts, HDR_COUNTS_LENGTH } from '../../bench/hdr-layout.js';
import type { PerfFigures, PerfResult } from '../../bench/perf-result.js';
import { SPDK_LATENCY_CUTOFFS } from '../../bench/spdk-histogram.js';
import { fixed } from './format.js';
import { logBuckets, percentilePoints } from './latency-distribution.js';
import type { HtmlReportData, SettingGroup, SettingRow, SummaryTable } from './report-data.js';

/** The direction a pattern's I/O goes, for series names and colours. */
const DIRECTION_OF_PATTERN: Readonly<Record<string, string>> = {
  read: 'read',
  randread: 'read',
  write: 'write',
  randwrite: 'write',
  rw: 'all',
  randrw: 'all',
};

/** SPDK's `-L` cutoffs in percent, the points of the percentile chart. */
const PERCENTILES = SPDK_LATENCY_CUTOFFS.map((c) => Number((c * 100).toPrecision(10)));

const LATENCY = 'latency';

function settingValue(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  if (Array.isArray(value)) return value.map(String).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function rows(record: object): SettingRow[] {
  return Object.entries(record).map(([key, value]) => ({ key, value: settingValue(value) }));
}

function settings(r: PerfResult): SettingGroup[] {
  return [
    { title: 'Options', rows: rows(r.settings) },
    { title: 'Controllers', rows: r.controllers.map((c) => ({ key: c.fabrics ? 'NVMe-oF' : 'PCIe', value: c.name })) },
    { title: 'Associations', rows: r.associations.map((a) => ({ key: `lcore ${a.lcore}`, value: a.name })) },
    { title: 'Versions', rows: rows(r.versions) },
  ];
}

const p99 = (f: PerfFigures): string => {
  const p = f.percentiles.find((x) => x.percentile === 99);
  return p === undefined ? '-' : fixed(p.latencyUs, 2);
};

function figureCells(f: PerfFigures): string[] {
  return [fixed(f.iops, 2), fixed(f.mibps, 2), fixed(f.avgUs, 2), fixed(f.minUs, 2), fixed(f.maxUs, 2), p99(f), String(f.errors)];
}

function summary(r: PerfResult): SummaryTable {
  const numeric = (label: string) => ({ label, numeric: true });
  return {
    columns: [
      { label: 'Device Information' },
      numeric('lcore'),
      numeric('IOPS'),
      numeric('MiB/s'),
      numeric('Average (µs)'),
      numeric('min (µs)'),
      numeric('max (µs)'),
      numeric('p99 (µs)'),
      numeric('errors'),
    ],
    rows: [
      ...r.rows.map((row) => [row.name, String(row.lcore), ...figureCells(row)]),
      ...(r.total === null ? [] : [['Total', '', ...figureCells(r.total)]]),
    ],
  };
}

function notes(r: PerfResult): string[] {
  const out = [...r.warnings];
  if (r.total !== null && r.total.errors > 0) out.push(`${r.total.errors} of ${r.total.ios} I/Os completed with an error status.`);
  if (r.verify !== null) {
    out.push(`--verify: ${r.verify.readsChecked} reads checked, ${r.verify.mismatchCount} returned wrong data.`);
    for (const m of r.verify.mismatches) out.push(`${m.name} lcore ${m.lcore}: ${m.message}`);
  }
  if (r.timeline === undefined) out.push('This result carries no timeline (it was not sampled), so the throughput charts are empty.');
  return out;
}

function describe(r: PerfResult): string {
  const s = r.settings;
  const mix = s.pattern === 'rw' || s.pattern === 'randrw' ? ` ${s.rwMixRead}% reads` : '';
  return `nvme-perf ${s.pattern}${mix}, ${s.ioSizeBytes} B I/Os, queue depth ${s.ioDepth}, ${s.timeSec} s`;
}

/** The report's data for an nvme-perf result. */
export function perfReportData(result: PerfResult): HtmlReportData {
  const direction = DIRECTION_OF_PATTERN[result.settings.pattern] ?? 'all';
  const counts = new Float64Array(HDR_COUNTS_LENGTH);
  for (const row of result.rows) addEncodedCounts(counts, row.histogram);
  const points = percentilePoints(counts, PERCENTILES);
  const buckets = logBuckets(counts);
  const samples = result.timeline?.samples ?? [];
  return {
    title: describe(result),
    tool: `nvme-perf (nvmekit ${result.versions.nvmekit})`,
    timestamp: result.startTime,
    summary: summary(result),
    timeline: samples.length === 0 ? [] : [{ direction, points: samples.map(({ tSec, iops, mibps }) => ({ tSec, iops, mibps })) }],
    percentiles: points.length === 0 ? [] : [{ direction, latency: LATENCY, points }],
    histograms: buckets.length === 0 ? [] : [{ direction, latency: LATENCY, buckets }],
    settings: settings(result),
    notes: notes(result),
  };
}
