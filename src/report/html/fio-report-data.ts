/**
 * An nvme-fio run as an HTML report. Every clone of every job adds into one
 * series per direction: throughput from the 500 ms bandwidth/IOPS samples
 * placed on the run's clock (jobs that start later, after a stonewall or a
 * start delay, land later), and latency from the merged histograms: the
 * completion latency (clat) as fio prints percentiles by default, the total
 * latency (lat) when a job asked for `lat_percentiles`.
 */
import { LatencyStats } from '../../bench/latency-stats.js';
import { FIO_DIRECTIONS, FIO_DEFAULT_PERCENTILES, type FioDirection } from '../../fio/fio-job.js';
import type { FioDirectionRaw, FioJobRaw, FioRunRaw } from '../../fio/fio-stats.js';
import { NVMEKIT_VERSION } from '../../version.js';
import { fixed } from './format.js';
import { logBuckets, percentilePoints } from './latency-distribution.js';
import type {
  HistogramSeries,
  HtmlReportData,
  PercentileSeries,
  SettingGroup,
  SummaryTable,
  TimelinePoint,
  TimelineSeries,
} from './report-data.js';

/** fio's `bw_avg_time` / `iops_avg_time`: the window each bandwidth and IOPS sample covers. */
const SAMPLE_WINDOW_SEC = 0.5;
const KIB_PER_MIB = 1024;
const MIB = 1024 * 1024;

/** Which latency the charts show for a run. */
type LatencyKind = 'clat' | 'lat';

function active(d: FioDirectionRaw): boolean {
  return d.lat.ios > 0 || d.issued > 0 || d.iopsSamples.length > 0;
}

/** Seconds from the run's start to the start of a clone's measured time. */
function measuredStartSec(raw: FioRunRaw, clone: FioJobRaw): number {
  return (clone.startedAt - raw.startedAt + clone.job.startDelayMs + clone.job.rampTimeMs) / 1000;
}

function timeline(raw: FioRunRaw, ddir: number, direction: FioDirection): TimelineSeries | null {
  const windows = new Map<number, { iops: number; kibps: number }>();
  for (const clone of raw.jobs) {
    const d = clone.directions[ddir]!;
    const start = measuredStartSec(raw, clone);
    d.iopsSamples.forEach((iops, i) => {
      const key = Math.round((start + (i + 1) * SAMPLE_WINDOW_SEC) / SAMPLE_WINDOW_SEC);
      const w = windows.get(key) ?? { iops: 0, kibps: 0 };
      w.iops += iops;
      w.kibps += d.bwSamples[i] ?? 0;
      windows.set(key, w);
    });
  }
  if (windows.size === 0) return null;
  const points: TimelinePoint[] = [...windows]
    .sort((a, b) => a[0] - b[0])
    .map(([key, w]) => ({ tSec: key * SAMPLE_WINDOW_SEC, iops: w.iops, mibps: w.kibps / KIB_PER_MIB }));
  return { direction, points };
}

function merged(clones: readonly FioJobRaw[], ddir: number, kind: LatencyKind): LatencyStats {
  const out = new LatencyStats();
  for (const c of clones) out.merge(LatencyStats.fromSnapshot(c.directions[ddir]![kind]));
  return out;
}

function latencyKind(raw: FioRunRaw): LatencyKind {
  return raw.jobs.some((j) => j.job.latPercentiles && !j.job.clatPercentiles) ? 'lat' : 'clat';
}

/** Clones grouped by the job section they came from, in job order. */
function byJob(raw: FioRunRaw): FioJobRaw[][] {
  const groups = new Map<string, FioJobRaw[]>();
  for (const clone of raw.jobs) {
    const key = `${clone.job.source.file}:${clone.job.source.line}:${clone.job.name}`;
    groups.set(key, [...(groups.get(key) ?? []), clone]);
  }
  return [...groups.values()];
}

