/**
 * One clone of a fio job as a closed loop in a worker thread: nvme-perf's
 * context life cycle (start, drain, poll, report; run by the same
 * {@link PerfWorkerRun}) with fio's measurements and controls. `iodepth` tasks,
 * each with its own buffer, are kept in flight; each completion goes to
 * {@link FioCloneStats} (slat, clat, lat per direction, samples, logs); it keeps its own
 * time (`startdelay`, `ramp_time`, `runtime`), ends on `io_size`/`number_ios`,
 * holds back for `rate`/`rate_iops` (token buckets checked at submission, one
 * timer to resume) and `thinktime`, submits in batches of
 * `iodepth_batch_submit`, times the 500 ms samples and the log windows, and
 * with `verify` stamps every unit it writes and checks every unit it reads back.
 *
 * Hot path: tasks, buffers and their callbacks are made once; without a
 * per-I/O latency log a completion allocates nothing (md5/sha256 verify aside:
 * node:crypto allocates its digest).
 */
import { performance } from 'node:perf_hooks';
import { DSM_RANGE_SIZE, writeDsmRange } from '../spec/commands.js';
import type { IoCallback } from '../nvme-driver/queue-pair.js';
import { DDIR_READ, DDIR_TRIM, DDIR_WRITE, FioIo, FioWorkload, type FioWorkloadConfig } from '../bench/fio-workload.js';
import type { NsContextHooks, PerfQpair, ProgressCounter } from '../bench/ns-worker-context.js';
import type { WorkerContext } from '../bench/perf-worker-run.js';
import { deriveSeed } from '../bench/prng.js';
import { threadUsage, type ThreadUsage } from '../bench/thread-usage.js';
import { TokenBucket } from '../bench/token-bucket.js';
import type { FioVerify } from './fio-job.js';
import type { FioJobRaw, FioVerifyMismatch } from './fio-stats.js';
import { FioVerifier } from './fio-verify.js';
import { FioCloneStats, type FioLogChoice } from './fio-worker-stats.js';

/** Everything a clone needs; plain data, built by the engine and posted to the worker. */
export interface FioCloneConfig {
  /** Job name, for messages. */
  name: string;
  clone: number;
  lcore: number;
  nsid: number;
  /** Bytes per logical block. */
  lbaBytes: number;
  iodepth: number;
  batchSubmit: number;
  workload: FioWorkloadConfig;
  /** Bytes per workload unit (the verify unit too). */
  unitBytes: number;
  /** The largest I/O in bytes: each task's buffer. */
  bufferBytes: number;
  startDelayMs: number;
  rampTimeMs: number;
  /** 0 = no time limit. */
  runtimeMs: number;
  timeBased: boolean;
  /** Bytes to issue before the job ends (`io_size`, or the region); 0 = no byte limit. */
  ioLimitBytes: number;
  /** I/Os to issue before the job ends; 0 = no limit. */
  numberIos: number;
  /** Per direction, 0 = unlimited. */
  rate: readonly [number, number, number];
  rateIops: readonly [number, number, number];
  thinktimeUs: number;
  verify: FioVerify;
  verifyPattern: Uint8Array | null;
  /** Stamped into every verify header; also seeds the payloads. */
  verifySeed: number;
  doVerify: boolean;
  verifyBacklog: number;
  verifyFatal: boolean;
  logs: FioLogChoice;
  logAvgMsec: number;
  /** Clones sharing this worker thread: its CPU time is split evenly among them. */
  threadShare: number;
}

/** What a clone hands back: a {@link FioJobRaw} without what the main thread knows (the job, its group). */
export type FioCloneReport = Omit<FioJobRaw, 'job' | 'groupId'>;

/** fio's `bw_avg_time` / `iops_avg_time`. */
export const SAMPLE_WINDOW_MS = 500;
/** Mismatches kept per clone; later ones are only counted. */
const MISMATCHES_KEPT = 16;
const EIO = 5;
const EILSEQ = 84;

const enum Phase {
  Waiting,
  Running,
  Verifying,
  Finished,
}

