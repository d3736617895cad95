/**
 * `nvme-perf --report FILE.html` as users run it: a loopback run writes a
 * self-contained page with the run's timeline and latency charts; a path
 * that cannot be written is refused before anything runs.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTable, perf, requireBuild } from './perf-process.js';

let dir: string;

beforeAll(() => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), 'nvme-perf-report-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The `data-chart="kind"` SVG of a page. */
const chart = (html: string, kind: string): string | undefined => new RegExp(`<svg class="chart" data-chart="${kind}"[\\s\\S]*?</svg>`).exec(html)?.[0];

describe('nvme-perf --report', () => {
  it('writes an HTML report with a timeline of the run, latency charts and the settings', async () => {
    const path = join(dir, 'perf.html');
    const run = await perf('--loopback', '-t', '2', '-q', '16', '--report', path);
    expect(run.code, run.stderr).toBe(0);
    const { total } = parseTable(run.stdout);
    const html = readFileSync(path, 'utf8');

    const iops = chart(html, 'iops');
    expect(iops, 'IOPS chart').toBeDefined();
    const iopsTable = /data-chart="iops"[\s\S]*?<details>([\s\S]*?)<\/details>/.exec(html)![1]!;
    const rows = [...iopsTable.matchAll(/<tr><td>read<\/td><td class="num">([\d.]+)<\/td><td class="num">(\d+)<\/td><\/tr>/g)].map((m) => ({ t: Number(m[1]), iops: Number(m[2]) }));
    // One sample a second over a 2 s run, and a tail: 2 or 3 samples, each a plausible share of the measured rate.
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.length).toBeLessThanOrEqual(3);
    expect(iops!.match(/<circle class="point"/g)).toHaveLength(rows.length);
    for (const r of rows) expect(r.iops).toBeGreaterThan(0);
    expect(rows.map((r) => r.t)).toEqual([...rows.map((r) => r.t)].sort((a, b) => a - b));
    const mean = rows.reduce((s, r) => s + r.iops, 0) / rows.length;
    expect(mean).toBeGreaterThan(total!.iops / 3);
    expect(mean).toBeLessThan(total!.iops * 3);

    for (const kind of ['bandwidth', 'percentiles', 'histogram']) expect(chart(html, kind), kind).toBeDefined();
    expect(html).toMatch(/<td>ioDepth<\/td><td class="value">16<\/td>/);
    expect(html).not.toMatch(/https?:|<script|\ssrc=/i);
  });

  it('refuses a file in a missing directory before connecting to anything', async () => {
    const path = join(dir, 'missing', 'perf.html');
    const run = await perf('--loopback', '-t', '1', '--report', path);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`nvme-perf: --report: cannot write '${path}': directory '${join(dir, 'missing')}' does not exist`);
    expect(run.stdout).not.toContain('Initializing NVMe Controllers');
    expect(run.stderr).not.toContain('loopback target');
    expect(existsSync(path)).toBe(false);
  });
});
