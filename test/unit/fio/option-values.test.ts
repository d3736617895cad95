import { describe, expect, it } from 'vitest';
import {
  OptionValueError,
  parseBlockSizeSplit,
  parseBoolean,
  parseBytes,
  parseDistribution,
  parseInteger,
  parsePercentileList,
  parseSize,
  parseTimeUs,
  parseVerify,
  parseVerifyPattern,
  splitPerDirection,
} from '../../../src/fio/option-values.js';
import { thrownMessage } from '../../helpers/thrown-message.js';

/** The message of the OptionValueError `fn` throws. */
const reason = (fn: () => unknown): string => thrownMessage(OptionValueError, fn);

describe('sizes (fio parse.c, kb_base=1024 default)', () => {
  // fio's HOWTO table for kb_base=1024: 4 KiB is 4096, 4096b, 4k, 4kb, 4kB, 4K, 4KB.
  it.each([
    ['4096', 4096],
    ['4096b', 4096],
    ['4096B', 4096],
    ['4k', 4096],
    ['4K', 4096],
    ['4kb', 4096],
    ['4kB', 4096],
    ['4KB', 4096],
    ['1m', 1048576],
    ['1M', 1048576],
    ['1024k', 1048576],
    ['2g', 2 * 1024 ** 3],
    ['1t', 1024 ** 4],
    ['1p', 1024 ** 5],
    ['0x1000', 4096],
    ['0x10k', 16 * 1024],
    ['64 k', 65536],
  ])('%s = %d bytes', (raw, bytes) => {
    expect(parseBytes(raw, 1024)).toBe(bytes);
  });

  it('reads the IEC forms in the opposite base, as fio does for compatibility: 1KiB = 1000, 1MiB = 10^6', () => {
    expect(parseBytes('1KiB', 1024)).toBe(1000);
    expect(parseBytes('4kib', 1024)).toBe(4000);
    expect(parseBytes('1MiB', 1024)).toBe(1_000_000);
    expect(parseBytes('1GiB', 1024)).toBe(1e9);
    expect(parseBytes('1TiB', 1024)).toBe(1e12);
  });

  it('takes `ki`/`mi` without b like k/m (fio 3.x code compares the full `kib`)', () => {
    expect(parseBytes('4ki', 1024)).toBe(4096);
    expect(parseBytes('1mi', 1024)).toBe(1048576);
  });

  it('with kb_base=1000 follows SI and IEC: k = 1000, KiB = 1024', () => {
    expect(parseBytes('4k', 1000)).toBe(4000);
    expect(parseBytes('4kB', 1000)).toBe(4000);
    expect(parseBytes('4KiB', 1000)).toBe(4096);
    expect(parseBytes('1m', 1000)).toBe(1e6);
    expect(parseBytes('1MiB', 1000)).toBe(1048576);
  });

  it('reads percents only where allowed', () => {
    expect(parseSize('50%', 1024, true)).toEqual({ percent: 50 });
    expect(parseSize('0%', 1024, true)).toEqual({ percent: 0 });
    expect(parseSize('64M', 1024, true)).toEqual({ bytes: 64 * 1024 * 1024 });
    expect(reason(() => parseSize('50%', 1024))).toBe("a percent is not allowed here, got '50%'");
    expect(reason(() => parseSize('101%', 1024, true))).toBe("a percent must be from 0 to 100, got '101%'");
  });

  it('refuses fractions, negatives, unknown suffixes and overflow with the reason', () => {
    expect(reason(() => parseBytes('1.5m', 1024))).toBe(
      "expected a whole number with an optional suffix (4096, 4k, 4KiB, 1m, 2g; 0x hex allowed), got '1.5m' (fio would silently drop the fraction; write 1536k, not 1.5m)",
    );
    expect(reason(() => parseBytes('-4k', 1024))).toContain('(negative values make no sense here)');
    expect(reason(() => parseBytes('4x', 1024))).toBe("unknown size suffix 'x' in '4x' (k, m, g, t, p, optionally followed by b, i or ib)");
    expect(reason(() => parseBytes('4kbb', 1024))).toContain("unknown size suffix 'kbb'");
    expect(reason(() => parseBytes('', 1024))).toContain("got ''");
    expect(reason(() => parseBytes('9999999p', 1024))).toBe("'9999999p' is too large (over 2^53 - 1)");
  });

  it('checks integer ranges as fio minval/maxval', () => {
    expect(parseInteger('1k', 1024, 1, 2048)).toBe(1024);
    expect(reason(() => parseInteger('0', 1024, 1, 10))).toBe("must be at least 1, got '0'");
    expect(reason(() => parseInteger('101', 1024, 0, 100))).toBe("must be at most 100, got '101'");
  });
});

