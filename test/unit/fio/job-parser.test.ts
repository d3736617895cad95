import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FIO_DEFAULT_PERCENTILES, type FioJob } from '../../../src/fio/fio-job.js';
import { parseCommandLineJobs, parseJobFiles } from '../../../src/fio/job-parser.js';
import { ConfigError } from '../../../src/spec/errors.js';
import { thrownMessage } from '../../helpers/thrown-message.js';

const VECTORS = fileURLToPath(new URL('../../../../shared/vectors/', import.meta.url));
const SAMPLE_FIO = `${VECTORS}fio/sample.fio`;
const SAMPLE_JSON = JSON.parse(readFileSync(`${VECTORS}fio/sample.json`, 'utf8')) as {
  'global options': Record<string, string>;
  jobs: { jobname: string; 'job options': Record<string, string> }[];
};

const dir = mkdtempSync(join(tmpdir(), 'nvme-fio-parser-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileCount = 0;

/** Writes a job file (or `name` under the temp dir) and returns its path. */
function jobFile(text: string, name = `job${++fileCount}.fio`): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function parse(text: string, env: NodeJS.ProcessEnv = {}): ReturnType<typeof parseJobFiles> {
  return parseJobFiles([jobFile(text)], env);
}

function onlyJob(text: string, env: NodeJS.ProcessEnv = {}): FioJob {
  const { jobs } = parse(text, env);
  expect(jobs).toHaveLength(1);
  return jobs[0]!;
}

/** The message of the ConfigError `fn` throws. */
const errorOf = (fn: () => unknown): string => thrownMessage(ConfigError, fn);

const LOOPBACK = 'filename=loopback\n';

describe('defaults', () => {
  it('fills every field with fio defaults', () => {
    const path = jobFile('[only]\nfilename=loopback\n');
    const job = parseJobFiles([path], {}).jobs[0]!;
    expect(job).toEqual({
      name: 'only',
      source: { file: path, line: 1 },
      rawOptions: { filename: 'loopback' },
      target: { kind: 'loopback' },
      rw: 'read',
      rwMixRead: 50,
      blockSizes: [[{ bytes: 4096, percent: 100 }], [{ bytes: 4096, percent: 100 }], [{ bytes: 4096, percent: 100 }]],
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
    });
  });

  it('gives each job its own arrays (no sharing between jobs)', () => {
    const { jobs } = parse(`[global]\n${LOOPBACK}[a]\nbs=8k\n[b]\n`);
    expect(jobs[0]!.blockSizes[0]).toEqual([{ bytes: 8192, percent: 100 }]);
    expect(jobs[1]!.blockSizes[0]).toEqual([{ bytes: 4096, percent: 100 }]);
  });
});

describe('every supported option', () => {
  it('lands each one in the job', () => {
    const job = onlyJob(
      [
        '[all]',
        'filename=trtype=TCP adrfam=IPv4 traddr=127.0.0.1 trsvcid=4420 subnqn=nqn.2016-06.io.spdk\\:cnode1 ns=2',
        'ioengine=nvmekit',
        'description=everything at once',
        'rw=randrw',
        'rwmixread=70',
        'bs=4k,16k',
        'blockalign=512,1k',
        'iodepth=32',
        'iodepth_batch_submit=8',
        'numjobs=4',
        'size=1g',
        'offset=10%',
        'io_size=512m',
        'number_ios=1000',
        'runtime=1m',
        'time_based',
        'ramp_time=2s',
        'startdelay=500ms',
        'randrepeat=0',
        'randseed=1234',
        'random_distribution=zipf:1.2',
        'norandommap',
        'rate=1m,500k',
        'thinktime=50',
        'stonewall',
        'new_group',
        'group_reporting=1',
        'percentile_list=50:99:99.9',
        'clat_percentiles=0',
        'lat_percentiles=1',
        'write_lat_log=lat',
        'write_iops_log=iops',
        'write_bw_log=bw',
        'log_avg_msec=1000',
        'verify=md5',
        'verify_pattern=0xdeadbeef',
        'do_verify=0',
        'verify_backlog=64',
        'verify_fatal=1',
      ].join('\n'),
    );
    expect(job).toMatchObject({
      target: {
        kind: 'trid',
        trid: { trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: '4420', subnqn: 'nqn.2016-06.io.spdk:cnode1', ns: 2 },
      },
      rw: 'randrw',
      rwMixRead: 70,
      blockSizes: [[{ bytes: 4096, percent: 100 }], [{ bytes: 16384, percent: 100 }], [{ bytes: 16384, percent: 100 }]],
      blockAlign: [512, 1024, 1024],
      iodepth: 32,
      iodepthBatchSubmit: 8,
      numjobs: 4,
      size: { bytes: 1024 ** 3 },
      offset: { percent: 10 },
      ioSize: 512 * 1024 ** 2,
      numberIos: 1000,
      runtimeMs: 60_000,
      timeBased: true,
      rampTimeMs: 2000,
      startDelayMs: 500,
      randRepeat: false,
      randSeed: 1234,
      distribution: { kind: 'zipf', theta: 1.2 },
      norandommap: true,
      rate: [1048576, 512000, 512000],
      rateIops: [0, 0, 0],
      thinktimeUs: 50,
      stonewall: true,
      newGroup: true,
      groupReporting: true,
      percentileList: [50, 99, 99.9],
      clatPercentiles: false,
      latPercentiles: true,
      writeLatLog: 'lat',
      writeIopsLog: 'iops',
      writeBwLog: 'bw',
      logAvgMsec: 1000,
      verify: 'md5',
      verifyPattern: Uint8Array.from([0xde, 0xad, 0xbe, 0xef]),
      doVerify: false,
      verifyBacklog: 64,
      verifyFatal: true,
    });
  });

  it.each([
    ['readwrite=randrw', { rw: 'randrw' }],
    ['rw=readwrite', { rw: 'rw' }],
    ['blocksize=8k', { blockSizes: [[{ bytes: 8192, percent: 100 }], [{ bytes: 8192, percent: 100 }], [{ bytes: 8192, percent: 100 }]] }],
    ['ba=4k', { blockAlign: [4096, 4096, 4096] }],
    ['iodepth=8\niodepth_batch=4', { iodepthBatchSubmit: 4 }],
    ['io_limit=1m', { ioSize: 1048576 }],
    ['timeout=30', { runtimeMs: 30_000 }],
    ['wait_for_previous', { stonewall: true }],
  ])('alias %s', (line, want) => {
    expect(onlyJob(`[j]\n${LOOPBACK}${line}\n`)).toMatchObject(want);
  });

  it.each(['read', 'write', 'trim', 'randread', 'randwrite', 'randtrim', 'rw', 'randrw'])('rw=%s', (rw) => {
    expect(onlyJob(`[j]\n${LOOPBACK}rw=${rw}\n`).rw).toBe(rw);
  });

  it('reads plain runtime as seconds and plain thinktime as microseconds', () => {
    expect(onlyJob(`[j]\n${LOOPBACK}runtime=2\nthinktime=2\n`)).toMatchObject({ runtimeMs: 2000, thinktimeUs: 2 });
    expect(onlyJob(`[j]\n${LOOPBACK}runtime=1500ms\nthinktime=3ms\n`)).toMatchObject({ runtimeMs: 1500, thinktimeUs: 3000 });
  });

  it('treats size=0 and io_size=0 as unset, as fio', () => {
    expect(onlyJob(`[j]\n${LOOPBACK}size=0\nio_size=0\n`)).toMatchObject({ size: null, ioSize: null });
  });

  it('lets write_*_log stand alone, logging under the job name (or its name= option)', () => {
    expect(onlyJob(`[j]\n${LOOPBACK}write_bw_log\nwrite_lat_log\n`)).toMatchObject({ writeBwLog: 'j', writeLatLog: 'j', writeIopsLog: null });
    expect(onlyJob(`[j]\n${LOOPBACK}name=renamed\nwrite_iops_log\n`)).toMatchObject({ name: 'renamed', writeIopsLog: 'renamed' });
  });

  it('applies kb_base to sizes whatever its place', () => {
    expect(onlyJob(`[j]\n${LOOPBACK}bs=4k\nrate=1m\nkb_base=1000\n`)).toMatchObject({
      blockSizes: [[{ bytes: 4000, percent: 100 }], [{ bytes: 4000, percent: 100 }], [{ bytes: 4000, percent: 100 }]],
      rate: [1e6, 1e6, 1e6],
    });
    expect(onlyJob(`[j]\n${LOOPBACK}bs=4KiB\n`).blockSizes[0]).toEqual([{ bytes: 4000, percent: 100 }]);
  });
});

describe('per-direction values and bssplit', () => {
  it('leaves empty parts unchanged', () => {
    const job = onlyJob(`[j]\n${LOOPBACK}rate=,2m\nbs=,8k,\n`);
    expect(job.rate).toEqual([0, 2097152, 2097152]);
    expect(job.blockSizes.map((d) => d[0]!.bytes)).toEqual([4096, 8192, 4096]);
    expect(onlyJob(`[j]\n${LOOPBACK}rate_iops=100,200,300\n`).rateIops).toEqual([100, 200, 300]);
    expect(onlyJob(`[j]\n${LOOPBACK}rate_iops=1000,\n`).rateIops).toEqual([1000, 0, 0]);
  });

  it('lets a job change one direction of a global value', () => {
    const { jobs } = parse(`[global]\n${LOOPBACK}rate_iops=1000\n[j]\nrate_iops=,50\n`);
    expect(jobs[0]!.rateIops).toEqual([1000, 50, 50]);
  });

  it('reads bssplit per direction, and uses it over bs whichever came first (fio)', () => {
    const job = onlyJob(`[j]\n${LOOPBACK}bssplit=4k/10:64k/50:32k/40,4k/100\nbs=128k\n`);
    expect(job.blockSizes).toEqual([
      [
        { bytes: 4096, percent: 10 },
        { bytes: 65536, percent: 50 },
        { bytes: 32768, percent: 40 },
      ],
      [{ bytes: 4096, percent: 100 }],
      [{ bytes: 4096, percent: 100 }],
    ]);
  });

  it('keeps bs for a direction bssplit leaves empty', () => {
    const job = onlyJob(`[j]\n${LOOPBACK}bs=16k\nbssplit=,8k/50:4k/50\n`);
    expect(job.blockSizes[0]).toEqual([{ bytes: 16384, percent: 100 }]);
    expect(job.blockSizes[1]).toEqual([
      { bytes: 8192, percent: 50 },
      { bytes: 4096, percent: 50 },
    ]);
  });

  it('reads each distribution', () => {
    expect(onlyJob(`[j]\n${LOOPBACK}random_distribution=pareto:0.3\n`).distribution).toEqual({ kind: 'pareto', h: 0.3 });
    expect(onlyJob(`[j]\n${LOOPBACK}random_distribution=normal:10\n`).distribution).toEqual({ kind: 'normal', sigma: 10 });
    expect(onlyJob(`[j]\n${LOOPBACK}random_distribution=zipf\n`).distribution).toEqual({ kind: 'zipf', theta: 1.1 });
  });
});

describe('job file format', () => {
  it('reads comments, blank lines and spaces around =', () => {
    const job = onlyJob(
      [
        '; leading comment',
        '# another',
        '',
        '[j]   ',
        '  filename = loopback   ; trailing comment',
        'bs = 8k # trailing hash comment',
        '\t; indented comment',
        'verify_pattern="a;b #c"',
        'description=rack#4;slot 2',
      ].join('\r\n'),
    );
    expect(job.blockSizes[0]).toEqual([{ bytes: 8192, percent: 100 }]);
    expect(Buffer.from(job.verifyPattern!).toString()).toBe('a;b #c');
    expect(job.rawOptions).toEqual({ filename: 'loopback', bs: '8k', verify_pattern: '"a;b #c"', description: 'rack#4;slot 2' });
  });

  it('lets later options override earlier, jobs override [global], and a later [global] reach only later jobs', () => {
    const { jobs } = parse(`[global]\n${LOOPBACK}iodepth=4\niodepth=8\n[a]\n[b]\niodepth=16\n[global]\niodepth=2\n[c]\n`);
    expect(jobs.map((j) => [j.name, j.iodepth])).toEqual([
      ['a', 8],
      ['b', 16],
      ['c', 2],
    ]);
  });

  it('lets the later of rwmixread and rwmixwrite win, as fio', () => {
    expect(onlyJob(`[j]\n${LOOPBACK}rw=rw\nrwmixread=70\nrwmixwrite=20\n`).rwMixRead).toBe(80);
    expect(onlyJob(`[j]\n${LOOPBACK}rw=rw\nrwmixwrite=20\nrwmixread=70\n`).rwMixRead).toBe(70);
  });

  it('echoes options as written: fio names, bare options left out, filename last', () => {
    const file = parse(`[global]\nfilename=loopback\nreadwrite=randread\ndirect=1\n[j]\nba=4k\nstonewall\nbs=8k\nbs=16k\n`);
    expect(file.globalOptions).toEqual({ rw: 'randread', direct: '1', filename: 'loopback' });
    expect(Object.keys(file.globalOptions)).toEqual(['rw', 'direct', 'filename']);
    expect(file.jobs[0]!.rawOptions).toEqual({ blockalign: '4k', bs: '16k' });
  });
});

describe('include', () => {
  it('inlines options relative to the including file, nested', () => {
    jobFile('iodepth=16\ninclude deeper.fio\n', 'inc/common.fio');
    jobFile('bs=64k\n', 'inc/deeper.fio');
    const path = jobFile(`[global]\n${LOOPBACK}include inc/common.fio\n[j]\nrw=write\n`, 'main-include.fio');
    const job = parseJobFiles([path], {}).jobs[0]!;
    expect(job).toMatchObject({ iodepth: 16, rw: 'write' });
    expect(job.blockSizes[1]).toEqual([{ bytes: 65536, percent: 100 }]);
  });

  it('names the file and line of an included option in errors', () => {
    const inc = jobFile('iodepth=0\n', 'inc-bad/bad.fio');
    const path = jobFile(`[j]\n${LOOPBACK}include inc-bad/bad.fio\n`, 'main-bad.fio');
    expect(errorOf(() => parseJobFiles([path], {}))).toBe(`${inc}:1: option 'iodepth': must be at least 1, got '0'`);
  });

  it('refuses cycles, naming the chain', () => {
    const a = jobFile('[j]\nfilename=loopback\ninclude cycle-b.fio\n', 'cycle-a.fio');
    const b = jobFile('include cycle-c.fio\n', 'cycle-b.fio');
    const c = jobFile('include cycle-b.fio\n', 'cycle-c.fio');
    expect(errorOf(() => parseJobFiles([a], {}))).toBe(`${c}:1: include cycle: ${a} -> ${b} -> ${c} -> ${b}`);
  });

  it('refuses sections in included files, missing files, and include outside a section', () => {
    const withSection = jobFile('[x]\n', 'inc-section.fio');
    const a = jobFile('[j]\ninclude inc-section.fio\n', 'uses-section.fio');
    expect(errorOf(() => parseJobFiles([a], {}))).toBe(`${withSection}:1: section '[x]' in an included file (included files hold options only)`);
    const b = jobFile('[j]\ninclude nowhere.fio\n', 'uses-missing.fio');
    expect(errorOf(() => parseJobFiles([b], {}))).toBe(`${b}:2: include '${join(dir, 'nowhere.fio')}': cannot read (ENOENT)`);
    const c = jobFile('include x.fio\n', 'top-include.fio');
    expect(errorOf(() => parseJobFiles([c], {}))).toBe(`${c}:1: 'include' outside of a [section]`);
  });
});

describe('environment variables', () => {
  it('expands ${VAR} in values and include paths', () => {
    jobFile('numjobs=${JOBS}\n', 'env-inc.fio');
    const job = onlyJob(`[j]\n${LOOPBACK}size=\${SIZE}\nbs=\${BS}k\ninclude \${INC}\n`, { SIZE: '64m', BS: '8', INC: 'env-inc.fio', JOBS: '3' });
    expect(job).toMatchObject({ size: { bytes: 64 * 1024 * 1024 }, numjobs: 3 });
    expect(job.blockSizes[0]).toEqual([{ bytes: 8192, percent: 100 }]);
    expect(job.rawOptions.size).toBe('64m');
  });

  it('stops on an unset variable, naming it and the line', () => {
    const path = jobFile(`[j]\n${LOOPBACK}size=\${SIZE}\n`);
    expect(errorOf(() => parseJobFiles([path], {}))).toBe(`${path}:3: option 'size': environment variable 'SIZE' is not set (in '\${SIZE}')`);
  });
});

describe('filename', () => {
  it('reads the fio-plugin transport ID forms', () => {
    expect(onlyJob(`[j]\nfilename=trtype=PCIe traddr=0000.04.00.0 ns=1\n`).target).toEqual({
      kind: 'trid',
      trid: { trtype: 'PCIe', traddr: '0000:04:00.0', ns: 1 },
    });
    expect(onlyJob(`[j]\nfilename=trtype=RDMA adrfam=IPv4 traddr=10.0.0.1 trsvcid=4421\n`).target).toEqual({
      kind: 'trid',
      trid: { trtype: 'RDMA', adrfam: 'IPv4', traddr: '10.0.0.1', trsvcid: '4421', subnqn: 'nqn.2014-08.org.nvmexpress.discovery' },
    });
  });

  it('explains that a path is not a target', () => {
    const path = jobFile('[j]\nfilename=/dev/nvme0n1\n');
    expect(errorOf(() => parseJobFiles([path], {}))).toBe(
      `${path}:2: option 'filename': '/dev/nvme0n1' is not a transport ID: nvme-fio talks NVMe itself and opens no block device or file; ` +
        'give a transport ID (filename=trtype=TCP adrfam=IPv4 traddr=127.0.0.1 trsvcid=4420 subnqn=nqn.2016-06.io.spdk\\:cnode1 ns=1) or filename=loopback',
    );
  });

  it('refuses several files, showing how to escape a colon', () => {
    const path = jobFile('[j]\nfilename=trtype=TCP traddr=127.0.0.1 subnqn=nqn.2016-06.io.spdk:cnode1\n');
    expect(errorOf(() => parseJobFiles([path], {}))).toBe(
      `${path}:2: option 'filename': one filename per job, got 2 files separated by ':' in 'trtype=TCP traddr=127.0.0.1 subnqn=nqn.2016-06.io.spdk:cnode1' (write a ':' inside a value as '\\:')`,
    );
  });

  it('passes on transport-ID errors', () => {
    const path = jobFile('[j]\nfilename=trtype=FC traddr=1\n');
    const message = errorOf(() => parseJobFiles([path], {}));
    expect(message.startsWith(`${path}:2: option 'filename': bad transport ID 'trtype=FC traddr=1': `)).toBe(true);
    expect(message).toContain("'FC'");
  });

  it('names the job that has no filename', () => {
    const path = jobFile('[global]\nbs=4k\n\n[nofile]\nrw=read\n');
    expect(errorOf(() => parseJobFiles([path], {}))).toBe(
      `${path}:4: job 'nofile': no filename; give filename=loopback or a transport ID (filename=trtype=TCP adrfam=IPv4 traddr=127.0.0.1 trsvcid=4420 subnqn=... ns=1) in the job or in [global]`,
    );
  });
});

describe('options without effect', () => {
  it('gives one notice per option, however many jobs use it', () => {
    const file = parse(`[global]\n${LOOPBACK}direct=1\nthread\nioengine=libaio\n[a]\n[b]\ninvalidate=1\n[c]\nioengine=io_uring\n`);
    expect(file.notices).toEqual([
      "option 'direct' is ignored: nvme-fio has no page cache: every I/O goes to the controller",
      "option 'thread' is ignored: jobs always run as worker threads of one process",
      "ioengine=libaio is ignored: nvme-fio always runs nvmekit's own engine (ioengine=nvmekit)",
      "option 'invalidate' is ignored: nvme-fio has no page cache: every I/O goes to the controller",
      "ioengine=io_uring is ignored: nvme-fio always runs nvmekit's own engine (ioengine=nvmekit)",
    ]);
    expect(file.jobs).toHaveLength(3);
  });

  it('has nothing to say about ioengine=nvmekit', () => {
    expect(parse(`[j]\n${LOOPBACK}ioengine=nvmekit\n`).notices).toEqual([]);
  });
});

describe('verify', () => {
  it('switches to verify=pattern when only verify_pattern is given, as fio', () => {
    expect(onlyJob(`[j]\n${LOOPBACK}rw=write\nverify_pattern="ab"\n`).verify).toBe('pattern');
    expect(onlyJob(`[j]\n${LOOPBACK}rw=write\nverify=crc32c\nverify_pattern=0x01\n`).verify).toBe('crc32c');
    expect(onlyJob(`[j]\n${LOOPBACK}rw=write\nverify_pattern=7\nverify=0\n`).verify).toBe('none');
  });

  it('accepts verify on a read-only job (it checks data an earlier job wrote), as fio', () => {
    expect(onlyJob(`[j]\n${LOOPBACK}rw=randread\nverify=crc32c\n`)).toMatchObject({ rw: 'randread', verify: 'crc32c' });
  });

  it('refuses verify=pattern without a pattern', () => {
    const path = jobFile(`[j]\n${LOOPBACK}verify=pattern\n`);
    expect(errorOf(() => parseJobFiles([path], {}))).toBe(`${path}:1: job 'j': verify=pattern needs verify_pattern= (0xhex, "text" or a number)`);
  });
});

describe('error messages', () => {
  it.each([
    ['blocksz=4k', "option 'blocksz': unknown option (did you mean 'blocksize'?)"],
    ['frobnicate=1', "option 'frobnicate': unknown option"],
    ['bs', "option 'bs': needs a value"],
    ['bs=', "option 'bs': needs a value"],
    ['iodepth=', "option 'iodepth': needs a value"],
    ['numjobs=0', "option 'numjobs': must be at least 1, got '0'"],
    ['iodepth=0', "option 'iodepth': must be at least 1, got '0'"],
    ['rwmixread=101', "option 'rwmixread': must be at most 100, got '101'"],
    ['rw=randomread', "option 'rw': expected one of read, write, trim, randread, randwrite, randtrim, rw, readwrite, randrw, got 'randomread'"],
    ['rw=trimwrite', "option 'rw': expected one of read, write, trim, randread, randwrite, randtrim, rw, readwrite, randrw, got 'trimwrite' ('trimwrite' is not supported by nvme-fio)"],
    ['rw=randread:8', "option 'rw': the ':8' offset modifier is not supported by nvme-fio, got 'randread:8'"],
    ['bs=4q', "option 'bs': unknown size suffix 'q' in '4q' (k, m, g, t, p, optionally followed by b, i or ib)"],
    ['bs=0', "option 'bs': must be at least 1, got '0'"],
    ['bs=4k,4k,4k,4k', "option 'bs': at most 3 comma-separated values (read,write,trim), got 4 in '4k,4k,4k,4k'"],
    ['runtime=10x', "option 'runtime': unknown time suffix 'x' in '10x' (us, ms, s, m, h, d)"],
    ['time_based=yes', "option 'time_based': expected nothing, 0 or 1, got 'yes'"],
    ['randrepeat=true', "option 'randrepeat': expected 0 or 1, got 'true'"],
    ['random_distribution=zipf:1', "option 'random_distribution': zipf theta must be different from 1.0, got 'zipf:1'"],
    ['verify=sha1', "option 'verify': 'sha1' is a fio method nvme-fio does not implement (one of 0, none, crc32c, crc32c-intel, md5, sha256, pattern)"],
    ['kb_base=512', "option 'kb_base': expected 1000 or 1024, got '512'"],
    ['offset=110%', "option 'offset': a percent must be from 0 to 100, got '110%'"],
    ['io_size=50%', "option 'io_size': a percent is not allowed here, got '50%'"],
    ['percentile_list=99:200', "option 'percentile_list': a percentile must be from 0 to 100, got '200'"],
  ])('%s', (line, message) => {
    const path = jobFile(`[j]\n${LOOPBACK}${line}\n`);
    expect(errorOf(() => parseJobFiles([path], {}))).toBe(`${path}:3: ${message}`);
  });

  it('refuses options outside a section and malformed headers', () => {
    const outside = jobFile('bs=4k\n[j]\n');
    expect(errorOf(() => parseJobFiles([outside], {}))).toBe(`${outside}:1: option 'bs': outside of a [section] (start with [global] or [jobname])`);
    const header = jobFile('[j\n');
    expect(errorOf(() => parseJobFiles([header], {}))).toBe(`${header}:1: expected a section header like [global] or [jobname], got '[j'`);
    const noName = jobFile('[j]\n=4k\n');
    expect(errorOf(() => parseJobFiles([noName], {}))).toBe(`${noName}:2: expected option=value, got '=4k'`);
    const empty = jobFile('[ ]\n');
    expect(errorOf(() => parseJobFiles([empty], {}))).toContain(`${empty}:1: expected a section header`);
  });

  it('reports an unknown option in [global] even with no jobs after it', () => {
    const path = jobFile('[global]\nnope=1\n');
    expect(errorOf(() => parseJobFiles([path], {}))).toBe(`${path}:2: option 'nope': unknown option (did you mean 'name'?)`);
  });

  it('says when a job file cannot be read', () => {
    const path = join(dir, 'missing.fio');
    expect(errorOf(() => parseJobFiles([path], {}))).toBe(`${path}: cannot read job file (ENOENT)`);
  });
});

describe("fio's cross-option rules (fixup_options)", () => {
  it('lets randseed override randrepeat', () => {
    expect(onlyJob(`[j]\n${LOOPBACK}randseed=7\n`)).toMatchObject({ randSeed: 7, randRepeat: false });
  });

  it('turns off the random map for non-uniform distributions', () => {
    expect(onlyJob(`[j]\n${LOOPBACK}rw=randread\nrandom_distribution=pareto\n`).norandommap).toBe(true);
    expect(onlyJob(`[j]\n${LOOPBACK}rw=randread\n`).norandommap).toBe(false);
  });

  it('turns off the random map when blockalign differs from the block size on random I/O, with a notice', () => {
    const file = parse(`[j]\n${LOOPBACK}rw=randread\nbs=8k\nblockalign=4k\n`);
    expect(file.jobs[0]!.norandommap).toBe(true);
    expect(file.notices).toEqual(["job 'j': blockalign other than the block size turns off the random map (norandommap), as in fio"]);
    expect(onlyJob(`[j]\n${LOOPBACK}rw=read\nbs=8k\nblockalign=4k\n`).norandommap).toBe(false);
    expect(onlyJob(`[j]\n${LOOPBACK}rw=randread\nbs=8k\nblockalign=8k\n`).norandommap).toBe(false);
  });

  it('makes a batch of 0, or one above iodepth, the whole queue', () => {
    expect(onlyJob(`[j]\n${LOOPBACK}iodepth=16\niodepth_batch_submit=0\n`).iodepthBatchSubmit).toBe(16);
    expect(onlyJob(`[j]\n${LOOPBACK}iodepth=16\niodepth_batch_submit=64\n`).iodepthBatchSubmit).toBe(16);
  });

  it('turns time_based off without a runtime, saying so', () => {
    const file = parse(`[j]\n${LOOPBACK}time_based\n`);
    expect(file.jobs[0]!.timeBased).toBe(false);
    expect(file.notices).toEqual(["job 'j': time_based needs a runtime; without one it is turned off, as in fio"]);
  });

  it('warns as fio about verify with several writers, and a verify phase that never comes', () => {
    const file = parse(`[j]\n${LOOPBACK}rw=randwrite\nverify=crc32c\nnumjobs=2\ntime_based\nruntime=5\n`);
    expect(file.notices).toEqual([
      "job 'j': 2 clones write the same blocks, which can make verify fail (fio warns the same)",
      "job 'j': the verify read phase never starts because the write phase uses all of runtime (set verify_backlog, or drop time_based)",
    ]);
    expect(parse(`[j]\n${LOOPBACK}rw=randwrite\nverify=crc32c\ntime_based\nruntime=5\nverify_backlog=16\n`).notices).toEqual([]);
  });

  it('refuses rate with rate_iops, and a size below the block size', () => {
    const both = jobFile(`[j]\n${LOOPBACK}rate=1m\nrate_iops=,100\n`);
    expect(errorOf(() => parseJobFiles([both], {}))).toBe(`${both}:1: job 'j': rate and rate_iops are mutually exclusive`);
    const small = jobFile(`[j]\n${LOOPBACK}bs=8k\nsize=4k\n`);
    expect(errorOf(() => parseJobFiles([small], {}))).toBe(`${small}:1: job 'j': size 4096 is less than the smallest block size 8192`);
  });
});

describe('several job files', () => {
  it('stonewalls the first job of each later file and keeps globals across files, as fio', () => {
    const one = jobFile(`[global]\n${LOOPBACK}iodepth=8\n[a]\n[b]\n`);
    const two = jobFile('[c]\n[d]\n');
    const file = parseJobFiles([one, two], {});
    expect(file.jobs.map((j) => [j.name, j.stonewall, j.iodepth])).toEqual([
      ['a', false, 8],
      ['b', false, 8],
      ['c', true, 8],
      ['d', false, 8],
    ]);
  });
});

describe("fio's sample job file", () => {
  it('is refused for its filename, with the reason', () => {
    expect(errorOf(() => parseJobFiles([SAMPLE_FIO], {}))).toBe(
      `${SAMPLE_FIO}:2: option 'filename': '/var/tmp/fio-sample.bin' is not a transport ID: nvme-fio talks NVMe itself and opens no block device or file; ` +
        'give a transport ID (filename=trtype=TCP adrfam=IPv4 traddr=127.0.0.1 trsvcid=4420 subnqn=nqn.2016-06.io.spdk\\:cnode1 ns=1) or filename=loopback',
    );
  });

  it('parses with the filename pointed at loopback, echoing options as fio 3.33 did', () => {
    const text = readFileSync(SAMPLE_FIO, 'utf8').replace('filename=/var/tmp/fio-sample.bin', 'filename=loopback');
    const file = parseJobFiles([jobFile(text, 'sample-loopback.fio')], {});
    const wantGlobals = { ...SAMPLE_JSON['global options'], filename: 'loopback' };
    expect(file.globalOptions).toEqual(wantGlobals);
    expect(Object.keys(file.globalOptions)).toEqual(Object.keys(wantGlobals));
    expect(file.jobs.map((j) => j.name)).toEqual(SAMPLE_JSON.jobs.map((j) => j.jobname));
    file.jobs.forEach((job, i) => expect(job.rawOptions).toEqual(SAMPLE_JSON.jobs[i]!['job options']));
    expect(file.notices).toEqual([
      "option 'direct' is ignored: nvme-fio has no page cache: every I/O goes to the controller",
      "ioengine=psync is ignored: nvme-fio always runs nvmekit's own engine (ioengine=nvmekit)",
    ]);
    const [mix, seq] = file.jobs;
    expect(mix).toMatchObject({ rw: 'randrw', rwMixRead: 70, iodepth: 1, numjobs: 2, size: { bytes: 64 * 1024 * 1024 }, runtimeMs: 2000, timeBased: true, groupReporting: true, stonewall: false });
    expect(seq).toMatchObject({ rw: 'read', stonewall: true, numjobs: 1, groupReporting: true });
    expect(seq!.blockSizes[0]).toEqual([{ bytes: 131072, percent: 100 }]);
  });
});

describe('command-line jobs', () => {
  it('treats options before the first --name as global, and each --name as a new job', () => {
    const file = parseCommandLineJobs(['--filename=loopback', '--direct=1', '--name=j1', '--rw=randread', '--bs=4k', '--name=j2', '--rw=write', '--iodepth', '16']);
    expect(file.globalOptions).toEqual({ direct: '1', filename: 'loopback' });
    expect(file.jobs.map((j) => [j.name, j.rw, j.iodepth, j.source])).toEqual([
      ['j1', 'randread', 1, { file: 'command line', line: 3 }],
      ['j2', 'write', 16, { file: 'command line', line: 6 }],
    ]);
    expect(file.jobs[0]!.rawOptions).toEqual({ name: 'j1', rw: 'randread', bs: '4k' });
    expect(file.jobs[1]!.rawOptions).toEqual({ name: 'j2', rw: 'write', iodepth: '16' });
    expect(file.notices).toEqual(["option 'direct' is ignored: nvme-fio has no page cache: every I/O goes to the controller"]);
  });

  it('reads --opt alone as boolean 1, and does not take the next argument for it', () => {
    const [job] = parseCommandLineJobs(['--name=j', '--filename=loopback', '--time_based', '--runtime=5', '--randrepeat', '--group_reporting']).jobs;
    expect(job).toMatchObject({ timeBased: true, runtimeMs: 5000, randRepeat: true, groupReporting: true });
  });

  it('supports --name=global as fio HOWTO shows', () => {
    const file = parseCommandLineJobs(['--name=global', '--rw=randread', '--size=128m', '--filename=loopback', '--name=job1', '--name=job2']);
    expect(file.jobs.map((j) => [j.name, j.rw, j.size])).toEqual([
      ['job1', 'randread', { bytes: 128 * 1024 * 1024 }],
      ['job2', 'randread', { bytes: 128 * 1024 * 1024 }],
    ]);
    expect(file.globalOptions).toEqual({ rw: 'randread', size: '128m', filename: 'loopback' });
  });

  it('reports errors as command line: option ...', () => {
    expect(errorOf(() => parseCommandLineJobs(['--name=j', '--filename=loopback', '--numjobs=0']))).toBe("command line: option 'numjobs': must be at least 1, got '0'");
    expect(errorOf(() => parseCommandLineJobs(['--name=j', '--filename=loopback', '--bogus']))).toBe("command line: option 'bogus': unknown option");
    expect(errorOf(() => parseCommandLineJobs(['--name=j', 'jobs.fio']))).toBe("command line: expected --option or --option=value, got 'jobs.fio'");
    expect(errorOf(() => parseCommandLineJobs(['--name=j']))).toBe(
      "command line: job 'j': no filename; give filename=loopback or a transport ID (filename=trtype=TCP adrfam=IPv4 traddr=127.0.0.1 trsvcid=4420 subnqn=... ns=1) in the job or in [global]",
    );
    expect(errorOf(() => parseCommandLineJobs(['--name']))).toBe("command line: option 'name': needs a value");
  });

  it('takes a transport ID with spaces as one argument', () => {
    const [job] = parseCommandLineJobs(['--name=j', '--filename=trtype=TCP adrfam=IPv4 traddr=127.0.0.1 trsvcid=4420 subnqn=nqn.2016-06.io.spdk\\:cnode1 ns=1']).jobs;
    expect(job!.target).toEqual({
      kind: 'trid',
      trid: { trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: '4420', subnqn: 'nqn.2016-06.io.spdk:cnode1', ns: 1 },
    });
  });

  it('expands ${VAR} the shell left alone, with the same error for unset ones', () => {
    expect(parseCommandLineJobs(['--name=j', '--filename=loopback', '--bs=${BS}'], { BS: '16k' }).jobs[0]!.blockSizes[0]).toEqual([{ bytes: 16384, percent: 100 }]);
    expect(errorOf(() => parseCommandLineJobs(['--name=j', '--filename=loopback', '--bs=${BS}'], {}))).toBe(
      "command line: option 'bs': environment variable 'BS' is not set (in '${BS}')",
    );
  });
});
