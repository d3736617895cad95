/**
 * Resolved fio jobs for the engine tests, with fio's defaults filled in as
 * the job-file parser fills them, so a test names only what it changes.
 */
import { FIO_DEFAULT_PERCENTILES, type FioJob, type FioJobFile } from '../../src/fio/fio-job.js';

/** A job with fio's defaults: 4 KiB random reads, QD 1, against the bundled target. */
export function fioJob(name: string, overrides: Partial<FioJob> = {}): FioJob {
  const bs4k = [{ bytes: 4096, percent: 100 }];
  return {
    name,
    source: { file: 'test', line: 1 },
    rawOptions: {},
    target: { kind: 'loopback' },
    rw: 'randread',
    rwMixRead: 50,
    blockSizes: [bs4k, bs4k, bs4k],
    blockAlign: [0, 0, 0],
    iodepth: 1,
    iodepthBatchSubmit: 1,
    numjobs: 1,
    offset: { bytes: 0 },
    size: null,
    ioSize: null,
    numberIos: 0,
    runtimeMs: 0,
    timeBased: false,
    rampTimeMs: 0,
    startDelayMs: 0,
    randRepeat: true,
    randSeed: null,
    distribution: { kind: 'random' },
    norandommap: false,
    rate: [0, 0, 0],
    rateIops: [0, 0, 0],
    thinktimeUs: 0,
    stonewall: false,
    newGroup: false,
    groupReporting: false,
    percentileList: FIO_DEFAULT_PERCENTILES,
    clatPercentiles: true,
    latPercentiles: false,
    writeLatLog: null,
    writeIopsLog: null,
    writeBwLog: null,
    logAvgMsec: 0,
    verify: 'none',
    verifyPattern: null,
    doVerify: true,
    verifyBacklog: 0,
    verifyFatal: false,
    ...overrides,
  };
}

export function jobFile(...jobs: FioJob[]): FioJobFile {
  return { globalOptions: {}, jobs, notices: [] };
}