class FioTask {
  readonly io = new FioIo();
  readonly dsmRange = Buffer.alloc(DSM_RANGE_SIZE);
  /** performance.now() just before the submit call, and the time the call took. */
  submitMs = 0;
  slatMs = 0;
  readonly done: IoCallback;

  constructor(
    ctx: FioWorkerContext,
    readonly index: number,
    readonly buf: Buffer,
    readonly payloads: Buffer[],
  ) {
    this.done = (err) => ctx.complete(this, err);
  }
}

export class FioWorkerContext implements WorkerContext<FioCloneReport> {
  private readonly cfg: FioCloneConfig;
  private readonly qpairs: readonly PerfQpair[];
  private readonly hooks: NsContextHooks;
  private readonly progress: Float64Array;
  private readonly progressSlot: number;
  private readonly workload: FioWorkload;
  private readonly verifier: FioVerifier | null;
  private readonly tasks: FioTask[];
  /** Tasks ready to carry an I/O (a stack). */
  private readonly free: FioTask[] = [];
  /** Tasks sleeping their thinktime: a ring, due times ascending. */
  private readonly thinking: (FioTask | null)[];
  private readonly thinkDue: Float64Array;
  private thinkHead = 0;
  private thinkCount = 0;
  private thinkTimer: NodeJS.Timeout | undefined;
  /** The task whose I/O waits for rate tokens, and the timer that resumes it. */
  private rateHeld: FioTask | null = null;
  private rateTimer: NodeJS.Timeout | undefined;
  private readonly byteBuckets: (TokenBucket | null)[] = [null, null, null];
  private readonly iopsBuckets: (TokenBucket | null)[] = [null, null, null];
  private readonly stats: FioCloneStats;
  private sampleTimer: NodeJS.Timeout | undefined;
  private logTimer: NodeJS.Timeout | undefined;
  private phaseTimer: NodeJS.Timeout | undefined;
  private runtimeTimer: NodeJS.Timeout | undefined;
  private phase = Phase.Waiting;
  /** No more workload I/O (limits, runtime); a verify pass may follow. */
  private mainStopped = false;
  /** The runtime ended the workload: as in fio, no do_verify pass follows (verify_backlog verifies while running). */
  private timeUp = false;
  /** Ended from outside or by an error: nothing more at all. */
  private stopping = false;
  private backlogActive = false;
  /** verify_fatal ended the job. */
  private verifyStopped = false;
  private inFlight = 0;
  private rr = 0;
  private issuedIos = 0;
  private issuedBytes = 0;
  private beginMs = 0;
  private measureStartMs = 0;
  private lastCompletionMs = 0;
  private startedAt = 0;
  private cpuStart: ThreadUsage | null = null;
  private cpuEnd: ThreadUsage | null = null;
  private error = 0;
  private errorMessage: string | null = null;
  private verifyChecked = 0;
  private mismatchCount = 0;
  private readonly mismatches: FioVerifyMismatch[] = [];
  private endedAt = 0;

  constructor(cfg: FioCloneConfig, qpairs: readonly PerfQpair[], hooks: NsContextHooks, progress?: ProgressCounter) {
    if (qpairs.length === 0) throw new RangeError(`${cfg.name}: a job clone needs a queue pair`);
    if (cfg.workload.trim && qpairs.some((q) => q.dsm === undefined)) throw new RangeError(`${cfg.name}: trims need queue pairs with Dataset Management`);
    this.cfg = cfg;
    this.qpairs = qpairs;
    this.hooks = hooks;
    this.progress = progress?.counts ?? new Float64Array(1);
    this.progressSlot = progress?.slot ?? 0;
    this.workload = new FioWorkload(cfg.workload);
    this.verifier = cfg.verify === 'none' ? null : new FioVerifier(cfg.verify, cfg.unitBytes, cfg.verifySeed, cfg.verifyPattern);
    this.tasks = Array.from({ length: cfg.iodepth }, (_, i) => {
      const buf = Buffer.alloc(cfg.bufferBytes);
      const payloads = this.verifier?.payloadViews(buf) ?? [];
      this.verifier?.fillPayloads(payloads, deriveSeed(cfg.verifySeed, i));
      return new FioTask(this, i, buf, payloads);
    });
    this.thinking = new Array<FioTask | null>(cfg.iodepth).fill(null);
    this.thinkDue = new Float64Array(cfg.iodepth);
    this.stats = new FioCloneStats(cfg.logs, cfg.logAvgMsec, (d) => this.usesDirection(d));
  }

