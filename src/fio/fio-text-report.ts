/**
 * fio's normal (human) output for a finished run, laid out line for line as
 * fio 3.33 prints it (stat.c: show_thread_status_normal, show_ddir_status,
 * show_clat_percentiles, show_latencies, show_group_stats), with fio's number
 * formatting (lib/num2str.c). fio's closing "Disk stats" section is left out:
 * nvme-fio drives namespaces through its own queue pairs, so there is no
 * kernel block device whose counters it could show.
 */
import { cFixed } from '../bench/c-format.js';
import { FIO_DIRECTIONS } from './fio-job.js';
import {
  FIO_BATCH_LABELS,
  FIO_DEPTH_LABELS,
  FIO_LATENCY_BUCKETS,
  type FioDirectionResult,
  type FioGroupResult,
  type FioJobHeader,
  type FioJobResult,
  type FioLatencyResult,
  type FioPercentile,
  type FioResult,
} from './fio-result.js';

/** fio's default `significant_figures`. */
const SIG_FIGS = 4;

/** What a num2str number counts; fio's N2S_* units this report uses. */
export type Num2StrUnit = 'none' | 'byte' | 'bytePerSec';
const UNIT_SUFFIX: Record<Num2StrUnit, string> = { none: '', byte: 'B', bytePerSec: 'B/s' };
const SI_PREFIX = ['', 'k', 'M', 'G', 'T', 'P'];
const IEC_PREFIX = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi'];

/**
 * fio's `num2str`: `num` in at most `maxlen` digits (the dot counted), scaled by
 * 1000 (`pow2` false: k, M, ...) or 1024 (Ki, Mi, ...). Its quirks are kept:
 * with no room for decimals the remainder rounds half up into the last digit,
 * while a decimal fraction that rounds to 1 (0.96 at one digit) loses its carry.
 */
