/**
 * nvme-perf's engine on the main thread, SPDK perf's `main`: attach the
 * controllers (every subsystem a discovery controller lists, when `-r` points
 * at one), plan the (namespace, worker) contexts, start one worker thread per
 * core of `-c`, release them together once all have opened their queue pairs,
 * show the live line, merge what they report, print, and detach.
 *
 * Every core's I/O runs in a worker thread; the main thread is SPDK's admin
 * poller (`nvme_poll_ctrlrs`, unpinned too): it keeps the admin queues alive
 * (keep-alive, asynchronous events) and never waits behind a burst of I/O
 * completions, and every row of the report comes from the same code path.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { connectAll, parseTransportId, type Controller, type ControllerOptions } from '../index.js';
import { resolveOptions } from '../nvme-driver/options.js';
import type { ErrorContext } from '../cli/error-messages.js';
import { currentAffinity, type PinOutcome } from '../native/libc.js';
import { assertReportWritable, writeHtmlReport } from '../report/html/report-file.js';
import { perfReportData } from '../report/html/perf-report-data.js';
import { NVMEKIT_VERSION } from '../version.js';
import { LatencyStats } from './latency-stats.js';
import { loopbackTargetCore, startLoopbackTarget, type LoopbackTarget } from './loopback-target.js';
import type { NsContextConfig, NsContextReport } from './ns-worker-context.js';
import type { PerfWorkerInit } from './perf-messages.js';
import { formatPerfJson } from './perf-json-report.js';
import type { PerfOptions } from './perf-options.js';
import { buildPerfPlan, type AttachedController, type PerfPlan } from './perf-plan.js';
import { PerfProgress } from './perf-progress.js';
import { buildPerfResult, runtimeVersions, type PerfResult, type PerfVerifySummary } from './perf-result.js';
import { associatingLines, attachedLine, formatPerfResults, INITIALIZING_LINE, LAUNCHING_LINE } from './perf-text-report.js';
import { PROGRESS_CELLS, workerPolling } from './perf-worker-run.js';
import { randomSeed } from './prng.js';
import { perfControllerName } from './perf-names.js';
import { launchWorker, type LaunchedWorker, type WorkerDone } from './worker-launch.js';

/** Where the engine writes: the text report and live line to stdout, notes and errors to stderr. */
export interface PerfIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
}

export interface PerfOutcome {
  result: PerfResult;
  /** What ended the run early: an I/O error without `-Q`, a verify mismatch, a lost controller; null otherwise. */
  failure: string | null;
}

type DoneMessage = WorkerDone<NsContextReport>;

/** A launched worker and whether it polls (else its event loop sleeps between completions). */
type PerfWorker = LaunchedWorker<NsContextReport> & { polls: boolean };

/** The script each worker thread runs. */
const PERF_WORKER_SCRIPT = new URL('./perf-worker.js', import.meta.url);

/** `-T` components that turn on the command trace. */
const TRACE_FLAGS = new Set(['nvme', 'all']);

/** Controller options from perf's flags (`-k`, `-H`, `-I`, `--io-queue-size`, `-T nvme`). */
function controllerOptions(opts: PerfOptions, trace: ((line: string) => void) | undefined): ControllerOptions {
  return {
    keepAliveTimeoutMs: opts.keepAliveMs,
    headerDigest: opts.headerDigest,
    dataDigest: opts.dataDigest,
    // The controller caps it at CAP.MQES + 1, as SPDK's driver does with its UINT16_MAX default.
    ioQueueSize: Math.min(opts.ioQueueSize, 65536),
    // -E: PCIe queue pairs (those of workers too) complete through MSI-X instead of being polled.
    enableInterrupts: opts.enableInterrupt,
    trace,
  };
}

/** Attaches every `-r` in order; `ctx` says what was being reached if it fails. */
async function attachAll(
  transports: readonly string[],
  copts: ControllerOptions,
  ctx: ErrorContext,
  attached: (c: Controller) => void,
): Promise<AttachedController[]> {
  const out: AttachedController[] = [];
  for (const text of transports) {
    const trid = parseTransportId(text);
    ctx.trid = trid;
    ctx.hostnqn = resolveOptions(trid, copts).hostnqn;
    ctx.connected = false;
    for (const ctrlr of await connectAll(trid, { ...copts, hostnqn: ctx.hostnqn })) {
      attached(ctrlr);
      out.push({ ctrlr, ns: trid.ns });
    }
    ctx.connected = true;
  }
  return out;
}

