/**
 * nvme-perf's command line: argv → a draft (getopt semantics, table-driven) →
 * validated {@link PerfOptions} with SPDK's defaults and cross-flag checks.
 *
 * The parser is standalone rather than built on commander because SPDK users
 * type getopt forms commander does not read the same way: clustered flags that
 * count (`-LL`) or combine (`-HI`), values glued to the letter (`-q64`), and an
 * optional value (`--json [FILE]`). The CLI calls {@link parsePerfCommandLine}.
 */
import { ConfigError } from '../spec/errors.js';
import { parseCoreMask } from './core-mask.js';
import {
  PERF_OPTION_TABLE,
  type IoPattern,
  type LogLevel,
  type PerfOptionDef,
  type PerfOptionsDraft,
} from './perf-option-table.js';

/** A complete, checked nvme-perf configuration. Field docs name the flag. */
export interface PerfOptions {
  /** `-q`: I/Os in flight per (worker, namespace). */
  ioDepth: number;
  /** `-o`: bytes per I/O. */
  ioSizeBytes: number;
  /** `-w`. */
  pattern: IoPattern;
  /** `-w rand*`: random offsets (uniform, or zipf with `-F`). */
  random: boolean;
  /** Percent of reads: 100 for read/randread, 0 for write/randwrite, `-M` for rw/randrw. */
  rwMixRead: number;
  /** `-t`: measured seconds. */
  timeSec: number;
  /** `-a`: seconds run before statistics reset. */
  warmupSec: number;
  /** `-c` as given. */
  coreMask: string;
  /** `-c` as ascending core numbers; `cores[0]` is the main core (it runs a worker too). */
  cores: number[];
  /** `-r` strings as given (each already parsed once by `parseTransportId`). */
  transports: string[];
  /** `--use-every-core`. */
  useEveryCore: boolean;
  /** `--io-queue-size`; 65535 means "as large as CAP.MQES allows". */
  ioQueueSize: number;
  /** `-O`: bytes per buffer segment; defaults to the I/O size. */
  ioUnitSize: number;
  /** `-P`: I/O queue pairs per (worker, namespace), used round-robin. */
  numQpairs: number;
  /** `-U`: idle I/O queue pairs per (worker, namespace), as SPDK's perf opens them. */
  numUnusedQpairs: number;
  /** `-C`: completions per poll, 0 = no limit. */
  maxCompletionsPerPoll: number;
  /** `-d N`: stop a (worker, namespace) after N submitted I/Os; 0 = no limit. */
  numberIos: number;
  /** `-d N%`: the same as a percent of the namespace's I/O slots; 0 = not given. */
  numberIosPercent: number;
  /** `-F`: zipf theta, 0 = uniform. */
  zipfTheta: number;
  /** `-k`: keep-alive timeout in ms (0 disables). */
  keepAliveMs: number;
  /** `-H`. */
  headerDigest: boolean;
  /** `-I`. */
  dataDigest: boolean;
  /** `-E`. */
  enableInterrupt: boolean;
  /** `-L` count: 0 none, 1 percentile summary, 2 summary and histogram. */
  latencyTracking: 0 | 1 | 2;
  /** `-Q`. */
  continueOnError: boolean;
  /** `-Q N`: log one I/O error in N. */
  errorLogInterval: number;
  /** `-T`, de-duplicated. */
  logFlags: string[];
  /** `--log-level`. */
  logLevel: LogLevel;
  /** `-m`. */
  cpuUsage: boolean;
  /** `--transport-stats`. */
  transportStats: boolean;
  /** `-N`. */
  noShutdownNotification: boolean;
  /** `--fua`. */
  fua: boolean;
  /** `--json`: a file name, `-` for stdout, null when not asked. */
  json: string | null;
  /** `--report`: the HTML report's file name, null when not asked. */
  report: string | null;
  /** `--seed`; null lets the engine pick one (and report it). */
  seed: number | null;
  /** `--loopback`. */
  loopback: boolean;
  /** `--verify`. */
  verify: boolean;
}

