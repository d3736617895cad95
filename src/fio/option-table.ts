/**
 * Every fio option nvme-fio accepts, as one table: fio's name and aliases, how
 * the value is read (its kind), fio's default, whether it takes one value per
 * direction, and where it lands in the job. Options that mean nothing for NVMe
 * (page cache, processes, CPU placement...) are here too, with the reason they
 * are ignored. The job parser, the defaults and `--cmdhelp` all read this table.
 */
import type { BlockSizeShare, FioDistribution, FioExtent, FioJob, FioRw, FioTarget, FioVerify } from './fio-job.js';
import { parseFioFilename } from './job-target.js';
import {
  type KbBase,
  OptionValueError,
  parseBlockSizeSplit,
  parseBoolean,
  parseDistribution,
  parseInteger,
  parsePercentileList,
  parseSize,
  parseTimeUs,
  parseVerify,
  parseVerifyPattern,
} from './option-values.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Tuple3<T> = [T, T, T];

/**
 * A job while its options are applied: FioJob's fields, writable, with `bs` and
 * `bssplit` kept apart (fio uses `bssplit` whenever it is set, whichever came first)
 * and the target still open.
 */
export type JobDraft = Mutable<Omit<FioJob, 'source' | 'rawOptions' | 'target' | 'blockSizes' | 'blockAlign' | 'rate' | 'rateIops'>> & {
  target: FioTarget | null;
  bs: Tuple3<number>;
  bssplit: Tuple3<BlockSizeShare[] | null>;
  blockAlign: Tuple3<number>;
  rate: Tuple3<number>;
  rateIops: Tuple3<number>;
  ioengine: string | null;
};

/** What a reader knows besides the text. */
export interface ReadContext {
  kbBase: KbBase;
  /** The job's name: a bare `write_bw_log` logs under it, as fio does. */
  jobName: string;
}

/** What each kind of value reads to. */
export interface FioOptionKinds {
  /** Bytes, with fio's size suffixes. */
  bytes: number;
  /** Bytes, or a percent of the namespace (`50%`). */
  extent: FioExtent;
  /** A count; fio reads these with the size reader, so `1k` is 1024. */
  integer: number;
  /** A duration in microseconds; a plain number is seconds. */
  seconds: number;
  /** A duration in microseconds; a plain number is microseconds. */
  microseconds: number;
  /** 0 or 1 (fio's FIO_OPT_BOOL); bare = 1. */
  bool: boolean;
  /** Bare, or a number, non-zero = on (fio's FIO_OPT_STR_SET). */
  flag: boolean;
  text: string;
  /** A log file prefix; bare = the job's name. */
  log: string;
  rw: FioRw;
  bssplit: BlockSizeShare[];
  distribution: FioDistribution;
  percentiles: number[];
  verify: FioVerify;
  pattern: Uint8Array;
  target: FioTarget;
  kbBase: KbBase;
  /** Accepted without effect; the value is not read. */
  ignored: string;
}
export type FioOptionKind = keyof FioOptionKinds;

/** One option. */
export interface FioOptionDef<K extends FioOptionKind = FioOptionKind> {
  name: string;
  aliases?: readonly string[];
  kind: K;
  /** fio's default, written as fio writes it; applied before any job option. */
  def?: string;
  /** Takes `read,write,trim` values (`bs=4k,8k`). */
  perDirection?: boolean;
  /** fio's minval / maxval for numbers. */
  min?: number;
  max?: number;
  /** fio's parse priority: `filename` (-1) is parsed, and echoed, after the rest. */
  prio?: number;
  /** For ignored options: why it has no effect here. */
  ignored?: string;
  help: string;
  /** Where the value lands; `ddir` is 0/1/2 for per-direction options. Absent: echoed in `rawOptions` only. */
  set?: (job: JobDraft, value: FioOptionKinds[K], ddir: 0 | 1 | 2) => void;
}

