/**
 * nvme-fio's engine on the main thread, nvme-perf's engine shape for fio jobs:
 * start the bundled target if a job asks for `filename=loopback`, attach each
 * controller once, then run the jobs phase by phase (a `stonewall` job waits
 * for all before it). In a phase every job clone (`numjobs`) gets its own queue
 * pair and runs as a context in nvme-perf's worker threads, the clones spread
 * over the cores; the workers are released together, and their reports become
 * {@link FioJobRaw}s. Controllers, workers and the target are released
 * whatever happens.
 */
import { cpus } from 'node:os';
import { connect, type Controller, type ControllerOptions } from '../index.js';
import { formatTransportId, parseTransportId, type TransportId } from '../nvme-driver/transport-id.js';
import type { QpairDescriptor } from '../nvme-driver/descriptor.js';
import { currentAffinity } from '../native/libc.js';
import { ConfigError } from '../spec/errors.js';
import { startLoopbackTarget, type LoopbackTarget } from '../bench/loopback-target.js';
import type { NsContextPlan, PerfWorkerInit } from '../bench/perf-messages.js';
import { PROGRESS_CELLS, workerPolling } from '../bench/perf-worker-run.js';
import { launchWorker, type LaunchedWorker } from '../bench/worker-launch.js';
import type { FioJob, FioJobFile } from './fio-job.js';
import type { FioJobRaw, FioRunRaw } from './fio-stats.js';
import { planClones, scheduleJobs, type FioNamespace } from './fio-engine-plan.js';
import type { FioCloneConfig, FioCloneReport } from './fio-worker-context.js';
import { jobError } from './job-errors.js';

/** Where the engine writes: notes and worker messages go to stderr; the report is the caller's. */
export interface FioOutput {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
}

export interface RunFioOptions {
  /** Aborting ends the run as fio's Ctrl-C does: the jobs stop, and what they measured is returned. */
  signal?: AbortSignal;
  /** Print every command and completion (SPDK's trace format) to stderr. */
  trace?: boolean;
  /** Cores the workers may use; default: the ones this process may run on. */
  cores?: readonly number[];
}

/** A clone's plan together with the job it came from. */
interface PlannedClone {
  jobIndex: number;
  config: FioCloneConfig;
  ctrlr: Controller;
  desc: QpairDescriptor;
}

/** The controller key of a transport ID: everything but the namespace. */
function controllerKey(trid: TransportId): string {
  const { ns: _ns, ...rest } = trid;
  return formatTransportId(rest);
}

/** Everything a run holds, released by `close()` whatever happened. */
class FioSession {
  /** Attached controllers by {@link controllerKey}: each once per run, however many jobs use it. */
  readonly controllers = new Map<string, Controller>();
  target: LoopbackTarget | null = null;
  workers: LaunchedWorker<FioCloneReport>[] = [];
  stopped = false;

  constructor(
    private readonly io: FioOutput,
    private readonly trace: ((line: string) => void) | undefined,
  ) {}

  readonly stop = (): void => {
    this.stopped = true;
    for (const w of this.workers) w.worker.postMessage({ type: 'stop' });
  };

  /** The transport ID a job's I/O goes to (the loopback target started on first use). */
  async tridOf(job: FioJob, targetCore: number | null): Promise<TransportId> {
    if (job.target.kind === 'trid') return job.target.trid;
    if (this.target === null) {
      this.target = await startLoopbackTarget(targetCore);
      const where = targetCore === null ? "the workers' cores" : `core ${targetCore}`;
      this.io.stderr.write(`nvme-fio: loopback target ${this.target.trid} on ${where}\n`);
    }
    return parseTransportId(this.target.trid);
  }

  async controller(trid: TransportId): Promise<Controller> {
    const key = controllerKey(trid);
    const known = this.controllers.get(key);
    if (known) return known;
    const options: ControllerOptions = { trace: this.trace };
    const ctrlr = await connect(parseTransportId(key), options);
    this.controllers.set(key, ctrlr);
    // A lost admin queue means the controller is gone: the jobs end with what they measured.
    ctrlr.on('error', (err: Error) => {
      this.io.stderr.write(`nvme-fio: lost the admin queue of ${key}: ${err.message}\n`);
      this.stop();
    });
    return ctrlr;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    await Promise.all([...this.controllers.values()].map((c) => c.detach()));
    await this.target?.stop();
  }
}

/** The namespace of `trid` (`ns=`, default 1) on `ctrlr`. */
function namespaceOf(job: FioJob, ctrlr: Controller, trid: TransportId): FioNamespace {
  const nsid = trid.ns ?? 1;
  const ns = ctrlr.getNamespace(nsid);
  if (ns === undefined) {
    throw jobError(job.source, `job '${job.name}': namespace ${nsid} does not exist on ${formatTransportId(ctrlr.trid)}`, 'filename');
  }
  return { nsid, lbaBytes: ns.blockBytes, numLbas: ns.numLbas };
}

/** Spreads a phase's clones over the cores, round-robin: one worker per core used, each clone told its core and its thread's share. */
function spread(clones: readonly PlannedClone[], cores: readonly number[]): { lcore: number; clones: PlannedClone[] }[] {
  const workers = cores.slice(0, Math.max(1, Math.min(cores.length, clones.length))).map((lcore) => ({ lcore, clones: [] as PlannedClone[] }));
  clones.forEach((c, i) => workers[i % workers.length]!.clones.push(c));
  return workers.map((w) => ({ lcore: w.lcore, clones: w.clones.map((c) => ({ ...c, config: { ...c.config, lcore: w.lcore, threadShare: w.clones.length } })) }));
}

