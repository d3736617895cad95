/**
 * From resolved fio jobs to what the worker threads run: which jobs run
 * together (`stonewall`/`wait_for_previous` phases) and in which reporting
 * group (`new_group`), and per job clone the context settings — region in
 * units, block-size tables, alignment, offset order and skew, limits, rates,
 * verify — checked against the namespace the job writes to. Pure: no I/O.
 */
import type { ConfigError } from '../spec/errors.js';
import { FIO_VERIFY_MAX_UNITS, type FioWorkloadConfig, type SizeTable } from '../bench/fio-workload.js';
import { deriveSeed, randomSeed } from '../bench/prng.js';
import { RANDOM_MAP_MAX_SLOTS } from '../bench/random-map.js';
import { normalSkew, paretoSkew, type SlotSkew } from '../bench/slot-picker.js';
import { createZipf } from '../bench/zipf.js';
import type { BlockSizeShare, FioExtent, FioJob } from './fio-job.js';
import type { FioCloneConfig } from './fio-worker-context.js';
import { VERIFY_HEADER_BYTES } from '../bench/verify-header.js';
import { jobError } from './job-errors.js';

/** fio's seed when `randrepeat=1` and no `randseed` (FIO_RANDSEED). */
export const FIO_DEFAULT_SEED = 0xb1899bed;

/** Stream ids for deriveSeed. */
const VERIFY_STREAM = 0x7e1;

/** The namespace a job does I/O on. */
export interface FioNamespace {
  nsid: number;
  lbaBytes: number;
  numLbas: number;
}

/** Jobs in run order: phases run one after another, the jobs of a phase together. */
export interface FioSchedule {
  /** Job indexes per phase. */
  phases: number[][];
  /** Reporting group per job. */
  groupIds: number[];
}

