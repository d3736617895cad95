/**
 * What one job clone measures, fio's way: per direction slat, clat and lat
 * (LatencyStats, the statistics nvme-perf keeps), I/Os issued, bandwidth and
 * IOPS samples per 500 ms window, the depth histograms, and the log entries
 * asked for (per I/O, or averaged per `log_avg_msec` window). Recording a
 * completion allocates nothing unless a per-I/O latency log is asked for.
 */
import { LatencyStats } from '../bench/latency-stats.js';
import type { FioDepthHistograms, FioDirectionRaw, FioLogEntry, FioLogs } from './fio-stats.js';

const NS_PER_MS = 1e6;

type Ddir = FioLogEntry['ddir'];
type Triple<T> = readonly [T, T, T];

/** Which logs a clone keeps. */
export interface FioLogChoice {
  lat: boolean;
  clat: boolean;
  slat: boolean;
  iops: boolean;
  bw: boolean;
}

/** fio's depth buckets: 1, 2, 4, 8, 16, 32, >=64 (an entry counts depths up to it). */
export function depthBucket(depth: number): number {
  if (depth <= 1) return 0;
  if (depth >= 64) return 6;
  return Math.min(6, 32 - Math.clz32(depth - 1));
}

/** fio's submit/complete buckets: 0, 4, 8, 16, 32, 64, >=64. */
export function batchBucket(n: number): number {
  if (n <= 0) return 0;
  if (n <= 4) return 1;
  if (n > 64) return 6;
  return 32 - Math.clz32(n - 1) - 1;
}

const triple = <T>(make: () => T): [T, T, T] => [make(), make(), make()];

export class FioCloneStats {
  readonly slat: Triple<LatencyStats> = triple(() => new LatencyStats());
  readonly clat: Triple<LatencyStats> = triple(() => new LatencyStats());
  readonly lat: Triple<LatencyStats> = triple(() => new LatencyStats());
  readonly issued = new Float64Array(3);
  readonly depths: FioDepthHistograms = { depth: new Array<number>(7).fill(0), submit: new Array<number>(7).fill(0), complete: new Array<number>(7).fill(0) };
  readonly logs: FioLogs = {};
  /** Samples and log entries are taken only while measuring (after ramp time). */
  measuring = false;
  private readonly bwSamples: Triple<number[]> = triple(() => []);
  private readonly iopsSamples: Triple<number[]> = triple(() => []);
  /** The latency logs in kind order lat, clat, slat (absent ones undefined). */
  private readonly latLogs: Triple<FioLogEntry[] | undefined>;
  /** Bytes and I/Os per direction since the last sample and since the last windowed log entry. */
  private readonly sampleBytes = new Float64Array(3);
  private readonly sampleIos = new Float64Array(3);
  private readonly logBytes = new Float64Array(3);
  private readonly logIos = new Float64Array(3);
  /** Per-window latency sums and counts for averaged logs: [kind * 3 + ddir], kinds lat, clat, slat. */
  private readonly logSums = new Float64Array(9);
  private readonly logCounts = new Float64Array(9);
  private lastSampleMs = 0;
  private lastLogMs = 0;
  /** A latency log with an entry per I/O (the only per-I/O allocation). */
  private readonly perIoLatLog: boolean;

  /**
   * @param logAvgMsec 0: a latency entry per I/O; otherwise averaged per window
   * @param uses whether the job does I/O in a direction (samples and log entries are kept for those)
   */
  constructor(
    choice: FioLogChoice,
    private readonly logAvgMsec: number,
    private readonly uses: (ddir: number) => boolean,
  ) {
    if (choice.lat) this.logs.lat = [];
    if (choice.clat) this.logs.clat = [];
    if (choice.slat) this.logs.slat = [];
    if (choice.iops) this.logs.iops = [];
    if (choice.bw) this.logs.bw = [];
    this.latLogs = [this.logs.lat, this.logs.clat, this.logs.slat];
    this.perIoLatLog = logAvgMsec === 0 && (choice.lat || choice.clat || choice.slat);
  }

  /** Whether a windowed log needs a timer: iops or bw logs, or averaged latency logs. */
  get windowedLogs(): boolean {
    return this.logs.iops !== undefined || this.logs.bw !== undefined || (this.logAvgMsec > 0 && this.latLogs.some((l) => l !== undefined));
  }

  /** Forgets everything so far (the end of ramp time); windows restart at `now`. */
  reset(now: number): void {
    for (let d = 0; d < 3; d++) {
      this.slat[d]!.reset();
      this.clat[d]!.reset();
      this.lat[d]!.reset();
      this.bwSamples[d]!.length = 0;
      this.iopsSamples[d]!.length = 0;
    }
    for (const h of [this.depths.depth, this.depths.submit, this.depths.complete]) h.fill(0);
    for (const a of [this.issued, this.sampleBytes, this.sampleIos, this.logBytes, this.logIos, this.logSums, this.logCounts]) a.fill(0);
    this.lastSampleMs = now;
    this.lastLogMs = now;
  }

