#!/usr/bin/env node
/**
 * nvmekit's benchmark suite (`npm run bench`): a fixed matrix of nvme-perf
 * runs, nvmekit's host against nvmekit's target over loopback TCP (the perf
 * worker on core 1, the target thread on core 0: `nvme-perf --loopback -c 0x2`),
 * each next to the raw-socket ceiling for the same byte shapes
 * (bench/raw-socket.mjs), so the distance between the stack and what Node
 * can do at all is in view. Prints a table and writes bench/results.json.
 * Benchmarks print numbers; nothing here passes or fails on them.
 *
 *   npm run build && node bench/run.mjs [seconds per case, default 10]
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const PERF = `${ROOT}dist/tools/nvme-perf.js`;
const RAW = `${ROOT}bench/raw-socket.mjs`;
const RESULTS = `${ROOT}bench/results.json`;
const seconds = Number(process.argv[2] ?? 10);

/** The matrix: name, I/O size, queue depth, pattern, percent of reads. */
const CASES = [
  { name: '4 KiB randread QD 1', ioSize: 4096, depth: 1, pattern: 'randread', readPercent: 100 },
  { name: '4 KiB randread QD 64', ioSize: 4096, depth: 64, pattern: 'randread', readPercent: 100 },
  { name: '4 KiB randrw 70/30 QD 64', ioSize: 4096, depth: 64, pattern: 'randrw', readPercent: 70 },
  { name: '128 KiB read QD 32', ioSize: 131072, depth: 32, pattern: 'read', readPercent: 100 },
];

const PERCENTILE_KEYS = { p50Us: '50.00000', p99Us: '99.00000' };
const MAX_BUFFER = 64 * 1024 * 1024;

async function nvmekit(c) {
  const args = [PERF, '--loopback', '-c', '0x2', '-q', String(c.depth), '-o', String(c.ioSize), '-w', c.pattern, '-t', String(seconds), '-a', '1', '-L', '--json', '-'];
  if (c.pattern === 'randrw') args.push('-M', String(c.readPercent));
  const { stdout } = await run(process.execPath, args, { maxBuffer: MAX_BUFFER });
  const doc = JSON.parse(stdout);
  const t = doc.total;
  return {
    command: `nvme-perf ${args.slice(1).join(' ')}`,
    iops: t.iops,
    mibps: t.mibps,
    p50Us: t.latencyUs.percentiles[PERCENTILE_KEYS.p50Us],
    p99Us: t.latencyUs.percentiles[PERCENTILE_KEYS.p99Us],
  };
}

async function ceiling(c) {
  const { stdout } = await run(process.execPath, [RAW, String(c.ioSize), String(c.depth), String(c.readPercent), String(seconds), '1', '0']);
  return JSON.parse(stdout);
}

const num = (n, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function row(cells, widths) {
  return cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
}

if (!existsSync(PERF)) {
  process.stderr.write(`${PERF} is missing: run \`npm run build\` first\n`);
  process.exit(1);
}
if (cpus().length < 2) process.stderr.write('warning: fewer than 2 cores: the worker and the target share one\n');

process.stdout.write(`nvmekit bench: nvme-perf --loopback -c 0x2 (worker on core 1, target on core 0), ${seconds} s per case after 1 s warm-up\n\n`);
const widths = [26, 10, 9, 8, 8, 10, 9, 8, 8, 7];
const groupWidth = (from, to) => widths.slice(from, to).reduce((s, w) => s + w + 2, -2);
process.stdout.write(`${''.padEnd(widths[0])}  ${'-- nvmekit --'.padStart(groupWidth(1, 5))}  ${'-- raw socket --'.padStart(groupWidth(5, 9))}\n`);
process.stdout.write(`${row(['case', 'IOPS', 'MiB/s', 'p50 us', 'p99 us', 'IOPS', 'MiB/s', 'p50 us', 'p99 us', 'ratio'], widths)}\n`);
const results = [];
for (const c of CASES) {
  const ours = await nvmekit(c);
  const raw = await ceiling(c);
  results.push({ ...c, nvmekit: ours, rawSocket: raw });
  process.stdout.write(
    `${row(
      [
        c.name,
        num(ours.iops),
        num(ours.mibps, 1),
        num(ours.p50Us, 1),
        num(ours.p99Us, 1),
        num(raw.iops),
        num(raw.mibps, 1),
        num(raw.p50Us, 1),
        num(raw.p99Us, 1),
        `${num((100 * ours.iops) / raw.iops)}%`,
      ],
      widths,
    )}\n`,
  );
}
writeFileSync(
  RESULTS,
  `${JSON.stringify({ date: new Date().toISOString(), node: process.versions.node, cores: cpus().length, cpu: cpus()[0]?.model, seconds, cases: results }, null, 2)}\n`,
);
process.stdout.write(`\nratio: nvmekit IOPS as a share of the raw-socket ceiling. Written to ${RESULTS}\n`);
