import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildFioResult, type FioJobResult, type FioResult } from '../../../src/fio/fio-result.js';
import { fioCtime, formatFioPreamble, formatFioText, num2str } from '../../../src/fio/fio-text-report.js';
import { clone, FIO_VECTORS, makeJob, run, sampleShapedRun } from './fio-result-fixtures.js';

const sampleText = readFileSync(`${FIO_VECTORS}sample.txt`, 'utf8');
/** sample.txt up to fio's Disk stats, which nvme-fio does not print. */
const sampleLines = sampleText.slice(0, sampleText.indexOf('\nDisk stats')).split('\n');

describe('num2str', () => {
  // Every size and rate in sample.txt, from the counts it reports: issued I/Os, block size, runtime.
  const read = { ios: 27197, bs: 4096, ms: 2001 };
  const write = { ios: 11630, bs: 4096, ms: 2001 };
  const seq = { ios: 11023, bs: 131072, ms: 2000 };
  const bytes = (d: typeof read) => d.ios * d.bs;
  const bw = (d: typeof read) => Math.floor((bytes(d) * 1000) / d.ms);
  const iops = (d: typeof read) => Math.floor((d.ios * 1000) / d.ms);

  it.each([
    [iops(read), false, 'none', '13.6k'],
    [iops(write), false, 'none', '5812'],
    [iops(seq), false, 'none', '5511'],
    [bw(read), true, 'bytePerSec', '53.1MiB/s'],
    [bw(read), false, 'bytePerSec', '55.7MB/s'],
    [bw(write), true, 'bytePerSec', '22.7MiB/s'],
    [bw(write), false, 'bytePerSec', '23.8MB/s'],
    [bw(seq), true, 'bytePerSec', '689MiB/s'],
    [bw(seq), false, 'bytePerSec', '722MB/s'],
    [bytes(read), true, 'byte', '106MiB'],
    [bytes(read), false, 'byte', '111MB'],
    [bytes(write), true, 'byte', '45.4MiB'],
    [bytes(write), false, 'byte', '47.6MB'],
    [bytes(seq), true, 'byte', '1378MiB'],
    [bytes(seq), false, 'byte', '1445MB'],
    [4096, true, 'byte', '4096B'],
    [131072, true, 'byte', '128KiB'],
  ] as const)('%d (pow2 %s, %s) -> %s', (value, pow2, unit, expected) => {
    expect(num2str(value, 4, pow2, unit)).toBe(expected);
    expect(sampleText).toContain(expected);
  });

  it('prints latency bounds up to six digits as they are', () => {
    for (const v of [17, 4411, 18, 2213, 92, 1736]) expect(num2str(v, 6, false, 'none')).toBe(String(v));
    expect(num2str(1_234_567, 6, false, 'none')).toBe('1234.6k');
  });

  it("keeps fio's rounding quirks", () => {
    // 1048575 B = 1023 KiB + 1023 B: no room for decimals, so the remainder rounds 1023 up to 1024.
    expect(num2str(1023 * 1024 + 1023, 4, true, 'byte')).toBe('1024KiB');
    // One decimal: 1000/1024 = 0.98 prints as ".0" and the carry is lost (10.98 -> 10.0).
    expect(num2str(10 * 1024 + 1000, 4, true, 'byte')).toBe('10.0KiB');
    expect(num2str(999, 4, false, 'none')).toBe('999');
  });
});

describe('fioCtime', () => {
  it("prints C's ctime in local time, the day padded with a space", () => {
    expect(fioCtime(new Date(2026, 10, 25, 12, 57, 15).getTime())).toBe('Wed Nov 25 12:57:15 2026');
    expect(fioCtime(new Date(2026, 10, 5, 1, 2, 3).getTime())).toBe('Thu Nov  5 01:02:03 2026');
  });
});

/** sample.txt's line as a pattern: any number (with any padding) where fio printed one, any date, our engine. */
function linePattern(line: string): RegExp {
  const escaped = line
    .replace('ioengine=psync', 'ioengine=nvmekit')
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4}/, 'DATE')
    .replace(/ *\d+(\\\.\d+)?/g, ' *\\d+(\\.\\d+)?')
    .replace('DATE', '\\w{3} \\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\d{4}');
  return new RegExp(`^${escaped}$`);
}