/** fio's grouping: `stonewall` waits for everything before and starts a new group; `new_group` only a new group. */
export function scheduleJobs(jobs: readonly FioJob[]): FioSchedule {
  const phases: number[][] = [];
  const groupIds: number[] = [];
  let group = 0;
  jobs.forEach((job, i) => {
    if (i > 0 && (job.stonewall || job.newGroup)) group++;
    if (i === 0 || job.stonewall) phases.push([]);
    phases[phases.length - 1]!.push(i);
    groupIds.push(group);
  });
  return { phases, groupIds };
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** One value per direction, read, write, trim. */
const perDirection = <T>(f: (d: 0 | 1 | 2) => T): [T, T, T] => [f(0), f(1), f(2)];

/** The directions a job's `rw` uses: read, write, trim. */
function usedDirections(job: FioJob): [boolean, boolean, boolean] {
  switch (job.rw) {
    case 'read':
    case 'randread':
      return [true, false, false];
    case 'write':
    case 'randwrite':
      return [false, true, false];
    case 'trim':
    case 'randtrim':
      return [false, false, true];
    case 'rw':
    case 'randrw':
      return [job.rwMixRead > 0, job.rwMixRead < 100, false];
  }
}

function extentBytes(extent: FioExtent, capacity: number): number {
  return 'bytes' in extent ? extent.bytes : Math.floor((capacity * extent.percent) / 100);
}

/** Cumulative percents in units; a 0 % share gets no draws. */
function sizeTable(shares: readonly BlockSizeShare[], unitBytes: number): SizeTable {
  const units: number[] = [];
  const cumPercent: number[] = [];
  let sum = 0;
  for (const s of shares) {
    if (s.percent <= 0 && shares.length > 1) continue;
    sum += shares.length === 1 ? 100 : s.percent;
    units.push(s.bytes / unitBytes);
    cumPercent.push(Math.min(100, sum));
  }
  if (cumPercent.length > 0) cumPercent[cumPercent.length - 1] = 100;
  return { units, cumPercent };
}

function skewFor(job: FioJob, unitCount: number): SlotSkew | null {
  const d = job.distribution;
  switch (d.kind) {
    case 'random':
      return null;
    case 'zipf':
      return { kind: 'zipf', zipf: createZipf(unitCount, d.theta) };
    case 'pareto':
      return paretoSkew(d.h);
    case 'normal':
      return normalSkew(d.sigma, unitCount);
  }
}

/** The seed a job's clones derive theirs from. */
export function jobSeed(job: FioJob): number {
  if (job.randSeed !== null) return job.randSeed >>> 0;
  return job.randRepeat ? FIO_DEFAULT_SEED : randomSeed();
}

/**
 * The clone settings of one job (lcore and threadShare are filled when the
 * clones are spread over the cores).
 * @throws ConfigError `FILE:LINE: option 'x': job 'name': reason` for an option that does not fit the namespace
 */
export function planClones(job: FioJob, jobIndex: number, ns: FioNamespace): FioCloneConfig[] {
  // The job's section is the place to point at: the namespace these checks need is only known at run time.
  const fail = (option: string, reason: string): ConfigError => jobError(job.source, `job '${job.name}': ${reason}`, option);
  const { lbaBytes } = ns;
  const capacity = ns.numLbas * lbaBytes;
  const used = usedDirections(job);

  const sizes: number[] = [];
  for (let d = 0; d < 3; d++) if (used[d]) for (const s of job.blockSizes[d]!) if (s.percent > 0 || job.blockSizes[d]!.length === 1) sizes.push(s.bytes);
  for (const bytes of sizes) {
    if (bytes <= 0 || bytes % lbaBytes !== 0) throw fail('bs', `block size ${bytes} is not a multiple of the namespace's ${lbaBytes}-byte logical block`);
  }
  const aligns = job.blockAlign.filter((a, d) => used[d] && a > 0);
  for (const a of aligns) if (a % lbaBytes !== 0) throw fail('blockalign', `${a} is not a multiple of the ${lbaBytes}-byte logical block`);
  const unitBytes = [...sizes, ...aligns].reduce(gcd);
  const maxBytes = Math.max(...sizes);

  const offset = extentBytes(job.offset, capacity);
  if (offset % lbaBytes !== 0) throw fail('offset', `${offset} is not a multiple of the ${lbaBytes}-byte logical block`);
  if (offset >= capacity) throw fail('offset', `${offset} is at or past the end of the namespace (${capacity} bytes)`);
  const regionBytes = Math.min(job.size === null ? capacity - offset : extentBytes(job.size, capacity), capacity - offset);
  const unitCount = Math.floor(regionBytes / unitBytes);
  if (regionBytes < maxBytes) throw fail('size', `the region of ${regionBytes} bytes at offset ${offset} is smaller than the ${maxBytes}-byte block size`);

  const verify = job.verify !== 'none';
  if (verify) {
    if (unitBytes <= VERIFY_HEADER_BYTES) throw fail('verify', `verify needs blocks larger than its ${VERIFY_HEADER_BYTES}-byte header, the smallest is ${unitBytes}`);
    if (unitCount > FIO_VERIFY_MAX_UNITS) {
      throw fail('verify', `verify tracks at most ${FIO_VERIFY_MAX_UNITS} blocks of ${unitBytes} bytes; the region has ${unitCount} (set size=)`);
    }
    if (job.verify === 'pattern' && (job.verifyPattern === null || job.verifyPattern.length === 0)) throw fail('verify_pattern', 'verify=pattern needs verify_pattern');
  }

  const random = job.rw.startsWith('rand');
  const base = jobSeed(job);
  const skew = random ? skewFor(job, unitCount) : null;
  const workloadFor = (clone: number): FioWorkloadConfig => ({
    seed: deriveSeed(base, jobIndex, clone),
    firstLba: offset / lbaBytes,
    unitCount,
    unitBlocks: unitBytes / lbaBytes,
    // Past 2^32 units (2 TiB of 512-byte blocks) the map's 32-bit permutation cannot cover them: plain random, as norandommap.
    order: random ? (job.norandommap || unitCount > RANDOM_MAP_MAX_SLOTS ? 'random' : 'random-map') : 'sequential',
    skew,
    rwMixRead: used[0] && used[1] ? job.rwMixRead : used[0] ? 100 : 0,
    trim: used[2],
    sizes: perDirection((d) => (used[d] ? sizeTable(job.blockSizes[d], unitBytes) : { units: [], cumPercent: [] })),
    alignUnits: perDirection((d) => (used[d] && job.blockAlign[d] > 0 ? job.blockAlign[d] / unitBytes : 0)),
    verify,
    maxInFlight: job.iodepth,
    verifyBacklog: verify ? job.verifyBacklog : 0,
  });

  const anyLog = job.writeLatLog !== null;
  return Array.from({ length: job.numjobs }, (_, clone) => ({
    name: job.name,
    clone,
    lcore: 0,
    nsid: ns.nsid,
    lbaBytes,
    iodepth: job.iodepth,
    batchSubmit: Math.max(1, job.iodepthBatchSubmit),
    workload: workloadFor(clone),
    unitBytes,
    bufferBytes: maxBytes,
    startDelayMs: job.startDelayMs,
    rampTimeMs: job.rampTimeMs,
    runtimeMs: job.runtimeMs,
    timeBased: job.timeBased && job.runtimeMs > 0,
    ioLimitBytes: job.ioSize ?? regionBytes,
    numberIos: job.numberIos,
    rate: job.rate,
    rateIops: job.rateIops,
    thinktimeUs: job.thinktimeUs,
    verify: job.verify,
    verifyPattern: job.verifyPattern,
    verifySeed: deriveSeed(base, jobIndex, clone, VERIFY_STREAM),
    doVerify: job.doVerify,
    verifyBacklog: job.verifyBacklog,
    verifyFatal: job.verifyFatal,
    logs: { lat: anyLog, clat: anyLog, slat: anyLog, iops: job.writeIopsLog !== null, bw: job.writeBwLog !== null },
    logAvgMsec: job.logAvgMsec,
    threadShare: 1,
  }));
}
