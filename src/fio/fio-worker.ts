/**
 * An nvme-fio worker thread: nvme-perf's worker thread body with fio job
 * clones as its contexts (see bench/worker-thread.ts).
 *
 * Entry point of `new Worker(...)`; not imported by anything else.
 */
import { serveWorkerThread } from '../bench/worker-thread.js';
import { createFioContext } from './fio-worker-context.js';

serveWorkerThread(createFioContext);
