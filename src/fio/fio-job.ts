/**
 * A fio job as nvme-fio runs it: every option resolved to a typed value, with
 * fio's defaults filled in. The job-file parser produces these; the engine runs
 * them; the reporters echo their raw options. Plain data (structured-clone safe),
 * so the main thread can post a job to a worker thread.
 */
import type { TransportId } from '../nvme-driver/transport-id.js';

/** fio's data directions, in fio's order (`rwts`): read, write, trim. */
export const FIO_DIRECTIONS = ['read', 'write', 'trim'] as const;
export type FioDirection = (typeof FIO_DIRECTIONS)[number];

/** One value per direction, indexed read = 0, write = 1, trim = 2 (fio's `ddir`). */
export type PerDirection<T> = readonly [read: T, write: T, trim: T];

/** `rw=` values (`readwrite` is parsed as `rw`, `randtrim`/`trim` as written). */
export type FioRw = 'read' | 'write' | 'trim' | 'randread' | 'randwrite' | 'randtrim' | 'rw' | 'randrw';

/** Where a job's I/O goes. */
export type FioTarget =
  /** `ioengine=nvmekit filename=loopback`: the bundled target, started by nvme-fio. */
  | { kind: 'loopback' }
  /** A transport ID from `filename=trtype=TCP adrfam=IPv4 ... ns=1`; `ns` absent = namespace 1. */
  | { kind: 'trid'; trid: TransportId };

/** One `bssplit` entry: I/Os of `bytes` make up `percent` of the direction's I/Os. */
export interface BlockSizeShare {
  bytes: number;
  /** 0 to 100; the shares of one direction add up to 100 (fio spreads a remainder evenly over 0-percent entries). */
  percent: number;
}

/** `random_distribution=`. */
export type FioDistribution =
  | { kind: 'random' }
  | { kind: 'zipf'; theta: number }
  | { kind: 'pareto'; h: number }
  | { kind: 'normal'; sigma: number };

/** `size=` / `offset=`: bytes, or a percent of the namespace (`size=50%`). */
export type FioExtent = { bytes: number } | { percent: number };

/** `verify=` methods nvme-fio implements. */
export type FioVerify = 'none' | 'crc32c' | 'md5' | 'sha256' | 'pattern';

/** Where an option came from, for error messages (`jobs.fio:12`, or `command line`). */
export interface FioSource {
  file: string;
  line: number;
}

/** One job section, resolved. Durations are in milliseconds, sizes and rates in bytes. */
export interface FioJob {
  /** Section name (`[name]`, or `--name=`). */
  name: string;
  /** Where the section started. */
  source: FioSource;
  /** The options as written for this job (section, after `[global]`), for fio's `"job options"` echo. */
  rawOptions: Readonly<Record<string, string>>;
  target: FioTarget;
  rw: FioRw;
  /** Percent of reads in mixed workloads (`rwmixread`, or 100 - `rwmixwrite`). */
  rwMixRead: number;
  /** Block-size shares per direction: `bs=4k,8k` gives one share of 100 % each, `bssplit=` several. */
  blockSizes: PerDirection<readonly BlockSizeShare[]>;
  /** `blockalign=` per direction in bytes; 0 = align to the I/O's own size, as fio does (`bs` multiples). */
  blockAlign: PerDirection<number>;
  iodepth: number;
  /** `iodepth_batch_submit`; 0 or 1 = submit one at a time. */
  iodepthBatchSubmit: number;
  /** Clones of this job (`numjobs`); each gets its own queue pair. */
  numjobs: number;
  /** The region a job works on: start and length (null = to the end of the namespace). */
  offset: FioExtent;
  size: FioExtent | null;
  /** Bytes to transfer before the job ends (`io_size`/`io_limit`); null = `size`. */
  ioSize: number | null;
  /** I/Os to issue before the job ends (`number_ios`); 0 = no limit. */
  numberIos: number;
  /** `runtime=`; 0 = until `size`/`io_size` is done. */
  runtimeMs: number;
  timeBased: boolean;
  rampTimeMs: number;
  startDelayMs: number;
  randRepeat: boolean;
  /** `randseed=`; with `randrepeat=1` and no seed fio uses a fixed one. */
  randSeed: number | null;
  distribution: FioDistribution;
  norandommap: boolean;
  /** Bytes per second per direction; 0 = unlimited (`rate=`). */
  rate: PerDirection<number>;
  /** I/Os per second per direction; 0 = unlimited (`rate_iops=`). */
  rateIops: PerDirection<number>;
  /** Microseconds to wait after an I/O completes before issuing the next (`thinktime=`). */
  thinktimeUs: number;
  /** This job waits for the jobs before it to finish, and starts a new reporting group. */
  stonewall: boolean;
  /** Starts a new reporting group without waiting (`new_group`). */
  newGroup: boolean;
  groupReporting: boolean;
  /** `percentile_list=`; fio's default 17 percentiles when not given. */
  percentileList: readonly number[];
  clatPercentiles: boolean;
  latPercentiles: boolean;
  /** Log file prefixes (`write_lat_log=name` etc.); null = no log. */
  writeLatLog: string | null;
  writeIopsLog: string | null;
  writeBwLog: string | null;
  /** Average log entries over this window; 0 = one entry per I/O (lat) / per second (iops, bw). */
  logAvgMsec: number;
  verify: FioVerify;
  /** `verify_pattern=` bytes (hex `0x...` or a quoted string); null = none. */
  verifyPattern: Uint8Array | null;
  /** Read back and check what a write-only job wrote, after it finished (`do_verify`, default on). */
  doVerify: boolean;
  /** Verify after this many writes while the job runs; 0 = only at the end. */
  verifyBacklog: number;
  /** Stop at the first mismatch (`verify_fatal`). */
  verifyFatal: boolean;
}

/** A parsed job file (or command line): `[global]` as written, and the jobs in order. */
export interface FioJobFile {
  /** `[global]` options as written, for fio's `"global options"` echo. */
  globalOptions: Readonly<Record<string, string>>;
  jobs: FioJob[];
  /** One line each for options accepted without effect (`direct`, `ioengine=libaio`, ...). */
  notices: string[];
}

/** fio's default `percentile_list`. */
export const FIO_DEFAULT_PERCENTILES: readonly number[] = [
  1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.5, 99.9, 99.95, 99.99,
];
