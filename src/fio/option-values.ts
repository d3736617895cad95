/**
 * Readers for fio option values, each following fio 3.x's parse.c / options.c
 * for that kind of value. A reader knows nothing of files and lines: it throws
 * OptionValueError with the reason, and the job parser adds `FILE:LINE: option 'x':`.
 */
import type { BlockSizeShare, FioDistribution, FioExtent, FioVerify, PerDirection } from './fio-job.js';

/** A value that does not fit its option; the message is the reason only (what was expected, what came). */
export class OptionValueError extends Error {
  override readonly name = 'OptionValueError';
}

/** `kb_base`: what `k` means. fio's default 1024 swaps the units: `k` = 1024 and `KiB` = 1000. */
export type KbBase = 1000 | 1024;

/** Powers by suffix letter (`k` = 1, `m` = 2 ...), for sizes. */
const SIZE_POWER: Readonly<Record<string, number>> = { '': 0, k: 1, m: 2, g: 3, t: 4, p: 5 };

const SIZE_FORMS = "a whole number with an optional suffix (4096, 4k, 4KiB, 1m, 2g; 0x hex allowed)";

/**
 * A byte count as fio's `str_to_decimal` reads it: decimal or `0x` hex, then an
 * optional case-insensitive suffix. `k`/`kb`/`ki`, `m`/`mb`/`mi` ... multiply by
 * `kbBase`; the IEC forms `kib`, `mib` ... by the other base (fio's parse.c: with the
 * default kb_base=1024, `1KiB` is 1000). A bare `b` means bytes. With `allowPercent`,
 * `N%` gives a percent (1 to 100 for sizes, 0 to 99 for offsets is the caller's check).
 */
export function parseSize(raw: string, kbBase: KbBase, allowPercent = false): FioExtent {
  const m = /^(0x[0-9a-f]+|\d+)\s*([a-z%]*)$/i.exec(raw.trim());
  if (!m) {
    const hint = /^\d*\.\d/.test(raw.trim()) ? ' (fio would silently drop the fraction; write 1536k, not 1.5m)' : '';
    const neg = raw.trim().startsWith('-') ? ' (negative values make no sense here)' : '';
    throw new OptionValueError(`expected ${SIZE_FORMS}${allowPercent ? ' or a percent (50%)' : ''}, got '${raw}'${hint}${neg}`);
  }
  const n = Number(m[1]);
  const suffix = m[2]!.toLowerCase();
  if (suffix === '%') {
    if (!allowPercent) throw new OptionValueError(`a percent is not allowed here, got '${raw}'`);
    if (n > 100) throw new OptionValueError(`a percent must be from 0 to 100, got '${raw}'`);
    return { percent: n };
  }
  const bytes = n * sizeMultiplier(suffix, kbBase, raw);
  if (!Number.isSafeInteger(bytes)) throw new OptionValueError(`'${raw}' is too large (over 2^53 - 1)`);
  return { bytes };
}

function sizeMultiplier(suffix: string, kbBase: KbBase, raw: string): number {
  if (suffix === '' || suffix === 'b') return 1;
  const m = /^([kmgtp])(i?)(b?)$/.exec(suffix);
  if (!m) throw new OptionValueError(`unknown size suffix '${suffix}' in '${raw}' (k, m, g, t, p, optionally followed by b, i or ib)`);
  const iec = m[2] === 'i' && m[3] === 'b';
  const base = iec ? (kbBase === 1024 ? 1000 : 1024) : kbBase;
  return base ** SIZE_POWER[m[1]!]!;
}

/** A byte count (no percent), as an integer. */
export function parseBytes(raw: string, kbBase: KbBase): number {
  return (parseSize(raw, kbBase) as { bytes: number }).bytes;
}

/**
 * An integer option (`FIO_OPT_INT`/`FIO_OPT_ULL`): fio reads these with the size
 * reader too, so `iodepth=1k` is 1024. Checks `[min, max]` like fio's minval/maxval.
 */
