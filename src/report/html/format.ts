/**
 * Number formats for axes, tooltips and tables: short SI counts (`250k`),
 * latencies with their unit picked from the magnitude (`850 µs`, `1.2 ms`).
 */

const SI: readonly [number, string][] = [
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/** Up to `digits` significant digits, trailing zeros dropped. */
function trim(value: number, digits: number): string {
  return String(Number(value.toPrecision(digits)));
}

/** A count with an SI suffix: 950, 1.5k, 250k, 1.2M. */
export function formatCount(value: number): string {
  const abs = Math.abs(value);
  for (const [size, suffix] of SI) if (abs >= size) return `${trim(value / size, 3)}${suffix}`;
  return trim(value, 3);
}

/** A plain number with up to 3 significant digits (tick labels of small values). */
export function formatNumber(value: number): string {
  return trim(value, 3);
}

const LATENCY_UNITS: readonly [number, string][] = [
  [1e6, 's'],
  [1e3, 'ms'],
  [1, 'µs'],
];

/** A latency given in µs, in the unit that keeps it readable: 0.5 µs, 850 µs, 1.2 ms, 3 s. */
export function formatLatency(us: number): string {
  for (const [size, unit] of LATENCY_UNITS) if (Math.abs(us) >= size) return `${trim(us / size, 3)} ${unit}`;
  if (us === 0) return '0 µs';
  return `${trim(us * 1000, 3)} ns`;
}

/** A percentile for labels: 50, 99.9, 99.999. */
export function formatPercentile(p: number): string {
  return String(Number(p.toFixed(6)));
}

/** Fixed decimals for table cells. */
export function fixed(value: number, decimals: number): string {
  return value.toFixed(decimals);
}