/** One warning for every thread that could not be pinned. */
function pinWarning(outcomes: readonly (PinOutcome | null)[]): string | null {
  const reasons = new Set<string>();
  for (const o of outcomes) if (o && !o.pinned) reasons.add(o.reason);
  return reasons.size === 0 ? null : `warning: running unpinned (${[...reasons].join('; ')}); numbers may vary with the scheduler`;
}

function verifySummary(reports: DoneMessage['reports']): PerfVerifySummary {
  return {
    readsChecked: reports.reduce((s, r) => s + r.readsChecked, 0),
    mismatchCount: reports.reduce((s, r) => s + r.mismatchCount, 0),
    mismatches: reports.flatMap((r) => r.mismatches.map((m) => ({ name: r.name, lcore: r.lcore, lba: m.lba, message: m.message }))),
  };
}

/** Everything a run holds, released by `close()` whatever happened. */
class PerfSession {
  readonly controllers: Controller[] = [];
  readonly workers: PerfWorker[] = [];
  target: LoopbackTarget | null = null;
  /** The workers' progress cells (completions, busy and idle ms per worker), shared memory. */
  progressCells: Float64Array<ArrayBufferLike> = new Float64Array(0);
  /** The first error that ended the run early. */
  failure: string | null = null;

  /** Ends every worker's run: with a reason when something failed, with none for a signal. */
  readonly stop = (reason: string | null): void => {
    if (reason !== null) this.failure ??= reason;
    for (const w of this.workers) w.worker.postMessage({ type: 'stop' });
  };

  private readonly onSignal = (): void => this.stop(null);

  /**
   * Starts a worker per core of the plan and waits until each has opened its
   * queue pairs (SPDK's barrier).
   * @param mayPoll false with -E, or when polling would starve a loopback target on the same cores
   */
  async launch(
    plan: PerfPlan,
    options: PerfOptions,
    mayPoll: boolean,
    trace: boolean,
    log: (line: string) => void,
  ): Promise<PinOutcome[]> {
    const progress = new SharedArrayBuffer(plan.workers.length * PROGRESS_CELLS * Float64Array.BYTES_PER_ELEMENT);
    this.progressCells = new Float64Array(progress);
    plan.workers.forEach((w, i) => {
      const mustPoll = w.contexts.some((c) => c.descriptors.some((d) => d.shared !== undefined && !d.shared.interrupts));
      const polling = workerPolling(w.contexts.length * options.ioDepth, mayPoll, options.maxCompletionsPerPoll, mustPoll);
      const init: PerfWorkerInit = {
        lcore: w.lcore,
        contexts: w.contexts,
        timing: { warmupSec: options.warmupSec, timeSec: options.timeSec },
        polling,
        trace,
        progress,
        progressBase: i * PROGRESS_CELLS,
        monitorBusy: options.cpuUsage && polling.enabled,
      };
      const launched = launchWorker<NsContextConfig, NsContextReport>(PERF_WORKER_SCRIPT, init, log, (message) => this.stop(message));
      this.workers.push({ ...launched, polls: polling.enabled });
    });
    const ready = await Promise.allSettled(this.workers.map((w) => w.ready));
    const notReady = ready.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (notReady) {
      this.stop(null);
      throw notReady.reason;
    }
    return ready.map((r) => (r as PromiseFulfilledResult<PinOutcome>).value);
  }

