/**
 * Value parsers for command-line flags, each with the grammar SPDK's perf uses
 * for that kind of value. Every failure is a ConfigError naming the flag.
 */
import { ConfigError } from '../spec/errors.js';

const CAPACITY_SHIFT: Readonly<Record<string, number>> = { k: 10, m: 20, g: 30 };

/**
 * A byte count or count with an optional binary suffix, as `spdk_parse_capacity`
 * reads it: `4096`, `4k`, `128K`, `1M`, `1G`, also `4KB`.
 */
export function parseCapacity(raw: string, flag: string): number {
  const m = /^(\d+)(?:([kKmMgG])[bB]?)?$/.exec(raw);
  if (!m) throw new ConfigError(flag, `expected a number with an optional k/m/g suffix (4096, 4k, 128K, 1M), got '${raw}'`);
  const n = Number(m[1]) * 2 ** (m[2] ? CAPACITY_SHIFT[m[2].toLowerCase()]! : 0);
  if (!Number.isSafeInteger(n)) throw new ConfigError(flag, `'${raw}' is too large`);
  return n;
}

/** A non-negative decimal integer (`spdk_strtol(arg, 10)`). */
export function parseUint(raw: string, flag: string): number {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n)) throw new ConfigError(flag, `expected a non-negative integer, got '${raw}'`);
  return n;
}

/** An integer in `[min, max]`. */
export function parseUintInRange(raw: string, flag: string, min: number, max: number): number {
  const n = parseUint(raw, flag);
  if (n < min || n > max) throw new ConfigError(flag, `must be from ${min} to ${max}, got ${n}`);
  return n;
}

/** A finite non-negative decimal number (`strtod`, negatives refused as SPDK does for -F). */
export function parseNonNegativeNumber(raw: string, flag: string): number {
  const n = /^\s*[+]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(flag, `expected a non-negative number, got '${raw}'`);
  return n;
}

/** A 32-bit unsigned integer, decimal or `0x` hex (PRNG seeds). */
export function parseU32(raw: string, flag: string): number {
  const n = /^(\d+|0x[0-9a-f]+)$/i.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n > 0xffffffff) throw new ConfigError(flag, `expected an integer from 0 to 4294967295 (or 0x hex), got '${raw}'`);
  return n;
}

/** One of a fixed set of words, compared exactly. */
export function parseChoice<T extends string>(raw: string, flag: string, choices: readonly T[]): T {
  const hit = choices.find((c) => c === raw);
  if (hit === undefined) throw new ConfigError(flag, `expected one of ${choices.join(', ')}, got '${raw}'`);
  return hit;
}
