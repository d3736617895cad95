import { describe, expect, it } from 'vitest';
import { FIO_DEFAULT_PERCENTILES } from '../../../src/fio/fio-job.js';
import { closestOptionName, FIO_OPTIONS, findOption, readOptionValue } from '../../../src/fio/option-table.js';

/** Issue 7's option list, with fio's aliases for them. */
const ISSUE_OPTIONS = [
  'rw', 'readwrite', 'rwmixread', 'rwmixwrite', 'bs', 'blocksize', 'bssplit', 'blockalign', 'ba', 'iodepth',
  'iodepth_batch_submit', 'iodepth_batch', 'numjobs', 'size', 'offset', 'io_size', 'io_limit', 'number_ios',
  'runtime', 'timeout', 'time_based', 'ramp_time', 'startdelay', 'randrepeat', 'randseed', 'random_distribution',
  'norandommap', 'rate', 'rate_iops', 'thinktime', 'stonewall', 'wait_for_previous', 'new_group', 'group_reporting',
  'percentile_list', 'clat_percentiles', 'lat_percentiles', 'write_lat_log', 'write_iops_log', 'write_bw_log',
  'log_avg_msec', 'verify', 'verify_pattern', 'do_verify', 'verify_backlog', 'verify_fatal', 'filename', 'ioengine',
  'name', 'description',
];

const CTX = { kbBase: 1024 as const, jobName: 'job' };

describe('the option table', () => {
  it.each(ISSUE_OPTIONS)('knows %s', (name) => {
    expect(findOption(name)).toBeDefined();
  });

  it('resolves aliases to the fio name', () => {
    expect(findOption('readwrite')?.name).toBe('rw');
    expect(findOption('blocksize')?.name).toBe('bs');
    expect(findOption('ba')?.name).toBe('blockalign');
    expect(findOption('iodepth_batch')?.name).toBe('iodepth_batch_submit');
    expect(findOption('io_limit')?.name).toBe('io_size');
    expect(findOption('timeout')?.name).toBe('runtime');
    expect(findOption('wait_for_previous')?.name).toBe('stonewall');
  });

  it('matches option names case-sensitively, as fio', () => {
    expect(findOption('BS')).toBeUndefined();
  });

  it('has no name or alias twice', () => {
    const names = FIO_OPTIONS.flatMap((o) => [o.name, ...(o.aliases ?? [])]);
    expect(new Set(names).size).toBe(names.length);
  });

  it('describes every option, and gives each ignored one a reason and no setter', () => {
    for (const o of FIO_OPTIONS) {
      expect(o.help.length, o.name).toBeGreaterThan(0);
      expect(o.kind === 'ignored', o.name).toBe(o.ignored !== undefined);
      if (o.kind === 'ignored') expect(o.set, o.name).toBeUndefined();
    }
  });

  it('reads every default with its own kind', () => {
    for (const o of FIO_OPTIONS.filter((x) => x.def !== undefined)) {
      expect(() => readOptionValue(o, o.def, CTX), o.name).not.toThrow();
    }
  });

  it("holds fio's default percentile list", () => {
    const def = findOption('percentile_list')!;
    expect(readOptionValue(def, def.def, CTX)).toEqual(FIO_DEFAULT_PERCENTILES);
  });

  it('keeps the page-cache and process options fio users write out of the way, with a reason', () => {
    for (const name of ['direct', 'buffered', 'invalidate', 'thread', 'lockmem', 'cpus_allowed', 'gtod_reduce']) {
      expect(findOption(name)?.ignored, name).toMatch(/\w/);
    }
    expect(findOption('group_reporting')?.ignored).toBeUndefined();
  });

  it('suggests the nearest name for a typo, and nothing for a word far from all', () => {
    expect(closestOptionName('iodepht')).toBe('iodepth');
    expect(closestOptionName('runtim')).toBe('runtime');
    expect(closestOptionName('completely_unrelated')).toBeUndefined();
  });
});