type Reader<T> = (raw: string | undefined, def: FioOptionDef, ctx: ReadContext) => T;

const MAX_INT = Number.MAX_SAFE_INTEGER;
/** fio's FIO_OPT_INT maxval when an option gives none (UINT_MAX). */
const UINT_MAX = 0xffffffff;

function needValue(raw: string | undefined): string {
  if (raw === undefined || raw.trim() === '') throw new OptionValueError('needs a value');
  return raw;
}

/** `rw=` values, fio's spellings; `readwrite` is fio's other name for `rw`. */
const RW_VALUES: Readonly<Record<string, FioRw>> = {
  read: 'read',
  write: 'write',
  trim: 'trim',
  randread: 'randread',
  randwrite: 'randwrite',
  randtrim: 'randtrim',
  rw: 'rw',
  readwrite: 'rw',
  randrw: 'randrw',
};

function readRw(raw: string): FioRw {
  const [mode = '', modifier] = raw.trim().split(':');
  const rw = RW_VALUES[mode];
  if (rw === undefined) {
    const why = mode === 'trimwrite' || mode === 'randtrimwrite' ? ` ('${mode}' is not supported by nvme-fio)` : '';
    throw new OptionValueError(`expected one of ${Object.keys(RW_VALUES).join(', ')}, got '${raw}'${why}`);
  }
  if (modifier !== undefined) throw new OptionValueError(`the ':${modifier}' offset modifier is not supported by nvme-fio, got '${raw}'`);
  return rw;
}

/** How each kind is read. */
const READERS: { [K in FioOptionKind]: Reader<FioOptionKinds[K]> } = {
  bytes: (raw, d, ctx) => parseInteger(needValue(raw), ctx.kbBase, d.min ?? 0, d.max ?? MAX_INT),
  extent: (raw, _d, ctx) => parseSize(needValue(raw), ctx.kbBase, true),
  integer: (raw, d, ctx) => parseInteger(needValue(raw), ctx.kbBase, d.min ?? 0, d.max ?? UINT_MAX),
  seconds: (raw) => parseTimeUs(needValue(raw), 's'),
  microseconds: (raw) => parseTimeUs(needValue(raw), 'us'),
  bool: (raw) => parseBoolean(raw, true),
  flag: (raw) => parseBoolean(raw, false),
  text: (raw) => needValue(raw).trim(),
  log: (raw, _d, ctx) => (raw === undefined || raw.trim() === '' ? ctx.jobName : raw.trim()),
  rw: (raw) => readRw(needValue(raw)),
  bssplit: (raw, _d, ctx) => parseBlockSizeSplit(needValue(raw), ctx.kbBase),
  distribution: (raw) => parseDistribution(needValue(raw)),
  percentiles: (raw) => parsePercentileList(needValue(raw)),
  verify: (raw) => parseVerify(needValue(raw)),
  pattern: (raw) => parseVerifyPattern(needValue(raw)),
  target: (raw) => parseFioFilename(needValue(raw).trim()),
  kbBase: (raw) => {
    const v = needValue(raw).trim();
    if (v !== '1000' && v !== '1024') throw new OptionValueError(`expected 1000 or 1024, got '${raw}'`);
    return Number(v) as KbBase;
  },
  ignored: (raw) => raw ?? '',
};

/** Reads one value (one direction's part for per-direction options) of an option. */
export function readOptionValue<K extends FioOptionKind>(def: FioOptionDef<K>, raw: string | undefined, ctx: ReadContext): FioOptionKinds[K] {
  return (READERS[def.kind] as Reader<FioOptionKinds[K]>)(raw, def as unknown as FioOptionDef, ctx);
}

/** Ties an entry's kind to its setter's value type. */
function opt<K extends FioOptionKind>(def: FioOptionDef<K>): FioOptionDef {
  return def as unknown as FioOptionDef;
}

