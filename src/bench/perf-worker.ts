/**
 * A perf worker thread (one per core of `-c`): pins itself to its core, opens
 * its queue pairs from the descriptors the main thread reserved, waits for
 * `start`, runs its contexts, frees its queue pairs and reports.
 *
 * Entry point of `new Worker(...)`; not imported by anything else.
 */
import { serveWorkerThread } from './worker-thread.js';

serveWorkerThread();
