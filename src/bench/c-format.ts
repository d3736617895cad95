/**
 * The few printf conversions SPDK's perf output uses, with C's exact rounding,
 * so a column formatted here matches the same number printed by glibc.
 */

/**
 * printf's `%.{precision}f`. `Number.prototype.toFixed` rounds an exact tie
 * (a binary value lying exactly half-way, like 0.125 at two digits) away from
 * zero, glibc rounds it to even; everything else already agrees.
 */
export function cFixed(value: number, precision: number): string {
  const plain = value.toFixed(precision);
  if (!Number.isFinite(value) || Math.abs(value) >= 1e21) return plain;
  // 100 fraction digits hold the exact binary expansion of any double >= 2^-47.
  const exact = Math.abs(value).toFixed(100);
  const dot = exact.indexOf('.');
  if (!/^50*$/.test(exact.slice(dot + 1 + precision))) return plain;
  const keptEnd = precision === 0 ? dot : dot + 1 + precision;
  const lastKept = Number(exact[keptEnd - 1]);
  if (lastKept % 2 === 1) return plain;
  return (value < 0 ? '-' : '') + exact.slice(0, keptEnd);
}

/** `%{width}.{precision}f`: right-aligned fixed point. */
export function cFixedWidth(value: number, width: number, precision: number): string {
  return cFixed(value, precision).padStart(width);
}

/** `%-{width}.{width}s`: left-aligned, cut to `width` characters. */
export function cStringCut(s: string, width: number): string {
  return s.slice(0, width).padEnd(width);
}
