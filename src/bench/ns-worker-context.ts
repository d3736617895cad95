/**
 * One (worker, namespace) closed loop, SPDK perf's `ns_worker_ctx`: `-q` tasks,
 * each with its own buffer, kept in flight over `-P` queue pairs in
 * round-robin; every completion records its latency and submits the task
 * again, until the context drains (time is up, `-d` I/Os were submitted, the
 * run is stopped, or an error ends it).
 *
 * Hot path: a task and its completion callback are made once; a completion
 * reads the clock once (the same reading stamps the next submission), records
 * into preallocated counters, and asks the generator for the next offset
 * without allocating. With `--verify` writes are stamped with block tags and
 * reads of blocks this run wrote are checked.
 */
import { performance } from 'node:perf_hooks';
import type { IoCallback } from '../nvme-driver/queue-pair.js';
import { CommandTimeoutError } from '../spec/errors.js';
import { NvmeStatusError } from '../spec/status.js';
import { BlockTagger } from './block-tags.js';
import { LatencyStats, type LatencyStatsSnapshot } from './latency-stats.js';
import { ioErrorLine, RateLimitedLog } from './perf-text-report.js';
import { IoDescriptor, WorkloadGenerator, type WorkloadConfig } from './workload.js';

/** What a context submits to: the driver's QueuePair, or a test double. */
export interface PerfQpair {
  read(nsid: number, lba: number, nlb: number, buf: Buffer, cb: IoCallback): void;
  write(nsid: number, lba: number, nlb: number, buf: Buffer, cb: IoCallback, flags?: number): void;
  /** Dataset Management (deallocate) with ranges already encoded, 16 bytes each; nvme-fio's trims need it. */
  dsm?(nsid: number, ranges: Buffer, cb: IoCallback): void;
  /** Reaps up to `max` completions (0 = no limit) on polled transports; event-driven ones return 0. */
  processCompletions(max: number): number;
}

/** Everything a context needs to know; plain data, so the main thread can build it and post it. */
export interface NsContextConfig {
  /** Namespace name as SPDK prints it (`TCP (addr:... subnqn:...) NSID 1`). */
  name: string;
  lcore: number;
  nsid: number;
  /** `-q`: tasks in flight. */
  ioDepth: number;
  ioSizeBytes: number;
  /** Bytes per logical block in the data buffer. */
  blockSize: number;
  /** Offsets, read/write mix, verify tracking. */
  workload: WorkloadConfig;
  /** Submissions after which the context drains (`-d`); 0 = no limit. */
  numberIos: number;
  /** CDW12 flags for writes (`--fua`). */
  writeFlags: number;
  /** The run tag stamped into blocks with `--verify`; null without it. */
  verifyRunTag: number | null;
  /** `-Q`: I/O errors (and verify mismatches) are counted and logged, not fatal. */
  continueOnError: boolean;
  /** `-Q N`: log one error in N. */
  errorLogInterval: number;
}

/** How a context talks to its worker. */
export interface NsContextHooks {
  /** A line for stderr (I/O errors, verify mismatches). */
  log(line: string): void;
  /** An error that ends the run; called once per context. */
  fatal(message: string): void;
  /** The context drained: nothing is in flight and nothing more will be submitted. Called once. */
  idle(): void;
}

/** Where a context counts its completions for the live line: `counts[slot]` only ever grows. */
export interface ProgressCounter {
  counts: Float64Array;
  slot: number;
}

/** A `--verify` failure as reported to the main thread. */
export interface ContextMismatch {
  lba: number;
  message: string;
}

/** What a context hands back at the end: structured-clone safe. */
export interface NsContextReport {
  name: string;
  lcore: number;
  stats: LatencyStatsSnapshot;
  /** Reads whose data was checked against tags (`--verify`). */
  readsChecked: number;
  /** How many checked reads were wrong. */
  mismatchCount: number;
  /** The first few of them. */
  mismatches: ContextMismatch[];
}

/** Mismatches kept per context for the report; later ones are only counted. */
const MISMATCHES_KEPT = 16;
const NS_PER_MS = 1e6;