/**
 * Runs a parsed job file. Job errors (I/O errors, verify mismatches) are in
 * each {@link FioJobRaw}'s `error`; this rejects only when the run cannot go on.
 *
 * @throws ConfigError when a job does not fit its namespace; the driver's errors when a controller cannot be attached;
 *   Error when a worker cannot open its queue pairs
 */
export async function runFio(file: FioJobFile, io: FioOutput, opts: RunFioOptions = {}): Promise<FioRunRaw> {
  if (file.jobs.length === 0) throw new ConfigError('name', 'no jobs to run: give a job file or --name=... options');
  const trace = opts.trace ? (line: string): void => void io.stderr.write(`${line}\n`) : undefined;
  const session = new FioSession(io, trace);
  const usable = [...(opts.cores ?? currentAffinity() ?? cpus().map((_, i) => i))];
  const needsTarget = file.jobs.some((j) => j.target.kind === 'loopback');
  // The loopback target takes the last core when there are two or more, as nvme-perf --loopback does.
  const targetCore = needsTarget && usable.length > 1 ? usable.pop()! : null;
  const mayPoll = !(needsTarget && targetCore === null);
  const onAbort = (): void => session.stop();
  opts.signal?.addEventListener('abort', onAbort);
  if (opts.signal?.aborted) session.stop();
  const startedAt = Date.now();
  const raws: FioJobRaw[] = [];
  try {
    const schedule = scheduleJobs(file.jobs);
    // Every job is checked against its namespace before any runs: a late phase must not fail on its settings.
    const plans: { ctrlr: Controller; configs: FioCloneConfig[] }[] = [];
    for (const [jobIndex, job] of file.jobs.entries()) {
      const trid = await session.tridOf(job, targetCore);
      const ctrlr = await session.controller(trid);
      plans.push({ ctrlr, configs: planClones(job, jobIndex, namespaceOf(job, ctrlr, trid)) });
    }
    for (const phase of schedule.phases) {
      if (session.stopped) break;
      const clones = phase.flatMap((jobIndex) => {
        const { ctrlr, configs } = plans[jobIndex]!;
        return configs.map((config): PlannedClone => ({ jobIndex, config, ctrlr, desc: ctrlr.allocQpairDescriptor() }));
      });
      try {
        const reports = await runPhase(session, clones, usable, mayPoll, opts.trace === true, io);
        // Empty when the run was stopped before this phase started.
        reports.forEach((report, i) => {
          const c = clones[i]!;
          raws.push({ job: file.jobs[c.jobIndex]!, groupId: schedule.groupIds[c.jobIndex]!, ...report });
        });
      } finally {
        for (const c of clones) c.ctrlr.releaseQpairDescriptor(c.desc);
      }
    }
    return { globalOptions: file.globalOptions, jobs: raws, startedAt };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await session.close();
  }
}

/** Runs one phase's clones in worker threads; resolves with their reports in clone order (none when stopped before the start). */
async function runPhase(
  session: FioSession,
  clones: readonly PlannedClone[],
  cores: readonly number[],
  mayPoll: boolean,
  trace: boolean,
  io: FioOutput,
): Promise<FioCloneReport[]> {
  const layout = spread(clones, cores);
  const progress = new SharedArrayBuffer(layout.length * PROGRESS_CELLS * Float64Array.BYTES_PER_ELEMENT);
  const log = (line: string): void => void io.stderr.write(`${line}\n`);
  const workers = layout.map((w, i) => {
    const contexts: NsContextPlan<FioCloneConfig>[] = w.clones.map((c) => ({ config: c.config, descriptors: [c.desc], activeQpairs: 1 }));
    const inFlight = w.clones.reduce((n, c) => n + c.config.iodepth, 0);
    const paced = w.clones.some((c) => c.config.thinktimeUs > 0 || c.config.rate.some((r) => r > 0) || c.config.rateIops.some((r) => r > 0));
    const mustPoll = w.clones.some((c) => c.desc.trtype === 'PCIe');
    const init: PerfWorkerInit<FioCloneConfig> = {
      lcore: w.lcore,
      contexts,
      timing: null,
      // A paced job mostly waits: spinning would only take the core from the target and the other workers.
      polling: workerPolling(inFlight, mayPoll && !paced, 0, mustPoll),
      trace,
      progress,
      progressBase: i * PROGRESS_CELLS,
      monitorBusy: false,
    };
    return launchWorker<FioCloneConfig, FioCloneReport>(new URL('./fio-worker.js', import.meta.url), init, log, log);
  });
  session.workers = workers;
  const ready = await Promise.allSettled(workers.map((w) => w.ready));
  const notReady = ready.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (notReady) {
    session.stop();
    throw notReady.reason;
  }
  if (session.stopped) return [];
  for (const w of workers) w.worker.postMessage({ type: 'start' });
  const done = await Promise.all(workers.map((w) => w.done));
  await Promise.all(workers.map((w) => w.worker.terminate()));
  session.workers = [];
  // Reports come per worker in its clone order; clone i went to worker i % workers, as its (i / workers)th.
  return clones.map((_, i) => done[i % layout.length]!.reports[Math.floor(i / layout.length)]!);
}
