/**
 * The main thread's side of a benchmark worker thread (see worker-thread.ts):
 * start it with its `workerData`, and learn as promises when it is ready (pinned,
 * queue pairs open) and when it is done (its reports). nvme-perf's engine and
 * nvme-fio's both launch theirs here.
 */
import { Worker } from 'node:worker_threads';
import type { PinOutcome } from '../native/libc.js';
import type { PerfWorkerInit, WorkerToMain } from './perf-messages.js';

export type WorkerDone<R> = Extract<WorkerToMain<R>, { type: 'done' }>;

export interface LaunchedWorker<R> {
  worker: Worker;
  /** Resolves once the worker pinned itself and opened its queue pairs. */
  ready: Promise<PinOutcome>;
  /** Resolves with its report after it drained and freed its queue pairs. */
  done: Promise<WorkerDone<R>>;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (err: Error) => void;
}

/** A promise with its settle functions; a rejection nobody awaits is not reported as unhandled. */
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * Starts the worker thread `script` with `init`.
 * @param log a line the worker wants on stderr
 * @param fatal an error that ended the worker's run, as it happens
 */
export function launchWorker<C, R>(
  script: URL,
  init: PerfWorkerInit<C>,
  log: (line: string) => void,
  fatal: (message: string) => void,
): LaunchedWorker<R> {
  const worker = new Worker(script, { workerData: init });
  const ready = deferred<PinOutcome>();
  const done = deferred<WorkerDone<R>>();
  const fail = (err: Error): void => {
    ready.reject(err);
    done.reject(err);
  };
  worker.on('message', (m: WorkerToMain<R>) => {
    if (m.type === 'ready') ready.resolve(m.pin);
    else if (m.type === 'log') log(m.line);
    else if (m.type === 'fatal') fatal(m.message);
    else if (m.type === 'failed') fail(Object.assign(new Error(m.message), { exitCode: m.exitCode }));
    else done.resolve(m);
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the worker thread for core ${init.lcore} ended (exit code ${code}) before reporting`)));
  return { worker, ready: ready.promise, done: done.promise };
}
