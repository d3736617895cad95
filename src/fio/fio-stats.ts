/**
 * What the engine measured for one job clone (one fio "thread"), as plain data:
 * the engine fills it, the result builder turns it into fio's numbers (merging
 * clones with `group_reporting`), and the text, JSON, log and HTML reporters
 * read only the result. Latencies are LatencyStats snapshots (the same
 * statistics nvme-perf records), so percentiles, means, standard deviations and
 * fio's latency buckets all come from the same histogram.
 */
import type { LatencyStatsSnapshot } from '../bench/latency-stats.js';
import type { FioJob, PerDirection } from './fio-job.js';

/** One direction of one clone. */
export interface FioDirectionRaw {
  /** Submission latency: the time spent handing the command to the queue pair. */
  slat: LatencyStatsSnapshot;
  /** Completion latency: from submission done to completion. */
  clat: LatencyStatsSnapshot;
  /** Total latency: slat + clat. */
  lat: LatencyStatsSnapshot;
  /** I/Os issued in this direction (fio's `issued rwts: total=`). */
  issued: number;
  /** Completed with fewer bytes than asked (always 0 for block I/O, kept for fio's layout). */
  short: number;
  /** Dropped by the rate limiter (fio's `dropped=`). */
  dropped: number;
  /** Bandwidth samples in KiB/s, one per averaging window (500 ms, fio's `bw_avg_time`), after ramp. */
  bwSamples: number[];
  /** IOPS samples, same windows. */
  iopsSamples: number[];
}

/** One line of a fio log file: `time, value, direction, bs, prio`. */
export interface FioLogEntry {
  /** Milliseconds since the job started. */
  timeMs: number;
  /** ns for latency logs, KiB/s for bandwidth, I/Os per second for IOPS. */
  value: number;
  /** 0 read, 1 write, 2 trim. */
  ddir: 0 | 1 | 2;
  /** Block size in bytes (0 in averaged entries, as fio writes them). */
  bs: number;
}

/** The logs a job asked for (`write_lat_log`, `write_iops_log`, `write_bw_log`); absent when not asked. */
export interface FioLogs {
  lat?: FioLogEntry[];
  clat?: FioLogEntry[];
  slat?: FioLogEntry[];
  iops?: FioLogEntry[];
  bw?: FioLogEntry[];
}

/**
 * fio's I/O depth distributions, counts per bucket. `depth`: I/Os in flight at
 * each submission, buckets 1, 2, 4, 8, 16, 32, >=64. `submit` and `complete`:
 * I/Os per submit call / per completion reap, buckets 0, 4, 8, 16, 32, 64, >=64.
 */
export interface FioDepthHistograms {
  depth: number[];
  submit: number[];
  complete: number[];
}

/** A `verify` mismatch as reported. */
export interface FioVerifyMismatch {
  /** Byte offset of the bad block in the namespace. */
  offset: number;
  /** One line: the offset, expected and actual header fields. */
  message: string;
}

/** Everything measured for one clone of one job. */
export interface FioJobRaw {
  job: FioJob;
  /** Clone number, 0 to numjobs - 1. */
  clone: number;
  /** Reporting group (fio's `groupid`). */
  groupId: number;
  /** Directions in fio's order. */
  directions: PerDirection<FioDirectionRaw>;
  /** Measured time (after ramp) in ms, from the first I/O to the last completion. */
  runtimeMs: number;
  /** Seconds since the job started, ramp and start delay included (fio's `elapsed`). */
  elapsedSec: number;
  /** Wall-clock start and end (ms since the epoch). */
  startedAt: number;
  endedAt: number;
  /** fio's `err=`: 0, or the errno-style code of the error that ended the job (5 = EIO). */
  error: number;
  /** The error that ended the job, in words; null when it ran to the end. */
  errorMessage: string | null;
  /** CPU use of the thread that ran the job: user and system percent of `runtimeMs`, context switches, faults. */
  cpu: { usrPct: number; sysPct: number; ctx: number; majf: number; minf: number };
  depths: FioDepthHistograms;
  logs: FioLogs;
  /** Reads checked by verify, and the mismatches (the first few kept). */
  verify: { checked: number; mismatchCount: number; mismatches: FioVerifyMismatch[] };
}

/** A whole nvme-fio run: the clones in job order, and the job file they came from. */
export interface FioRunRaw {
  globalOptions: Readonly<Record<string, string>>;
  jobs: FioJobRaw[];
  /** Wall-clock time the run started (ms since the epoch), for fio's `timestamp` and `time`. */
  startedAt: number;
}