export function parseInteger(raw: string, kbBase: KbBase, min: number, max: number): number {
  const n = parseBytes(raw, kbBase);
  if (n < min) throw new OptionValueError(`must be at least ${min}, got '${raw}'`);
  if (n > max) throw new OptionValueError(`must be at most ${max}, got '${raw}'`);
  return n;
}

/** Microseconds per time suffix (lower case), as fio's `get_mult_time`. */
const TIME_US: Readonly<Record<string, number>> = {
  us: 1,
  usec: 1,
  ms: 1_000,
  msec: 1_000,
  s: 1_000_000,
  sec: 1_000_000,
  m: 60_000_000,
  h: 3_600_000_000,
  d: 86_400_000_000,
};

/** What a time without a suffix means: seconds (`runtime`, `ramp_time`, `startdelay`) or microseconds (`thinktime`). */
export type TimeUnit = 's' | 'us';

/**
 * A duration in microseconds: a whole number and an optional case-insensitive
 * suffix `us`/`usec`, `ms`/`msec`, `s`/`sec`, `m` (minutes), `h`, `d`.
 */
export function parseTimeUs(raw: string, unit: TimeUnit): number {
  const m = /^(\d+)\s*([a-z]*)$/i.exec(raw.trim());
  if (!m) {
    const range = /^\d+\w*\s*[-:]\s*\d/.test(raw.trim()) ? ' (ranges are not supported by nvme-fio)' : '';
    throw new OptionValueError(`expected a whole number of ${unit === 's' ? 'seconds' : 'microseconds'} with an optional suffix (us, ms, s, m, h, d), got '${raw}'${range}`);
  }
  const suffix = m[2]!.toLowerCase();
  const mult = suffix === '' ? TIME_US[unit]! : TIME_US[suffix];
  if (mult === undefined) throw new OptionValueError(`unknown time suffix '${m[2]}' in '${raw}' (us, ms, s, m, h, d)`);
  const us = Number(m[1]) * mult;
  if (!Number.isSafeInteger(us)) throw new OptionValueError(`'${raw}' is too long`);
  return us;
}

/**
 * A boolean as fio's `check_int` reads it: a whole number (decimal or 0x hex);
 * `strict` (FIO_OPT_BOOL) allows only 0 and 1, otherwise (FIO_OPT_STR_SET) any
 * non-zero number is true. A bare option name (`undefined`) is 1. fio refuses
 * `true`/`false`, and so does this.
 */
export function parseBoolean(raw: string | undefined, strict: boolean): boolean {
  if (raw === undefined) return true;
  const t = raw.trim();
  const n = /^(\d+|0x[0-9a-f]+)$/i.test(t) ? Number(t) : NaN;
  if (Number.isNaN(n) || (strict && n > 1)) throw new OptionValueError(`expected ${strict ? '0 or 1' : 'nothing, 0 or 1'}, got '${raw}'`);
  return n !== 0;
}

/** A decimal number as `sscanf("%lf")` would take it, but whole-string. */
function parseFloatStrict(raw: string): number {
  const t = raw.trim();
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) ? Number(t) : NaN;
}

/** fio's FIO_IO_U_LIST_MAX_LEN: at most this many percentiles. */
export const MAX_PERCENTILES = 20;

/** `percentile_list=99:99.9:99.99`: `:`-separated numbers from 0 to 100, at most 20, kept in the order given. */
export function parsePercentileList(raw: string): number[] {
  const parts = raw.split(':');
  if (parts.length > MAX_PERCENTILES) throw new OptionValueError(`at most ${MAX_PERCENTILES} percentiles, got ${parts.length}`);
  return parts.map((p) => {
    const v = parseFloatStrict(p);
    if (Number.isNaN(v)) throw new OptionValueError(`expected ':'-separated numbers (99:99.9), got '${p}' in '${raw}'`);
    if (v < 0 || v > 100) throw new OptionValueError(`a percentile must be from 0 to 100, got '${p}'`);
    return v;
  });
}

/**
 * Splits a per-direction value (`bs=4k,8k`, `rate=,1m`, `rate_iops=500,`) as fio's
 * HOWTO defines it: read, write, trim in that order; an empty part leaves that
 * direction unchanged; the last part, unless a comma ends it, also applies to the
 * directions after it. Returns the text for each direction, or undefined = unchanged.
 */
