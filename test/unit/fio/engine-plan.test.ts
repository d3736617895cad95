import { describe, expect, it } from 'vitest';
import { FIO_DEFAULT_SEED, jobSeed, planClones, scheduleJobs } from '../../../src/fio/fio-engine-plan.js';
import { parseFioCommandLine } from '../../../src/fio/fio-engine-command.js';
import type { FioJob } from '../../../src/fio/fio-job.js';
import { ConfigError } from '../../../src/spec/errors.js';
import { fioJob } from '../../helpers/fio-job.js';

const NS = { nsid: 1, lbaBytes: 512, numLbas: 2048 * 1024 }; // 1 GiB

describe('scheduleJobs', () => {
  it('starts a phase and a group at stonewall, only a group at new_group', () => {
    const s = scheduleJobs([
      fioJob('a'),
      fioJob('b'),
      fioJob('c', { newGroup: true }),
      fioJob('d', { stonewall: true }),
      fioJob('e'),
      fioJob('f', { stonewall: true, newGroup: true }),
    ]);
    expect(s.phases).toEqual([[0, 1, 2], [3, 4], [5]]);
    expect(s.groupIds).toEqual([0, 0, 1, 2, 2, 3]);
  });
});

describe('planClones', () => {
  it('makes numjobs clones with their own seeds, the same on every run with randrepeat', () => {
    const job = fioJob('j', { numjobs: 3 });
    const a = planClones(job, 0, NS);
    expect(a.map((c) => c.clone)).toEqual([0, 1, 2]);
    expect(new Set(a.map((c) => c.workload.seed)).size).toBe(3);
    expect(planClones(job, 0, NS).map((c) => c.workload.seed)).toEqual(a.map((c) => c.workload.seed));
    expect(jobSeed(job)).toBe(FIO_DEFAULT_SEED);
    expect(jobSeed(fioJob('s', { randSeed: 1234 }))).toBe(1234);
  });

  it('cuts the region from offset and size (bytes or percent) into units of the common block size', () => {
    const bs = [
      { bytes: 4096, percent: 50 },
      { bytes: 12288, percent: 50 },
    ];
    const [c] = planClones(fioJob('j', { blockSizes: [bs, bs, bs], offset: { percent: 50 }, size: { bytes: 8 << 20 } }), 0, NS);
    expect(c!.unitBytes).toBe(4096);
    expect(c!.workload.firstLba).toBe(1024 * 1024);
    expect(c!.workload.unitCount).toBe(2048);
    expect(c!.workload.sizes[0]).toEqual({ units: [1, 3], cumPercent: [50, 100] });
    expect(c!.bufferBytes).toBe(12288);
    expect(c!.ioLimitBytes).toBe(8 << 20);
  });

  it('clips the region at the end of the namespace and uses io_size when given', () => {
    const [c] = planClones(fioJob('j', { offset: { bytes: (1 << 30) - (1 << 20) }, size: { bytes: 64 << 20 }, ioSize: 16 << 20 }), 0, NS);
    expect(c!.workload.unitCount).toBe(256);
    expect(c!.ioLimitBytes).toBe(16 << 20);
  });

  it('sets the mix and order from rw', () => {
    const plan = (rw: Parameters<typeof fioJob>[1]) => planClones(fioJob('j', rw), 0, NS)[0]!.workload;
    expect(plan({ rw: 'read' })).toMatchObject({ order: 'sequential', rwMixRead: 100, trim: false });
    expect(plan({ rw: 'randwrite' })).toMatchObject({ order: 'random-map', rwMixRead: 0 });
    expect(plan({ rw: 'randrw', rwMixRead: 70, norandommap: true })).toMatchObject({ order: 'random', rwMixRead: 70 });
    expect(plan({ rw: 'randtrim' })).toMatchObject({ trim: true });
    expect(plan({ rw: 'randread', distribution: { kind: 'zipf', theta: 1.2 }, size: { bytes: 1 << 20 } }).skew?.kind).toBe('zipf');
  });

  const bs512 = [{ bytes: 512, percent: 100 }];
  /** `option', 'reason` (as the message has them), the job, the namespace size in LBAs. */
  const cases: [string, Partial<FioJob>, number][] = [
    ["bs', 'block size 1000 is not a multiple of the namespace's 512-byte logical block", { blockSizes: [[{ bytes: 1000, percent: 100 }], [], []] }, NS.numLbas],
    ["offset', '1073741824 is at or past the end of the namespace (1073741824 bytes)", { offset: { bytes: 1 << 30 } }, NS.numLbas],
    ["offset', '100 is not a multiple of the 512-byte logical block", { offset: { bytes: 100 } }, NS.numLbas],
    ["size', 'the region of 2048 bytes at offset 0 is smaller than the 4096-byte block size", { size: { bytes: 2048 } }, NS.numLbas],
    ["verify_pattern', 'verify=pattern needs verify_pattern", { rw: 'write', verify: 'pattern' }, NS.numLbas],
    ["verify', 'verify tracks at most 16777216 blocks of 512 bytes; the region has 33554432 (set size=)", { rw: 'write', verify: 'crc32c', blockSizes: [bs512, bs512, bs512] }, 1 << 25],
  ];
  it.each(cases)("refuses with option '%s", (what, overrides, numLbas) => {
    const [option, reason] = what.split("', '") as [string, string];
    const plan = (): unknown => planClones(fioJob('bad', overrides), 0, { ...NS, numLbas });
    expect(plan).toThrow(ConfigError);
    expect(plan).toThrow(`command line: option '${option}': job 'bad': ${reason}`);
  });
});

describe('parseFioCommandLine', () => {
  it('splits its own flags, job files and job options (a value may follow a job option)', () => {
    const cmd = parseFioCommandLine(['--output-format=json,normal', 'a.fio', '--output', 'out.txt', '--name=j', '--bs', '8k', '--group_reporting', 'b.fio', '--report=r.html']);
    expect(cmd).toEqual({
      kind: 'run',
      formats: ['json', 'normal'],
      output: 'out.txt',
      report: 'r.html',
      trace: false,
      jobFiles: ['a.fio', 'b.fio'],
      jobArgs: ['--name=j', '--bs', '8k', '--group_reporting'],
    });
  });

  it('knows --help, -h and --version', () => {
    expect(parseFioCommandLine(['-h']).kind).toBe('help');
    expect(parseFioCommandLine(['--name=x', '--help']).kind).toBe('help');
    expect(parseFioCommandLine(['--version']).kind).toBe('version');
  });

  it('names the flag of a bad format or a missing value', () => {
    expect(() => parseFioCommandLine(['--output-format=terse'])).toThrow(/expected normal, json, json\+ .* got 'terse'/);
    expect(() => parseFioCommandLine(['--report'])).toThrow(/needs a value/);
  });
});
