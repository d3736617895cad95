import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHART_LAYOUT, PLOT } from '../../../src/report/html/chart-frame.js';
import { fioReportData } from '../../../src/report/html/fio-report-data.js';
import { renderHtmlReport } from '../../../src/report/html/html-report.js';
import { BUCKETS_PER_DECADE } from '../../../src/report/html/latency-distribution.js';
import { perfReportData } from '../../../src/report/html/perf-report-data.js';
import type { HtmlReportData } from '../../../src/report/html/report-data.js';
import { assertReportWritable, writeHtmlReport } from '../../../src/report/html/report-file.js';
import { ConfigError } from '../../../src/spec/errors.js';
import { fioClone, fioJob, fioRun, latencies, PERF_TIMELINE, perfResult } from './html-fixtures.js';

const CHARTS = ['iops', 'bandwidth', 'percentiles', 'histogram'] as const;

/** The `<svg>` element of one chart, or undefined. */
function chart(html: string, kind: string): string | undefined {
  return new RegExp(`<svg class="chart" data-chart="${kind}"[\\s\\S]*?</svg>`).exec(html)?.[0];
}

/** Every coordinate pair of every `<path class="series">` in an SVG. */
function pathPoints(svg: string): [number, number][] {
  return [...svg.matchAll(/<path class="series" d="([^"]*)"/g)].flatMap((m) =>
    m[1]!.split(' ').map((cmd) => cmd.slice(1).split(',').map(Number) as [number, number]),
  );
}

function expectSelfContained(html: string): void {
  expect(html).not.toMatch(/https?:/i);
  expect(html).not.toMatch(/\ssrc\s*=/i);
  expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
  expect(html).toContain(`http-equiv="Content-Security-Policy" content="default-src 'none'`);
}