/** SPDK's defaults for everything that is not required (`-c` 0x1, `-P` 1, `-k` 10000 ms...). */
export const PERF_DEFAULTS = {
  warmupSec: 0,
  coreMask: '0x1',
  useEveryCore: false,
  ioQueueSize: 65535,
  numQpairs: 1,
  numUnusedQpairs: 0,
  maxCompletionsPerPoll: 0,
  numberIos: 0,
  numberIosPercent: 0,
  zipfTheta: 0,
  keepAliveMs: 10000,
  headerDigest: false,
  dataDigest: false,
  enableInterrupt: false,
  latencyTracking: 0,
  continueOnError: false,
  errorLogInterval: 1,
  logLevel: 'error',
  cpuUsage: false,
  transportStats: false,
  noShutdownNotification: false,
  fua: false,
  loopback: false,
  verify: false,
} as const satisfies Partial<PerfOptions>;

/** What `--loopback` runs when the required flags are left out: 4 KiB randread at QD 64 for 10 s. */
export const LOOPBACK_DEFAULTS = { ioDepth: 64, ioSizeBytes: 4096, pattern: 'randread', timeSec: 10 } as const satisfies Partial<PerfOptions>;

/** The smallest LBA size; `-o` must be a multiple of it before any namespace is seen. */
const MIN_LBA_BYTES = 512;

/** A flag that was accepted with no effect. */
export interface IgnoredFlag {
  /** As typed (`-s`, `--no-huge`). */
  flag: string;
  reason: string;
}

/** The command line read, not yet checked. */
export interface PerfArgs {
  draft: PerfOptionsDraft;
  /** `-h`, `--help` or `--help-full` was given; nothing else was read after it. */
  help: boolean;
  ignored: IgnoredFlag[];
}

const BY_SHORT = new Map(PERF_OPTION_TABLE.filter((d) => d.short).map((d) => [d.short!, d]));
const BY_LONG = new Map(PERF_OPTION_TABLE.flatMap((d) => [d.long, ...(d.aliases ?? [])].map((name) => [name, d] as const)));

/**
 * Reads argv (without node and the script) the way getopt_long reads SPDK's:
 * `-q 64`, `-q64`, `--io-depth 64`, `--io-depth=64`, clusters (`-LL`, `-HI`),
 * repeated `-r`. Values are parsed and checked one flag at a time.
 *
 * @throws ConfigError naming the flag: unknown option, missing value, bad value,
 *   refused option, or a stray argument
 */
export function parsePerfArgs(argv: readonly string[]): PerfArgs {
  const draft: PerfOptionsDraft = {};
  const ignored: IgnoredFlag[] = [];
  const take = (def: PerfOptionDef, flag: string, value: string | undefined): boolean => {
    const effect = def.effect;
    if (effect === 'help') return true;
    if (typeof effect === 'object' && 'refused' in effect) throw new ConfigError(flag, effect.refused);
    def.apply?.(draft, value, flag);
    if (typeof effect === 'object' && !ignored.some((i) => i.flag === flag)) ignored.push({ flag, reason: effect.ignored });
    return false;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      const flag = `--${name}`;
      const def = BY_LONG.get(name);
      if (!def) throw new ConfigError(flag, 'unknown option (nvme-perf --help lists them)');
      let value: string | undefined = eq > 0 ? a.slice(eq + 1) : undefined;
      if (!def.arg && value !== undefined) throw new ConfigError(flag, `takes no value, got '${value}'`);
      if (def.arg && value === undefined) {
        const next = argv[i + 1];
        if (def.optionalArg) {
          // A lone '-' is a value (stdout), not a flag.
          if (next !== undefined && (next === '-' || !next.startsWith('-'))) value = argv[++i];
        } else {
          if (next === undefined) throw new ConfigError(flag, `needs a value ${def.arg}`);
          value = argv[++i];
        }
      }
      if (take(def, flag, value)) return { draft, help: true, ignored };
    } else if (a.startsWith('-') && a.length > 1 && a !== '--') {
      for (let j = 1; j < a.length; j++) {
        const flag = `-${a[j]}`;
        const def = BY_SHORT.get(a[j]!);
        if (!def) throw new ConfigError(flag, 'unknown option (nvme-perf --help lists them)');
        if (!def.arg) {
          if (take(def, flag, undefined)) return { draft, help: true, ignored };
          continue;
        }
        let value: string | undefined = a.slice(j + 1);
        if (value === '') {
          if (argv[i + 1] === undefined) throw new ConfigError(flag, `needs a value ${def.arg}`);
          value = argv[++i];
        }
        if (take(def, flag, value)) return { draft, help: true, ignored };
        break;
      }
    } else {
      throw new ConfigError(
        a,
        'unexpected argument: nvme-perf reads devices from -r transport IDs (kernel block devices, SPDK\'s AIO/io_uring mode, are not supported)',
      );
    }
  }
  return { draft, help: false, ignored };
}

