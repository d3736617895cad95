/**
 * Test-only: resolved fio jobs whose defaults come from the job parser itself,
 * so no test restates fio's defaults by hand (the parser's own tests do, on
 * purpose) and a test names only the fields it changes.
 */
import type { FioJob, FioJobFile } from '../../src/fio/fio-job.js';
import { parseCommandLineJobs } from '../../src/fio/job-parser.js';

/** The job `--name=<name> --filename=loopback` resolves to (fio's defaults: 4 KiB sequential reads, QD 1), with `overrides` on top. */
export function fioJob(name: string, overrides: Partial<FioJob> = {}): FioJob {
  const job = parseCommandLineJobs([`--name=${name}`, '--filename=loopback'], {}).jobs[0]!;
  return { ...job, ...overrides };
}

/** A job file of `jobs` with no `[global]` options and no notices. */
export function jobFile(...jobs: FioJob[]): FioJobFile {
  return { globalOptions: {}, jobs, notices: [] };
}
