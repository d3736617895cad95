/**
 * Axis arithmetic for the report's charts: map a data domain onto pixels and
 * pick ticks a reader can add up in their head. Three kinds: linear (ticks at
 * 1, 2 or 5 × 10^n steps, domain widened to whole ticks), logarithmic (ticks
 * at 1, 2, 5 or every integer × 10^n, as dense as the span needs) and the
 * "nines" scale of percentile plots, where 90, 99, 99.9 ... are equally apart.
 */

/** A labelled position on an axis. */
export interface Tick {
  value: number;
  label: string;
}

/** A mapping from data values to pixels along one axis, with its ticks. */
export interface Scale {
  /** Data domain after rounding out to ticks. */
  readonly domain: readonly [number, number];
  /** Pixel range the domain maps onto (may run backwards, as a y axis does). */
  readonly range: readonly [number, number];
  readonly ticks: readonly Tick[];
  /** The pixel position of `value`. */
  map(value: number): number;
}

/** How tick values become text. */
export type TickFormat = (value: number) => string;

export type ScaleKind = 'linear' | 'log' | 'nines';

/** Step multipliers a linear axis may use, in order of preference for the same density. */
const LINEAR_STEPS = [1, 2, 5, 10] as const;

/**
 * A step of 1, 2 or 5 × 10^n that cuts `span` into about `count` pieces
 * (never more than `count`).
 */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = LINEAR_STEPS.find((m) => m * magnitude >= raw * (1 - 1e-9)) ?? 10;
  return step * magnitude;
}

/** Rounds away binary noise (0.1 + 0.2) so tick values print and compare cleanly. */
function clean(value: number, step: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(value.toFixed(Math.min(20, digits)));
}

function mapper(d0: number, d1: number, r0: number, r1: number, transform: (v: number) => number): (v: number) => number {
  const t0 = transform(d0);
  const span = transform(d1) - t0;
  return (v) => (span === 0 ? (r0 + r1) / 2 : r0 + ((transform(v) - t0) / span) * (r1 - r0));
}

/**
 * A linear scale over [min, max] widened to whole ticks. A flat domain
 * (min = max) is opened up so the line sits inside the chart.
 */
export function linearScale(min: number, max: number, range: readonly [number, number], format: TickFormat, count = 5): Scale {
  let lo = Math.min(min, max);
  let hi = Math.max(min, max);
  if (hi === lo) {
    hi = lo === 0 ? 1 : lo + Math.abs(lo);
    if (lo > 0) lo = 0;
  }
  const step = niceStep(hi - lo, count);
  const d0 = clean(Math.floor(lo / step + 1e-9) * step, step);
  const d1 = clean(Math.ceil(hi / step - 1e-9) * step, step);
  const ticks: Tick[] = [];
  for (let i = 0; d0 + i * step <= d1 + step * 1e-9; i++) {
    const value = clean(d0 + i * step, step);
    ticks.push({ value, label: format(value) });
  }
  return { domain: [d0, d1], range, ticks, map: mapper(d0, d1, range[0], range[1], (v) => v) };
}

/** Mantissas of log ticks, from sparse to dense; the first that gives `minTicks` ticks is used. */
const LOG_MANTISSAS: readonly (readonly number[])[] = [[1], [1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]];

/**
 * A base-10 logarithmic scale over [min, max] (both > 0; smaller values are
 * clamped to the floor of the domain). The domain is rounded out to the
 * nearest ticks of the chosen density.
 */
export function logScale(min: number, max: number, range: readonly [number, number], format: TickFormat, minTicks = 4): Scale {
  const lo = min > 0 ? min : max > 0 ? max / 10 : 1;
  const hi = Math.max(lo, max);
  const e0 = Math.floor(Math.log10(lo) + 1e-9);
  const e1 = Math.ceil(Math.log10(hi) - 1e-9);
  let values: number[] = [];
  for (const mantissas of LOG_MANTISSAS) {
    const all: number[] = [];
    for (let e = e0; e <= Math.max(e1, e0 + 1); e++) for (const m of mantissas) all.push(Number((m * 10 ** e).toPrecision(12)));
    // The domain: the last candidate at or below lo to the first at or above hi.
    let first = 0;
    while (first + 1 < all.length && all[first + 1]! <= lo * (1 + 1e-9)) first++;
    const above = all.findIndex((v) => v >= hi * (1 - 1e-9));
    values = all.slice(first, (above < 0 ? all.length - 1 : above) + 1);
    if (values.length >= minTicks) break;
  }
  const d0 = values[0]!;
  const d1 = values[values.length - 1]! > d0 ? values[values.length - 1]! : d0 * 10;
  const ticks = values.map((value) => ({ value, label: format(value) }));
  return { domain: [d0, d1], range, ticks, map: mapper(d0, d1, range[0], range[1], (v) => Math.log10(Math.max(v, d0))) };
}

/** Distance of a percentile from 100 in "nines": 90 → 1, 99 → 2, 99.9 → 3. */
export function nines(percentile: number): number {
  return Math.log10(100 / Math.max(100 - percentile, 1e-9));
}

/** Labels of the nines ticks, without binary noise: 0, 90, 99, 99.9, 99.99 ... */
function ninesTick(n: number): number {
  return Number((100 - 100 / 10 ** n).toFixed(Math.max(0, n - 2)));
}

/**
 * The percentile axis: 0 % at the left, then 90, 99, 99.9 ... equally spaced,
 * up to the first tick at or above `maxPercentile` (at least 99).
 */
export function ninesScale(maxPercentile: number, range: readonly [number, number], format: TickFormat): Scale {
  const top = Math.max(2, Math.ceil(nines(Math.min(maxPercentile, 99.9999999)) - 1e-9));
  const ticks: Tick[] = [];
  for (let n = 0; n <= top; n++) {
    const value = ninesTick(n);
    ticks.push({ value, label: format(value) });
  }
  return { domain: [0, ticks[top]!.value], range, ticks, map: mapper(0, ticks[top]!.value, range[0], range[1], nines) };
}