export function splitPerDirection(raw: string): PerDirection<string | undefined> {
  const parts = raw.split(',').map((p) => p.trim());
  if (parts.length > 3) throw new OptionValueError(`at most 3 comma-separated values (read,write,trim), got ${parts.length} in '${raw}'`);
  const last = parts[parts.length - 1]!;
  const pick = (i: number): string | undefined => {
    const p = i < parts.length ? parts[i]! : last;
    return p === '' ? undefined : p;
  };
  return [pick(0), pick(1), pick(2)];
}

/**
 * One direction of `bssplit=4k/10:64k/50:32k/40`: `size/percent` entries joined by
 * `:`. As fio's `bssplit_ddir`: a percent over 100 counts as 100; entries without
 * a percent (or 0) share what the others leave, in whole percents, the last one
 * taking the rounding remainder (fio's engine gives it to the last entry too).
 * The shares must add up to 100; fio would run with less, nvmekit says so instead.
 */
export function parseBlockSizeSplit(raw: string, kbBase: KbBase): BlockSizeShare[] {
  const entries = raw.split(':').map((entry) => {
    const [size = '', percent] = entry.split('/');
    const bytes = parseBytes(size, kbBase);
    if (bytes === 0) throw new OptionValueError(`a block size must be at least 1, got '${size}' in '${entry}'`);
    if (percent === undefined || percent.trim() === '') return { bytes, percent: 0 };
    if (!/^\d+$/.test(percent.trim())) throw new OptionValueError(`expected size/percent like 4k/50, got '${entry}'`);
    return { bytes, percent: Math.min(100, Number(percent)) };
  });
  const given = entries.reduce((sum, e) => sum + e.percent, 0);
  const missing = entries.filter((e) => e.percent === 0);
  if (given > 100) throw new OptionValueError(`percentages add up to ${given}, more than 100, in '${raw}'`);
  if (missing.length === 0 && given < 100) throw new OptionValueError(`percentages add up to ${given}, expected 100, in '${raw}'`);
  const each = Math.floor((100 - given) / Math.max(1, missing.length));
  missing.forEach((e, i) => (e.percent = i === missing.length - 1 ? 100 - given - each * (missing.length - 1) : each));
  return entries;
}

/** Distribution names fio accepts that nvmekit runs, and fio's default parameter for each. */
const DISTRIBUTIONS: Readonly<Record<string, { def: number; make: (v: number) => FioDistribution; check: (v: number) => string | null }>> = {
  random: { def: 0, make: () => ({ kind: 'random' }), check: () => null },
  zipf: { def: 1.1, make: (theta) => ({ kind: 'zipf', theta }), check: (v) => (v === 1 ? 'zipf theta must be different from 1.0' : v <= 0 ? 'zipf theta must be above 0' : null) },
  pareto: { def: 0.2, make: (h) => ({ kind: 'pareto', h }), check: (v) => (v <= 0 || v >= 1 ? 'pareto h must be between 0 and 1 (exclusive)' : null) },
  normal: { def: 0, make: (sigma) => ({ kind: 'normal', sigma }), check: (v) => (v < 0 || v >= 100 ? 'normal deviation must be from 0 to below 100' : null) },
};

/**
 * `random_distribution=`: `random`, `zipf[:θ]` (θ ≠ 1, default 1.1), `pareto[:h]`
 * (0 < h < 1, default 0.2), `normal[:σ]` (0 ≤ σ < 100, default 0), as fio's
 * `str_random_distribution_cb` checks them.
 */
export function parseDistribution(raw: string): FioDistribution {
  const [name = '', param, center] = raw.trim().split(':');
  const d = DISTRIBUTIONS[name];
  if (!d) {
    const known = name === 'zoned' || name === 'zoned_abs' ? ` ('${name}' is not supported by nvme-fio)` : '';
    throw new OptionValueError(`expected one of ${Object.keys(DISTRIBUTIONS).join(', ')} (zipf:1.2, pareto:0.3, normal:5), got '${raw}'${known}`);
  }
  if (center !== undefined) throw new OptionValueError(`a distribution center (':${center}') is not supported by nvme-fio, got '${raw}'`);
  if (name === 'random') {
    if (param !== undefined) throw new OptionValueError(`'random' takes no parameter, got '${raw}'`);
    return d.make(0);
  }
  const v = param === undefined ? d.def : parseFloatStrict(param);
  if (Number.isNaN(v)) throw new OptionValueError(`expected a number after '${name}:', got '${raw}'`);
  const problem = d.check(v);
  if (problem) throw new OptionValueError(`${problem}, got '${raw}'`);
  return d.make(v);
}