/** Facts about the machine the checks need; tests pass their own. */
export interface PerfEnvironment {
  /** Cores the OS has; `-c` may not name a core at or above it. Absent: not checked. */
  cpuCount?: number;
}

/** Checked options and what the user should be told. */
export interface ValidatedPerfOptions {
  options: PerfOptions;
  /** One line each, SPDK's wording where SPDK warns (e.g. -M ignored for read/write). */
  warnings: string[];
}

/**
 * Applies defaults and the checks that span flags, with SPDK's rules: the four
 * required flags (unless `--loopback` supplies them), `-M` for the mixes, `-d`
 * against `-a` and `-q`, plus nvmekit's own (`-o` a multiple of 512, a transport
 * or `--loopback`, `--verify` needs a read/write mix, zipf theta not 1).
 *
 * @throws ConfigError naming the first offending flag
 */
export function validatePerfOptions(draft: PerfOptionsDraft, env: PerfEnvironment = {}): ValidatedPerfOptions {
  const warnings: string[] = [];
  const loopback = draft.loopback ?? PERF_DEFAULTS.loopback;
  const transports = draft.transports ?? [];
  if (loopback && transports.length > 0) {
    throw new ConfigError('--loopback', 'runs against the bundled target; give either --loopback or -r, not both');
  }
  if (!loopback && transports.length === 0) {
    throw new ConfigError('-r', "give at least one transport ID, e.g. -r 'trtype:TCP traddr:127.0.0.1 trsvcid:4420', or use --loopback");
  }
  const required = <K extends keyof typeof LOOPBACK_DEFAULTS>(key: K, flag: string, example: string): NonNullable<PerfOptionsDraft[K]> => {
    const value = draft[key] ?? (loopback ? LOOPBACK_DEFAULTS[key] : undefined);
    if (value === undefined || value === 0) throw new ConfigError(flag, `missing or 0: required, e.g. ${flag} ${example}`);
    return value as NonNullable<PerfOptionsDraft[K]>;
  };
  const numQpairs = draft.numQpairs ?? PERF_DEFAULTS.numQpairs;
  if (numQpairs === 0) throw new ConfigError('-P', 'must be at least 1');
  const ioDepth = required('ioDepth', '-q', '64');
  const ioSizeBytes = required('ioSizeBytes', '-o', '4096');
  if (ioSizeBytes % MIN_LBA_BYTES !== 0) {
    throw new ConfigError('-o', `${ioSizeBytes} is not a multiple of ${MIN_LBA_BYTES} (the smallest LBA size; each namespace's own LBA size is checked when it is attached)`);
  }
  const ioUnitSize = draft.ioUnitSize ?? ioSizeBytes;
  if (ioUnitSize === 0 || ioUnitSize % 4 !== 0) throw new ConfigError('-O', `must be a non-zero multiple of 4, got ${ioUnitSize}`);
  const pattern = required('pattern', '-w', 'randread');
  const timeSec = required('timeSec', '-t', '10');

  const random = pattern.startsWith('rand');
  const mixed = pattern === 'rw' || pattern === 'randrw';
  let rwMixRead: number;
  if (mixed) {
    if (draft.rwMixRead === undefined) throw new ConfigError('-M', `required for -w ${pattern}: the percent of reads, 0 to 100`);
    rwMixRead = draft.rwMixRead;
  } else {
    rwMixRead = pattern.endsWith('read') ? 100 : 0;
    if (draft.rwMixRead !== undefined) {
      warnings.push('Ignoring -M (--rwmixread) option... Please use -M option only when using rw or randrw.');
    }
  }

  const warmupSec = draft.warmupSec ?? PERF_DEFAULTS.warmupSec;
  const numberIos = draft.numberIos ?? PERF_DEFAULTS.numberIos;
  const numberIosPercent = draft.numberIosPercent ?? PERF_DEFAULTS.numberIosPercent;
  if ((numberIos > 0 || numberIosPercent > 0) && warmupSec > 0) {
    throw new ConfigError('-d', 'cannot be combined with -a (--warmup-time)');
  }
  if (numberIos > 0 && numberIos < ioDepth) throw new ConfigError('-d', `${numberIos} is less than -q ${ioDepth}`);

  const coreMask = draft.coreMask ?? PERF_DEFAULTS.coreMask;
  const cores = draft.cores ?? parseCoreMask(coreMask);
  const highest = cores[cores.length - 1]!;
  if (env.cpuCount !== undefined && highest >= env.cpuCount) {
    throw new ConfigError('-c', `core ${highest} does not exist: this machine has cores 0 to ${env.cpuCount - 1}`);
  }

  const zipfTheta = draft.zipfTheta ?? PERF_DEFAULTS.zipfTheta;
  if (zipfTheta === 1) throw new ConfigError('-F', "theta 1 is undefined in SPDK's zipf method (alpha = 1/(1-theta)); use e.g. 0.99 or 1.01");
  if (zipfTheta > 0 && !random) warnings.push(`-F (--zipf) only shapes random patterns; -w ${pattern} is sequential, so it is ignored.`);

  const verify = draft.verify ?? PERF_DEFAULTS.verify;
  if (verify && (!mixed || rwMixRead === 0 || rwMixRead === 100)) {
    throw new ConfigError('--verify', 'checks reads of blocks this run wrote, so it needs -w rw or randrw with -M between 1 and 99');
  }

  const ioQueueSize = draft.ioQueueSize ?? PERF_DEFAULTS.ioQueueSize;
  if (ioQueueSize < 2) throw new ConfigError('--io-queue-size', `must be at least 2, got ${ioQueueSize}`);

  const options: PerfOptions = {
    ioDepth,
    ioSizeBytes,
    pattern,
    random,
    rwMixRead,
    timeSec,
    warmupSec,
    coreMask,
    cores,
    transports,
    useEveryCore: draft.useEveryCore ?? PERF_DEFAULTS.useEveryCore,
    ioQueueSize,
    ioUnitSize,
    numQpairs,
    numUnusedQpairs: draft.numUnusedQpairs ?? PERF_DEFAULTS.numUnusedQpairs,
    maxCompletionsPerPoll: draft.maxCompletionsPerPoll ?? PERF_DEFAULTS.maxCompletionsPerPoll,
    numberIos,
    numberIosPercent,
    zipfTheta,
    keepAliveMs: draft.keepAliveMs ?? PERF_DEFAULTS.keepAliveMs,
    headerDigest: draft.headerDigest ?? PERF_DEFAULTS.headerDigest,
    dataDigest: draft.dataDigest ?? PERF_DEFAULTS.dataDigest,
    enableInterrupt: draft.enableInterrupt ?? PERF_DEFAULTS.enableInterrupt,
    latencyTracking: (draft.latencyTracking ?? PERF_DEFAULTS.latencyTracking) as 0 | 1 | 2,
    continueOnError: draft.continueOnError ?? PERF_DEFAULTS.continueOnError,
    errorLogInterval: draft.errorLogInterval ?? PERF_DEFAULTS.errorLogInterval,
    logFlags: [...new Set(draft.logFlags ?? [])],
    logLevel: draft.logLevel ?? PERF_DEFAULTS.logLevel,
    cpuUsage: draft.cpuUsage ?? PERF_DEFAULTS.cpuUsage,
    transportStats: draft.transportStats ?? PERF_DEFAULTS.transportStats,
    noShutdownNotification: draft.noShutdownNotification ?? PERF_DEFAULTS.noShutdownNotification,
    fua: draft.fua ?? PERF_DEFAULTS.fua,
    json: draft.json ?? null,
    report: draft.report ?? null,
    seed: draft.seed ?? null,
    loopback,
    verify,
  };
  return { options, warnings };
}

