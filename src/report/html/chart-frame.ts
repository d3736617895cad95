/**
 * What every chart shares: the SVG element with its accessible title and
 * description, the plot area, grid lines, tick labels, axis titles and the
 * legend. Chart modules draw their marks inside the plot area.
 */
import { escapeHtml } from './escape.js';
import type { Scale } from './scale.js';

/** Pixel layout of a chart (the SVG scales to the page width through its viewBox). */
export const CHART_LAYOUT = { width: 760, height: 340, left: 76, right: 24, top: 40, bottom: 56 } as const;

/** Left, right, top and bottom of the plot area in pixels. */
export const PLOT = {
  x0: CHART_LAYOUT.left,
  x1: CHART_LAYOUT.width - CHART_LAYOUT.right,
  y0: CHART_LAYOUT.height - CHART_LAYOUT.bottom,
  y1: CHART_LAYOUT.top,
} as const;

/** One legend entry. */
export interface LegendItem {
  label: string;
  color: string;
}

/** What a chart says about itself, whatever it plots: the parts of the frame around its marks. */
export interface ChartHeading {
  /** Unique within the page; used for the SVG's id and its title/description ids. */
  id: string;
  /** `data-chart` attribute, for tests and styles. */
  kind: string;
  /** Short title, read first by screen readers. */
  title: string;
  /** One or two sentences on what is plotted. */
  description: string;
  x: { label: string };
  y: { label: string };
}

/** Pixel coordinates in SVG text: two decimals are finer than any screen. */
export function px(v: number): string {
  return String(Math.round(v * 100) / 100);
}

function gridAndTicks(x: Scale, y: Scale): string[] {
  const out: string[] = [];
  for (const t of y.ticks) {
    const yy = px(y.map(t.value));
    out.push(`<line class="grid" x1="${PLOT.x0}" x2="${PLOT.x1}" y1="${yy}" y2="${yy}"/>`);
    out.push(`<text class="tick" x="${PLOT.x0 - 8}" y="${yy}" text-anchor="end" dominant-baseline="middle">${escapeHtml(t.label)}</text>`);
  }
  for (const t of x.ticks) {
    const xx = px(x.map(t.value));
    out.push(`<line class="grid" x1="${xx}" x2="${xx}" y1="${PLOT.y1}" y2="${PLOT.y0}"/>`);
    out.push(`<text class="tick" x="${xx}" y="${PLOT.y0 + 18}" text-anchor="middle">${escapeHtml(t.label)}</text>`);
  }
  return out;
}

function axisTitles(xLabel: string, yLabel: string): string[] {
  const midX = (PLOT.x0 + PLOT.x1) / 2;
  const midY = (PLOT.y0 + PLOT.y1) / 2;
  return [
    `<line class="axis" x1="${PLOT.x0}" x2="${PLOT.x1}" y1="${PLOT.y0}" y2="${PLOT.y0}"/>`,
    `<line class="axis" x1="${PLOT.x0}" x2="${PLOT.x0}" y1="${PLOT.y1}" y2="${PLOT.y0}"/>`,
    `<text class="axis-title" x="${px(midX)}" y="${CHART_LAYOUT.height - 12}" text-anchor="middle">${escapeHtml(xLabel)}</text>`,
    `<text class="axis-title" x="16" y="${px(midY)}" text-anchor="middle" transform="rotate(-90 16 ${px(midY)})">${escapeHtml(yLabel)}</text>`,
  ];
}

function legend(items: readonly LegendItem[]): string[] {
  const out: string[] = [];
  let x = PLOT.x0;
  for (const item of items) {
    out.push(
      `<g class="legend-item"><rect x="${x}" y="12" width="14" height="14" rx="2" fill="${item.color}"/>` +
        `<text x="${x + 20}" y="23">${escapeHtml(item.label)}</text></g>`,
    );
    // Roughly 7 px per character at the legend's font size: enough to keep entries apart.
    x += 34 + item.label.length * 7;
  }
  return out;
}

/** A whole chart: the frame around `marks` (SVG elements drawn in plot coordinates with the scales `x` and `y`). */
export function renderFrame(chart: ChartHeading, x: Scale, y: Scale, legendItems: readonly LegendItem[], marks: readonly string[]): string {
  const id = escapeHtml(chart.id);
  return [
    `<svg class="chart" data-chart="${escapeHtml(chart.kind)}" id="${id}" role="img" aria-labelledby="${id}-title ${id}-desc"` +
      ` viewBox="0 0 ${CHART_LAYOUT.width} ${CHART_LAYOUT.height}">`,
    `<title id="${id}-title">${escapeHtml(chart.title)}</title>`,
    `<desc id="${id}-desc">${escapeHtml(chart.description)}</desc>`,
    `<rect class="plot-bg" x="${PLOT.x0}" y="${PLOT.y1}" width="${PLOT.x1 - PLOT.x0}" height="${PLOT.y0 - PLOT.y1}"/>`,
    ...gridAndTicks(x, y),
    `<g class="marks">`,
    ...marks,
    `</g>`,
    ...axisTitles(chart.x.label, chart.y.label),
    ...legend(legendItems),
    `</svg>`,
  ].join('\n');
}