  /** Arms the start delay, or begins. */
  start(): void {
    this.startedAt = Date.now();
    if (this.cfg.startDelayMs > 0) this.phaseTimer = setTimeout(this.begin, this.cfg.startDelayMs);
    else this.begin();
  }

  /** Ends the job now (a signal, or the worker's run was stopped): nothing more is submitted. */
  drain(): void {
    this.stopping = true;
    if (this.phase === Phase.Waiting) {
      this.finish();
      return;
    }
    this.releaseHeld();
    this.checkEnd();
  }

  /** Forgets everything measured so far (the end of ramp time). */
  resetStats(): void {
    const now = performance.now();
    this.stats.reset(now);
    this.measureStartMs = now;
    this.lastCompletionMs = now;
    this.cpuStart = threadUsage();
    for (let d = 0; d < 3; d++) {
      this.byteBuckets[d]?.reset(now);
      this.iopsBuckets[d]?.reset(now);
    }
  }

  poll(maxCompletions: number): number {
    let n = 0;
    for (let i = 0; i < this.qpairs.length; i++) n += this.qpairs[i]!.processCompletions(maxCompletions);
    return n;
  }

  report(): FioCloneReport {
    // Whole milliseconds, as fio keeps them.
    const runtimeMs = Math.max(0, Math.round(this.lastCompletionMs - this.measureStartMs));
    return {
      clone: this.cfg.clone,
      directions: this.stats.directions(),
      runtimeMs,
      elapsedSec: (this.endedAt - this.startedAt) / 1000,
      startedAt: this.startedAt,
      endedAt: this.endedAt,
      error: this.error,
      errorMessage: this.errorMessage,
      cpu: this.cpu(runtimeMs),
      depths: this.stats.depths,
      logs: this.stats.logs,
      verify: { checked: this.verifyChecked, mismatchCount: this.mismatchCount, mismatches: this.mismatches },
    };
  }

  /** @internal a task's completion callback */
  complete(task: FioTask, err: Error | null): void {
    const now = performance.now();
    this.inFlight--;
    this.lastCompletionMs = now;
    this.progress[this.progressSlot]++;
    const io = task.io;
    this.stats.completed(io.ddir, io.nlb * this.cfg.lbaBytes, now - task.submitMs, task.slatMs, Math.round(now - this.beginMs));
    if (err !== null) this.ioFailed(io, err);
    // After verify_fatal stopped the job, reads still in flight are not judged: fio has exited by then.
    else if (io.ddir === DDIR_READ && this.verifier !== null && !this.verifyStopped) this.checkRead(task);
    this.workload.complete(io, err === null);
    if (this.cfg.thinktimeUs > 0 && this.phase === Phase.Running && !this.mainStopped && !this.stopping) this.think(task, now);
    else this.free.push(task);
    this.pump(now);
  }

  private readonly begin = (): void => {
    const now = performance.now();
    this.phase = Phase.Running;
    this.beginMs = now;
    // Measured from here unless a ramp time restarts the measurement.
    this.measureStartMs = now;
    this.lastCompletionMs = now;
    this.cpuStart = threadUsage();
    for (let d = 0; d < 3; d++) {
      const bytes = this.cfg.rate[d]!;
      const iops = this.cfg.rateIops[d]!;
      if (bytes > 0) this.byteBuckets[d] = new TokenBucket(bytes, this.cfg.bufferBytes, now);
      if (iops > 0) this.iopsBuckets[d] = new TokenBucket(iops, 1, now);
    }
    const { rampTimeMs, runtimeMs } = this.cfg;
    if (rampTimeMs > 0) this.phaseTimer = setTimeout(this.endRamp, rampTimeMs);
    else this.startMeasuring();
    if (runtimeMs > 0) this.runtimeTimer = setTimeout(this.stopMain, rampTimeMs + runtimeMs);
    for (let i = this.tasks.length - 1; i >= 0; i--) this.free.push(this.tasks[i]!);
    this.pump(now);
  };

