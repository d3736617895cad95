/**
 * fio's cross-option rules (init.c `fixup_options`) that concern the options
 * nvme-fio runs, applied to a resolved job: some change a value as fio does, some
 * leave a notice, a few refuse the job.
 */
import type { FioJob, FioRw } from './fio-job.js';

/** What a rule may do besides changing the job. */
export interface FixupSink {
  notice(text: string): void;
  /** Refuses the job; the reason is reported at the job's section. */
  fail(reason: string): never;
}

const RANDOM: ReadonlySet<FioRw> = new Set(['randread', 'randwrite', 'randtrim', 'randrw']);
const READS: ReadonlySet<FioRw> = new Set(['read', 'randread', 'rw', 'randrw']);
const WRITES: ReadonlySet<FioRw> = new Set(['write', 'randwrite', 'rw', 'randrw']);

function minBlockSize(job: FioJob, ddir: 0 | 1 | 2): number {
  return Math.min(...job.blockSizes[ddir].map((s) => s.bytes));
}

/** One rule per entry, in fio's order. */
const FIXUPS: ReadonlyArray<(job: FioJob, sink: FixupSink) => void> = [
  // Any use of blockalign= other than the block size turns off the random map.
  (job, sink) => {
    const off = RANDOM.has(job.rw) && job.blockAlign.some((ba, d) => ba !== 0 && ba !== minBlockSize(job, d as 0 | 1 | 2));
    if (off && !job.norandommap) {
      job.norandommap = true;
      sink.notice(`job '${job.name}': blockalign other than the block size turns off the random map (norandommap), as in fio`);
    }
  },
  // A batch of 0, or larger than the queue, means the whole queue.
  (job) => {
    if (job.iodepthBatchSubmit === 0 || job.iodepthBatchSubmit > job.iodepth) job.iodepthBatchSubmit = job.iodepth;
  },
  (job, sink) => {
    if (job.rate.some((r) => r > 0) && job.rateIops.some((r) => r > 0)) sink.fail(`job '${job.name}': rate and rate_iops are mutually exclusive`);
  },
  (job, sink) => {
    if (job.timeBased && job.runtimeMs === 0) {
      job.timeBased = false;
      sink.notice(`job '${job.name}': time_based needs a runtime; without one it is turned off, as in fio`);
    }
  },
  (job, sink) => {
    if (job.verify === 'none' || !WRITES.has(job.rw) || !job.doVerify) return;
    if (job.numjobs > 1) sink.notice(`job '${job.name}': ${job.numjobs} clones write the same blocks, which can make verify fail (fio warns the same)`);
    if (job.timeBased && job.runtimeMs > 0 && !READS.has(job.rw) && job.verifyBacklog === 0) {
      sink.notice(`job '${job.name}': the verify read phase never starts because the write phase uses all of runtime (set verify_backlog, or drop time_based)`);
    }
  },
  // A non-uniform distribution cannot keep a random map.
  (job) => {
    if (job.distribution.kind !== 'random') job.norandommap = true;
  },
  (job, sink) => {
    const min = Math.min(minBlockSize(job, 0), minBlockSize(job, 1), minBlockSize(job, 2));
    if (job.size !== null && 'bytes' in job.size && job.size.bytes < min) {
      sink.fail(`job '${job.name}': size ${job.size.bytes} is less than the smallest block size ${min}`);
    }
  },
  // randseed overrides randrepeat.
  (job) => {
    if (job.randSeed !== null) job.randRepeat = false;
  },
];

/** Applies fio's `fixup_options` rules to `job`, in place. */
export function applyFioFixups(job: FioJob, sink: FixupSink): void {
  for (const fixup of FIXUPS) fixup(job, sink);
}
