/**
 * The HTML report: one self-contained page (inline CSS, SVG drawn here, no
 * script, no external font, image or stylesheet; a Content-Security-Policy
 * that forbids loading anything) with the summary, IOPS and bandwidth over
 * time, latency percentiles, a latency histogram and the settings. Every
 * chart has a data table beside it for readers who cannot see it.
 */
import { renderBarChart } from './bar-chart.js';
import { escapeHtml } from './escape.js';
import { fixed, formatCount, formatLatency, formatNumber, formatPercentile } from './format.js';
import { renderLineChart, type LineSeries } from './line-chart.js';
import type { HistogramSeries, HtmlReportData, PercentileSeries, SummaryTable, TimelineSeries } from './report-data.js';
import { seriesColor } from './series-colors.js';

const STYLE = `
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6475; --rule: #d9dde5; --bg: #ffffff; --panel: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 24px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--rule); padding-bottom: 4px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
.meta { color: var(--muted); margin: 0 0 16px; }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { padding: 3px 10px; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.value { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; word-break: break-all; }
figure { margin: 12px 0 20px; }
figcaption { font-weight: 600; margin-bottom: 4px; }
svg.chart { width: 100%; height: auto; max-width: 900px; display: block; background: var(--bg); }
svg.chart .plot-bg { fill: var(--panel); }
svg.chart .grid { stroke: #c9ced8; stroke-width: 1; }
svg.chart .axis { stroke: var(--ink); stroke-width: 1.2; }
svg.chart text { font: 12px system-ui, sans-serif; fill: var(--ink); }
svg.chart .tick { fill: var(--muted); }
svg.chart .axis-title { font-weight: 600; }
svg.chart .series { fill: none; stroke-width: 2.2; stroke-linejoin: round; }
svg.chart .point:hover, svg.chart .bar:hover { opacity: 0.7; }
details { margin: 4px 0; color: var(--muted); }
details[open] { color: var(--ink); }
.notes { background: #fff4e5; border-left: 4px solid #e69f00; padding: 8px 12px 8px 28px; }
.empty { color: var(--muted); font-style: italic; }
`;

/** Nothing may be fetched: inline styles and SVG only. */
const CSP = "default-src 'none'; style-src 'unsafe-inline'";

type Cell = { text: string; numeric?: boolean; className?: string };