  /** Releases the workers together and waits for their reports, the live line running meanwhile. */
  async run(progress: PerfProgress): Promise<DoneMessage[]> {
    process.on('SIGINT', this.onSignal).on('SIGTERM', this.onSignal);
    for (const w of this.workers) w.worker.postMessage({ type: 'start' });
    progress.start();
    try {
      const reports = await Promise.all(this.workers.map((w) => w.done));
      this.failure ??= reports.find((r) => r.failure !== null)?.failure ?? null;
      return reports;
    } finally {
      progress.stop();
      process.off('SIGINT', this.onSignal).off('SIGTERM', this.onSignal);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    await Promise.all(this.controllers.map((c) => c.detach()));
    await this.target?.stop();
  }
}

/**
 * Runs nvme-perf with checked options: prints SPDK's start-up lines as it
 * goes, the live line on a TTY, then the report (and `--json`). Controllers,
 * workers and the loopback target are released whatever happens.
 *
 * @param ctx filled in while connecting, for the CLI's one-line error message
 * @throws ConfigError for a namespace the flags do not fit; the driver's errors when a controller cannot be attached;
 *   Error when a worker cannot open its queue pairs
 */
export async function runPerf(options: PerfOptions, io: PerfIo, ctx: ErrorContext = { connected: false }): Promise<PerfOutcome> {
  const seed = options.seed ?? randomSeed();
  const text = options.json !== '-';
  const out = (line: string): void => void (text && io.stdout.write(`${line}\n`));
  const note = (line: string): void => void io.stderr.write(`nvme-perf: ${line}\n`);
  const log = (line: string): void => void io.stderr.write(`${line}\n`);
  const trace = options.logFlags.some((f) => TRACE_FLAGS.has(f)) ? log : undefined;
  if (options.report !== null) assertReportWritable(options.report, '--report');
  const session = new PerfSession();
  try {
    let transports = options.transports;
    let mayPoll = !options.enableInterrupt;
    if (options.loopback) {
      const core = loopbackTargetCore(options.cores, currentAffinity() ?? cpus().map((_, i) => i));
      session.target = await startLoopbackTarget(core);
      // Polling workers would starve a target that has no core of its own: they wait instead, as with -E.
      if (core === null) mayPoll = false;
      const where = core === null ? "the workers' cores (no core left for it; workers wait for completions instead of polling)" : `core ${core}`;
      note(`loopback target ${session.target.trid} on ${where}`);
      transports = [session.target.trid];
    }

    out(INITIALIZING_LINE);
    const attached = await attachAll(transports, controllerOptions(options, trace), ctx, (ctrlr) => {
      session.controllers.push(ctrlr);
      ctrlr.on('error', (err: Error) => session.stop(`lost the admin queue of ${perfControllerName(ctrlr.trid)}: ${err.message}`));
      out(attachedLine({ name: perfControllerName(ctrlr.trid), fabrics: ctrlr.trid.trtype !== 'PCIe' }));
    });
    const plan = buildPerfPlan(attached, options, seed);
    plan.warnings.forEach(out);
    plan.associations.flatMap(associatingLines).forEach(out);
    out(LAUNCHING_LINE);

    const pins = await session.launch(plan, options, mayPoll, trace !== undefined, log);
    const warning = pinWarning([session.target?.pin ?? null, ...pins]);
    if (warning !== null) note(warning);
    // Always sampled (the timeline); printed as the live line only on a terminal.
    const live = io.stdout.isTTY === true && text;
    const progress = new PerfProgress(session.progressCells, session.workers, options, live ? (t) => void io.stdout.write(t) : null);
    const startTime = new Date();
    const reports = await session.run(progress);

    const contexts = reports.flatMap((r) => r.reports);
    const result = buildPerfResult({
      settings: { ...options, transports, seed },
      startTime,
      versions: runtimeVersions(NVMEKIT_VERSION),
      // SPDK reports the main core's time: the first core of -c.
      elapsedUs: reports[0]!.elapsedUs,
      controllers: plan.controllers,
      associations: plan.associations,
      warnings: plan.warnings,
      contexts: contexts.map((c) => ({ name: c.name, lcore: c.lcore, stats: LatencyStats.fromSnapshot(c.stats) })),
      verify: options.verify ? verifySummary(contexts) : null,
      timeline: progress.timeline(),
    });
    if (options.transportStats) note('--transport-stats: the TCP transport exposes no counters yet (polls, socket reads and writes); nothing to print');
    if (text) io.stdout.write(formatPerfResults(result));
    if (options.json === '-') io.stdout.write(formatPerfJson(result));
    else if (options.json !== null) writeFileSync(options.json, formatPerfJson(result));
    if (options.report !== null) writeHtmlReport(options.report, perfReportData(result));
    // With -Q the run goes on past bad data, but the exit status still says it was found.
    const mismatched = result.verify?.mismatchCount ?? 0;
    if (mismatched > 0) session.failure ??= `--verify: ${mismatched} read(s) returned wrong data; the first: ${result.verify!.mismatches[0]!.message}`;
    return { result, failure: session.failure };
  } finally {
    await session.close();
  }
}
