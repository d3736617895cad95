import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/spec/errors.js';
import { parseCoreMask } from '../../../src/bench/core-mask.js';
import { formatIgnoredNote, formatPerfHelp } from '../../../src/bench/perf-help.js';
import { PERF_OPTION_TABLE } from '../../../src/bench/perf-option-table.js';
import {
  parsePerfArgs,
  parsePerfCommandLine,
  perfNamespaceGeometry,
  validatePerfOptions,
  type PerfOptions,
} from '../../../src/bench/perf-options.js';

const VECTORS = fileURLToPath(new URL('../../../../shared/vectors/', import.meta.url));
const HELP = readFileSync(`${VECTORS}spdk/spdk_nvme_perf_help_full.txt`, 'utf8');

const TCP = 'trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:nqn.2016-06.io.nvmekit:cnode1';
const BASE = ['-q', '64', '-o', '4096', '-w', 'randread', '-t', '10', '-r', TCP];

function run(argv: string[]): PerfOptions {
  const cl = parsePerfCommandLine(argv);
  if (cl.kind !== 'run') throw new Error('expected a run');
  return cl.options;
}

/** The ConfigError `fn` throws, or a failure. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

/** Every flag named in SPDK's --help-full: [-x, --long] pairs and long-only options. */
function spdkFlags(): { short?: string; long: string; takesValue: boolean }[] {
  const out: { short?: string; long: string; takesValue: boolean }[] = [];
  for (const line of HELP.split('\n')) {
    const m = /^\s*\[?(?:-(\w), )?--([a-z0-9-]+)(,?)\s*(\S*)/.exec(line);
    if (!m) continue;
    out.push({ short: m[1], long: m[2]!, takesValue: m[3] !== ',' && (m[4] ?? '').startsWith('<') });
  }
  return out;
}

/** A valid value for a flag that takes one. */
const SAMPLE_VALUES: Record<string, string> = {
  'io-pattern': 'randread',
  transport: TCP,
  'core-mask': '0x1',
  logflag: 'nvme',
  'log-level': 'error',
  metadata: 'PRACT=0,PRCHK=GUARD|REFTAG',
  'default-sock-impl': 'posix',
  zipf: '0.5',
  'iova-mode': 'va',
  'allowed-pci-addr': '0000:04:00.0',
};

describe('the option table covers spdk_nvme_perf', () => {
  const flags = spdkFlags();

  it('finds the flags in the SPDK help text', () => {
    // A sanity check on the extraction itself: SPDK 26.05 documents about 60 flags.
    expect(flags.length).toBeGreaterThan(55);
    expect(flags.map((f) => f.long)).toContain('io-depth');
    expect(flags.map((f) => f.long)).toContain('transport-stats');
  });

  it.each(spdkFlags())('--$long has a table entry with the same short letter', (f) => {
    const def = PERF_OPTION_TABLE.find((d) => d.long === f.long || d.aliases?.includes(f.long));
    expect(def, f.long).toBeDefined();
    expect(def!.short).toBe(f.short);
  });

  it.each(spdkFlags())('--$long is accepted on the command line (or refused by name)', (f) => {
    const def = PERF_OPTION_TABLE.find((d) => d.long === f.long)!;
    const argv = def.arg && !def.optionalArg ? [`--${f.long}`, SAMPLE_VALUES[f.long] ?? '1'] : [`--${f.long}`];
    if (typeof def.effect === 'object' && 'refused' in def.effect) {
      expect(configError(() => parsePerfArgs(argv)).key).toBe(`--${f.long}`);
      return;
    }
    expect(() => parsePerfArgs(argv)).not.toThrow();
    if (f.short) {
      const shortArgv = [`-${f.short}`, ...argv.slice(1)];
      expect(() => parsePerfArgs(shortArgv)).not.toThrow();
    }
  });
});

describe('parsePerfArgs', () => {
  it('reads the issue\'s SPDK command line', () => {
    const o = run(['-q', '64', '-o', '4096', '-w', 'randrw', '-M', '70', '-t', '10', '-c', '0x3', '-P', '2', '-L', '-r', TCP]);
    expect(o).toMatchObject({
      ioDepth: 64,
      ioSizeBytes: 4096,
      pattern: 'randrw',
      random: true,
      rwMixRead: 70,
      timeSec: 10,
      coreMask: '0x3',
      cores: [0, 1],
      numQpairs: 2,
      latencyTracking: 1,
      transports: [TCP],
    });
  });

  it('takes SPDK\'s defaults for what is not given', () => {
    const o = run(BASE);
    expect(o).toMatchObject({
      coreMask: '0x1',
      cores: [0],
      numQpairs: 1,
      numUnusedQpairs: 0,
      ioQueueSize: 65535,
      ioUnitSize: 4096,
      keepAliveMs: 10000,
      warmupSec: 0,
      numberIos: 0,
      zipfTheta: 0,
      maxCompletionsPerPoll: 0,
      latencyTracking: 0,
      continueOnError: false,
      errorLogInterval: 1,
      logLevel: 'error',
      rwMixRead: 100,
      json: null,
      seed: null,
    });
  });

  it.each([
    ['4096', 4096],
    ['4k', 4096],
    ['4K', 4096],
    ['128K', 131072],
    ['1M', 1048576],
    ['1m', 1048576],
    ['4KB', 4096],
  ])('reads -o %s as %d bytes', (raw, bytes) => {
    expect(parsePerfArgs(['-o', raw]).draft.ioSizeBytes).toBe(bytes);
  });

  it('reads getopt forms: glued values, --name=value, clusters, counted and repeated flags', () => {
    const a = parsePerfArgs(['-q64', '--io-size=8k', '-LL', '-HI', '-r', TCP, '-r', 'trtype:TCP traddr:127.0.0.2', '-Tnvme']);
    expect(a.draft).toMatchObject({
      ioDepth: 64,
      ioSizeBytes: 8192,
      latencyTracking: 2,
      headerDigest: true,
      dataDigest: true,
      transports: [TCP, 'trtype:TCP traddr:127.0.0.2'],
      logFlags: ['nvme'],
    });
    expect(parsePerfArgs(['-L', '-L', '-L']).draft.latencyTracking).toBe(2);
    expect(parsePerfArgs(['-LHq', '32']).draft).toMatchObject({ latencyTracking: 1, headerDigest: true, ioDepth: 32 });
  });

  it('reads -d as a count or a percent of the namespace', () => {
    expect(parsePerfArgs(['-d', '1000']).draft).toMatchObject({ numberIos: 1000, numberIosPercent: 0 });
    expect(parsePerfArgs(['-d', '50%']).draft).toMatchObject({ numberIos: 0, numberIosPercent: 50 });
    expect(parsePerfArgs(['-d', '150%']).draft.numberIosPercent).toBe(150);
  });

  it('reads -Q as continue-on-error with a log interval', () => {
    expect(parsePerfArgs(['-Q', '10']).draft).toMatchObject({ continueOnError: true, errorLogInterval: 10 });
  });

  it('reads nvmekit\'s own flags', () => {
    expect(parsePerfArgs(['--json']).draft.json).toBe('-');
    expect(parsePerfArgs(['--json', 'out.json', '-q', '4']).draft).toMatchObject({ json: 'out.json', ioDepth: 4 });
    expect(parsePerfArgs(['--json', '-q', '4']).draft).toMatchObject({ json: '-', ioDepth: 4 });
    expect(parsePerfArgs(['--json', '-', '-q', '4']).draft).toMatchObject({ json: '-', ioDepth: 4 });
    expect(parsePerfArgs(['--json=r.json']).draft.json).toBe('r.json');
    expect(parsePerfArgs(['--seed', '42']).draft.seed).toBe(42);
    expect(parsePerfArgs(['--seed', '0xdeadbeef']).draft.seed).toBe(0xdeadbeef);
    expect(parsePerfArgs(['--loopback', '--verify', '--fua']).draft).toMatchObject({ loopback: true, verify: true, fua: true });
  });

  it('lists SPDK environment flags once as ignored, with a reason', () => {
    const a = parsePerfArgs(['-s', '2048', '--no-huge', '-s', '1024', '-i', '0', '-A', '4096', '--iova-mode', 'va']);
    expect(a.ignored.map((i) => i.flag)).toEqual(['-s', '--no-huge', '-i', '-A', '--iova-mode']);
    const note = formatIgnoredNote(a.ignored)!;
    expect(note).toContain('-s, --no-huge, -i, --iova-mode (SPDK/DPDK environment setting)');
    expect(note).toContain('-A (nvmekit allocates its own buffers)');
    expect(formatIgnoredNote([])).toBeNull();
  });

  it('stops at -h / --help / --help-full', () => {
    expect(parsePerfArgs(['-q', '1', '-h', '--bogus']).help).toBe(true);
    expect(parsePerfCommandLine(['--help']).kind).toBe('help');
    expect(parsePerfCommandLine(['--help-full']).kind).toBe('help');
  });
});

describe('bad flags end with a ConfigError naming the flag', () => {
  it.each([
    [['-q', 'abc'], '-q'],
    [['-q', '-5'], '-q'],
    [['-o', '4x'], '-o'],
    [['-w', 'randomread'], '-w'],
    [['-M', '101'], '-M'],
    [['-M', '-1'], '-M'],
    [['-t', '1.5'], '-t'],
    [['-c', '0xZZ'], '-c'],
    [['-c', '[3-1]'], '-c'],
    [['-c', '[a]'], '-c'],
    [['-c', '0x0'], '-c'],
    [['-r', 'trtype:XYZ traddr:127.0.0.1'], '-r'],
    [['-r', 'traddr:127.0.0.1'], '-r'],
    [['-r', 'trtype:TCP adrfam:IPv4 traddr:::1'], '-r'],
    [['--transport', 'trtype:TCP traddr:127.0.0.1 trsvcid:99999'], '--transport'],
    [['-d', '0%'], '-d'],
    [['-d', 'x%'], '-d'],
    [['-F', '-1'], '-F'],
    [['-F', 'abc'], '-F'],
    [['-Q', '0'], '-Q'],
    [['-T', 'bogus'], '-T'],
    [['--log-level', 'loud'], '--log-level'],
    [['-k', '1s'], '-k'],
    [['--seed', '4294967296'], '--seed'],
    [['-e', 'PRACT=2'], '-e'],
    [['--bogus'], '--bogus'],
    [['-j'], '-j'],
    [['-q'], '-q'],
    [['--io-depth'], '--io-depth'],
    [['--no-huge=1'], '--no-huge'],
    [['--psk-path', '/tmp/key'], '--psk-path'],
    [['--dhchap-key', '/tmp/key'], '--dhchap-key'],
    [['-S', 'ssl'], '-S'],
    [['/dev/nvme0n1'], '/dev/nvme0n1'],
  ])('%j → %s', (argv, flag) => {
    const err = configError(() => parsePerfArgs(argv));
    expect(err.key).toBe(flag);
    expect(err.message.startsWith(`${flag}: `)).toBe(true);
  });

  it.each([
    [['-o', '4096', '-w', 'read', '-t', '1', '-r', TCP], '-q'],
    [['-q', '0', '-o', '4096', '-w', 'read', '-t', '1', '-r', TCP], '-q'],
    [['-q', '1', '-w', 'read', '-t', '1', '-r', TCP], '-o'],
    [['-q', '1', '-o', '1000', '-w', 'read', '-t', '1', '-r', TCP], '-o'],
    [['-q', '1', '-o', '4096', '-t', '1', '-r', TCP], '-w'],
    [['-q', '1', '-o', '4096', '-w', 'read', '-r', TCP], '-t'],
    [['-q', '1', '-o', '4096', '-w', 'rw', '-t', '1', '-r', TCP], '-M'],
    [[...BASE, '-P', '0'], '-P'],
    [[...BASE, '-O', '6'], '-O'],
    [[...BASE, '-O', '0'], '-O'],
    [[...BASE, '-d', '1000', '-a', '5'], '-d'],
    [[...BASE, '-d', '10%', '-a', '5'], '-d'],
    [[...BASE, '-d', '10'], '-d'],
    [[...BASE, '-F', '1'], '-F'],
    [[...BASE, '--io-queue-size', '1'], '--io-queue-size'],
    [[...BASE, '--verify'], '--verify'],
    [['-q', '1', '-o', '4096', '-w', 'randrw', '-M', '100', '-t', '1', '-r', TCP, '--verify'], '--verify'],
    [['-q', '1', '-o', '4096', '-w', 'read', '-t', '1'], '-r'],
    [[...BASE, '--loopback'], '--loopback'],
  ])('%j → %s', (argv, flag) => {
    expect(configError(() => parsePerfCommandLine(argv)).key).toBe(flag);
  });

  it('rejects cores the machine does not have', () => {
    const err = configError(() => validatePerfOptions(parsePerfArgs([...BASE, '-c', '0x6']).draft, { cpuCount: 2 }));
    expect(err.key).toBe('-c');
    expect(err.message).toContain('core 2');
    expect(() => validatePerfOptions(parsePerfArgs([...BASE, '-c', '0x3']).draft, { cpuCount: 2 })).not.toThrow();
  });
});

describe('validatePerfOptions', () => {
  it('fills --loopback\'s defaults for the required flags, and lets flags override them', () => {
    expect(run(['--loopback'])).toMatchObject({ ioDepth: 64, ioSizeBytes: 4096, pattern: 'randread', timeSec: 10, loopback: true, transports: [] });
    expect(run(['--loopback', '-q', '1', '-w', 'randrw', '-M', '50'])).toMatchObject({ ioDepth: 1, pattern: 'randrw', rwMixRead: 50 });
  });

  it('resolves the read share from the pattern as SPDK does, warning about a stray -M', () => {
    expect(run([...BASE.slice(0, 4), '-w', 'write', ...BASE.slice(6)]).rwMixRead).toBe(0);
    const cl = parsePerfCommandLine([...BASE, '-M', '50']);
    expect(cl.kind === 'run' && cl.options.rwMixRead).toBe(100);
    expect(cl.kind === 'run' && cl.warnings).toEqual([
      'Ignoring -M (--rwmixread) option... Please use -M option only when using rw or randrw.',
    ]);
  });

  it('warns that zipf does nothing for a sequential pattern', () => {
    const cl = parsePerfCommandLine(['-q', '1', '-o', '4096', '-w', 'read', '-t', '1', '-r', TCP, '-F', '0.9']);
    expect(cl.kind === 'run' && cl.warnings.join('\n')).toContain('-F (--zipf)');
  });

  it('accepts --verify for a read/write mix', () => {
    expect(run(['--loopback', '-w', 'randrw', '-M', '50', '--verify', '-c', '0x3', '-P', '4']).verify).toBe(true);
  });

  it('de-duplicates -T flags', () => {
    expect(run([...BASE, '-T', 'nvme', '-T', 'all', '-T', 'nvme']).logFlags).toEqual(['nvme', 'all']);
  });
});

describe('parseCoreMask', () => {
  it.each([
    ['0x1', [0]],
    ['1', [0]],
    ['0x3', [0, 1]],
    ['3', [0, 1]],
    ['0xF0', [4, 5, 6, 7]],
    ['0x100000000', [32]],
    ['[0-3,5]', [0, 1, 2, 3, 5]],
    ['[ 1 , 3-4 ]', [1, 3, 4]],
    ['[2,1,2]', [1, 2]],
  ])('%s → %j', (mask, cores) => {
    expect(parseCoreMask(mask)).toEqual(cores);
  });

  it('refuses cores beyond any real machine', () => {
    expect(configError(() => parseCoreMask('[0-5000]')).key).toBe('-c');
    expect(configError(() => parseCoreMask(`0x1${'0'.repeat(300)}`)).key).toBe('-c');
  });
});

describe('perfNamespaceGeometry', () => {
  const ns = { name: 'TCP (addr:127.0.0.1 subnqn:x) NSID 1', lbaSize: 512, numLbas: 524288 };
  const opts = { ioSizeBytes: 4096, numberIos: 0, numberIosPercent: 0 };

  it('counts I/O slots and blocks per I/O', () => {
    expect(perfNamespaceGeometry(opts, ns)).toEqual({ sizeInIos: 65536, ioSizeBlocks: 8, numberIos: 0 });
    expect(perfNamespaceGeometry(opts, { ...ns, lbaSize: 4096, numLbas: 100 })).toEqual({ sizeInIos: 100, ioSizeBlocks: 1, numberIos: 0 });
  });

  it('turns -d N% into a count of the namespace\'s slots', () => {
    expect(perfNamespaceGeometry({ ...opts, numberIosPercent: 50 }, ns).numberIos).toBe(32768);
    expect(perfNamespaceGeometry({ ...opts, numberIos: 1234 }, ns).numberIos).toBe(1234);
  });

  it('names -o when the I/O size does not fit the namespace', () => {
    const lba = configError(() => perfNamespaceGeometry({ ...opts, ioSizeBytes: 512 }, { ...ns, lbaSize: 4096 }));
    expect(lba.key).toBe('-o');
    expect(lba.message).toContain('4096-byte LBA size of TCP (addr:127.0.0.1 subnqn:x) NSID 1');
    expect(configError(() => perfNamespaceGeometry(opts, { ...ns, numLbas: 4 })).key).toBe('-o');
  });
});

describe('formatPerfHelp', () => {
  const help = formatPerfHelp();

  it('lists every flag of the table', () => {
    for (const def of PERF_OPTION_TABLE) expect(help).toContain(`--${def.long}`);
  });

  it('shows SPDK\'s defaults and teaches with examples', () => {
    expect(help).toMatch(/-c, --core-mask <mask>\s+.*\(default: 0x1\)/);
    expect(help).toMatch(/-k, --keepalive <ms>\s+.*\(default: 10000\)/);
    expect(help).toMatch(/-P, --num-qpairs <val>\s+.*\(default: 1\)/);
    expect(help).toContain('-q 64 -o 4096 -w randrw -M 70 -t 10 -c 0x3 -P 2 -L -r "trtype:TCP');
    expect(help).toContain('nvme-perf --loopback');
    expect(help).toContain("spdk_nvme_perf's names, meanings and defaults");
    expect(help).toMatch(/--no-huge\s+.*SPDK\/DPDK environment setting/);
  });

  it('aligns the descriptions in one column', () => {
    const starts = help
      .split('\n')
      .filter((l) => /^ {2}(-\w, )?--?\w/.test(l) || /^ {6}--\w/.test(l))
      .map((l) => /^\s+\S.*?\S {2,}/.exec(l)![0].length);
    expect(new Set(starts).size).toBe(1);
  });
});