class PerfTask {
  readonly io = new IoDescriptor();
  /** performance.now() at submission. */
  startMs = 0;
  /** Made once: the queue pair calls it for every I/O of this task. */
  readonly done: IoCallback;

  constructor(
    ctx: NsWorkerContext,
    readonly buf: Buffer,
  ) {
    this.done = (err) => ctx.complete(this, err);
  }
}

export class NsWorkerContext {
  readonly name: string;
  readonly lcore: number;
  /** Statistics since the start, or since the end of warm-up. */
  readonly stats = new LatencyStats();

  private readonly nsid: number;
  private readonly ioSizeBytes: number;
  private readonly writeFlags: number;
  private readonly numberIos: number;
  private readonly continueOnError: boolean;
  private readonly qpairs: readonly PerfQpair[];
  private readonly generator: WorkloadGenerator;
  private readonly tagger: BlockTagger | null;
  private readonly tasks: PerfTask[];
  /** Tasks waiting for a free slot (`--verify` on a range smaller than the queue depth). */
  private readonly parked: PerfTask[] = [];
  private readonly readErrors: RateLimitedLog;
  private readonly writeErrors: RateLimitedLog;
  private readonly verifyErrors: RateLimitedLog;
  private readonly mismatches: ContextMismatch[] = [];
  private mismatchCount = 0;
  private readsChecked = 0;
  /** I/Os submitted since the start (warm-up included: `-d` counts them all). */
  private submitted = 0;
  private readonly hooks: NsContextHooks;
  private readonly progress: Float64Array;
  private readonly progressSlot: number;
  private rr = 0;
  private inFlight = 0;
  private draining = false;
  private idleReported = false;
  private fatalReported = false;

  /**
   * @param qpairs the queue pairs I/O goes to, round-robin (`-P` of them; idle `-U` ones stay out)
   */
  constructor(config: NsContextConfig, qpairs: readonly PerfQpair[], hooks: NsContextHooks, progress?: ProgressCounter) {
    if (qpairs.length === 0) throw new RangeError(`${config.name}: a context needs at least one queue pair`);
    this.name = config.name;
    this.lcore = config.lcore;
    this.nsid = config.nsid;
    this.ioSizeBytes = config.ioSizeBytes;
    this.writeFlags = config.writeFlags;
    this.numberIos = config.numberIos;
    this.continueOnError = config.continueOnError;
    this.qpairs = qpairs;
    this.hooks = hooks;
    this.progress = progress?.counts ?? new Float64Array(1);
    this.progressSlot = progress?.slot ?? 0;
    this.generator = new WorkloadGenerator(config.workload);
    this.tagger = config.verifyRunTag === null ? null : new BlockTagger(config.blockSize, config.verifyRunTag);
    this.readErrors = new RateLimitedLog(config.errorLogInterval);
    this.writeErrors = new RateLimitedLog(config.errorLogInterval);
    this.verifyErrors = new RateLimitedLog(config.errorLogInterval);
    const bufferBytes = config.workload.ioSizeBlocks * config.blockSize;
    // SPDK fills each task's buffer with a byte that differs per task (queue_depth % 8 + 1).
    this.tasks = Array.from({ length: config.ioDepth }, (_, i) => new PerfTask(this, Buffer.alloc(bufferBytes, (i % 8) + 1)));
  }

  /** Submits the first `-q` I/Os. */
  start(): void {
    const now = performance.now();
    for (const task of this.tasks) {
      if (this.draining) break;
      this.submit(task, now);
    }
  }

  /** Stops submitting; `hooks.idle` follows once the I/O in flight completed. */
  drain(): void {
    this.draining = true;
    this.parked.length = 0;
    this.checkIdle();
  }

  /** Forgets the statistics so far (the end of warm-up). */
  resetStats(): void {
    this.stats.reset();
  }

  /** Gives every queue pair a chance to reap completions (polled transports). */
  poll(maxCompletions: number): number {
    let n = 0;
    for (let i = 0; i < this.qpairs.length; i++) n += this.qpairs[i]!.processCompletions(maxCompletions);
    return n;
  }