describe('formatFioText: the sample-shaped run', () => {
  const result = buildFioResult(sampleShapedRun());
  const lines = formatFioText(result).split('\n');

  it('has every line of sample.txt, in order, in the same layout', () => {
    expect(lines).toHaveLength(sampleLines.length);
    sampleLines.forEach((line, i) => {
      if (line === 'fio-3.33') expect(lines[i]).toBe(result.fioVersion);
      else if (line === 'Starting 3 processes') expect(lines[i]).toBe('Starting 3 threads');
      else expect(lines[i], `line ${i + 1}: ${line}`).toMatch(linePattern(line));
    });
  });

  it('reproduces exactly the lines that follow from the counts alone', () => {
    const same = [
      '...',
      '  read: IOPS=13.6k, BW=53.1MiB/s (55.7MB/s)(106MiB/2001msec)',
      '  write: IOPS=5812, BW=22.7MiB/s (23.8MB/s)(45.4MiB/2001msec); 0 zone resets',
      '  read: IOPS=5511, BW=689MiB/s (722MB/s)(1378MiB/2000msec)',
      '  IO depths    : 1=100.0%, 2=0.0%, 4=0.0%, 8=0.0%, 16=0.0%, 32=0.0%, >=64=0.0%',
      '     submit    : 0=0.0%, 4=100.0%, 8=0.0%, 16=0.0%, 32=0.0%, 64=0.0%, >=64=0.0%',
      '     issued rwts: total=27197,11630,0,0 short=0,0,0,0 dropped=0,0,0,0',
      '     issued rwts: total=11023,0,0,0 short=0,0,0,0 dropped=0,0,0,0',
      '     latency   : target=0, window=0, percentile=100.00%, depth=1',
      'Run status group 0 (all jobs):',
      '   READ: bw=53.1MiB/s (55.7MB/s), 53.1MiB/s-53.1MiB/s (55.7MB/s-55.7MB/s), io=106MiB (111MB), run=2001-2001msec',
      '  WRITE: bw=22.7MiB/s (23.8MB/s), 22.7MiB/s-22.7MiB/s (23.8MB/s-23.8MB/s), io=45.4MiB (47.6MB), run=2001-2001msec',
      '   READ: bw=689MiB/s (722MB/s), 689MiB/s-689MiB/s (722MB/s-722MB/s), io=1378MiB (1445MB), run=2000-2000msec',
    ];
    for (const line of same) {
      expect(sampleLines).toContain(line);
      expect(lines).toContain(line);
    }
    for (const header of sampleLines.slice(0, 3).filter((l) => l.includes('(g='))) {
      expect(lines).toContain(header.replace('ioengine=psync', 'ioengine=nvmekit'));
    }
    expect(lines).toContain(`randrw-4k: (groupid=0, jobs=2): err= 0: pid=${process.pid}: ${fioCtime(result.endedAt)}`);
  });
});

/** A one-job result whose numbers a test then sets by hand. */
function oneJob(): { result: FioResult; job: FioJobResult } {
  const result = buildFioResult(run([clone({ job: makeJob({ name: 'j' }), read: { clatNs: [50, 60], bwSamples: [1], iopsSamples: [1] } })]));
  return { result, job: result.jobs[0]! };
}

function blockOf(result: FioResult): string[] {
  return formatFioText(result).split('\n');
}