describe('times (fio get_mult_time)', () => {
  it.each([
    ['10', 's', 10_000_000],
    ['10', 'us', 10],
    ['10s', 's', 10_000_000],
    ['10sec', 's', 10_000_000],
    ['250ms', 's', 250_000],
    ['250msec', 's', 250_000],
    ['100us', 's', 100],
    ['100usec', 'us', 100],
    ['2m', 's', 120_000_000],
    ['2M', 's', 120_000_000],
    ['1h', 's', 3_600_000_000],
    ['1d', 's', 86_400_000_000],
    ['5MS', 'us', 5000],
  ] as const)('%s with plain unit %s = %d us', (raw, unit, us) => {
    expect(parseTimeUs(raw, unit)).toBe(us);
  });

  it('refuses unknown suffixes, fractions and ranges', () => {
    expect(reason(() => parseTimeUs('10min', 's'))).toBe("unknown time suffix 'min' in '10min' (us, ms, s, m, h, d)");
    expect(reason(() => parseTimeUs('1.5s', 's'))).toBe(
      "expected a whole number of seconds with an optional suffix (us, ms, s, m, h, d), got '1.5s'",
    );
    expect(reason(() => parseTimeUs('1-5', 's'))).toContain('(ranges are not supported by nvme-fio)');
  });
});

describe('booleans (fio check_int)', () => {
  it('reads bare as 1, and 0/1 (hex too)', () => {
    expect(parseBoolean(undefined, true)).toBe(true);
    expect(parseBoolean('1', true)).toBe(true);
    expect(parseBoolean('0', true)).toBe(false);
    expect(parseBoolean('0x1', true)).toBe(true);
  });

  it('lets set-type options (time_based, stonewall) take any number, non-zero = on', () => {
    expect(parseBoolean('2', false)).toBe(true);
    expect(parseBoolean('0', false)).toBe(false);
    expect(reason(() => parseBoolean('2', true))).toBe("expected 0 or 1, got '2'");
  });

  it('refuses true/false as fio does', () => {
    expect(reason(() => parseBoolean('true', true))).toBe("expected 0 or 1, got 'true'");
    expect(reason(() => parseBoolean('false', false))).toBe("expected nothing, 0 or 1, got 'false'");
  });
});

describe('per-direction values (fio HOWTO, bs=)', () => {
  it.each([
    ['256k', ['256k', '256k', '256k']],
    ['8k,32k', ['8k', '32k', '32k']],
    ['8k,32k,', ['8k', '32k', undefined]],
    [',8k', [undefined, '8k', '8k']],
    [',8k,', [undefined, '8k', undefined]],
    ['500k,', ['500k', undefined, undefined]],
    ['1k,2k,3k', ['1k', '2k', '3k']],
    ['1000, 500', ['1000', '500', '500']],
  ])('%s', (raw, want) => {
    expect(splitPerDirection(raw)).toEqual(want);
  });

  it('refuses a fourth value', () => {
    expect(reason(() => splitPerDirection('1,2,3,4'))).toBe("at most 3 comma-separated values (read,write,trim), got 4 in '1,2,3,4'");
  });
});

describe('bssplit (fio bssplit_ddir)', () => {
  it('reads size/percent entries', () => {
    expect(parseBlockSizeSplit('4k/10:64k/50:32k/40', 1024)).toEqual([
      { bytes: 4096, percent: 10 },
      { bytes: 65536, percent: 50 },
      { bytes: 32768, percent: 40 },
    ]);
  });

  it('spreads the remainder over entries without a percent, the last taking the rounding rest', () => {
    expect(parseBlockSizeSplit('4k/10:8k:16k:32k', 1024)).toEqual([
      { bytes: 4096, percent: 10 },
      { bytes: 8192, percent: 30 },
      { bytes: 16384, percent: 30 },
      { bytes: 32768, percent: 30 },
    ]);
    expect(parseBlockSizeSplit('4k:8k:16k', 1024).map((e) => e.percent)).toEqual([33, 33, 34]);
    expect(parseBlockSizeSplit('4k', 1024)).toEqual([{ bytes: 4096, percent: 100 }]);
    expect(parseBlockSizeSplit('4k/0:8k/100', 1024)).toEqual([
      { bytes: 4096, percent: 0 },
      { bytes: 8192, percent: 100 },
    ]);
  });

  it('caps a percent at 100 as fio, and refuses sums over or under 100', () => {
    expect(parseBlockSizeSplit('4k/150', 1024)).toEqual([{ bytes: 4096, percent: 100 }]);
    expect(reason(() => parseBlockSizeSplit('4k/60:8k/50', 1024))).toBe("percentages add up to 110, more than 100, in '4k/60:8k/50'");
    expect(reason(() => parseBlockSizeSplit('4k/60:8k/30', 1024))).toBe("percentages add up to 90, expected 100, in '4k/60:8k/30'");
    expect(reason(() => parseBlockSizeSplit('4k/x', 1024))).toBe("expected size/percent like 4k/50, got '4k/x'");
    expect(reason(() => parseBlockSizeSplit('0/100', 1024))).toBe("a block size must be at least 1, got '0' in '0/100'");
  });
});

