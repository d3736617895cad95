/**
 * What the main thread and a perf worker thread tell each other. Everything
 * is plain data (structured clone); the progress array is shared memory.
 *
 * main → worker: `workerData` ({@link PerfWorkerInit}), then `start` once every
 * worker is `ready` (SPDK's barrier), and `stop` to end early.
 * worker → main: `ready` after pinning and opening its queue pairs, `log`
 * lines, `fatal` as soon as an error ends its run, `done` with the reports
 * after it drained and freed its queue pairs; or `failed` if it could not start.
 */
import type { QpairDescriptor } from '../nvme-driver/descriptor.js';
import type { PinOutcome } from '../native/libc.js';
import type { NsContextConfig, NsContextReport } from './ns-worker-context.js';
import type { WorkerPolling, WorkerTiming } from './perf-worker-run.js';

/** One (worker, namespace) context (nvme-fio: one job clone): its settings and the queue pairs to open for it. */
export interface NsContextPlan<C = NsContextConfig> {
  config: C;
  /** `-P` active queue pairs first, then `-U` idle ones. */
  descriptors: QpairDescriptor[];
  /** How many of `descriptors` carry I/O (`-P`). */
  activeQpairs: number;
}

/** A worker's `workerData`. */
export interface PerfWorkerInit<C = NsContextConfig> {
  lcore: number;
  contexts: NsContextPlan<C>[];
  /** `-a`/`-t`; null when each context keeps its own time (nvme-fio). */
  timing: WorkerTiming | null;
  polling: WorkerPolling;
  /** `-T nvme`: every command and completion of this worker's queue pairs to stderr. */
  trace: boolean;
  /** Float64 cells shared by all workers: completions, busy ms, idle ms per worker. */
  progress: SharedArrayBuffer;
  progressBase: number;
  /** `-m`: account busy and idle polling time. */
  monitorBusy: boolean;
}

export type MainToWorker = { type: 'start' } | { type: 'stop' };

export type WorkerToMain<R = NsContextReport> =
  | { type: 'ready'; pin: PinOutcome }
  | { type: 'log'; line: string }
  | { type: 'fatal'; message: string }
  | { type: 'failed'; message: string; exitCode: number }
  | { type: 'done'; elapsedUs: number; failure: string | null; reports: R[] };