  private readonly endRamp = (): void => {
    if (this.phase === Phase.Finished) return;
    this.startMeasuring();
  };

  private startMeasuring(): void {
    this.resetStats();
    this.stats.measuring = true;
    this.sampleTimer = setInterval(() => this.stats.sample(performance.now()), SAMPLE_WINDOW_MS);
    if (this.stats.windowedLogs) {
      const logWindow = (): void => {
        const now = performance.now();
        this.stats.logWindow(now, Math.round(now - this.beginMs));
      };
      this.logTimer = setInterval(logWindow, this.cfg.logAvgMsec > 0 ? this.cfg.logAvgMsec : 1000);
    }
  }

  private readonly stopMain = (): void => {
    this.mainStopped = true;
    this.timeUp = true;
    this.releaseHeld();
    this.checkEnd();
  };

  /** Submits what the free tasks can carry: in batches of `iodepth_batch_submit`, unless nothing is in flight. */
  private pump(now: number): void {
    if (this.phase === Phase.Finished || this.phase === Phase.Waiting) return;
    if (this.stopping || this.rateHeld !== null) {
      this.checkEnd();
      return;
    }
    const free = this.free;
    const batch = this.cfg.batchSubmit;
    if (this.inFlight > 0 && free.length < batch) return;
    let n = 0;
    while (free.length > 0) {
      const task = free[free.length - 1]!;
      if (!this.fill(task.io)) break;
      free.pop();
      if (!task.io.verifyRead && this.throttled(task, now)) break;
      this.issue(task);
      n++;
    }
    this.stats.submitCall(n, this.cfg.batchSubmit);
    this.checkEnd();
  }

  /** The next I/O for the phase; false when there is none now. */
  private fill(io: FioIo): boolean {
    const wl = this.workload;
    if (this.phase === Phase.Verifying) return wl.nextVerifyRead(io);
    if (this.backlogActive) {
      if (wl.nextBacklogRead(io)) return true;
      this.backlogActive = false;
    }
    if (this.mainStopped) return false;
    const backlog = this.cfg.verifyBacklog;
    if (backlog > 0 && this.verifier !== null && wl.backlogPending >= backlog) {
      this.backlogActive = true;
      if (wl.nextBacklogRead(io)) return true;
      this.backlogActive = false;
    }
    if (!wl.next(io)) return false;
    this.issuedIos++;
    this.issuedBytes += io.nlb * this.cfg.lbaBytes;
    const { ioLimitBytes, numberIos, timeBased } = this.cfg;
    if ((numberIos > 0 && this.issuedIos >= numberIos) || (!timeBased && ioLimitBytes > 0 && this.issuedBytes >= ioLimitBytes)) this.mainStopped = true;
    return true;
  }

  /** Whether the rate holds `task` back; if so it waits for one timer. Takes the tokens otherwise. */
  private throttled(task: FioTask, now: number): boolean {
    const d = task.io.ddir;
    const bytesBucket = this.byteBuckets[d]!;
    const iopsBucket = this.iopsBuckets[d]!;
    if (bytesBucket === null && iopsBucket === null) return false;
    const bytes = task.io.nlb * this.cfg.lbaBytes;
    const wait = Math.max(bytesBucket?.wait(bytes, now) ?? 0, iopsBucket?.wait(1, now) ?? 0);
    if (wait > 0) {
      this.rateHeld = task;
      this.rateTimer = setTimeout(this.resumeRate, Math.max(1, Math.ceil(wait)));
      return true;
    }
    bytesBucket?.consume(bytes);
    iopsBucket?.consume(1);
    return false;
  }