/** `verify=` values: fio's name → the method nvmekit runs. `crc32c-intel` is fio's hardware-accelerated crc32c. */
const VERIFY_METHODS: Readonly<Record<string, FioVerify>> = {
  '0': 'none',
  none: 'none',
  crc32c: 'crc32c',
  'crc32c-intel': 'crc32c',
  md5: 'md5',
  sha256: 'sha256',
  pattern: 'pattern',
};

/** fio's other verify methods, so the error can say "not implemented" rather than "unknown". */
const FIO_ONLY_VERIFY = ['crc64', 'crc32', 'crc16', 'crc7', 'sha1', 'sha512', 'sha3-224', 'sha3-256', 'sha3-384', 'sha3-512', 'xxhash', 'meta', 'null', 'pattern_hdr'];

/** `verify=` method. */
export function parseVerify(raw: string): FioVerify {
  const v = VERIFY_METHODS[raw.trim()];
  if (v !== undefined) return v;
  const why = FIO_ONLY_VERIFY.includes(raw.trim()) ? 'is a fio method nvme-fio does not implement' : 'is not a verify method';
  throw new OptionValueError(`'${raw}' ${why} (one of ${Object.keys(VERIFY_METHODS).join(', ')})`);
}

/**
 * `verify_pattern=` as fio's lib/pattern.c reads it: a run of tokens, each a
 * `0x` hex string (two digits per byte; an odd count makes the first digit a byte
 * of its own; `0xff0x14` is two tokens), a double-quoted string, or a decimal integer from -2^31 to 2^31 - 1
 * stored little-endian in as few bytes as it needs (0 is one zero byte).
 * Whitespace between tokens is skipped. fio's `%o` (block offset) is not supported.
 */
export function parseVerifyPattern(raw: string): Uint8Array {
  const out: number[] = [];
  let s = raw.trim();
  if (s === '') throw new OptionValueError(`expected a pattern (0xdeadbeef, "text" or a number), got an empty value`);
  while (s.length > 0) {
    const token = PATTERN_TOKENS.find((t) => t.re.test(s));
    if (!token) throw new OptionValueError(`expected 0x hex, a "quoted string" or a decimal number at '${s}' in '${raw}'${s.startsWith('%o') ? " (fio's %o is not supported by nvme-fio)" : ''}`);
    const m = token.re.exec(s)!;
    token.emit(m[1]!, out, raw);
    s = s.slice(m[0].length).trimStart();
  }
  return Uint8Array.from(out);
}

interface PatternToken {
  re: RegExp;
  emit: (text: string, out: number[], raw: string) => void;
}

const PATTERN_TOKENS: readonly PatternToken[] = [
  {
    re: /^0x((?:(?!0x)[0-9a-f])+)/i,
    emit: (hex, out) => {
      const even = hex.length % 2 === 1 ? `0${hex}` : hex;
      for (let i = 0; i < even.length; i += 2) out.push(parseInt(even.slice(i, i + 2), 16));
    },
  },
  {
    re: /^"([^"]*)"/,
    emit: (text, out) => out.push(...Buffer.from(text, 'latin1')),
  },
  {
    re: /^([+-]?\d+)/,
    emit: (dec, out, raw) => {
      const n = Number(dec);
      if (n > 0x7fffffff || n < -0x80000000) throw new OptionValueError(`a decimal pattern must fit in 32 bits, got '${dec}' in '${raw}'`);
      if (n === 0) {
        out.push(0);
        return;
      }
      for (let v = n >>> 0; v !== 0; v >>>= 8) out.push(v & 0xff);
    },
  },
];
