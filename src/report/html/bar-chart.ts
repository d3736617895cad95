/**
 * Histograms drawn server-side as SVG: bars over ranges of x (latency buckets
 * on a log axis), the series of one bucket side by side. Each bar carries a
 * `<title>` tooltip.
 */
import { PLOT, px, renderFrame, type ChartHeading } from './chart-frame.js';
import { escapeHtml } from './escape.js';
import type { AxisSpec } from './line-chart.js';
import { linearScale, logScale, type Scale } from './scale.js';

/** A bar over [x0, x1) of height y. */
export interface Bar {
  x0: number;
  x1: number;
  y: number;
}

export interface BarSeries {
  label: string;
  color: string;
  bars: readonly Bar[];
}

export interface BarChartSpec extends ChartHeading {
  /** `log` or `linear`; bars need ranges, so not `nines`. */
  x: AxisSpec & { kind: 'log' | 'linear' };
  /** Linear from 0. */
  y: Omit<AxisSpec, 'kind'>;
  series: readonly BarSeries[];
  barTitle: (series: BarSeries, bar: Bar) => string;
}

function xScale(spec: BarChartSpec, bars: readonly Bar[]): Scale {
  let lo = Infinity;
  let hi = -Infinity;
  for (const b of bars) {
    if (b.x0 < lo) lo = b.x0;
    if (b.x1 > hi) hi = b.x1;
  }
  return spec.x.kind === 'log' ? logScale(lo, hi, [PLOT.x0, PLOT.x1], spec.x.format) : linearScale(lo, hi, [PLOT.x0, PLOT.x1], spec.x.format);
}

/** The chart as one `<svg>` element; null when there is no bar. */
export function renderBarChart(spec: BarChartSpec): string | null {
  const all = spec.series.flatMap((s) => s.bars);
  if (all.length === 0) return null;
  const x = xScale(spec, all);
  const y = linearScale(0, Math.max(...all.map((b) => b.y)), [PLOT.y0, PLOT.y1], spec.y.format);
  const shown = spec.series.filter((s) => s.bars.length > 0);
  const marks: string[] = [];
  shown.forEach((s, i) => {
    for (const b of s.bars) {
      const left = x.map(b.x0);
      const slot = (x.map(b.x1) - left) / shown.length;
      const top = y.map(b.y);
      // A 1 px minimum keeps a rare bucket visible next to a dominant one.
      const height = Math.max(PLOT.y0 - top, b.y > 0 ? 1 : 0);
      marks.push(
        `<rect class="bar" x="${px(left + i * slot)}" y="${px(PLOT.y0 - height)}" width="${px(Math.max(slot, 0.5))}" height="${px(height)}" fill="${s.color}">` +
          `<title>${escapeHtml(spec.barTitle(s, b))}</title></rect>`,
      );
    }
  });
  return renderFrame(spec, x, y, shown, marks);
}