function table(head: readonly Cell[], rows: readonly (readonly Cell[])[]): string {
  const cls = (c: Cell): string => {
    const names = [c.numeric ? 'num' : '', c.className ?? ''].filter((n) => n !== '').join(' ');
    return names === '' ? '' : ` class="${names}"`;
  };
  return [
    '<table>',
    `<thead><tr>${head.map((c) => `<th scope="col"${cls(c)}>${escapeHtml(c.text)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map((r) => `<tr>${r.map((c) => `<td${cls(c)}>${escapeHtml(c.text)}</td>`).join('')}</tr>`),
    '</tbody></table>',
  ].join('\n');
}

const num = (text: string): Cell => ({ text, numeric: true });
const txt = (text: string): Cell => ({ text });

/** A chart with its caption and data table, or a line saying why there is no chart. */
function figure(caption: string, svg: string | null, dataTable: string, emptyText: string): string {
  if (svg === null) return `<figure><figcaption>${escapeHtml(caption)}</figcaption><p class="empty">${escapeHtml(emptyText)}</p></figure>`;
  return [
    `<figure><figcaption>${escapeHtml(caption)}</figcaption>`,
    svg,
    `<details><summary>Data table</summary>${dataTable}</details>`,
    '</figure>',
  ].join('\n');
}

function summarySection(summary: SummaryTable): string {
  return table(
    summary.columns.map((c) => ({ text: c.label, numeric: c.numeric ?? false })),
    summary.rows.map((r) => r.map((text, i) => ({ text, numeric: summary.columns[i]?.numeric ?? false }))),
  );
}

const TIMELINE_METRICS = [
  { key: 'iops', kind: 'iops', caption: 'IOPS over time', axis: 'IOPS', format: formatCount, unit: 'IOPS', decimals: 0 },
  { key: 'mibps', kind: 'bandwidth', caption: 'Bandwidth over time', axis: 'bandwidth (MiB/s)', format: formatNumber, unit: 'MiB/s', decimals: 2 },
] as const;

function timelineSection(timeline: readonly TimelineSeries[]): string[] {
  return TIMELINE_METRICS.map((m) => {
    const dataTable = table(
      [txt('direction'), num('time (s)'), num(m.unit)],
      timeline.flatMap((s) => s.points.map((p) => [txt(s.direction), num(fixed(p.tSec, 1)), num(fixed(p[m.key], m.decimals))])),
    );
    const series: LineSeries[] = timeline.map((s, i) => ({
      label: s.direction,
      color: seriesColor(s.direction, i),
      points: s.points.map((p) => ({ x: p.tSec, y: p[m.key] })),
    }));
    const svg = renderLineChart({
      id: `chart-${m.kind}`,
      kind: m.kind,
      title: m.caption,
      description: `${m.unit} per interval against seconds since the measured run started, one line per direction.`,
      x: { kind: 'linear', label: 'time (s)', format: formatNumber, fromZero: true },
      y: { kind: 'linear', label: m.axis, format: m.format, fromZero: true },
      series,
      pointTitle: (s, p) => `${s.label} at ${fixed(p.x, 1)} s: ${m.format(p.y)} ${m.unit}`,
    });
    return figure(m.caption, svg, dataTable, 'No samples: the run was shorter than one sampling interval.');
  });
}

function percentileSection(percentiles: readonly PercentileSeries[]): string {
  const series: LineSeries[] = percentiles.map((s, i) => ({
    label: `${s.direction} ${s.latency}`,
    color: seriesColor(s.direction, i),
    points: s.points.map((p) => ({ x: p.percentile, y: p.latencyUs })),
  }));
  const svg = renderLineChart({
    id: 'chart-percentiles',
    kind: 'percentiles',
    title: 'Latency percentiles',
    description: 'Latency at each percentile on log scales: the axis gives 90, 99, 99.9 and 99.99 percent equal room so the tail can be read.',
    x: { kind: 'nines', label: 'percentile (%)', format: formatPercentile },
    y: { kind: 'log', label: 'latency', format: formatLatency },
    series,
    pointTitle: (s, p) => `${s.label}: ${formatPercentile(p.x)}% of I/Os within ${formatLatency(p.y)}`,
  });
  const dataTable = table(
    [txt('direction'), txt('latency'), num('percentile (%)'), num('latency (µs)')],
    percentiles.flatMap((s) => s.points.map((p) => [txt(s.direction), txt(s.latency), num(formatPercentile(p.percentile)), num(fixed(p.latencyUs, 3))])),
  );
  return figure('Latency percentiles', svg, dataTable, 'No latencies were recorded.');
}

function histogramSection(histograms: readonly HistogramSeries[]): string {
  const totals = histograms.map((h) => h.buckets.reduce((s, b) => s + b.count, 0));
  const svg = renderBarChart({
    id: 'chart-histogram',
    kind: 'histogram',
    title: 'Latency histogram',
    description: 'Share of I/Os per latency bucket, on a log latency axis (ten buckets per factor of ten), one bar colour per direction.',
    x: { kind: 'log', label: 'latency', format: formatLatency },
    y: { label: 'I/Os (%)', format: formatNumber },
    series: histograms.map((h, i) => ({
      label: `${h.direction} ${h.latency}`,
      color: seriesColor(h.direction, i),
      bars: totals[i]! === 0 ? [] : h.buckets.map((b) => ({ x0: b.startUs, x1: b.endUs, y: (b.count * 100) / totals[i]! })),
    })),
    barTitle: (s, b) => `${s.label}: ${formatNumber(b.y)}% of I/Os between ${formatLatency(b.x0)} and ${formatLatency(b.x1)}`,
  });
  const dataTable = table(
    [txt('direction'), num('from (µs)'), num('to (µs)'), num('I/Os'), num('share (%)')],
    histograms.flatMap((h, i) =>
      h.buckets
        .filter((b) => b.count > 0)
        .map((b) => [txt(`${h.direction} ${h.latency}`), num(fixed(b.startUs, 3)), num(fixed(b.endUs, 3)), num(String(b.count)), num(fixed((b.count * 100) / totals[i]!, 3))]),
    ),
  );
  return figure('Latency histogram', svg, dataTable, 'No latencies were recorded.');
}

function settingsSection(data: HtmlReportData): string[] {
  return data.settings.map((g) =>
    [`<h3>${escapeHtml(g.title)}</h3>`, table([txt('option'), txt('value')], g.rows.map((r) => [txt(r.key), { text: r.value, className: 'value' }]))].join('\n'),
  );
}

/** The report as one HTML document. */
export function renderHtmlReport(data: HtmlReportData): string {
  const notes =
    data.notes.length === 0 ? [] : ['<ul class="notes">', ...data.notes.map((n) => `<li>${escapeHtml(n)}</li>`), '</ul>'];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="${escapeHtml(data.tool)}">`,
    `<title>${escapeHtml(data.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<header>',
    `<h1>${escapeHtml(data.title)}</h1>`,
    `<p class="meta">${escapeHtml(data.tool)} · run started <time datetime="${escapeHtml(data.timestamp)}">${escapeHtml(data.timestamp)}</time></p>`,
    '</header>',
    '<main>',
    ...notes,
    '<section id="summary"><h2>Summary</h2>',
    summarySection(data.summary),
    '</section>',
    '<section id="throughput"><h2>Throughput</h2>',
    ...timelineSection(data.timeline),
    '</section>',
    '<section id="latency"><h2>Latency</h2>',
    percentileSection(data.percentiles),
    histogramSection(data.histograms),
    '</section>',
    '<section id="settings"><h2>Settings</h2>',
    ...settingsSection(data),
    '</section>',
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
