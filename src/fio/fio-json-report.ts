/**
 * fio's `--output-format=json` (and `json+`) for a finished run: the keys,
 * nesting, order and units of fio 3.33 (stat.c show_thread_status_json,
 * add_ddir_status_json, add_ddir_lat_json), printed the way fio's json.c
 * prints: two-space indent, `"key" : value`, integers as integers and floats
 * with six decimals (`%f`), so tools that diff against fio's text see the
 * same shape.
 *
 * Left out: the top-level `disk_util` array (fio's kernel block-device
 * counters; nvme-fio has no block device, see fio-text-report.ts).
 */
import { cFixed } from '../bench/c-format.js';
import { FIO_DIRECTIONS } from './fio-job.js';
import {
  FIO_BATCH_LABELS,
  FIO_DEPTH_LABELS,
  FIO_LATENCY_BUCKETS,
  type FioDirectionResult,
  type FioJobResult,
  type FioLatencyResult,
  type FioResult,
} from './fio-result.js';
import { fioCtime } from './fio-text-report.js';

/** A value as fio's json.c holds it: the number kind decides how it prints. */
type JsonNode =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'object'; pairs: [string, JsonNode][] }
  | { kind: 'array'; items: JsonNode[] };

const int = (value: number): JsonNode => ({ kind: 'int', value });
const float = (value: number): JsonNode => ({ kind: 'float', value });
const str = (value: string): JsonNode => ({ kind: 'string', value });
const obj = (pairs: [string, JsonNode][]): JsonNode => ({ kind: 'object', pairs });

