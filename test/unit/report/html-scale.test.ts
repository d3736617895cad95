import { describe, expect, it } from 'vitest';
import { formatCount, formatLatency, formatPercentile } from '../../../src/report/html/format.js';
import { linearScale, logScale, niceStep, nines, ninesScale } from '../../../src/report/html/scale.js';

const label = (v: number): string => String(v);
const values = (ticks: readonly { value: number }[]): number[] => ticks.map((t) => t.value);

describe('niceStep', () => {
  it.each([
    [100, 5, 20],
    [1, 5, 0.2],
    [7, 5, 2],
    [173_000, 5, 50_000],
    [10, 10, 1],
    [0.03, 3, 0.01],
  ])('cuts %d into at most %d steps of %d', (span, count, step) => {
    expect(niceStep(span, count)).toBeCloseTo(step, 12);
    expect(span / niceStep(span, count)).toBeLessThanOrEqual(count + 1e-9);
  });
});

describe('linearScale', () => {
  it('widens the domain to whole ticks and maps it onto the range', () => {
    const s = linearScale(0, 173_000, [100, 500], label);
    expect(s.domain).toEqual([0, 200_000]);
    expect(values(s.ticks)).toEqual([0, 50_000, 100_000, 150_000, 200_000]);
    expect(s.map(0)).toBe(100);
    expect(s.map(100_000)).toBe(300);
    expect(s.map(200_000)).toBe(500);
  });

  it('runs backwards for a y axis (pixels grow downwards)', () => {
    const s = linearScale(0, 10, [300, 40], label);
    expect(s.map(0)).toBe(300);
    expect(s.map(10)).toBe(40);
  });

  it('prints ticks without binary noise', () => {
    const s = linearScale(0.1, 0.7, [0, 1], label);
    expect(s.ticks.map((t) => t.label)).toEqual(['0', '0.2', '0.4', '0.6', '0.8']);
  });

  it('opens a flat domain so a constant line sits inside the chart', () => {
    const s = linearScale(5000, 5000, [0, 100], label);
    expect(s.domain[0]).toBeLessThan(5000);
    expect(s.domain[1]).toBeGreaterThan(5000);
    expect(s.map(5000)).toBeGreaterThan(0);
    expect(s.map(5000)).toBeLessThan(100);
  });
});

describe('logScale', () => {
  it('puts ticks on decades when the data spans several', () => {
    const s = logScale(95, 26_797, [0, 300], label);
    expect(values(s.ticks)).toEqual([10, 100, 1000, 10_000, 100_000]);
    expect(s.map(10)).toBe(0);
    expect(s.map(100_000)).toBe(300);
    expect(s.map(1000)).toBeCloseTo(150, 9);
  });

  it('adds 2 and 5 (or every integer) when a decade is all the data covers', () => {
    expect(values(logScale(150, 900, [0, 1], label).ticks)).toEqual([100, 200, 500, 1000]);
    expect(values(logScale(120, 180, [0, 1], label).ticks)).toEqual([100, 200]);
  });

  it('keeps sub-unit values exact', () => {
    expect(values(logScale(0.3, 40, [0, 1], label).ticks)).toEqual([0.1, 1, 10, 100]);
  });

  it('clamps values below the domain to its floor instead of producing NaN', () => {
    const s = logScale(10, 1000, [0, 100], label);
    expect(s.map(0)).toBe(0);
  });
});

describe('ninesScale', () => {
  it('gives 90, 99, 99.9 ... equal room', () => {
    const s = ninesScale(99.99, [0, 400], formatPercentile);
    expect(values(s.ticks)).toEqual([0, 90, 99, 99.9, 99.99]);
    expect(s.ticks.map((t) => t.label)).toEqual(['0', '90', '99', '99.9', '99.99']);
    expect(s.ticks.map((t) => s.map(t.value))).toEqual([0, 100, 200, 300, 400].map((v) => expect.closeTo(v, 9)));
    expect(s.map(50)).toBeCloseTo(100 * Math.log10(2), 9);
  });

  it('reaches at least 99 and rounds the top up to the next nines', () => {
    expect(values(ninesScale(50, [0, 1], label).ticks)).toEqual([0, 90, 99]);
    expect(values(ninesScale(99.95, [0, 1], label).ticks).at(-1)).toBe(99.99);
    expect(nines(99.9)).toBeCloseTo(3, 12);
  });
});

describe('formats', () => {
  it.each([
    [950, '950'],
    [1500, '1.5k'],
    [250_000, '250k'],
    [1_234_567, '1.23M'],
  ])('count %d as %s', (v, text) => expect(formatCount(v)).toBe(text));

  it.each([
    [0.5, '500 ns'],
    [850, '850 µs'],
    [1234, '1.23 ms'],
    [3_000_000, '3 s'],
    [0, '0 µs'],
  ])('latency %d µs as %s', (v, text) => expect(formatLatency(v)).toBe(text));
});
