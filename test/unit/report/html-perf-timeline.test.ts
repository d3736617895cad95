/**
 * nvme-perf's side of the HTML report: the once-a-second timeline the
 * progress sampler records (with or without a terminal), and `--report` on
 * the command line.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parsePerfCommandLine } from '../../../src/bench/perf-options.js';
import { formatPerfHelp } from '../../../src/bench/perf-help.js';
import { PerfProgress } from '../../../src/bench/perf-progress.js';
import { PROGRESS_CELLS } from '../../../src/bench/perf-worker-run.js';
import { ConfigError } from '../../../src/spec/errors.js';

describe('PerfProgress timeline', () => {
  beforeEach(() => void vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] }));
  afterEach(() => void vi.useRealTimers());

  /** Two workers' progress cells; `bump(w, n)` completes n I/Os on worker w. */
  function cells() {
    const counts = new Float64Array(2 * PROGRESS_CELLS);
    return { counts, bump: (w: number, n: number) => void (counts[w * PROGRESS_CELLS] += n) };
  }

  it('records IOPS and MiB/s per second over every worker, without a terminal to print to', () => {
    const { counts, bump } = cells();
    const p = new PerfProgress(counts, [], { ioSizeBytes: 8192, warmupSec: 0, cpuUsage: false }, null);
    p.start();
    bump(0, 1000);
    bump(1, 500);
    vi.advanceTimersByTime(1000);
    bump(0, 3000);
    vi.advanceTimersByTime(1000);
    // A 500 ms tail at 2000 IOPS.
    bump(1, 1000);
    vi.advanceTimersByTime(500);
    p.stop();
    const { intervalMs, samples } = p.timeline();
    expect(intervalMs).toBe(1000);
    expect(samples.map((s) => [s.tSec, s.durationSec, s.iops])).toEqual([
      [1, 1, 1500],
      [2, 1, 3000],
      [2.5, 0.5, 2000],
    ]);
    expect(samples[0]!.mibps).toBeCloseTo((1500 * 8192) / 1048576, 9);
  });

  it('leaves the warm-up out and counts time from its end', () => {
    const { counts, bump } = cells();
    const p = new PerfProgress(counts, [], { ioSizeBytes: 4096, warmupSec: 2, cpuUsage: false }, null);
    p.start();
    for (let i = 1; i <= 4; i++) {
      bump(0, i * 100);
      vi.advanceTimersByTime(1000);
    }
    p.stop();
    expect(p.timeline().samples.map((s) => [s.tSec, s.iops])).toEqual([
      [1, 300],
      [2, 400],
    ]);
  });

  it('drops a tail too short to give a rate, and prints the live line only when given somewhere to write', () => {
    const { counts, bump } = cells();
    const lines: string[] = [];
    const p = new PerfProgress(counts, [], { ioSizeBytes: 4096, warmupSec: 0, cpuUsage: false }, (t) => void lines.push(t));
    p.start();
    bump(0, 700);
    vi.advanceTimersByTime(1050);
    p.stop();
    expect(p.timeline().samples).toHaveLength(1);
    expect(lines.join('')).toContain('700');
  });
});

describe('nvme-perf --report', () => {
  it('takes the file name; absent means no report', () => {
    const run = (argv: string[]) => {
      const cl = parsePerfCommandLine(argv);
      if (cl.kind !== 'run') throw new Error('expected a run');
      return cl.options;
    };
    expect(run(['--loopback', '--report', 'out.html']).report).toBe('out.html');
    expect(run(['--loopback', '--report=dir/r.html']).report).toBe('dir/r.html');
    expect(run(['--loopback']).report).toBeNull();
  });

  it('refuses an empty file name and one left out', () => {
    expect(() => parsePerfCommandLine(['--loopback', '--report='])).toThrow(ConfigError);
    expect(() => parsePerfCommandLine(['--loopback', '--report='])).toThrow(/^--report: needs a file name/);
    expect(() => parsePerfCommandLine(['--loopback', '--report'])).toThrow(/--report: needs a value/);
  });

  it('is in the help', () => {
    expect(formatPerfHelp()).toMatch(/^ +--report <FILE\.html> +write a self-contained HTML report/m);
  });
});