  report(): NsContextReport {
    return {
      name: this.name,
      lcore: this.lcore,
      stats: this.stats.snapshot(),
      readsChecked: this.readsChecked,
      mismatchCount: this.mismatchCount,
      mismatches: this.mismatches,
    };
  }

  /** @internal a task's completion callback */
  complete(task: PerfTask, err: Error | null): void {
    const now = performance.now();
    this.inFlight--;
    this.stats.record((now - task.startMs) * NS_PER_MS, this.ioSizeBytes);
    this.progress[this.progressSlot]++;
    const io = task.io;
    if (err !== null) this.failed(io.isRead, err);
    else if (io.isRead && this.tagger !== null) this.check(task);
    this.generator.complete(io, err === null);
    if (this.draining) {
      this.checkIdle();
      return;
    }
    this.submit(task, now);
    if (this.parked.length > 0) this.resubmitParked(now);
  }

  private submit(task: PerfTask, now: number): void {
    const io = task.io;
    if (!this.generator.next(io)) {
      this.parked.push(task);
      return;
    }
    const qp = this.qpairs[this.rr]!;
    if (++this.rr === this.qpairs.length) this.rr = 0;
    this.inFlight++;
    if (++this.submitted === this.numberIos) this.draining = true;
    if (io.isRead) {
      task.startMs = now;
      qp.read(this.nsid, io.lba, io.nlb, task.buf, task.done);
    } else if (this.tagger === null) {
      task.startMs = now;
      qp.write(this.nsid, io.lba, io.nlb, task.buf, task.done, this.writeFlags);
    } else {
      this.tagger.stampWrite(task.buf, io.lba, io.nlb, io.generation);
      task.startMs = performance.now();
      qp.write(this.nsid, io.lba, io.nlb, task.buf, task.done, this.writeFlags);
    }
  }

  private resubmitParked(now: number): void {
    while (this.parked.length > 0 && !this.draining) {
      const task = this.parked.pop()!;
      this.submit(task, now);
      if (this.parked[this.parked.length - 1] === task) return;
    }
  }

  private checkIdle(): void {
    if (this.inFlight > 0 || this.idleReported) return;
    this.idleReported = true;
    this.hooks.idle();
  }

  /**
   * An I/O failed. A status or a timeout is the command's own failure: logged
   * as SPDK logs it, and fatal unless `-Q`. Anything else means the queue pair
   * died, which no `-Q` can continue past.
   */
  private failed(isRead: boolean, err: Error): void {
    this.stats.recordError();
    if (err instanceof NvmeStatusError || err instanceof CommandTimeoutError) {
      const log = isRead ? this.readErrors : this.writeErrors;
      const line = log.line(err instanceof NvmeStatusError ? ioErrorLine(isRead, err.sct, err.sc) : err.message);
      if (line !== null) this.hooks.log(line);
      if (!this.continueOnError) this.fail(`I/O error on ${this.name} from core ${this.lcore}: ${err.message} (-Q continues past I/O errors)`);
      return;
    }
    this.fail(`queue pair to ${this.name} from core ${this.lcore} failed: ${err.message}`);
  }

  private check(task: PerfTask): void {
    const io = task.io;
    if (io.generation === 0) return;
    this.readsChecked++;
    const m = this.tagger!.checkRead(task.buf, io.lba, io.nlb, io.generation);
    if (m === null) return;
    this.mismatchCount++;
    if (this.mismatches.length < MISMATCHES_KEPT) this.mismatches.push({ lba: m.lba, message: m.message });
    const where = `${m.message} (${this.name} from core ${this.lcore}, read of LBA ${io.lba} len ${io.nlb})`;
    const line = this.verifyErrors.line(where);
    if (line !== null) this.hooks.log(line);
    if (!this.continueOnError) this.fail(where);
  }

  private fail(message: string): void {
    if (!this.fatalReported) {
      this.fatalReported = true;
      this.hooks.fatal(message);
    }
    this.drain();
  }
}
