/**
 * One worker's run, SPDK perf's `work_fn`: start every context, reset the
 * statistics when warm-up ends, stop submitting when the time is up (or the
 * run is stopped, or an error ends it), wait until every context drained, and
 * report. A context that reaches its `-d` count drains on its own; the worker
 * ends early once all have.
 *
 * A polling worker works as SPDK's reactor does: its event loop never sleeps,
 * so a completion is picked up without a thread wake-up, and polled
 * transports get `processCompletions(-C)` each turn (see {@link workerPolling}
 * for when a worker polls).
 *
 * The contexts are perf's {@link NsWorkerContext} by default; nvme-fio runs
 * its job clones through the same loop with its own context factory and no
 * worker-wide timing (each clone keeps its own start delay, ramp and runtime).
 */
import { performance } from 'node:perf_hooks';
import {
  NsWorkerContext,
  type NsContextConfig,
  type NsContextHooks,
  type NsContextReport,
  type PerfQpair,
  type ProgressCounter,
} from './ns-worker-context.js';

/** `-a` and `-t`. */
export interface WorkerTiming {
  warmupSec: number;
  timeSec: number;
}

/** How the worker waits for completions. */
export interface WorkerPolling {
  /** Keep the event loop spinning. */
  enabled: boolean;
  /** `-C`: completions per poll per queue pair, 0 = no limit. */
  maxCompletions: number;
}

/**
 * Workers poll while at most this many I/Os are in flight on them, and wait
 * for completions above it. Polling pays when each completion would otherwise
 * wait for a thread wake-up; with many in flight the event loop seldom sleeps
 * anyway, and spinning only splits socket reads and writes into smaller
 * batches, which costs the other end syscalls. On the 2-core reference machine
 * against the loopback target, polling won up to QD 16 (248 K against 157 K
 * IOPS at QD 16) and lost from QD 32 (273 K against 317 K).
 */
export const POLL_MAX_IN_FLIGHT = 16;

/**
 * How a worker with `inFlight` I/Os (its contexts times `-q`) waits.
 * @param mayPoll false with `-E`, or when polling would starve a loopback target sharing the cores
 * @param mustPoll the worker has queue pairs that complete only when polled (PCIe queues shared with
 *   a worker have no interrupt of their own), so the choice above does not apply
 */
export function workerPolling(inFlight: number, mayPoll: boolean, maxCompletions: number, mustPoll = false): WorkerPolling {
  return { enabled: mustPoll || (mayPoll && inFlight <= POLL_MAX_IN_FLIGHT), maxCompletions };
}

/**
 * The worker's cells in the shared progress array: completions (all its
 * contexts), then busy and idle milliseconds of polling (`-m`).
 */
export interface WorkerProgress {
  counts: Float64Array;
  /** Index of the completions cell; busy and idle follow it. */
  base: number;
  /** Account busy and idle polling time. */
  monitorBusy: boolean;
}

/** Cells per worker in the progress array. */
export const PROGRESS_CELLS = 3;

export interface WorkerRunHooks {
  /** A line for stderr. */
  log(line: string): void;
  /** The first error that ends this worker's run, as it happens (so other workers can be stopped). */
  fatal(message: string): void;
}

export interface WorkerRunResult<R = NsContextReport> {
  /** Measured time: from the start (or the end of warm-up) to the moment submission stopped. */
  elapsedUs: number;
  /** The error that ended the run early, or null. */
  failure: string | null;
  reports: R[];
}

/** One context's settings and the queue pairs it submits to. */
export interface ContextSetup<C = NsContextConfig> {
  config: C;
  qpairs: readonly PerfQpair[];
}

/** What the run drives: perf's {@link NsWorkerContext}, or another closed loop with the same life cycle. */
export interface WorkerContext<R> {
  /** Submits the first I/Os (or arms its own start). */
  start(): void;
  /** Stops submitting; the context calls `hooks.idle` once nothing is in flight. */
  drain(): void;
  /** Forgets the statistics so far (the end of the worker-wide warm-up). */
  resetStats(): void;
  /** Reaps completions on polled queue pairs. */
  poll(maxCompletions: number): number;
  report(): R;
}

/** Builds one context of a worker. */
export type ContextFactory<C, R> = (config: C, qpairs: readonly PerfQpair[], hooks: NsContextHooks, progress: ProgressCounter) => WorkerContext<R>;

