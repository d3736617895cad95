/**
 * What an HTML report shows, independent of the tool that measured it:
 * nvme-perf and nvme-fio each have an adapter that fills this in, and
 * {@link renderHtmlReport} draws it. Plain data; every string is untrusted
 * text (job names, file names, options) and is escaped when rendered.
 */

/** One option as run. */
export interface SettingRow {
  key: string;
  value: string;
}

/** Options that belong together (`[global]`, one job section, versions). */
export interface SettingGroup {
  title: string;
  rows: SettingRow[];
}

/** Throughput over one interval of the run. */
export interface TimelinePoint {
  /** End of the interval, seconds since the measured run started. */
  tSec: number;
  iops: number;
  mibps: number;
}

/** Throughput over time for one direction (`read`, `write`, `trim`, or `all` when a tool does not split them). */
export interface TimelineSeries {
  direction: string;
  points: TimelinePoint[];
}

/** A latency at a percentile. */
export interface PercentilePoint {
  /** 0 to 100. */
  percentile: number;
  latencyUs: number;
}

/** The latency distribution of one direction at chosen percentiles. */
export interface PercentileSeries {
  direction: string;
  /** Which latency: `completion`, `total`, ... shown in the chart's legend. */
  latency: string;
  points: PercentilePoint[];
}

/** I/Os whose latency fell in [startUs, endUs). */
export interface HistogramBucket {
  startUs: number;
  endUs: number;
  count: number;
}

/** A latency histogram of one direction. */
export interface HistogramSeries {
  direction: string;
  latency: string;
  buckets: HistogramBucket[];
}

/** A summary table column; numeric columns are right-aligned. */
export interface SummaryColumn {
  label: string;
  numeric?: boolean;
}

/** The headline numbers as a table (cells already formatted). */
export interface SummaryTable {
  columns: SummaryColumn[];
  rows: string[][];
}

/** Everything one report shows. */
export interface HtmlReportData {
  /** Page and heading title. */
  title: string;
  /** What produced it, with its version (`nvme-perf 0.1.0`). */
  tool: string;
  /** ISO 8601 start of the run. */
  timestamp: string;
  summary: SummaryTable;
  timeline: TimelineSeries[];
  percentiles: PercentileSeries[];
  histograms: HistogramSeries[];
  settings: SettingGroup[];
  /** Warnings and errors worth a reader's attention, one line each. */
  notes: string[];
}