function summary(jobs: readonly FioJobRaw[][], kind: LatencyKind): SummaryTable {
  const numeric = (label: string) => ({ label, numeric: true });
  const rows: string[][] = [];
  for (const clones of jobs) {
    FIO_DIRECTIONS.forEach((direction, ddir) => {
      const used = clones.filter((c) => active(c.directions[ddir]!));
      if (used.length === 0) return;
      let iops = 0;
      let mibps = 0;
      for (const c of used) {
        const seconds = c.runtimeMs / 1000;
        const lat = c.directions[ddir]!.lat;
        if (seconds > 0) {
          iops += lat.ios / seconds;
          mibps += lat.bytes / seconds / MIB;
        }
      }
      const stats = merged(used, ddir, kind);
      const p99 = percentilePoints(stats.counts, [99]);
      rows.push([
        clones[0]!.job.name,
        direction,
        String(used.length),
        fixed(iops, 0),
        fixed(mibps, 2),
        fixed(stats.meanNs / 1000, 2),
        p99.length === 0 ? '-' : fixed(p99[0]!.latencyUs, 2),
        fixed(stats.maxNs / 1000, 2),
        String(stats.errors),
      ]);
    });
  }
  return {
    columns: [
      { label: 'job' },
      { label: 'direction' },
      numeric('clones'),
      numeric('IOPS'),
      numeric('MiB/s'),
      numeric(`mean ${kind} (µs)`),
      numeric(`p99 ${kind} (µs)`),
      numeric(`max ${kind} (µs)`),
      numeric('errors'),
    ],
    rows,
  };
}

function settings(raw: FioRunRaw, jobs: readonly FioJobRaw[][]): SettingGroup[] {
  const rows = (options: Readonly<Record<string, string>>) => Object.entries(options).map(([key, value]) => ({ key, value }));
  return [
    ...(Object.keys(raw.globalOptions).length === 0 ? [] : [{ title: '[global]', rows: rows(raw.globalOptions) }]),
    ...jobs.map((clones) => ({ title: `[${clones[0]!.job.name}]`, rows: rows(clones[0]!.job.rawOptions) })),
  ];
}

function notes(raw: FioRunRaw): string[] {
  const out: string[] = [];
  for (const c of raw.jobs) {
    const who = `${c.job.name} (clone ${c.clone})`;
    if (c.errorMessage !== null) out.push(`${who}: err=${c.error}: ${c.errorMessage}`);
    if (c.verify.mismatchCount > 0) {
      out.push(`${who}: verify found ${c.verify.mismatchCount} bad blocks of ${c.verify.checked} checked`);
      for (const m of c.verify.mismatches) out.push(`${who}: ${m.message}`);
    }
  }
  return out;
}

/** The report's data for an nvme-fio run. */
export function fioReportData(raw: FioRunRaw): HtmlReportData {
  const kind = latencyKind(raw);
  const jobs = byJob(raw);
  const timelines: TimelineSeries[] = [];
  const percentiles: PercentileSeries[] = [];
  const histograms: HistogramSeries[] = [];
  FIO_DIRECTIONS.forEach((direction, ddir) => {
    const used = raw.jobs.filter((c) => active(c.directions[ddir]!));
    if (used.length === 0) return;
    const series = timeline(raw, ddir, direction);
    if (series !== null) timelines.push(series);
    const stats = merged(used, ddir, kind);
    const points = percentilePoints(stats.counts, used[0]!.job.percentileList.length > 0 ? used[0]!.job.percentileList : FIO_DEFAULT_PERCENTILES);
    if (points.length > 0) percentiles.push({ direction, latency: kind, points });
    const buckets = logBuckets(stats.counts);
    if (buckets.length > 0) histograms.push({ direction, latency: kind, buckets });
  });
  const names = jobs.map((clones) => clones[0]!.job.name);
  return {
    title: `nvme-fio: ${names.join(', ')}`,
    tool: `nvme-fio (nvmekit ${NVMEKIT_VERSION})`,
    timestamp: new Date(raw.startedAt).toISOString(),
    summary: summary(jobs, kind),
    timeline: timelines,
    percentiles,
    histograms,
    settings: settings(raw, jobs),
    notes: notes(raw),
  };
}