/** nvme-perf's contexts. */
export const nsContextFactory: ContextFactory<NsContextConfig, NsContextReport> = (config, qpairs, hooks, progress) =>
  new NsWorkerContext(config, qpairs, hooks, progress);

export class PerfWorkerRun<C = NsContextConfig, R = NsContextReport> {
  readonly contexts: WorkerContext<R>[];
  /** null: the contexts end on their own (nvme-fio's per-job runtime). */
  private readonly timing: WorkerTiming | null;
  private readonly polling: WorkerPolling;
  private readonly hooks: WorkerRunHooks;
  private readonly progress: WorkerProgress;
  private timer: NodeJS.Timeout | undefined;
  private startMs = 0;
  private endMs: number | null = null;
  private idleCount = 0;
  private failure: string | null = null;
  private finished = false;
  private resolve: ((r: WorkerRunResult<R>) => void) | null = null;
  private lastPollMs = 0;
  private lastCompleted = 0;

  /** @param factory builds each context; nvme-perf's {@link NsWorkerContext} when absent (then `C` and `R` are perf's) */
  constructor(
    setups: readonly ContextSetup<C>[],
    timing: WorkerTiming | null,
    polling: WorkerPolling,
    hooks: WorkerRunHooks,
    progress?: WorkerProgress,
    factory?: ContextFactory<C, R>,
  ) {
    this.timing = timing;
    this.polling = polling;
    this.hooks = hooks;
    this.progress = progress ?? { counts: new Float64Array(PROGRESS_CELLS), base: 0, monitorBusy: false };
    const contextHooks = { log: hooks.log, fatal: (m: string) => this.onFatal(m), idle: () => this.onIdle() };
    const counter = { counts: this.progress.counts, slot: this.progress.base };
    const make = factory ?? (nsContextFactory as unknown as ContextFactory<C, R>);
    this.contexts = setups.map((s) => make(s.config, s.qpairs, contextHooks, counter));
  }

  /** Runs to the end; resolves once every context drained. */
  run(): Promise<WorkerRunResult<R>> {
    return new Promise((resolve) => {
      this.resolve = resolve;
      this.startMs = performance.now();
      this.lastPollMs = this.startMs;
      if (this.timing !== null) {
        const { warmupSec, timeSec } = this.timing;
        this.timer = setTimeout(warmupSec > 0 ? this.endWarmup : this.end, (warmupSec > 0 ? warmupSec : timeSec) * 1000);
      }
      for (const ctx of this.contexts) ctx.start();
      if (this.polling.enabled && !this.finished) setImmediate(this.poll);
    });
  }

  /** Ends the measurement now (a signal, or another worker failed). */
  stop(): void {
    this.end();
  }

  private readonly endWarmup = (): void => {
    for (const ctx of this.contexts) ctx.resetStats();
    this.startMs = performance.now();
    this.timer = setTimeout(this.end, this.timing!.timeSec * 1000);
  };

  private readonly end = (): void => {
    if (this.endMs !== null) return;
    this.endMs = performance.now();
    clearTimeout(this.timer);
    for (const ctx of this.contexts) ctx.drain();
  };

  private onFatal(message: string): void {
    if (this.failure === null) {
      this.failure = message;
      this.hooks.fatal(message);
    }
    this.end();
  }

  private onIdle(): void {
    if (++this.idleCount < this.contexts.length) return;
    // Without an end first, every context stopped at its -d count: the measurement ends now.
    this.endMs ??= performance.now();
    clearTimeout(this.timer);
    this.finished = true;
    const resolve = this.resolve!;
    resolve({
      elapsedUs: (this.endMs - this.startMs) * 1000,
      failure: this.failure,
      reports: this.contexts.map((c) => c.report()),
    });
  }

  private readonly poll = (): void => {
    if (this.finished) return;
    let reaped = 0;
    for (let i = 0; i < this.contexts.length; i++) reaped += this.contexts[i]!.poll(this.polling.maxCompletions);
    const p = this.progress;
    if (p.monitorBusy) {
      // SPDK's busy/idle split: a poll that found completions was busy time.
      const now = performance.now();
      const completed = p.counts[p.base]!;
      p.counts[p.base + (reaped > 0 || completed !== this.lastCompleted ? 1 : 2)] += now - this.lastPollMs;
      this.lastCompleted = completed;
      this.lastPollMs = now;
    }
    setImmediate(this.poll);
  };
}