export function num2str(num: number, maxlen: number, pow2: boolean, unit: Num2StrUnit): string {
  const thousand = pow2 ? 1024 : 1000;
  const prefixes = pow2 ? IEC_PREFIX : SI_PREFIX;
  let n = Math.floor(num);
  let post = 0;
  let modulo = -1;
  let carry = false;
  while (post < prefixes.length && String(n).length > maxlen) {
    modulo = n % thousand;
    n = Math.floor(n / thousand);
    carry = modulo >= thousand / 2;
    post++;
  }
  const suffix = (prefixes[post] ?? '') + UNIT_SUFFIX[unit];
  if (modulo === -1) return `${n}${suffix}`;
  const room = maxlen - String(n).length;
  if (room <= 1) return `${carry ? n + 1 : n}${suffix}`;
  return `${n}.${cFixed(modulo / thousand, room - 1).slice(2)}${suffix}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** C's `ctime` in local time without the newline: `Wed Nov 25 12:57:15 2026`. */
export function fioCtime(ms: number): string {
  const d = new Date(ms);
  const two = (v: number): string => String(v).padStart(2, '0');
  return (
    `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2)} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${d.getFullYear()}`
  );
}

/** printf `%{width}.{precision}f`. */
function fixed(value: number, width: number, precision: number): string {
  return cFixed(value, precision).padStart(width);
}

/** The lines fio prints as it sets the jobs up, then its version and thread count. */
export function formatFioPreamble(headers: readonly FioJobHeader[], fioVersion: string): string {
  const lines: string[] = [];
  for (const h of headers) {
    if (h.clone === 0) {
      const bs = (['R', 'W', 'T'] as const)
        .map((tag, d) => {
          const [min, max] = h.blockSizes[d]!;
          return `(${tag}) ${num2str(min, SIG_FIGS, true, 'byte')}-${num2str(max, SIG_FIGS, true, 'byte')}`;
        })
        .join(', ');
      lines.push(`${h.name}: (g=${h.groupId}): rw=${h.rw}, bs=${bs}, ioengine=nvmekit, iodepth=${h.iodepth}`);
    } else if (h.clone === 1) {
      lines.push('...');
    }
  }
  lines.push(fioVersion);
  lines.push(`Starting ${headers.length} thread${headers.length > 1 ? 's' : ''}`);
  return lines.map((l) => `${l}\n`).join('');
}

/** Latency units of `display_lat`: the first whose thresholds min, max and stdev all pass. */
const LATENCY_UNITS = [
  { name: 'msec', divisor: 1e6, minAbove: 2_000_000, maxAbove: 99_999_999 },
  { name: 'usec', divisor: 1e3, minAbove: 2000, maxAbove: 99_999 },
] as const;

/** `    clat (usec): min=17, max=4411, avg=101.66, stdev=76.06`. */
function latencyLine(label: string, l: FioLatencyResult): string {
  const unit = LATENCY_UNITS.find((u) => l.min > u.minAbove && l.max > u.maxAbove && l.stddev > u.divisor);
  const divisor = unit?.divisor ?? 1;
  const min = num2str(Math.floor(l.min / divisor), 6, false, 'none');
  const max = num2str(Math.floor(l.max / divisor), 6, false, 'none');
  return (
    `    ${label} (${unit?.name ?? 'nsec'}): min=${min}, max=${max}, ` +
    `avg=${fixed(l.mean / divisor, 5, 2)}, stdev=${fixed(l.stddev / divisor, 5, 2)}\n`
  );
}

/** Percentile block units: ms when all values are past 2 ms and some past 100 ms, µs likewise. */
const PERCENTILE_UNITS = [
  { name: 'msec', scaleDowns: 2, divisor: 1e6, minAbove: 2_000_000, maxAbove: 99_999_999 },
  { name: 'usec', scaleDowns: 1, divisor: 1e3, minAbove: 2000, maxAbove: 99_999 },
  { name: 'nsec', scaleDowns: 0, divisor: 1, minAbove: -1, maxAbove: -1 },
] as const;

/** fio's `show_clat_percentiles`: four (or so) `p.ppth=[value]` per line, values rounded up to the unit. */
function percentileBlock(label: string, percentiles: readonly FioPercentile[], precision: number): string {
  if (percentiles.length === 0) return '';
  const values = percentiles.map((p) => p.valueNs);
  const minv = Math.min(...values);
  const maxv = Math.max(...values);
  const unit = PERCENTILE_UNITS.find((u) => minv > u.minAbove && maxv > u.maxAbove)!;
  const timeWidth = Math.max(5, Math.trunc(Math.log10(Math.floor(maxv / unit.divisor)) + 1));
  const perLine = Math.floor((80 - 7) / (precision + 10 + timeWidth));
  let out = `    ${label} percentiles (${unit.name}):\n     |`;
  percentiles.forEach((p, j) => {
    if (j !== 0 && j % perLine === 0) out += '     |';
    let v = p.valueNs;
    for (let i = 0; i < unit.scaleDowns; i++) v = Math.floor((v + 999) / 1000);
    const last = j === percentiles.length - 1;
    out += ` ${fixed(p.percent, precision + 3, precision)}th=[${String(v).padStart(timeWidth)}]${last ? '\n' : ','}`;
    if (!last && j % perLine === perLine - 1) out += '\n';
  });
  return out;
}

/** `   bw (  KiB/s): min=..., per=...%, ...`: KiB/s, or MiB/s past a mean of 1 GiB/s. */
function bandwidthLine(d: FioDirectionResult): string {
  const scale = d.bwMean > 1024 * 1024 ? 1024 : 1;
  const unit = scale === 1 ? 'KiB' : 'MiB';
  return (
    `   bw (${unit.padStart(5)}/s): min=${String(Math.floor(d.bwMin / scale)).padStart(5)}, ` +
    `max=${String(Math.floor(d.bwMax / scale)).padStart(5)}, per=${fixed(d.bwAgg, 3, 2)}%, ` +
    `avg=${fixed(d.bwMean / scale, 5, 2)}, stdev=${fixed(d.bwDev / scale, 5, 2)}, samples=${d.bwSamples}\n`
  );
}

function iopsLine(d: FioDirectionResult): string {
  return (
    `   iops        : min=${String(d.iopsMin).padStart(5)}, max=${String(d.iopsMax).padStart(5)}, ` +
    `avg=${fixed(d.iopsMean, 5, 2)}, stdev=${fixed(d.iopsStddev, 5, 2)}, samples=${d.iopsSamples}\n`
  );
}

/** fio's `show_ddir_status` for one direction that moved data. */
function directionBlock(job: FioJobResult, ddir: number): string {
  const d = job.directions[ddir]!;
  const bw = Math.floor(d.bwBytes);
  const iops = Math.floor((1000 * d.totalIos) / d.runtimeMs);
  // fio 3.33 reports zone resets after every write line, 0 on devices without zones.
  const post = FIO_DIRECTIONS[ddir] === 'write' ? '; 0 zone resets' : '';
  let out =
    `  ${FIO_DIRECTIONS[ddir]}: IOPS=${num2str(iops, SIG_FIGS, false, 'none')}, ` +
    `BW=${num2str(bw, SIG_FIGS, true, 'bytePerSec')} (${num2str(bw, SIG_FIGS, false, 'bytePerSec')})` +
    `(${num2str(d.ioBytes, SIG_FIGS, true, 'byte')}/${d.runtimeMs}msec)${post}\n`;
  const latencies: [string, FioLatencyResult][] = [
    ['slat', d.slat],
    ['clat', d.clat],
    [' lat', d.lat],
  ];
  for (const [label, l] of latencies) if (l.n > 0) out += latencyLine(label, l);
  if (job.clatPercentiles && d.clat.percentiles) out += percentileBlock('clat', d.clat.percentiles, job.percentilePrecision);
  if (job.latPercentiles && d.lat.percentiles) out += percentileBlock('lat', d.lat.percentiles, job.percentilePrecision);
  if (d.bwSamples > 0) out += bandwidthLine(d);
  if (d.iopsSamples > 0) out += iopsLine(d);
  return out;
}

/** fio's `show_latencies`: the non-empty buckets of each map, five per line. */
function latencyDistributionLines(job: FioJobResult): string {
  const maps = [
    { unit: 'nsec', labels: FIO_LATENCY_BUCKETS.ns.labels, values: job.latencyNs },
    { unit: 'usec', labels: FIO_LATENCY_BUCKETS.us.labels, values: job.latencyUs },
    { unit: 'msec', labels: FIO_LATENCY_BUCKETS.ms.labels, values: job.latencyMs },
  ];
  let out = '';
  for (const { unit, labels, values } of maps) {
    const entries = labels.flatMap((label, i) => (values[i]! > 0 ? [`${label}=${fixed(values[i]!, 3, 2)}%`] : []));
    for (let i = 0; i < entries.length; i += 5) out += `  lat (${unit})   : ${entries.slice(i, i + 5).join(', ')}\n`;
  }
  return out;
}

function depthLine(prefix: string, labels: readonly string[], values: readonly number[]): string {
  return `${prefix}: ${labels.map((l, i) => `${l}=${fixed(values[i]!, 3, 1)}%`).join(', ')}\n`;
}

/** fio's `show_thread_status_normal`. */
function jobBlock(job: FioJobResult, result: FioResult): string {
  const dirs = job.directions;
  if (dirs.every((d) => d.ioBytes === 0 && d.totalIos === 0)) return '';
  const err = String(job.error).padStart(2) + (job.error ? ` (${job.errorMessage ?? ''})` : '');
  let out = `${job.name}: (groupid=${job.groupId}, jobs=${job.members}): err=${err}: pid=${result.pid}: ${fioCtime(result.endedAt)}\n`;
  dirs.forEach((d, ddir) => {
    if (d.ioBytes > 0 && d.runtimeMs > 0) out += directionBlock(job, ddir);
  });
  out += latencyDistributionLines(job);
  out +=
    `  cpu          : usr=${fixed(job.usrCpu, 3, 2)}%, sys=${fixed(job.sysCpu, 3, 2)}%, ` +
    `ctx=${job.ctx}, majf=${job.majf}, minf=${job.minf}\n`;
  out += depthLine('  IO depths    ', FIO_DEPTH_LABELS, job.iodepthLevel);
  out += depthLine('     submit    ', FIO_BATCH_LABELS, job.iodepthSubmit);
  out += depthLine('     complete  ', FIO_BATCH_LABELS, job.iodepthComplete);
  const list = (f: (d: FioDirectionResult) => number): string => dirs.map(f).join(',');
  out +=
    `     issued rwts: total=${list((d) => d.totalIos)},0 short=${list((d) => d.shortIos)},0 ` +
    `dropped=${list((d) => d.dropIos)},0\n`;
  if (job.latencyDepth) {
    out +=
      `     latency   : target=${job.latencyTarget}, window=${job.latencyWindow}, ` +
      `percentile=${cFixed(job.latencyPercentile, 2)}%, depth=${job.latencyDepth}\n`;
  }
  return out;
}

const GROUP_LABELS = ['   READ', '  WRITE', '   TRIM'];

/** fio's `show_group_stats`. */
function groupBlock(group: FioGroupResult): string {
  let out = `\nRun status group ${group.groupId} (all jobs):\n`;
  group.directions.forEach((g, d) => {
    if (!g) return;
    const both = (v: number, unit: 'byte' | 'bytePerSec'): [string, string] => [
      num2str(v, SIG_FIGS, true, unit),
      num2str(v, SIG_FIGS, false, unit),
    ];
    const [agg, aggAlt] = both(g.aggBw, 'bytePerSec');
    const [min, minAlt] = both(g.minBw, 'bytePerSec');
    const [max, maxAlt] = both(g.maxBw, 'bytePerSec');
    const [io, ioAlt] = both(g.ioBytes, 'byte');
    out +=
      `${GROUP_LABELS[d]}: bw=${agg} (${aggAlt}), ${min}-${max} (${minAlt}-${maxAlt}), ` +
      `io=${io} (${ioAlt}), run=${g.minRunMs}-${g.maxRunMs}msec\n`;
  });
  return out;
}

/** The whole of fio's normal output for `result`: job headers, version, one block per job, run status per group. */
export function formatFioText(result: FioResult): string {
  return (
    formatFioPreamble(result.headers, result.fioVersion) +
    '\n' +
    result.jobs.map((j) => jobBlock(j, result)).join('') +
    result.groups.map(groupBlock).join('')
  );
}