  private readonly resumeRate = (): void => {
    const task = this.rateHeld;
    if (task === null) return;
    this.rateHeld = null;
    const now = performance.now();
    if (this.throttled(task, now)) return;
    this.issue(task);
    this.stats.submitCall(1, this.cfg.batchSubmit);
    this.pump(now);
  };

  private think(task: FioTask, now: number): void {
    const n = this.thinking.length;
    const at = (this.thinkHead + this.thinkCount) % n;
    this.thinking[at] = task;
    this.thinkDue[at] = now + this.cfg.thinktimeUs / 1000;
    if (this.thinkCount++ === 0) this.thinkTimer = setTimeout(this.wake, this.cfg.thinktimeUs / 1000);
  }

  /** Frees the tasks whose thinktime is over and re-arms for the next. */
  private readonly wake = (): void => {
    const now = performance.now();
    const n = this.thinking.length;
    while (this.thinkCount > 0 && this.thinkDue[this.thinkHead]! <= now) {
      this.free.push(this.thinking[this.thinkHead]!);
      this.thinking[this.thinkHead] = null;
      this.thinkHead = (this.thinkHead + 1) % n;
      this.thinkCount--;
    }
    if (this.thinkCount > 0) this.thinkTimer = setTimeout(this.wake, Math.max(1, this.thinkDue[this.thinkHead]! - now));
    this.pump(now);
  };

  /** Returns every held task to the free stack, giving up a rate-held I/O. */
  private releaseHeld(): void {
    clearTimeout(this.thinkTimer);
    const n = this.thinking.length;
    for (; this.thinkCount > 0; this.thinkCount--) {
      this.free.push(this.thinking[this.thinkHead]!);
      this.thinking[this.thinkHead] = null;
      this.thinkHead = (this.thinkHead + 1) % n;
    }
    if (this.rateHeld !== null) {
      clearTimeout(this.rateTimer);
      this.workload.abandon(this.rateHeld.io);
      this.free.push(this.rateHeld);
      this.rateHeld = null;
    }
  }

  private issue(task: FioTask): void {
    const io = task.io;
    const d = io.ddir;
    const nsid = this.cfg.nsid;
    if (d === DDIR_WRITE && this.verifier !== null) this.stamp(task);
    const qp = this.qpairs[this.rr]!;
    if (++this.rr === this.qpairs.length) this.rr = 0;
    this.inFlight++;
    this.stats.submitted(d, this.inFlight);
    const t0 = performance.now();
    task.submitMs = t0;
    if (d === DDIR_READ) qp.read(nsid, io.lba, io.nlb, task.buf, task.done);
    else if (d === DDIR_WRITE) qp.write(nsid, io.lba, io.nlb, task.buf, task.done);
    else {
      writeDsmRange(task.dsmRange, 0, io.lba, io.nlb);
      qp.dsm!(nsid, task.dsmRange, task.done);
    }
    task.slatMs = performance.now() - t0;
  }

  private stamp(task: FioTask): void {
    const io = task.io;
    const v = this.verifier!;
    const base = this.cfg.workload.firstLba * this.cfg.lbaBytes;
    for (let u = 0; u < io.units; u++) {
      const unit = io.unit + u;
      v.stamp(task.buf, u, task.payloads[u]!, base + unit * this.cfg.unitBytes, this.workload.generation(unit));
    }
  }

  private checkRead(task: FioTask): void {
    const io = task.io;
    const v = this.verifier!;
    const base = this.cfg.workload.firstLba * this.cfg.lbaBytes;
    let bad = false;
    for (let u = 0; u < io.units; u++) {
      const unit = io.unit + u;
      if (!this.workload.isKnown(unit)) continue;
      this.verifyChecked++;
      const failure = v.check(task.buf, u, task.payloads[u]!, base + unit * this.cfg.unitBytes, this.workload.generation(unit));
      if (failure === null) continue;
      bad = true;
      this.mismatchCount++;
      if (this.mismatches.length < MISMATCHES_KEPT) this.mismatches.push(failure);
      if (this.mismatchCount === 1) this.hooks.log(`${this.cfg.name}: ${failure.message}`);
      if (this.error === 0) {
        this.error = EILSEQ;
        this.errorMessage = failure.message;
      }
      if (this.cfg.verifyFatal) {
        this.verifyStopped = true;
        this.fail();
        break;
      }
    }
    if (bad && v.refillsAfterBadRead) v.fillPayloads(task.payloads, deriveSeed(this.cfg.verifySeed, task.index));
  }