/** fio escapes only backslash and double quote. */
function escape(s: string): string {
  return s.replace(/[\\"]/g, (c) => `\\${c}`);
}

function indent(level: number): string {
  return '  '.repeat(level);
}

/** Prints like json.c; `level` is the depth of the value's own opening line. */
function print(node: JsonNode, level: number): string {
  switch (node.kind) {
    case 'int':
      return String(Math.trunc(node.value));
    case 'float':
      return cFixed(node.value, 6);
    case 'string':
      return `"${escape(node.value)}"`;
    case 'object':
      return `{\n${node.pairs.map(([k, v]) => `${indent(level + 1)}"${k}" : ${print(v, level + 1)}`).join(',\n')}\n${indent(level)}}`;
    case 'array':
      return `[\n${node.items.map((v) => `${indent(level + 1)}${print(v, level + 1)}`).join(',\n')}\n${indent(level)}]`;
  }
}

/**
 * `"job options"` / `"global options"`: strings as written. fio cannot store an
 * empty string value and drops the pair; with no options it drops the object.
 */
function optionsPairs(name: string, options: Readonly<Record<string, string>>): [string, JsonNode][] {
  const pairs = Object.entries(options)
    .filter(([, v]) => v !== '')
    .map(([k, v]): [string, JsonNode] => [k, str(v)]);
  return pairs.length ? [[name, obj(pairs)]] : [];
}

/** `slat_ns` / `clat_ns` / `lat_ns`; `percentile` when enabled and N > 0, and with json+ the histogram `bins`. */
function latencyNode(l: FioLatencyResult, plus: boolean): JsonNode {
  const pairs: [string, JsonNode][] = [
    ['min', int(l.min)],
    ['max', int(l.max)],
    ['mean', float(l.mean)],
    ['stddev', float(l.stddev)],
    ['N', int(l.n)],
  ];
  if (l.percentiles && l.n > 0) {
    pairs.push(['percentile', obj(l.percentiles.map((p) => [cFixed(p.percent, 6), int(p.valueNs)]))]);
    if (plus) pairs.push(['bins', obj(l.bins.map((b) => [String(b.valueNs), int(b.count)]))]);
  }
  return obj(pairs);
}

function directionNode(d: FioDirectionResult, plus: boolean): JsonNode {
  return obj([
    ['io_bytes', int(d.ioBytes)],
    ['io_kbytes', int(d.ioKbytes)],
    ['bw_bytes', int(d.bwBytes)],
    ['bw', int(d.bw)],
    ['iops', float(d.iops)],
    ['runtime', int(d.runtimeMs)],
    ['total_ios', int(d.totalIos)],
    ['short_ios', int(d.shortIos)],
    ['drop_ios', int(d.dropIos)],
    ['slat_ns', latencyNode(d.slat, plus)],
    ['clat_ns', latencyNode(d.clat, plus)],
    ['lat_ns', latencyNode(d.lat, plus)],
    ['bw_min', int(d.bwMin)],
    ['bw_max', int(d.bwMax)],
    ['bw_agg', float(d.bwAgg)],
    ['bw_mean', float(d.bwMean)],
    ['bw_dev', float(d.bwDev)],
    ['bw_samples', int(d.bwSamples)],
    ['iops_min', int(d.iopsMin)],
    ['iops_max', int(d.iopsMax)],
    ['iops_mean', float(d.iopsMean)],
    ['iops_stddev', float(d.iopsStddev)],
    ['iops_samples', int(d.iopsSamples)],
  ]);
}

/** fio's `sync` block: nvme-fio issues no fsync, so it is always empty. */
const SYNC_NODE = obj([
  ['total_ios', int(0)],
  ['lat_ns', obj([['min', int(0)], ['max', int(0)], ['mean', float(0)], ['stddev', float(0)], ['N', int(0)]])],
]);

function percentMap(labels: readonly string[], values: readonly number[]): JsonNode {
  return obj(labels.map((label, i) => [label, float(values[i] ?? 0)]));
}

function jobNode(job: FioJobResult, plus: boolean): JsonNode {
  return obj([
    ['jobname', str(job.name)],
    ['groupid', int(job.groupId)],
    ['error', int(job.error)],
    ['eta', int(0)],
    ['elapsed', int(job.elapsedSec)],
    ...optionsPairs('job options', job.jobOptions),
    ...FIO_DIRECTIONS.map((name, d): [string, JsonNode] => [name, directionNode(job.directions[d]!, plus)]),
    ['sync', SYNC_NODE],
    ['job_runtime', int(job.jobRuntimeMs)],
    ['usr_cpu', float(job.usrCpu)],
    ['sys_cpu', float(job.sysCpu)],
    ['ctx', int(job.ctx)],
    ['majf', int(job.majf)],
    ['minf', int(job.minf)],
    ['iodepth_level', percentMap(FIO_DEPTH_LABELS, job.iodepthLevel)],
    ['iodepth_submit', percentMap(FIO_BATCH_LABELS, job.iodepthSubmit)],
    ['iodepth_complete', percentMap(FIO_BATCH_LABELS, job.iodepthComplete)],
    ['latency_ns', percentMap(FIO_LATENCY_BUCKETS.ns.labels, job.latencyNs)],
    ['latency_us', percentMap(FIO_LATENCY_BUCKETS.us.labels, job.latencyUs)],
    ['latency_ms', percentMap(FIO_LATENCY_BUCKETS.ms.labels, job.latencyMs)],
    ['latency_depth', int(job.latencyDepth)],
    ['latency_target', int(job.latencyTarget)],
    ['latency_percentile', float(job.latencyPercentile)],
    ['latency_window', int(job.latencyWindow)],
  ]);
}

/** fio's JSON document for `result`; `plus` (json+) adds each latency's histogram `bins`. Ends with a newline. */
export function formatFioJson(result: FioResult, plus: boolean): string {
  const root = obj([
    ['fio version', str(result.fioVersion)],
    ['timestamp', int(Math.floor(result.startedAt / 1000))],
    ['timestamp_ms', int(result.startedAt)],
    ['time', str(fioCtime(result.startedAt))],
    ...optionsPairs('global options', result.globalOptions),
    ['jobs', { kind: 'array', items: result.jobs.map((j) => jobNode(j, plus)) }],
  ]);
  return `${print(root, 0)}\n`;
}