describe('random_distribution (fio str_random_distribution_cb)', () => {
  it('reads each distribution with fio defaults', () => {
    expect(parseDistribution('random')).toEqual({ kind: 'random' });
    expect(parseDistribution('zipf')).toEqual({ kind: 'zipf', theta: 1.1 });
    expect(parseDistribution('zipf:0.8')).toEqual({ kind: 'zipf', theta: 0.8 });
    expect(parseDistribution('pareto')).toEqual({ kind: 'pareto', h: 0.2 });
    expect(parseDistribution('pareto:0.9')).toEqual({ kind: 'pareto', h: 0.9 });
    expect(parseDistribution('normal')).toEqual({ kind: 'normal', sigma: 0 });
    expect(parseDistribution('normal:5.5')).toEqual({ kind: 'normal', sigma: 5.5 });
  });

  it('checks ranges as fio', () => {
    expect(reason(() => parseDistribution('zipf:1'))).toBe("zipf theta must be different from 1.0, got 'zipf:1'");
    expect(reason(() => parseDistribution('zipf:1.0'))).toBe("zipf theta must be different from 1.0, got 'zipf:1.0'");
    expect(reason(() => parseDistribution('pareto:1'))).toBe("pareto h must be between 0 and 1 (exclusive), got 'pareto:1'");
    expect(reason(() => parseDistribution('pareto:0'))).toContain('pareto h must be between 0 and 1');
    expect(reason(() => parseDistribution('normal:100'))).toBe("normal deviation must be from 0 to below 100, got 'normal:100'");
    expect(reason(() => parseDistribution('normal:-1'))).toContain('normal deviation must be from 0 to below 100');
    expect(reason(() => parseDistribution('zipf:abc'))).toBe("expected a number after 'zipf:', got 'zipf:abc'");
  });

  it('says which fio forms nvme-fio does not run', () => {
    expect(reason(() => parseDistribution('zoned:60/10:40/90'))).toContain("('zoned' is not supported by nvme-fio)");
    expect(reason(() => parseDistribution('zipf:1.2:0.5'))).toBe("a distribution center (':0.5') is not supported by nvme-fio, got 'zipf:1.2:0.5'");
    expect(reason(() => parseDistribution('uniform'))).toBe(
      "expected one of random, zipf, pareto, normal (zipf:1.2, pareto:0.3, normal:5), got 'uniform'",
    );
  });
});

describe('verify', () => {
  it('maps fio names to the methods nvmekit runs', () => {
    expect(parseVerify('0')).toBe('none');
    expect(parseVerify('none')).toBe('none');
    expect(parseVerify('crc32c')).toBe('crc32c');
    expect(parseVerify('crc32c-intel')).toBe('crc32c');
    expect(parseVerify('md5')).toBe('md5');
    expect(parseVerify('sha256')).toBe('sha256');
    expect(parseVerify('pattern')).toBe('pattern');
  });

  it('tells fio methods it lacks apart from unknown words', () => {
    expect(reason(() => parseVerify('sha1'))).toBe(
      "'sha1' is a fio method nvme-fio does not implement (one of 0, none, crc32c, crc32c-intel, md5, sha256, pattern)",
    );
    expect(reason(() => parseVerify('crc33'))).toContain("'crc33' is not a verify method");
  });

  it('reads verify_pattern tokens as fio lib/pattern.c', () => {
    expect([...parseVerifyPattern('0xdeadbeef')]).toEqual([0xde, 0xad, 0xbe, 0xef]);
    expect([...parseVerifyPattern('0xabc')]).toEqual([0x0a, 0xbc]);
    expect([...parseVerifyPattern('"abc"')]).toEqual([0x61, 0x62, 0x63]);
    expect([...parseVerifyPattern('258')]).toEqual([0x02, 0x01]);
    expect([...parseVerifyPattern('0')]).toEqual([0]);
    expect([...parseVerifyPattern('-1')]).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect([...parseVerifyPattern('0xff0x14')]).toEqual([0xff, 0x14]);
    expect([...parseVerifyPattern('0x01 "A" 2')]).toEqual([0x01, 0x41, 0x02]);
  });

  it('refuses what it cannot read', () => {
    expect(reason(() => parseVerifyPattern('%o'))).toBe(
      `expected 0x hex, a "quoted string" or a decimal number at '%o' in '%o' (fio's %o is not supported by nvme-fio)`,
    );
    expect(reason(() => parseVerifyPattern('4294967296'))).toBe("a decimal pattern must fit in 32 bits, got '4294967296' in '4294967296'");
    expect(reason(() => parseVerifyPattern('"open'))).toContain("at '\"open'");
  });
});

describe('percentile_list', () => {
  it('reads :-separated numbers in order', () => {
    expect(parsePercentileList('99.9:50:99.99')).toEqual([99.9, 50, 99.99]);
    expect(parsePercentileList('100')).toEqual([100]);
  });

  it('checks range and length as fio (0..100, at most 20)', () => {
    expect(reason(() => parsePercentileList('50:101'))).toBe("a percentile must be from 0 to 100, got '101'");
    expect(reason(() => parsePercentileList('50:x'))).toBe("expected ':'-separated numbers (99:99.9), got 'x' in '50:x'");
    expect(reason(() => parsePercentileList(Array.from({ length: 21 }, (_, i) => i + 1).join(':')))).toBe('at most 20 percentiles, got 21');
  });
});