describe('renderHtmlReport with an nvme-perf result', () => {
  const result = perfResult({ timeline: PERF_TIMELINE });
  const html = renderHtmlReport(perfReportData(result));

  it('draws every chart as inline SVG with an accessible title and description', () => {
    for (const kind of CHARTS) {
      const svg = chart(html, kind);
      expect(svg, kind).toBeDefined();
      expect(svg).toMatch(/role="img" aria-labelledby="chart-[a-z]+-title chart-[a-z]+-desc"/);
      expect(svg).toMatch(/<title id="chart-[a-z]+-title">[^<]+<\/title>/);
      expect(svg).toMatch(/<desc id="chart-[a-z]+-desc">[^<]+<\/desc>/);
      expect(svg).toMatch(/<text class="axis-title"[^>]*>[^<]+<\/text>/);
    }
    expect(chart(html, 'histogram')).toMatch(/<rect class="bar" [^>]*height="[1-9]/);
  });

  it('plots one point per timeline sample, inside the plot area', () => {
    const svg = chart(html, 'iops')!;
    expect(svg.match(/<circle class="point"/g)).toHaveLength(PERF_TIMELINE.samples.length);
    const points = pathPoints(svg);
    expect(points).toHaveLength(3);
    for (const [x, y] of points) {
      expect(x).toBeGreaterThanOrEqual(PLOT.x0);
      expect(x).toBeLessThanOrEqual(PLOT.x1);
      expect(y).toBeGreaterThanOrEqual(PLOT.y1);
      expect(y).toBeLessThanOrEqual(PLOT.y0);
    }
    // 7000 IOPS is drawn higher (smaller y) than 6000, and the two 7000s level.
    expect(points[1]![1]).toBeLessThan(points[0]![1]);
    expect(points[2]![1]).toBeCloseTo(points[1]![1], 6);
    expect(svg).toContain('<title>all at 2.0 s: 7k IOPS</title>');
  });

  it('labels the axes with units and nice ticks', () => {
    const ticks = (svg: string) => [...svg.matchAll(/<text class="tick"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(chart(html, 'iops')).toContain('>time (s)</text>');
    expect(ticks(chart(html, 'iops')!)).toEqual(expect.arrayContaining(['0', '2k', '4k', '6k', '8k']));
    expect(chart(html, 'bandwidth')).toContain('>bandwidth (MiB/s)</text>');
    expect(ticks(chart(html, 'percentiles')!)).toEqual(expect.arrayContaining(['90', '99', '99.9', '100 µs', '1 ms']));
    expect(ticks(chart(html, 'histogram')!)).toEqual(expect.arrayContaining(['10 µs', '100 µs', '1 ms']));
  });

  it('is self-contained: no network reference, no script, no external resource', () => {
    expectSelfContained(html);
  });

  it('keeps a data table beside every chart and the settings as run', () => {
    expect(html.match(/<details><summary>Data table<\/summary>/g)).toHaveLength(CHARTS.length);
    expect(html).toMatch(/<td>ioDepth<\/td><td class="value">32<\/td>/);
    expect(html).toMatch(/<td>rwMixRead<\/td><td class="value">70<\/td>/);
    expect(html).toContain(`<td class="num">${result.total!.iops.toFixed(2)}</td>`);
  });
});

describe('perfReportData', () => {
  it('carries the timeline, the merged latency distribution and the SPDK table', () => {
    const result = perfResult({ timeline: PERF_TIMELINE });
    const data = perfReportData(result);
    expect(data.timeline).toEqual([{ direction: 'all', points: PERF_TIMELINE.samples.map(({ tSec, iops, mibps }) => ({ tSec, iops, mibps })) }]);
    const histogram = data.histograms[0]!;
    expect(histogram.buckets.reduce((s, b) => s + b.count, 0)).toBe(result.total!.ios);
    for (const b of histogram.buckets) expect(Math.log10(b.endUs / b.startUs)).toBeCloseTo(1 / BUCKETS_PER_DECADE, 9);
    const points = data.percentiles[0]!.points;
    for (let i = 1; i < points.length; i++) expect(points[i]!.latencyUs).toBeGreaterThanOrEqual(points[i - 1]!.latencyUs);
    // The fixture's latencies have a 150 µs median; 20,000 I/Os resolve 99.99 but not 99.999.
    expect(points.find((p) => p.percentile === 50)!.latencyUs).toBeCloseTo(150, -1);
    expect(points.map((p) => p.percentile)).toContain(99.99);
    expect(points.map((p) => p.percentile)).not.toContain(99.999);
    expect(data.summary.rows.map((r) => r[0])).toEqual([result.rows[0]!.name, 'Total']);
  });

  it('names the direction from the pattern, so a read run is drawn in the read colour', () => {
    const data = perfReportData(perfResult({ argv: ['--loopback', '-w', 'randread', '-t', '2'], timeline: PERF_TIMELINE }));
    expect(data.timeline[0]!.direction).toBe('read');
    expect(data.title).toBe('nvme-perf randread, 4096 B I/Os, queue depth 64, 2 s');
  });

  it('says why the throughput charts are missing when a result has no timeline', () => {
    const data = perfReportData(perfResult());
    expect(data.timeline).toEqual([]);
    expect(data.notes.join('\n')).toContain('no timeline');
    const html = renderHtmlReport(data);
    expect(chart(html, 'iops')).toBeUndefined();
    expect(html).toContain('<p class="empty">No samples');
    expect(chart(html, 'percentiles')).toBeDefined();
  });
});

describe('fioReportData', () => {
  const job = fioJob('randrw-16', { rw: 'randrw', rwmixread: '70', bs: '4k', iodepth: '16' }, { numjobs: 2 });
  const late = fioJob('late', { rw: 'randrw', startdelay: '1' }, { startDelayMs: 1000, source: { file: 'jobs.fio', line: 9 } });
  const raw = fioRun([fioClone(job, 0, 0, 1), fioClone(job, 1, 0, 5), fioClone(late, 0, 0, 9)]);
  const data = fioReportData(raw);

  it('has one series per direction that ran, trim left out', () => {
    expect(data.timeline.map((s) => s.direction)).toEqual(['read', 'write']);
    expect(data.percentiles.map((s) => [s.direction, s.latency])).toEqual([
      ['read', 'clat'],
      ['write', 'clat'],
    ]);
    expect(data.histograms.map((s) => s.direction)).toEqual(['read', 'write']);
  });

  it('adds clones up per 500 ms window on the run clock; a delayed job lands later', () => {
    const read = data.timeline[0]!.points;
    expect(read.map((p) => p.tSec)).toEqual([0.5, 1, 1.5, 2, 2.5, 3]);
    // Windows 1-2: two clones of the first job; 3-4: those plus the late job's first two; 5-6: the late job alone.
    expect(read.map((p) => p.iops)).toEqual([6000, 7200, 7000 + 3000, 6800 + 3600, 3500, 3400]);
    expect(read[0]!.mibps).toBeCloseTo((6000 * 4) / 1024, 9);
  });

  it('merges every clone of a direction into its latency distribution', () => {
    const readIos = raw.jobs.reduce((s, c) => s + c.directions[0].clat.ios, 0);
    expect(data.histograms[0]!.buckets.reduce((s, b) => s + b.count, 0)).toBe(readIos);
    const p50 = data.percentiles[0]!.points.find((p) => p.percentile === 50)!;
    expect(p50.latencyUs).toBeCloseTo(120, -1);
    expect(data.percentiles[1]!.points.find((p) => p.percentile === 50)!.latencyUs).toBeCloseTo(300, -1.5);
  });

  it('summarises per job and direction, and echoes [global] and each job section', () => {
    expect(data.summary.rows.map((r) => r.slice(0, 4))).toEqual([
      ['randrw-16', 'read', '2', String(Math.round((2 * 7000) / 2))],
      ['randrw-16', 'write', '2', String(Math.round((2 * 3000) / 2))],
      ['late', 'read', '1', '3500'],
      ['late', 'write', '1', '1500'],
    ]);
    expect(data.settings.map((g) => g.title)).toEqual(['[global]', '[randrw-16]', '[late]']);
    expect(data.settings[1]!.rows).toContainEqual({ key: 'iodepth', value: '16' });
  });

  it('uses total latency when the jobs asked for lat_percentiles only', () => {
    const latJob = fioJob('lat', {}, { clatPercentiles: false, latPercentiles: true });
    expect(fioReportData(fioRun([fioClone(latJob, 0)])).percentiles[0]!.latency).toBe('lat');
  });

  it('renders all four charts, self-contained', () => {
    const html = renderHtmlReport(data);
    for (const kind of CHARTS) expect(chart(html, kind), kind).toBeDefined();
    expect(chart(html, 'iops')!.match(/<path class="series"/g)).toHaveLength(2);
    expectSelfContained(html);
  });

  it('lists job errors and verify mismatches as notes', () => {
    const bad = fioClone(job, 0);
    bad.error = 5;
    bad.errorMessage = 'Read failed: Unrecovered Read Error';
    bad.verify = { checked: 10, mismatchCount: 1, mismatches: [{ offset: 4096, message: 'bad header at offset 4096' }] };
    expect(fioReportData(fioRun([bad])).notes).toEqual([
      'randrw-16 (clone 0): err=5: Read failed: Unrecovered Read Error',
      'randrw-16 (clone 0): verify found 1 bad blocks of 10 checked',
      'randrw-16 (clone 0): bad header at offset 4096',
    ]);
  });
});

describe('escaping', () => {
  const HOSTILE = `<script>alert("x")</script>&<img src=x onerror='y'>`;
  const ESCAPED = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&lt;img src=x onerror=&#39;y&#39;&gt;';

  it('escapes every string that came from input, in content and attributes', () => {
    const stats = latencies(500, 100_000, 3);
    const data: HtmlReportData = {
      title: HOSTILE,
      tool: HOSTILE,
      timestamp: HOSTILE,
      summary: { columns: [{ label: HOSTILE }], rows: [[HOSTILE]] },
      timeline: [{ direction: HOSTILE, points: [{ tSec: 1, iops: 10, mibps: 1 }, { tSec: 2, iops: 20, mibps: 2 }] }],
      percentiles: [{ direction: HOSTILE, latency: HOSTILE, points: [{ percentile: 50, latencyUs: 100 }, { percentile: 99, latencyUs: 300 }] }],
      histograms: [{ direction: HOSTILE, latency: HOSTILE, buckets: [{ startUs: 100, endUs: 125, count: stats.ios }] }],
      settings: [{ title: HOSTILE, rows: [{ key: HOSTILE, value: HOSTILE }] }],
      notes: [HOSTILE],
    };
    const html = renderHtmlReport(data);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    // The attack's text is still there, but only as text: no element carries it as an attribute.
    const tags = html.replace(/"[^"]*"/g, '""').match(/<[^>]*>/g) ?? [];
    expect(tags.filter((t) => /\s(src|onerror)=/i.test(t))).toEqual([]);
    // Title, header, generator meta, time, summary head and cell, legends x3, tooltips, settings, note...
    expect(html.split(ESCAPED).length - 1).toBeGreaterThanOrEqual(12);
  });

  it('escapes job names and options from a job file', () => {
    const job = fioJob(HOSTILE, { [HOSTILE]: HOSTILE });
    const html = renderHtmlReport(fioReportData(fioRun([fioClone(job, 0)], { filename: HOSTILE })));
    expect(html).not.toContain('<script');
    expect(html).toContain(`<title>nvme-fio: ${ESCAPED}</title>`);
    expect(html).toContain(`<td>${ESCAPED}</td><td class="value">${ESCAPED}</td>`);
  });
});

describe('report file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'html-report-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a path whose directory is missing or that is a directory, creating nothing', () => {
    const missing = join(dir, 'no-such-dir', 'r.html');
    expect(() => assertReportWritable(missing, '--report')).toThrow(ConfigError);
    expect(() => assertReportWritable(missing, '--report')).toThrow(/^--report: cannot write .*directory .*no-such-dir' does not exist$/);
    expect(() => assertReportWritable(dir, '--report')).toThrow(/it is a directory/);
    const file = join(dir, 'file');
    writeFileSync(file, '');
    expect(() => assertReportWritable(join(file, 'r.html'), '--report')).toThrow(/is not a directory/);
    expect(() => assertReportWritable('', '--report')).toThrow(/expected a file name/);
  });

  it('accepts a new file in an existing directory and writes the rendered page there', () => {
    const path = join(dir, 'r.html');
    expect(() => assertReportWritable(path, '--report')).not.toThrow();
    writeHtmlReport(path, perfReportData(perfResult({ timeline: PERF_TIMELINE })));
    const html = readFileSync(path, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain(`viewBox="0 0 ${CHART_LAYOUT.width} ${CHART_LAYOUT.height}"`);
  });
});
