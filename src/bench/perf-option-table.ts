/**
 * Every `spdk_nvme_perf` flag (SPDK v26.05 `--help-full`) and nvmekit's
 * additions, as one table: names, SPDK's meaning, how the value is read and
 * what it sets. The parser, the validator's defaults and `--help` are all
 * driven from here.
 */
import { ConfigError } from '../spec/errors.js';
import { parseTransportId } from '../nvme-driver/transport-id.js';
import { parseCoreMask } from './core-mask.js';
import {
  parseCapacity,
  parseChoice,
  parseNonNegativeNumber,
  parseU32,
  parseUint,
  parseUintInRange,
} from './option-values.js';

/** `-w` values. The `rand` prefix selects random offsets, `rw` a read/write mix set by `-M`. */
export const IO_PATTERNS = ['read', 'write', 'randread', 'randwrite', 'rw', 'randrw'] as const;
export type IoPattern = (typeof IO_PATTERNS)[number];

/** `--log-level` values. */
export const LOG_LEVELS = ['error', 'warning', 'notice', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `-T` components SPDK's perf knows; nvmekit acts on `nvme` and `all` (command trace). */
export const LOG_FLAGS = [
  'all', 'app_config', 'app_rpc', 'json_util', 'keyring', 'log_rpc', 'nvme', 'nvme_auth', 'nvme_cuse',
  'opal', 'reactor', 'rpc', 'rpc_client', 'sock', 'sock_posix', 'thread', 'trace', 'vmd',
] as const;

/**
 * What the command line said, before cross-flag checks and defaults: every
 * field is absent unless its flag was given.
 */
export interface PerfOptionsDraft {
  ioDepth?: number;
  ioSizeBytes?: number;
  pattern?: IoPattern;
  rwMixRead?: number;
  timeSec?: number;
  warmupSec?: number;
  coreMask?: string;
  cores?: number[];
  transports?: string[];
  useEveryCore?: boolean;
  ioQueueSize?: number;
  ioUnitSize?: number;
  numQpairs?: number;
  numUnusedQpairs?: number;
  maxCompletionsPerPoll?: number;
  numberIos?: number;
  numberIosPercent?: number;
  zipfTheta?: number;
  keepAliveMs?: number;
  headerDigest?: boolean;
  dataDigest?: boolean;
  enableInterrupt?: boolean;
  latencyTracking?: number;
  continueOnError?: boolean;
  errorLogInterval?: number;
  logFlags?: string[];
  logLevel?: LogLevel;
  cpuUsage?: boolean;
  transportStats?: boolean;
  noShutdownNotification?: boolean;
  fua?: boolean;
  json?: string;
  report?: string;
  seed?: number;
  loopback?: boolean;
  verify?: boolean;
}

/** Help sections, in SPDK's order, then nvmekit's own. */
export type PerfHelpSection = 'basic' | 'advanced' | 'pcie' | 'tcp' | 'rdma' | 'logging' | 'nvmekit';

/**
 * `active`: the flag does what SPDK's does. `ignored`: accepted so SPDK command
 * lines run, with no effect, for the reason given. `refused`: asks for something
 * nvmekit lacks and must not silently drop (security). `help`: prints usage.
 */
export type OptionEffect = 'active' | 'help' | { readonly ignored: string } | { readonly refused: string };

/** One flag. */
export interface PerfOptionDef {
  /** Single-letter form without the dash (`q`), when SPDK has one. */
  readonly short?: string;
  /** Long form without the dashes (`io-depth`). */
  readonly long: string;
  /** Other long spellings SPDK answers to. */
  readonly aliases?: readonly string[];
  /** Value placeholder for help (`<val>`); absent for flags that take no value. */
  readonly arg?: string;
  /** The value may be left out (`--json [FILE]`); only `--name=value` or a following non-flag word supplies it. */
  readonly optionalArg?: boolean;
  readonly section: PerfHelpSection;
  /** What the flag means, in one line. */
  readonly help: string;
  /** The draft field it sets, so help can show its default. */
  readonly key?: keyof PerfOptionsDraft;
  readonly effect: OptionEffect;
  /** Stores the flag's value (or its presence) in the draft; throws ConfigError on a bad value. */
  readonly apply?: (draft: PerfOptionsDraft, value: string | undefined, flag: string) => void;
}

type Parse<T> = (raw: string, flag: string) => T;
type KeysOf<T> = { [K in keyof PerfOptionsDraft]-?: NonNullable<PerfOptionsDraft[K]> extends T ? K : never }[keyof PerfOptionsDraft];

/** The flag's value, parsed, into `key`. */
function set<K extends keyof PerfOptionsDraft>(key: K, parse: Parse<NonNullable<PerfOptionsDraft[K]>>) {
  return {
    key,
    effect: 'active' as const,
    apply: (d: PerfOptionsDraft, v: string | undefined, flag: string) => {
      d[key] = parse(v ?? '', flag);
    },
  };
}

/** A flag without a value that turns `key` on. */
function on(key: KeysOf<boolean>) {
  return { key, effect: 'active' as const, apply: (d: PerfOptionsDraft) => void (d[key] = true) };
}

/** A flag that may be repeated, each value appended to `key`. */
function append(key: KeysOf<string[]>, parse: Parse<string>) {
  return {
    key,
    effect: 'active' as const,
    apply: (d: PerfOptionsDraft, v: string | undefined, flag: string) => {
      d[key] = [...(d[key] ?? []), parse(v ?? '', flag)];
    },
  };
}

/** Accepted, no effect. */
function ignored(reason: string) {
  return { effect: { ignored: reason } };
}

const ENV = 'SPDK/DPDK environment setting';
const SOCK = "SPDK socket-layer setting; nvmekit uses Node's sockets";
const RDMA_TUNING = "not implemented by nvmekit's RDMA transport";
const NO_TLS = 'nvmekit does not implement NVMe/TCP TLS; refusing rather than connecting in the clear';
const NO_AUTH = 'nvmekit does not implement DH-HMAC-CHAP authentication';

/** Asks for security nvmekit lacks: refused, never silently dropped. */
function refused(reason: string) {
  return { effect: { refused: reason } };
}

function transportId(raw: string, flag: string): string {
  try {
    parseTransportId(raw);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(flag, `bad transport ID '${raw}': ${err.message}`);
    throw err;
  }
  return raw;
}

function numberIos(d: PerfOptionsDraft, raw: string | undefined, flag: string): void {
  const value = raw ?? '';
  if (value.includes('%')) {
    const m = /^(\d+)%$/.exec(value);
    const pct = m ? Number(m[1]) : 0;
    // SPDK allows more than 100% (preconditioning passes), but not 0.
    if (pct < 1) throw new ConfigError(flag, `expected a count or an integer percent of the namespace like 50%, got '${value}'`);
    d.numberIosPercent = pct;
    d.numberIos = 0;
  } else {
    d.numberIos = parseCapacity(value, flag);
    d.numberIosPercent = 0;
  }
}

function coreMask(d: PerfOptionsDraft, raw: string | undefined, flag: string): void {
  d.cores = parseCoreMask(raw ?? '', flag);
  d.coreMask = raw;
}

function continueOnError(d: PerfOptionsDraft, raw: string | undefined, flag: string): void {
  const n = parseUint(raw ?? '', flag);
  if (n === 0) throw new ConfigError(flag, 'the error log interval must be greater than 0');
  d.continueOnError = true;
  d.errorLogInterval = n;
}

function sockImpl(_d: PerfOptionsDraft, raw: string | undefined, flag: string): void {
  if (raw === 'ssl') throw new ConfigError(flag, NO_TLS);
}

function metadata(_d: PerfOptionsDraft, raw: string | undefined, flag: string): void {
  for (const pair of (raw ?? '').split(/[,\s]+/).filter((p) => p.length > 0)) {
    if (!/^(PRACT=[01]|PRCHK=(GUARD|REFTAG|APPTAG)(\|(GUARD|REFTAG|APPTAG))*)$/.test(pair)) {
      throw new ConfigError(flag, `'${pair}' is not PRACT=0|1 or PRCHK=GUARD|REFTAG|APPTAG`);
    }
  }
}

function latencyLevel(d: PerfOptionsDraft): void {
  d.latencyTracking = Math.min(2, (d.latencyTracking ?? 0) + 1);
}

function jsonTarget(raw: string, _flag: string): string {
  return raw === '' ? '-' : raw;
}

function reportPath(raw: string, flag: string): string {
  if (raw === '') throw new ConfigError(flag, 'needs a file name, e.g. --report result.html');
  return raw;
}

/** The table. Order is help order within each section. */
export const PERF_OPTION_TABLE: readonly PerfOptionDef[] = [
  // ==== BASIC OPTIONS ====
  { short: 'q', long: 'io-depth', arg: '<val>', section: 'basic', help: 'I/Os kept in flight per namespace per worker (required)', ...set('ioDepth', parseCapacity) },
  { short: 'o', long: 'io-size', arg: '<val>', section: 'basic', help: 'I/O size in bytes: 4096, 4k, 128K, 1M (required)', ...set('ioSizeBytes', parseCapacity) },
  { short: 'w', long: 'io-pattern', arg: '<pattern>', section: 'basic', help: `I/O pattern: ${IO_PATTERNS.join(', ')} (required)`, ...set('pattern', (raw, flag) => parseChoice(raw, flag, IO_PATTERNS)) },
  { short: 'M', long: 'rwmixread', arg: '<0-100>', section: 'basic', help: 'percent of reads for rw and randrw (100 all reads, 0 all writes)', ...set('rwMixRead', (raw, flag) => parseUintInRange(raw, flag, 0, 100)) },
  { short: 't', long: 'time', arg: '<sec>', section: 'basic', help: 'run time in seconds (required)', ...set('timeSec', parseUint) },
  { short: 'a', long: 'warmup-time', arg: '<sec>', section: 'basic', help: 'warm-up seconds before statistics are counted', ...set('warmupSec', parseUint) },
  { short: 'c', long: 'core-mask', arg: '<mask>', section: 'basic', help: 'cores that submit and complete I/O, as a hex mask (0x3) or a list ([0-3,5]); one worker per core', key: 'coreMask', effect: 'active', apply: coreMask },
  { short: 'r', long: 'transport', arg: '<fmt>', section: 'basic', help: "transport ID 'key:value ...' (trtype adrfam traddr trsvcid subnqn ns hostnqn hostaddr); repeatable", ...append('transports', transportId) },

  // ==== ADVANCED OPTIONS ====
  { long: 'use-every-core', section: 'advanced', help: 'submit I/O to every namespace from every core', ...on('useEveryCore') },
  { long: 'io-queue-size', arg: '<val>', section: 'advanced', help: 'I/O queue size; the default asks for the largest the controller allows (CAP.MQES)', ...set('ioQueueSize', parseCapacity) },
  { short: 'O', long: 'io-unit-size', arg: '<val>', section: 'advanced', help: 'bytes per data buffer segment (4-byte aligned); default: the I/O size', ...set('ioUnitSize', parseCapacity), effect: { ignored: 'nvmekit hands the transport one buffer per I/O; NVMe/TCP puts the same bytes on the wire either way' } },
  { short: 'P', long: 'num-qpairs', arg: '<val>', section: 'advanced', help: 'I/O queue pairs per namespace per worker, used round-robin', ...set('numQpairs', parseUint) },
  { short: 'U', long: 'num-unused-qpairs', arg: '<val>', section: 'advanced', help: 'extra I/O queue pairs per namespace per worker, opened and left idle (as SPDK\'s perf opens them)', ...set('numUnusedQpairs', parseUint) },
  { short: 'A', long: 'buffer-alignment', arg: '<val>', section: 'advanced', help: 'I/O buffer alignment', ...ignored('nvmekit allocates its own buffers') },
  { short: 's', long: 'hugemem-size', arg: '<MB>', section: 'advanced', help: 'DPDK huge memory size in MB', ...ignored(ENV) },
  { short: 'g', long: 'mem-single-seg', section: 'advanced', help: 'one file descriptor for DPDK memory segments', ...ignored(ENV) },
  { short: 'C', long: 'max-completion-per-poll', arg: '<val>', section: 'advanced', help: 'completions reaped per poll on polled transports, 0 for no limit (TCP delivers them as data arrives)', ...set('maxCompletionsPerPoll', parseUint) },
  { short: 'i', long: 'shmem-grp-id', arg: '<id>', section: 'advanced', help: 'shared memory group ID', ...ignored(ENV) },
  { short: 'd', long: 'number-ios', arg: '<val>', section: 'advanced', help: 'stop after this many I/Os per worker per namespace, or <N>% of the namespace; 0 for no limit', key: 'numberIos', effect: 'active', apply: numberIos },
  { short: 'e', long: 'metadata', arg: '<fmt>', section: 'advanced', help: "protection information settings, e.g. 'PRACT=0,PRCHK=GUARD|REFTAG'", effect: { ignored: 'nvmekit does not generate or check protection information' }, apply: metadata },
  { short: 'F', long: 'zipf', arg: '<theta>', section: 'advanced', help: 'zipf distribution of random offsets with this theta (0: uniform)', ...set('zipfTheta', parseNonNegativeNumber) },
  { long: 'iova-mode', arg: '<mode>', section: 'advanced', help: 'DPDK IOVA mode (va|pa)', ...ignored(ENV) },
  { long: 'no-huge', section: 'advanced', help: 'run without hugepages', ...ignored(ENV) },
  { long: 'enforce-numa', section: 'advanced', help: 'enforce NUMA placement of huge pages', ...ignored(ENV) },
  { long: 'vfio-vf-token', arg: '<token>', section: 'advanced', help: 'VF token shared by an SR-IOV PF and its VFs', ...ignored(ENV) },
  { long: 'env-context', arg: '<ctx>', section: 'advanced', help: 'opaque context for the DPDK env', ...ignored(ENV) },
  { short: 'y', long: 'tpoint-group', aliases: ['tpoint-group-mask'], arg: '<group>', section: 'advanced', help: 'SPDK trace point groups', ...ignored('SPDK trace buffers; use -T nvme for a command trace') },

  // ==== PCIe OPTIONS ====
  { short: 'b', long: 'allowed-pci-addr', arg: '<addr>', section: 'pcie', help: 'allowed local PCIe device', ...ignored(`${ENV}; select devices with -r 'trtype:PCIe traddr:...'`) },
  { short: 'V', long: 'enable-vmd', section: 'pcie', help: 'enumerate devices behind Intel VMD', ...ignored(ENV) },
  { short: 'D', long: 'disable-sq-cmb', section: 'pcie', help: 'keep submission queues out of the controller memory buffer', ...ignored('nvmekit never places queues in the CMB') },
  { short: 'E', long: 'enable-interrupt', section: 'pcie', help: 'workers always wait for completions; by default they poll while at most 16 I/Os are in flight on them', ...on('enableInterrupt') },

  // ==== TCP OPTIONS ====
  { short: 'S', long: 'default-sock-impl', arg: '<impl>', section: 'tcp', help: 'SPDK socket implementation (posix, uring; ssl refused)', effect: { ignored: SOCK }, apply: sockImpl },
  { long: 'disable-ktls', section: 'tcp', help: 'kernel TLS off (ssl only)', ...refused(NO_TLS) },
  { long: 'enable-ktls', section: 'tcp', help: 'kernel TLS on (ssl only)', ...refused(NO_TLS) },
  { long: 'tls-version', arg: '<val>', section: 'tcp', help: 'TLS version (ssl only)', ...refused(NO_TLS) },
  { long: 'psk-path', arg: '<val>', section: 'tcp', help: 'PSK file for TLS', ...refused(NO_TLS) },
  { long: 'psk-identity', arg: '<val>', section: 'tcp', help: 'PSK identity for TLS', ...refused(NO_TLS) },
  { long: 'dhchap-key', arg: '<val>', section: 'tcp', help: 'DH-HMAC-CHAP key file', ...refused(NO_AUTH) },
  { long: 'dhchap-ctrlr-key', arg: '<val>', section: 'tcp', help: 'DH-HMAC-CHAP controller key file', ...refused(NO_AUTH) },
  { long: 'zerocopy-threshold', arg: '<val>', section: 'tcp', help: 'MSG_ZEROCOPY above this size', ...ignored(SOCK) },
  { long: 'zerocopy-threshold-sock-impl', arg: '<impl>', section: 'tcp', help: 'socket implementation for --zerocopy-threshold', ...ignored(SOCK) },
  { short: 'z', long: 'disable-zcopy', arg: '<impl>', section: 'tcp', help: 'zero-copy send off', ...ignored(SOCK) },
  { short: 'Z', long: 'enable-zcopy', arg: '<impl>', section: 'tcp', help: 'zero-copy send on', ...ignored(SOCK) },
  { short: 'k', long: 'keepalive', arg: '<ms>', section: 'tcp', help: 'keep-alive timeout (KATO) in milliseconds, 0 to disable', ...set('keepAliveMs', parseUint) },
  { short: 'H', long: 'enable-tcp-hdgst', section: 'tcp', help: 'NVMe/TCP header digest', ...on('headerDigest') },
  { short: 'I', long: 'enable-tcp-ddgst', section: 'tcp', help: 'NVMe/TCP data digest', ...on('dataDigest') },

  // ==== RDMA OPTIONS ====
  { long: 'transport-tos', arg: '<val>', section: 'rdma', help: 'RDMA type of service', ...ignored(RDMA_TUNING) },
  { long: 'rdma-srq-size', arg: '<val>', section: 'rdma', help: 'shared receive queue size', ...ignored(RDMA_TUNING) },

  // ==== LOGGING ====
  { long: 'log-level', arg: '<level>', section: 'logging', help: `log level: ${LOG_LEVELS.join(', ')}`, ...set('logLevel', (raw, flag) => parseChoice(raw, flag, LOG_LEVELS)), effect: { ignored: 'nvme-perf always prints errors and has nothing below them; -T nvme traces commands' } },
  { short: 'L', long: 'enable-sw-latency-tracking', section: 'logging', help: 'software latency tracking: -L percentile summary, -LL also the histogram', key: 'latencyTracking', effect: 'active', apply: latencyLevel },
  { short: 'l', long: 'enable-ssd-latency-tracking', section: 'logging', help: "the drive's own (Intel vendor) latency tracking", ...ignored('Intel vendor latency log pages are not read') },
  { short: 'N', long: 'no-shst-notification', section: 'logging', help: 'detach without a shutdown notification (CC.SHN)', ...on('noShutdownNotification'), effect: { ignored: "nvmekit's driver always sends the shutdown notification on detach" } },
  { short: 'Q', long: 'continue-on-error', arg: '<val>', section: 'logging', help: 'keep going after I/O errors, logging one in every <val>', key: 'continueOnError', effect: 'active', apply: continueOnError },
  { short: 'T', long: 'logflag', arg: '<flag>', section: 'logging', help: 'enable a log component; nvme (or all) prints every command and completion', ...append('logFlags', (raw, flag) => parseChoice(raw, flag, LOG_FLAGS)) },
  { short: 'm', long: 'cpu-usage', section: 'logging', help: 'show busy % of the worker cores in the live line', ...on('cpuUsage') },
  { long: 'transport-stats', section: 'logging', help: 'print transport statistics per worker and namespace (the TCP transport exposes none yet)', ...on('transportStats') },

  // ==== nvmekit ====
  { long: 'json', arg: '[FILE]', optionalArg: true, section: 'nvmekit', help: 'write the result as JSON to FILE, or to stdout instead of the text report', ...set('json', jsonTarget) },
  { long: 'report', arg: '<FILE.html>', section: 'nvmekit', help: 'write a self-contained HTML report to FILE: IOPS and MiB/s over time, latency percentiles and histogram, settings', ...set('report', reportPath) },
  { long: 'seed', arg: '<n>', section: 'nvmekit', help: 'PRNG seed (32-bit) for offsets and the read/write mix; a run is repeatable with the same seed', ...set('seed', parseU32) },
  { long: 'loopback', section: 'nvmekit', help: 'start the bundled target (malloc namespace, TCP on 127.0.0.1) and run against it', ...on('loopback') },
  { long: 'verify', section: 'nvmekit', help: 'tag every written block with its LBA and a generation and check every read of it', ...on('verify') },
  { long: 'fua', section: 'nvmekit', help: 'set Force Unit Access on writes', ...on('fua') },
  { short: 'h', long: 'help', section: 'nvmekit', help: 'print this help', effect: 'help' },
  { short: 'v', long: 'help-full', section: 'nvmekit', help: 'the same help (SPDK spelling)', effect: 'help' },
];