  /** An I/O handed to the queue pair with `inFlight` now in flight. */
  submitted(ddir: Ddir, inFlight: number): void {
    this.issued[ddir]!++;
    this.depths.depth[depthBucket(inFlight)]!++;
  }

  /** `n` I/Os submitted together (`iodepth_batch_submit`); one at a time they count as calls of one. */
  submitCall(n: number, batchSubmit: number): void {
    if (n === 0) return;
    if (batchSubmit <= 1) this.depths.submit[1]! += n;
    else this.depths.submit[batchBucket(n)]!++;
  }

  /**
   * One completion: `latMs` from before the submit call, `slatMs` in it.
   * @param timeMs the log time: ms since the job began
   */
  completed(ddir: Ddir, bytes: number, latMs: number, slatMs: number, timeMs: number): void {
    const latNs = latMs * NS_PER_MS;
    const slatNs = slatMs * NS_PER_MS;
    const clatNs = latNs - slatNs;
    this.lat[ddir]!.record(latNs, bytes);
    this.clat[ddir]!.record(clatNs, bytes);
    this.slat[ddir]!.record(slatNs, bytes);
    // Completions are delivered one per callback: every reap is of one I/O.
    this.depths.complete[1]!++;
    if (!this.measuring) return;
    this.sampleBytes[ddir]! += bytes;
    this.sampleIos[ddir]!++;
    this.logBytes[ddir]! += bytes;
    this.logIos[ddir]!++;
    if (this.logAvgMsec > 0) {
      this.logSums[ddir]! += latNs;
      this.logSums[3 + ddir]! += clatNs;
      this.logSums[6 + ddir]! += slatNs;
      this.logCounts[ddir]!++;
      this.logCounts[3 + ddir]!++;
      this.logCounts[6 + ddir]!++;
      return;
    }
    if (!this.perIoLatLog) return;
    this.latLogs[0]?.push({ timeMs, value: Math.round(latNs), ddir, bs: bytes });
    this.latLogs[1]?.push({ timeMs, value: Math.round(clatNs), ddir, bs: bytes });
    this.latLogs[2]?.push({ timeMs, value: Math.round(slatNs), ddir, bs: bytes });
  }

  /** Closes a bandwidth/IOPS sample window (every 500 ms, fio's `bw_avg_time`). */
  sample(now: number): void {
    const sec = (now - this.lastSampleMs) / 1000;
    this.lastSampleMs = now;
    if (sec <= 0) return;
    for (let d = 0; d < 3; d++) {
      if (!this.uses(d)) continue;
      this.bwSamples[d]!.push(Math.round(this.sampleBytes[d]! / 1024 / sec));
      this.iopsSamples[d]!.push(this.sampleIos[d]! / sec);
    }
    this.sampleBytes.fill(0);
    this.sampleIos.fill(0);
  }

  /** Closes a log window: an iops/bw entry, and averaged latency entries, per direction used. */
  logWindow(now: number, timeMs: number): void {
    const sec = (now - this.lastLogMs) / 1000;
    this.lastLogMs = now;
    const logs = this.logs;
    for (let d = 0; d < 3; d++) {
      if (!this.uses(d)) continue;
      const ddir = d as Ddir;
      if (sec > 0) {
        logs.iops?.push({ timeMs, value: Math.round(this.logIos[d]! / sec), ddir, bs: 0 });
        logs.bw?.push({ timeMs, value: Math.round(this.logBytes[d]! / 1024 / sec), ddir, bs: 0 });
      }
      for (let k = 0; k < 3 && this.logAvgMsec > 0; k++) {
        const i = k * 3 + d;
        if (this.logCounts[i]! > 0) this.latLogs[k]?.push({ timeMs, value: Math.round(this.logSums[i]! / this.logCounts[i]!), ddir, bs: 0 });
      }
    }
    for (const a of [this.logBytes, this.logIos, this.logSums, this.logCounts]) a.fill(0);
  }

  /** The three directions as the report carries them. */
  directions(): [FioDirectionRaw, FioDirectionRaw, FioDirectionRaw] {
    const direction = (d: Ddir): FioDirectionRaw => ({
      slat: this.slat[d].snapshot(),
      clat: this.clat[d].snapshot(),
      lat: this.lat[d].snapshot(),
      issued: this.issued[d]!,
      short: 0,
      dropped: 0,
      bwSamples: this.bwSamples[d],
      iopsSamples: this.iopsSamples[d],
    });
    return [direction(0), direction(1), direction(2)];
  }
}