  private ioFailed(io: FioIo, err: Error): void {
    this.stats.lat[io.ddir].recordError();
    if (this.error === 0 || this.error === EILSEQ) {
      this.error = EIO;
      const what = io.ddir === DDIR_READ ? 'read' : io.ddir === DDIR_WRITE ? 'write' : 'trim';
      this.errorMessage = `${what} of ${io.nlb * this.cfg.lbaBytes} bytes at offset ${io.lba * this.cfg.lbaBytes}: ${err.message}`;
      this.hooks.log(`${this.cfg.name}: ${this.errorMessage}`);
    }
    this.fail();
  }

  /** Ends this job (an error; fio stops the job, not its siblings). */
  private fail(): void {
    this.stopping = true;
    this.releaseHeld();
  }

  /** The job's workload uses direction `d`, or it reads back what it wrote. */
  private usesDirection(d: number): boolean {
    const w = this.cfg.workload;
    if (w.trim) return d === DDIR_TRIM;
    if (d === DDIR_TRIM) return false;
    if (d === DDIR_READ) return w.rwMixRead > 0 || this.verifier !== null;
    return w.rwMixRead < 100;
  }

  /** Moves to the next phase once nothing is in flight or held. */
  private checkEnd(): void {
    if (this.inFlight > 0 || this.rateHeld !== null || this.phase === Phase.Finished || this.phase === Phase.Waiting) return;
    if (this.stopping) {
      this.finish();
      return;
    }
    if (this.phase === Phase.Running && this.mainStopped && !this.backlogActive) {
      if (this.verifier !== null && this.cfg.doVerify && !this.timeUp && this.cfg.workload.rwMixRead < 100 && !this.cfg.workload.trim) {
        this.releaseHeld();
        this.phase = Phase.Verifying;
        this.workload.startVerifyPass();
        this.pump(performance.now());
      } else {
        this.finish();
      }
      return;
    }
    // Verifying with nothing in flight after a pump: the pass is over.
    if (this.phase === Phase.Verifying) this.finish();
  }

  private finish(): void {
    if (this.phase === Phase.Finished) return;
    this.phase = Phase.Finished;
    clearTimeout(this.phaseTimer);
    clearTimeout(this.runtimeTimer);
    clearInterval(this.sampleTimer);
    clearInterval(this.logTimer);
    this.releaseHeld();
    this.cpuEnd = threadUsage();
    this.endedAt = Date.now();
    this.hooks.idle();
  }

  private cpu(runtimeMs: number): FioJobRaw['cpu'] {
    const a = this.cpuStart;
    const b = this.cpuEnd;
    if (a === null || b === null || runtimeMs <= 0) return { usrPct: 0, sysPct: 0, ctx: 0, majf: 0, minf: 0 };
    const share = Math.max(1, this.cfg.threadShare);
    const pct = (us: number): number => (us / 1000 / runtimeMs / share) * 100;
    return {
      usrPct: pct(b.userUs - a.userUs),
      sysPct: pct(b.systemUs - a.systemUs),
      ctx: Math.round((b.ctx - a.ctx) / share),
      majf: Math.round((b.majorFaults - a.majorFaults) / share),
      minf: Math.round((b.minorFaults - a.minorFaults) / share),
    };
  }
}

/** The worker's factory for nvme-fio clones. */
export function createFioContext(config: FioCloneConfig, qpairs: readonly PerfQpair[], hooks: NsContextHooks, progress: ProgressCounter): FioWorkerContext {
  return new FioWorkerContext(config, qpairs, hooks, progress);
}
