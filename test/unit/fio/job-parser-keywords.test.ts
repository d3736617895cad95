import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { FioJob } from '../../../src/fio/fio-job.js';
import { parseCommandLineJobs } from '../../../src/fio/job-parser.js';
import { ConfigError } from '../../../src/spec/errors.js';
import { thrownMessage } from '../../helpers/thrown-message.js';

function job(...options: string[]): FioJob {
  return parseCommandLineJobs(['--name=k', '--filename=loopback', ...options], {}).jobs[0]!;
}

const NCPUS = cpus().length;

describe("fio's reserved keywords", () => {
  it('replaces $ncpus and $mb_memory with this machine\'s numbers', () => {
    expect(job('--iodepth=$ncpus').iodepth).toBe(NCPUS);
    expect(job('--number_ios=$mb_memory').numberIos).toBe(Math.floor(totalmem() / 2 ** 20));
  });

  it('replaces $pagesize with the page size getconf reports', () => {
    const page = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim());
    expect(job('--bs=$pagesize').blockSizes[0]).toEqual([{ bytes: page, percent: 100 }]);
  });

  it('computes integer arithmetic once keywords are replaced, as fio does with bc', () => {
    expect(job('--numjobs=2*$ncpus').numjobs).toBe(2 * NCPUS);
    expect(job('--iodepth=($ncpus + 1) * 2').iodepth).toBe((NCPUS + 1) * 2);
    expect(job('--rate_iops=(7 + $ncpus - $ncpus) / 2').rateIops).toEqual([3, 3, 3]);
    expect(job('--iodepth=2^3 + $ncpus % $ncpus').iodepth).toBe(8);
    expect(job('--iodepth=-$ncpus + $ncpus + 5').iodepth).toBe(5);
  });

  it('leaves values that are not plain arithmetic after replacement to the option reader', () => {
    expect(job('--bssplit=$pagesize/50:64k/50').blockSizes[0]!.map((s) => s.percent)).toEqual([50, 50]);
  });

  it('reports arithmetic it cannot compute, with the value as written', () => {
    const message = (fn: () => unknown): string => thrownMessage(ConfigError, fn);
    expect(message(() => job('--iodepth=$ncpus/0'))).toBe(`command line: option 'iodepth': cannot compute '$ncpus/0' (= '${NCPUS}/0'): division by zero`);
    expect(message(() => job('--iodepth=($ncpus'))).toBe(`command line: option 'iodepth': cannot compute '($ncpus' (= '(${NCPUS}'): missing ')'`);
    expect(message(() => job('--iodepth=$ncpus*'))).toBe(`command line: option 'iodepth': cannot compute '$ncpus*' (= '${NCPUS}*'): it ends too soon`);
  });
});