function ignored(name: string, why: string, aliases?: readonly string[]): FioOptionDef {
  return opt({ name, kind: 'ignored', ignored: why, help: `accepted, no effect: ${why}`, ...(aliases ? { aliases } : {}) });
}

const PAGE_CACHE = 'nvme-fio has no page cache: every I/O goes to the controller';
const PROCESSES = 'jobs always run as worker threads of one process';
const CPU_PLACEMENT = 'nvme-fio places its worker threads itself';
const CLOCK = 'nvme-fio always times I/Os with the monotonic clock';
const NO_FILES = 'there is no file to lay out: I/O goes to an NVMe namespace';
const MEMORY = "I/O buffers are nvmekit's own (DMA or registered memory where the transport needs it)";
const FLUSH = 'nvme-fio sends no Flush commands';
const PRIORITY = 'nvme-fio sets no OS scheduling or I/O priority';
const NO_DEVICE = 'there is no block device to sample';

/** The table. Order is fio's HOWTO order, roughly; lookups go through {@link findOption}. */
export const FIO_OPTIONS: readonly FioOptionDef[] = [
  opt({ name: 'kb_base', kind: 'kbBase', def: '1024', help: 'what k means in sizes: 1024 (fio default; KiB is then 1000) or 1000' }),
  opt({ name: 'name', kind: 'text', help: 'job name; on the command line it also starts a new job', set: (j, v) => (j.name = v) }),
  opt({ name: 'description', kind: 'text', help: 'free text, echoed in the JSON job options' }),
  opt({ name: 'filename', kind: 'target', prio: -1, help: 'transport ID (trtype=TCP adrfam=IPv4 traddr=... trsvcid=4420 subnqn=... ns=1) or loopback', set: (j, v) => (j.target = v) }),
  opt({ name: 'ioengine', kind: 'text', help: 'nvmekit (the only engine; others are accepted with a notice)', set: (j, v) => (j.ioengine = v) }),
  opt({ name: 'rw', aliases: ['readwrite'], kind: 'rw', def: 'read', help: 'read write trim randread randwrite randtrim rw (readwrite) randrw', set: (j, v) => (j.rw = v) }),
  opt({ name: 'rwmixread', kind: 'integer', def: '50', max: 100, help: 'percent of reads in a mixed workload', set: (j, v) => (j.rwMixRead = v) }),
  opt({ name: 'rwmixwrite', kind: 'integer', def: '50', max: 100, help: 'percent of writes in a mixed workload', set: (j, v) => (j.rwMixRead = 100 - v) }),
  opt({ name: 'bs', aliases: ['blocksize'], kind: 'bytes', def: '4k', min: 1, perDirection: true, help: 'block size, per direction (bs=4k,8k)', set: (j, v, d) => (j.bs[d] = v) }),
  opt({ name: 'bssplit', kind: 'bssplit', perDirection: true, help: 'block size shares, per direction (4k/10:64k/50:32k/40,4k/100)', set: (j, v, d) => (j.bssplit[d] = v) }),
  opt({ name: 'blockalign', aliases: ['ba'], kind: 'bytes', perDirection: true, help: 'offset alignment, per direction; default the block size', set: (j, v, d) => (j.blockAlign[d] = v) }),
  opt({ name: 'iodepth', kind: 'integer', def: '1', min: 1, help: 'I/Os kept in flight', set: (j, v) => (j.iodepth = v) }),
  opt({ name: 'iodepth_batch_submit', aliases: ['iodepth_batch'], kind: 'integer', def: '1', help: 'I/Os submitted at once', set: (j, v) => (j.iodepthBatchSubmit = v) }),
  opt({ name: 'numjobs', kind: 'integer', def: '1', min: 1, help: 'clones of this job, each with its own queue pair', set: (j, v) => (j.numjobs = v) }),
  opt({ name: 'size', kind: 'extent', help: 'bytes (or percent of the namespace) to work on; default all', set: (j, v) => (j.size = 'bytes' in v && v.bytes === 0 ? null : v) }),
  opt({ name: 'offset', kind: 'extent', def: '0', help: 'where the region starts, bytes or percent', set: (j, v) => (j.offset = v) }),
  opt({ name: 'io_size', aliases: ['io_limit'], kind: 'bytes', help: 'bytes to transfer before the job ends; default size', set: (j, v) => (j.ioSize = v === 0 ? null : v) }),
  opt({ name: 'number_ios', kind: 'integer', def: '0', max: MAX_INT, help: 'I/Os to issue before the job ends; 0 = no limit', set: (j, v) => (j.numberIos = v) }),
  opt({ name: 'runtime', aliases: ['timeout'], kind: 'seconds', def: '0', help: 'stop after this long (plain number = seconds)', set: (j, v) => (j.runtimeMs = v / 1000) }),
  opt({ name: 'time_based', kind: 'flag', help: 'run for the whole runtime, looping over the region', set: (j, v) => (j.timeBased = v) }),
  opt({ name: 'ramp_time', kind: 'seconds', def: '0', help: 'run this long before measuring', set: (j, v) => (j.rampTimeMs = v / 1000) }),
  opt({ name: 'startdelay', kind: 'seconds', def: '0', help: 'wait this long before starting', set: (j, v) => (j.startDelayMs = v / 1000) }),
  opt({ name: 'randrepeat', kind: 'bool', def: '1', help: 'same random sequence every run', set: (j, v) => (j.randRepeat = v) }),
  opt({ name: 'randseed', kind: 'integer', max: MAX_INT, help: 'seed of the random generators', set: (j, v) => (j.randSeed = v) }),
  opt({ name: 'random_distribution', kind: 'distribution', def: 'random', help: 'random, zipf:theta, pareto:h, normal:sigma', set: (j, v) => (j.distribution = v) }),
  opt({ name: 'norandommap', kind: 'flag', help: 'random offsets may repeat before every block was touched', set: (j, v) => (j.norandommap = v) }),
  opt({ name: 'rate', kind: 'bytes', perDirection: true, help: 'bandwidth cap in bytes/s, per direction (rate=1m,500k)', set: (j, v, d) => (j.rate[d] = v) }),
  opt({ name: 'rate_iops', kind: 'integer', perDirection: true, max: MAX_INT, help: 'IOPS cap, per direction (rate_iops=1000,)', set: (j, v, d) => (j.rateIops[d] = v) }),
  opt({ name: 'thinktime', kind: 'microseconds', def: '0', help: 'pause after each completion (plain number = microseconds)', set: (j, v) => (j.thinktimeUs = v) }),
  opt({ name: 'stonewall', aliases: ['wait_for_previous'], kind: 'flag', help: 'wait for the jobs before to finish; starts a new group', set: (j, v) => (j.stonewall = v) }),
  opt({ name: 'new_group', kind: 'flag', help: 'start a new reporting group', set: (j, v) => (j.newGroup = v) }),
  opt({ name: 'group_reporting', kind: 'flag', help: 'report a group as one', set: (j, v) => (j.groupReporting = v) }),
  opt({
    name: 'percentile_list',
    kind: 'percentiles',
    def: '1:5:10:20:30:40:50:60:70:80:90:95:99:99.5:99.9:99.95:99.99',
    help: 'latency percentiles to report, :-separated',
    set: (j, v) => (j.percentileList = v),
  }),
  opt({ name: 'clat_percentiles', kind: 'bool', def: '1', help: 'report completion latency percentiles', set: (j, v) => (j.clatPercentiles = v) }),
  opt({ name: 'lat_percentiles', kind: 'bool', def: '0', help: 'report total latency percentiles', set: (j, v) => (j.latPercentiles = v) }),
  opt({ name: 'write_lat_log', kind: 'log', help: 'write latency logs with this prefix (bare: the job name)', set: (j, v) => (j.writeLatLog = v) }),
  opt({ name: 'write_iops_log', kind: 'log', help: 'write an IOPS log with this prefix (bare: the job name)', set: (j, v) => (j.writeIopsLog = v) }),
  opt({ name: 'write_bw_log', kind: 'log', help: 'write a bandwidth log with this prefix (bare: the job name)', set: (j, v) => (j.writeBwLog = v) }),
  opt({ name: 'log_avg_msec', kind: 'integer', def: '0', help: 'average log entries over this many ms', set: (j, v) => (j.logAvgMsec = v) }),
  opt({
    name: 'verify',
    kind: 'verify',
    def: '0',
    help: 'check written data: crc32c, crc32c-intel, md5, sha256, pattern, 0/none',
    set: (j, v) => (j.verify = v),
  }),
  opt({ name: 'verify_pattern', kind: 'pattern', help: 'pattern for verify=pattern: 0xhex, "text" or a number', set: (j, v) => (j.verifyPattern = v) }),
  opt({ name: 'do_verify', kind: 'bool', def: '1', help: 'read back and check after a write job', set: (j, v) => (j.doVerify = v) }),
  opt({ name: 'verify_backlog', kind: 'integer', max: MAX_INT, help: 'verify after this many writes', set: (j, v) => (j.verifyBacklog = v) }),
  opt({ name: 'verify_fatal', kind: 'bool', def: '0', help: 'stop at the first verify failure', set: (j, v) => (j.verifyFatal = v) }),
  ignored('direct', PAGE_CACHE),
  ignored('buffered', PAGE_CACHE),
  ignored('invalidate', PAGE_CACHE),
  ignored('pre_read', PAGE_CACHE),
  ignored('fadvise_hint', PAGE_CACHE),
  ignored('sync', PAGE_CACHE),
  ignored('fsync', FLUSH),
  ignored('fdatasync', FLUSH),
  ignored('end_fsync', FLUSH),
  ignored('fsync_on_close', FLUSH),
  ignored('thread', PROCESSES),
  ignored('cpus_allowed', CPU_PLACEMENT),
  ignored('cpus_allowed_policy', CPU_PLACEMENT),
  ignored('cpumask', CPU_PLACEMENT),
  ignored('numa_cpu_nodes', CPU_PLACEMENT),
  ignored('numa_mem_policy', CPU_PLACEMENT),
  ignored('gtod_reduce', CLOCK),
  ignored('gtod_cpu', CLOCK),
  ignored('clocksource', CLOCK),
  ignored('lockmem', MEMORY),
  ignored('iomem', MEMORY, ['mem']),
  ignored('iomem_align', MEMORY, ['mem_align']),
  ignored('hugepage-size', MEMORY),
  ignored('nrfiles', NO_FILES),
  ignored('openfiles', NO_FILES),
  ignored('file_service_type', NO_FILES),
  ignored('create_serialize', NO_FILES),
  ignored('create_fsync', NO_FILES),
  ignored('create_on_open', NO_FILES),
  ignored('allow_file_create', NO_FILES),
  ignored('allow_mounted_write', NO_FILES),
  ignored('fallocate', NO_FILES),
  ignored('unlink', NO_FILES),
  ignored('ioscheduler', NO_DEVICE),
  ignored('disk_util', NO_DEVICE),
  ignored('nice', PRIORITY),
  ignored('prio', PRIORITY),
  ignored('prioclass', PRIORITY),
];

const BY_NAME: ReadonlyMap<string, FioOptionDef> = new Map(FIO_OPTIONS.flatMap((o) => [o.name, ...(o.aliases ?? [])].map((n) => [n, o] as const)));

/** The option called `name` (or one of its aliases); option names are case-sensitive, as in fio. */
export function findOption(name: string): FioOptionDef | undefined {
  return BY_NAME.get(name);
}

/** The closest option name within edit distance 2, for "did you mean" (as fio's `show_closest_option`). */
export function closestOptionName(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of BY_NAME.keys()) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