describe('formatFioText: fio rules, by hand', () => {
  it('picks usec for clat when min > 2000 ns, max > 99999 ns and stdev > 1000 ns (truncating min and max)', () => {
    const { result, job } = oneJob();
    Object.assign(job.directions[0].clat, { min: 17_123, max: 4_411_999, mean: 101_660, stddev: 76_060 });
    expect(blockOf(result)).toContain('    clat (usec): min=17, max=4411, avg=101.66, stdev=76.06');
    Object.assign(job.directions[0].clat, { stddev: 999 });
    expect(blockOf(result)).toContain('    clat (nsec): min=17123, max=4411.0k, avg=101660.00, stdev=999.00');
    Object.assign(job.directions[0].clat, { min: 2_500_000, max: 150_000_000, mean: 9_000_000, stddev: 2_000_000 });
    expect(blockOf(result)).toContain('    clat (msec): min=2, max=150, avg= 9.00, stdev= 2.00');
  });

  it("lays out percentiles four per line in usec, each value rounded up (sample.json's first job)", () => {
    const { result, job } = oneJob();
    const ns = [27008, 31360, 32384, 34048, 45312, 82432, 86528, 121344, 126464, 130560, 154624, 183296, 268288, 317440, 473088, 602112, 1630208];
    job.directions[0].clat.percentiles = job.directions[0].clat.percentiles!.map((p, i) => ({ ...p, valueNs: ns[i]! }));
    const text = formatFioText(result);
    expect(text).toContain(
      [
        '    clat percentiles (usec):',
        '     |  1.00th=[   28],  5.00th=[   32], 10.00th=[   33], 20.00th=[   35],',
        '     | 30.00th=[   46], 40.00th=[   83], 50.00th=[   87], 60.00th=[  122],',
        '     | 70.00th=[  127], 80.00th=[  131], 90.00th=[  155], 95.00th=[  184],',
        '     | 99.00th=[  269], 99.50th=[  318], 99.90th=[  474], 99.95th=[  603],',
        '     | 99.99th=[ 1631]',
        '',
      ].join('\n'),
    );
  });

  it('widens the percentile column past 99999 and fits fewer per line', () => {
    const { result, job } = oneJob();
    job.percentilePrecision = 0;
    job.directions[0].clat.percentiles = [
      { percent: 50, valueNs: 5 },
      { percent: 90, valueNs: 7 },
      { percent: 99, valueNs: 1_234_567 },
    ];
    // nsec (min 5 is not past 2000); width 7 for 1234567; 73 / (0 + 10 + 7) = 4 per line.
    expect(formatFioText(result)).toContain('    clat percentiles (nsec):\n     |  50th=[      5],  90th=[      7],  99th=[1234567]\n');
  });

  it('switches the bw line to MiB/s past a mean of 1 GiB/s', () => {
    const { result, job } = oneJob();
    Object.assign(job.directions[0], { bwMin: 1_048_576, bwMax: 3_145_727, bwAgg: 50, bwMean: 2_097_152, bwDev: 1024, bwSamples: 4 });
    expect(blockOf(result)).toContain('   bw (  MiB/s): min= 1024, max= 3071, per=50.00%, avg=2048.00, stdev= 1.00, samples=4');
  });

  it('wraps the latency distribution after five buckets and skips empty ones', () => {
    const { result, job } = oneJob();
    job.latencyNs = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    job.latencyUs = [0, 0, 1, 2, 3, 4, 5, 6, 0, 0.005];
    job.latencyMs = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 50];
    const lines = blockOf(result);
    expect(lines).toContain('  lat (usec)   : 10=1.00%, 20=2.00%, 50=3.00%, 100=4.00%, 250=5.00%');
    expect(lines).toContain('  lat (usec)   : 500=6.00%, 1000=0.01%');
    expect(lines).toContain('  lat (msec)   : >=2000=50.00%');
    expect(lines.some((l) => l.startsWith('  lat (nsec)'))).toBe(false);
  });

  it('names the error of a failed job', () => {
    const { result, job } = oneJob();
    job.error = 5;
    job.errorMessage = 'Input/output error';
    expect(blockOf(result)[4]).toMatch(/^j: \(groupid=0, jobs=1\): err= 5 \(Input\/output error\): pid=\d+: /);
  });

  it('prints a header per job, "..." once for its clones, and counts threads', () => {
    const job = makeJob({ name: 'mix', rw: 'rw', iodepth: 32, bs: 8192 });
    const preamble = formatFioPreamble(
      [0, 1, 2].map((c) => ({ name: job.name, groupId: 2, rw: job.rw, blockSizes: [[512, 131072], [8192, 8192], [8192, 8192]], iodepth: 32, clone: c })),
      'nvmekit-fio-x',
    );
    expect(preamble).toBe(
      'mix: (g=2): rw=rw, bs=(R) 512B-128KiB, (W) 8192B-8192B, (T) 8192B-8192B, ioengine=nvmekit, iodepth=32\n...\nnvmekit-fio-x\nStarting 3 threads\n',
    );
    expect(formatFioPreamble(
      [{ name: 'solo', groupId: 0, rw: 'read', blockSizes: [[4096, 4096], [4096, 4096], [4096, 4096]], iodepth: 1, clone: 0 }],
      'v',
    )).toBe('solo: (g=0): rw=read, bs=(R) 4096B-4096B, (W) 4096B-4096B, (T) 4096B-4096B, ioengine=nvmekit, iodepth=1\nv\nStarting 1 thread\n');
  });
});