/** What the CLI should do. */
export type PerfCommandLine =
  | { kind: 'help'; ignored: IgnoredFlag[] }
  | { kind: 'run'; options: PerfOptions; warnings: string[]; ignored: IgnoredFlag[] };

/** {@link parsePerfArgs} then {@link validatePerfOptions}. */
export function parsePerfCommandLine(argv: readonly string[], env: PerfEnvironment = {}): PerfCommandLine {
  const args = parsePerfArgs(argv);
  if (args.help) return { kind: 'help', ignored: args.ignored };
  const { options, warnings } = validatePerfOptions(args.draft, env);
  return { kind: 'run', options, warnings, ignored: args.ignored };
}

/** The facts about an attached namespace that decide how perf addresses it. */
export interface PerfNamespaceShape {
  /** Report name (`TCP (addr:... subnqn:...) NSID 1`). */
  name: string;
  /** Logical block data size in bytes. */
  lbaSize: number;
  /** Namespace size in logical blocks (NSZE). */
  numLbas: number;
}

/** How a (worker, namespace) addresses its namespace. */
export interface PerfNamespaceGeometry {
  /** I/O-size slots in the namespace (SPDK's `size_in_ios`): offsets are `slot * ioSizeBlocks`. */
  sizeInIos: number;
  /** Logical blocks per I/O (NLB). */
  ioSizeBlocks: number;
  /** Submissions after which the (worker, namespace) stops; 0 = no limit. */
  numberIos: number;
}

