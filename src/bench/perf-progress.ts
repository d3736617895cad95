/**
 * Once a second, I/Os completed in the last second over all workers, read from
 * the shared progress cells the workers bump on every completion: kept as the
 * run's timeline (IOPS and MiB/s per second, for `--report`), and on a TTY
 * printed as the live line (SPDK's `print_periodic_performance`), with `-m`
 * the busy percent of the worker cores: for a polling worker SPDK's split of
 * polling time into polls that found completions and polls that did not, for
 * one that waits the event-loop utilization of its thread.
 */
import type { EventLoopUtilization } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';
import type { PerfTimeline, PerfTimelineSample } from './perf-result.js';
import { ERASE_LINE, formatProgressLine } from './perf-text-report.js';
import { PROGRESS_CELLS } from './perf-worker-run.js';

export interface ProgressSettings {
  ioSizeBytes: number;
  warmupSec: number;
  /** `-m`. */
  cpuUsage: boolean;
}

/** A worker thread and whether it polls. */
export interface ProgressWorker {
  worker: Worker;
  polls: boolean;
}

const INTERVAL_MS = 1000;
/** A last, partial interval shorter than this is left out: its rate would be mostly noise. */
const MIN_TAIL_MS = 100;
const MIB = 1024 * 1024;

export class PerfProgress {
  private timer: NodeJS.Timeout | undefined;
  private startMs = 0;
  private lastMs = 0;
  private lastCompleted = 0;
  /** Per worker: busy and idle polling ms at the last tick. */
  private readonly lastPolling: Float64Array;
  private readonly lastElu: (EventLoopUtilization | undefined)[];
  private wasWarmup = false;
  private printed = false;
  private readonly samples: PerfTimelineSample[] = [];

  /** @param write where the live line goes; null records the timeline without printing (not a TTY, `--json -`) */
  constructor(
    private readonly counts: Float64Array,
    private readonly workers: readonly ProgressWorker[],
    private readonly settings: ProgressSettings,
    private readonly write: ((text: string) => void) | null,
  ) {
    this.lastPolling = new Float64Array(workers.length * 2);
    this.lastElu = workers.map(() => undefined);
  }

  start(): void {
    this.startMs = this.lastMs = performance.now();
    this.wasWarmup = this.settings.warmupSec > 0;
    if (this.settings.cpuUsage) this.workers.forEach((w, i) => void (this.lastElu[i] = w.worker.performance.eventLoopUtilization()));
    this.timer = setInterval(this.tick, INTERVAL_MS);
    this.timer.unref();
  }

  /**
   * Stops sampling, keeping the last partial interval; erases the live line
   * (so the report starts on a clean line) if one was printed.
   */
  stop(): void {
    clearInterval(this.timer);
    const now = performance.now();
    if (now - this.lastMs >= MIN_TAIL_MS) this.sample(now);
    if (this.printed) this.write?.(ERASE_LINE);
  }

  /** The samples of the measured run so far. */
  timeline(): PerfTimeline {
    return { intervalMs: INTERVAL_MS, samples: [...this.samples] };
  }

  /**
   * Takes the completions since the last sample, as a rate per second; keeps
   * it in the timeline when most of the interval was past the warm-up.
   */
  private sample(now: number): number {
    let completed = 0;
    for (let i = 0; i < this.counts.length; i += PROGRESS_CELLS) completed += this.counts[i]!;
    const ms = now - this.lastMs;
    const iops = ms > 0 ? ((completed - this.lastCompleted) * INTERVAL_MS) / ms : 0;
    const measuredFrom = this.startMs + this.settings.warmupSec * 1000;
    if ((this.lastMs + now) / 2 >= measuredFrom) {
      this.samples.push({
        tSec: (now - measuredFrom) / 1000,
        durationSec: ms / 1000,
        iops,
        mibps: (iops * this.settings.ioSizeBytes) / MIB,
      });
    }
    this.lastCompleted = completed;
    this.lastMs = now;
    return iops;
  }

  /** The share of the last second worker `i` was busy, 0 to 1. */
  private busyShare(i: number): number {
    const w = this.workers[i]!;
    if (w.polls) {
      const busy = this.counts[i * PROGRESS_CELLS + 1]!;
      const idle = this.counts[i * PROGRESS_CELLS + 2]!;
      const db = busy - this.lastPolling[i * 2]!;
      const di = idle - this.lastPolling[i * 2 + 1]!;
      this.lastPolling[i * 2] = busy;
      this.lastPolling[i * 2 + 1] = idle;
      return db + di > 0 ? db / (db + di) : 0;
    }
    const now = w.worker.performance.eventLoopUtilization();
    const share = w.worker.performance.eventLoopUtilization(now, this.lastElu[i]).utilization;
    this.lastElu[i] = now;
    return share;
  }

  private readonly tick = (): void => {
    const now = performance.now();
    const ios = Math.round(this.sample(now));
    if (this.write === null) return;
    const warmup = now - this.startMs < this.settings.warmupSec * 1000;
    // SPDK erases the longer [warmup] line once the measured run starts.
    if (this.wasWarmup && !warmup) this.write(ERASE_LINE);
    this.wasWarmup = warmup;
    let cpu = null;
    if (this.settings.cpuUsage) {
      let busy = 0;
      for (let i = 0; i < this.workers.length; i++) busy += this.busyShare(i);
      cpu = { busyPercent: (busy / this.workers.length) * 100, workers: this.workers.length };
    }
    this.write(formatProgressLine({ ios, ioSizeBytes: this.settings.ioSizeBytes, warmup, cpu }));
    this.printed = true;
  };
}
