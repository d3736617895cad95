import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFioLogs } from '../../../src/fio/fio-logs.js';
import type { FioLogEntry } from '../../../src/fio/fio-stats.js';
import { clone, makeJob, run } from './fio-result-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'nvmekit-fio-logs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = (timeMs: number, value: number, ddir: 0 | 1 | 2, bs: number): FioLogEntry => ({ timeMs, value, ddir, bs });

describe('writeFioLogs', () => {
  const latJob = makeJob({ name: 'lat', numjobs: 2, writeLatLog: 'mylog' });
  const bwJob = makeJob({ name: 'bwjob', writeBwLog: '', writeIopsLog: 'rates' });
  const raw = run([
    clone({
      job: latJob,
      clone: 0,
      logs: { lat: [entry(1, 20500, 0, 4096), entry(2, 31000, 1, 4096)], clat: [entry(1, 20000, 0, 4096)], slat: [entry(1, 500, 0, 4096)] },
    }),
    clone({ job: latJob, clone: 1, logs: { lat: [entry(3.7, 1234.4, 0, 4096)], clat: [], slat: [] } }),
    clone({ job: bwJob, logs: { bw: [entry(500, 51234.6, 0, 0), entry(1000, 50000, 1, 0)], iops: [entry(500, 12808, 0, 0)] } }),
    clone({ job: makeJob({ name: 'quiet' }) }),
  ]);
  const paths = writeFioLogs(raw, dir);

  it("names files <prefix>_<kind>.<fio thread number>.log, the job name when the option has no value", () => {
    expect(paths).toEqual(
      ['mylog_lat.1.log', 'mylog_clat.1.log', 'mylog_slat.1.log', 'mylog_lat.2.log', 'mylog_clat.2.log', 'mylog_slat.2.log', 'rates_iops.3.log', 'bwjob_bw.3.log'].map(
        (f) => join(dir, f),
      ),
    );
  });

  it('writes one "time, value, ddir, bs, prio" line per entry, integers as fio prints them', () => {
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    expect(read('mylog_lat.1.log')).toBe('1, 20500, 0, 4096, 0\n2, 31000, 1, 4096, 0\n');
    expect(read('mylog_clat.1.log')).toBe('1, 20000, 0, 4096, 0\n');
    expect(read('mylog_slat.1.log')).toBe('1, 500, 0, 4096, 0\n');
    expect(read('mylog_lat.2.log')).toBe('3, 1234, 0, 4096, 0\n');
    expect(read('mylog_clat.2.log')).toBe('');
    expect(read('bwjob_bw.3.log')).toBe('500, 51235, 0, 0, 0\n1000, 50000, 1, 0, 0\n');
    expect(read('rates_iops.3.log')).toBe('500, 12808, 0, 0, 0\n');
  });

  it('creates the directory and honours an absolute prefix', () => {
    const nested = join(dir, 'a', 'b');
    const abs = join(dir, 'elsewhere');
    const written = writeFioLogs(
      run([
        clone({ job: makeJob({ name: 'x', writeBwLog: 'here' }), logs: { bw: [entry(1, 2, 0, 0)] } }),
        clone({ job: makeJob({ name: 'y', writeIopsLog: abs }), logs: { iops: [entry(1, 3, 0, 0)] } }),
      ]),
      nested,
    );
    expect(written).toEqual([join(nested, 'here_bw.1.log'), `${abs}_iops.2.log`]);
    expect(readFileSync(written[1]!, 'utf8')).toBe('1, 3, 0, 0, 0\n');
  });
});
