/**
 * The body of a benchmark worker thread (nvme-perf's per core, nvme-fio's
 * too): pins itself to its core, opens its queue pairs from the descriptors
 * the main thread reserved, waits for `start`, runs its contexts through
 * {@link PerfWorkerRun}, frees its queue pairs and reports. The entry files
 * (`perf-worker.ts`, `fio-worker.ts`) only choose the contexts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { attachQpair, type QueuePair } from '../index.js';
import { describeError } from '../cli/error-messages.js';
import { parseTransportId } from '../nvme-driver/transport-id.js';
import { pinCurrentThread } from '../native/libc.js';
import type { MainToWorker, PerfWorkerInit, WorkerToMain } from './perf-messages.js';
import { PerfWorkerRun, type ContextFactory, type ContextSetup } from './perf-worker-run.js';

/**
 * Serves the main thread from inside a worker thread.
 * @param factory the contexts to build; nvme-perf's when absent
 */
export function serveWorkerThread<C, R>(factory?: ContextFactory<C, R>): void {
  const init = workerData as PerfWorkerInit<C>;
  const port = parentPort!;
  const post = (m: WorkerToMain<R>): void => port.postMessage(m);
  const trace = init.trace ? (line: string): void => void process.stderr.write(`${line}\n`) : undefined;
  const opened: QueuePair[] = [];

  /** Opens every queue pair of every context, in order; the caller closes them all if one fails. */
  const attachAll = async (): Promise<ContextSetup<C>[]> => {
    const setups: ContextSetup<C>[] = [];
    for (const plan of init.contexts) {
      const qpairs: QueuePair[] = [];
      for (const desc of plan.descriptors) {
        try {
          const qp = await attachQpair(desc, { trace });
          opened.push(qp);
          qpairs.push(qp);
        } catch (err) {
          const { message, exitCode } = describeError(err, { trid: parseTransportId(desc.trid), hostnqn: desc.hostnqn, connected: false });
          throw Object.assign(new Error(`opening I/O queue ${desc.qid} for core ${init.lcore}: ${message}`), { exitCode });
        }
      }
      setups.push({ config: plan.config, qpairs: qpairs.slice(0, plan.activeQpairs) });
    }
    return setups;
  };

  const freeAll = async (): Promise<void> => {
    await Promise.all(opened.map((qp) => qp.free().catch(() => undefined)));
  };

  const main = async (): Promise<void> => {
    const pin = pinCurrentThread(init.lcore);
    let setups: ContextSetup<C>[];
    try {
      setups = await attachAll();
    } catch (err) {
      await freeAll();
      post({ type: 'failed', message: (err as Error).message, exitCode: (err as { exitCode?: number }).exitCode ?? 1 });
      return;
    }
    const run = new PerfWorkerRun<C, R>(
      setups,
      init.timing,
      init.polling,
      { log: (line) => post({ type: 'log', line }), fatal: (message) => post({ type: 'fatal', message }) },
      { counts: new Float64Array(init.progress), base: init.progressBase, monitorBusy: init.monitorBusy },
      factory,
    );
    let started = false;
    port.on('message', (m: MainToWorker) => {
      if (m.type === 'stop') {
        if (started) run.stop();
        else void freeAll().then(() => port.close());
        return;
      }
      started = true;
      void run.run().then(async (r) => {
        await freeAll();
        post({ type: 'done', elapsedUs: r.elapsedUs, failure: r.failure, reports: r.reports });
        port.close();
      });
    });
    post({ type: 'ready', pin });
  };

  void main();
}
