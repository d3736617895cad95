/**
 * Line charts drawn server-side as SVG: throughput over time and latency
 * against percentile. Every point carries a `<title>`, which browsers show as
 * a tooltip and screen readers read, so no script is needed.
 */
import { PLOT, px, renderFrame, type ChartHeading } from './chart-frame.js';
import { escapeHtml } from './escape.js';
import { linearScale, logScale, ninesScale, type Scale, type ScaleKind, type TickFormat } from './scale.js';

export interface LinePoint {
  x: number;
  y: number;
}

export interface LineSeries {
  label: string;
  color: string;
  points: readonly LinePoint[];
}

/** One axis: how it is scaled, titled and labelled. */
export interface AxisSpec {
  kind: ScaleKind;
  label: string;
  format: TickFormat;
  /** A linear axis starts at 0 (throughput) rather than at the data's minimum. */
  fromZero?: boolean;
}

export interface LineChartSpec extends ChartHeading {
  x: AxisSpec;
  y: AxisSpec;
  series: readonly LineSeries[];
  /** Tooltip text of one point. */
  pointTitle: (series: LineSeries, p: LinePoint) => string;
}

function axisScale(axis: AxisSpec, values: readonly number[], range: readonly [number, number]): Scale {
  const min = values.length > 0 ? Math.min(...values) : 0;
  const max = values.length > 0 ? Math.max(...values) : 1;
  if (axis.kind === 'log') {
    const positive = values.filter((v) => v > 0);
    return logScale(positive.length > 0 ? Math.min(...positive) : 0, max, range, axis.format);
  }
  if (axis.kind === 'nines') return ninesScale(max, range, axis.format);
  return linearScale(axis.fromZero ? Math.min(0, min) : min, max, range, axis.format);
}

/** Points beyond which markers would only blur the line; the line still carries each point's tooltip. */
const MAX_MARKERS = 400;

/** The chart as one `<svg>` element; null when no series has a point. */
export function renderLineChart(spec: LineChartSpec): string | null {
  const all = spec.series.flatMap((s) => s.points);
  if (all.length === 0) return null;
  const x = axisScale(spec.x, all.map((p) => p.x), [PLOT.x0, PLOT.x1]);
  const y = axisScale(spec.y, all.map((p) => p.y), [PLOT.y0, PLOT.y1]);
  const marks: string[] = [];
  for (const s of spec.series) {
    if (s.points.length === 0) continue;
    const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${px(x.map(p.x))},${px(y.map(p.y))}`).join(' ');
    marks.push(`<path class="series" d="${d}" stroke="${s.color}"><title>${escapeHtml(s.label)}</title></path>`);
    if (s.points.length > MAX_MARKERS) continue;
    for (const p of s.points) {
      marks.push(
        `<circle class="point" cx="${px(x.map(p.x))}" cy="${px(y.map(p.y))}" r="3" fill="${s.color}">` +
          `<title>${escapeHtml(spec.pointTitle(s, p))}</title></circle>`,
      );
    }
  }
  return renderFrame(spec, x, y, spec.series, marks);
}