/**
 * The per-namespace check SPDK's `register_ns` does once the LBA size is known,
 * and the `-d N%` conversion. Where SPDK warns and drops the namespace, this
 * throws so the run ends with the flag named.
 *
 * @throws ConfigError('-o') when the I/O size is not a multiple of the LBA size
 *   or the namespace is smaller than one I/O
 */
export function perfNamespaceGeometry(
  opts: Pick<PerfOptions, 'ioSizeBytes' | 'numberIos' | 'numberIosPercent'>,
  ns: PerfNamespaceShape,
): PerfNamespaceGeometry {
  if (opts.ioSizeBytes % ns.lbaSize !== 0) {
    throw new ConfigError('-o', `${opts.ioSizeBytes} is not a multiple of the ${ns.lbaSize}-byte LBA size of ${ns.name}`);
  }
  const nsBytes = ns.numLbas * ns.lbaSize;
  if (nsBytes < opts.ioSizeBytes) {
    throw new ConfigError('-o', `${ns.name} holds ${nsBytes} bytes, less than one ${opts.ioSizeBytes}-byte I/O`);
  }
  const sizeInIos = Math.floor(nsBytes / opts.ioSizeBytes);
  const numberIos = opts.numberIosPercent > 0 ? Math.floor((sizeInIos * opts.numberIosPercent) / 100) : opts.numberIos;
  return { sizeInIos, ioSizeBlocks: opts.ioSizeBytes / ns.lbaSize, numberIos };
}
