/**
 * A perf worker thread (one per core of `-c`): pins itself to its core, opens
 * its queue pairs from the descriptors the main thread reserved, waits for
 * `start`, runs its contexts, frees its queue pairs and reports.
 *
 * Entry point of `new Worker(...)`; not imported by anything else.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { attachQpair, type QueuePair } from '../index.js';
import { describeError } from '../cli/error-messages.js';
import { parseTransportId } from '../nvme-driver/transport-id.js';
import { pinCurrentThread } from '../native/libc.js';
import type { MainToWorker, PerfWorkerInit, WorkerToMain } from './perf-messages.js';
import { PerfWorkerRun, type ContextSetup } from './perf-worker-run.js';

const init = workerData as PerfWorkerInit;
const port = parentPort!;
const post = (m: WorkerToMain): void => port.postMessage(m);
const trace = init.trace ? (line: string): void => void process.stderr.write(`${line}\n`) : undefined;
const opened: QueuePair[] = [];

/** Opens every queue pair of every context, in order; closes them all again if one fails. */
async function attachAll(): Promise<ContextSetup[]> {
  const setups: ContextSetup[] = [];
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
}

async function freeAll(): Promise<void> {
  await Promise.all(opened.map((qp) => qp.free().catch(() => undefined)));
}

async function main(): Promise<void> {
  const pin = pinCurrentThread(init.lcore);
  let setups: ContextSetup[];
  try {
    setups = await attachAll();
  } catch (err) {
    await freeAll();
    post({ type: 'failed', message: (err as Error).message, exitCode: (err as { exitCode?: number }).exitCode ?? 1 });
    return;
  }
  const run = new PerfWorkerRun(
    setups,
    init.timing,
    init.polling,
    { log: (line) => post({ type: 'log', line }), fatal: (message) => post({ type: 'fatal', message }) },
    { counts: new Float64Array(init.progress), base: init.progressBase, monitorBusy: init.monitorBusy },
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
}

void main();
