/**
 * nvme-perf's `--json` output: everything the text report shows, plus the
 * settings, versions, start time, HdrHistogram percentiles and the raw
 * histogram.
 *
 * Schema `nvmekit-perf/1` (latencies in µs, sizes in bytes, rates per second):
 *
 * ```text
 * {
 *   "schema": "nvmekit-perf/1",
 *   "startTime": "2026-11-25T12:48:02.000Z",          // ISO 8601, start of the measured run
 *   "versions": { "nvmekit", "node", "v8", "platform", "arch" },
 *   "settings": { ...every option as run, seed included },  // see PerfOptions
 *   "elapsedUs": 10000123,                            // measured time, warm-up excluded
 *   "controllers": [ { "name": "TCP (addr:127.0.0.1 subnqn:...)", "fabrics": true } ],
 *   "associations": [ { "name": "... NSID 1", "lcore": 1, "numberIos"?: { "count", "percent" } } ],
 *   "warnings": [ "..." ],
 *   "rows": [                                         // one per (namespace, worker core), SPDK's order
 *     {
 *       "name": "TCP (addr:127.0.0.1 subnqn:...) NSID 1", "lcore": 1,
 *       "ios": 3357888,                               // completions, failed ones included
 *       "errors": 0, "bytes": 13753909248,
 *       "iops": 335788.82, "mibps": 1311.68,
 *       "latencyUs": {
 *         "avg": 190.57, "min": 98.03, "max": 11246.24,
 *         "percentiles": { "1.00000": 142.6, ..., "99.99999": 11255.8 },   // HdrHistogram, 3 significant digits
 *         "spdkCutoffs": { "1.00000": 142.656, ... }  // the -L summary: upper edges of SPDK's buckets
 *       },
 *       "histogram": {
 *         "hdr": "HISTFAAA...",                       // HdrHistogram V2 compressed base64, values in ns
 *         "spdkBuckets": [ [97.71, 98.198, 1], ... ]  // the -LL histogram: [startUs, endUs, count], non-empty only
 *       }
 *     }
 *   ],
 *   "total": { "ios", "errors", "bytes", "iops", "mibps",
 *              "latencyUs": { "avg", "min", "max", "percentiles" } } | null,   // SPDK's Total row
 *   "transportStats": [ { "lcore", "name", "stats": { "trtype": "TCP", "polls", ... } } ],
 *   "verify": null | { "readsChecked": 1234, "mismatchCount": 0, "mismatches": [ { "name", "lcore", "lba", "message" } ] },
 *   "timeline": { "intervalMs": 1000, "samples": [ { "tSec", "durationSec", "iops", "mibps" } ] }   // absent with no sample
 * }
 * ```
 *
 * Percentile keys are the cutoff in percent with five decimals, as SPDK prints
 * them. `ios`/`iops` count failed completions too, as SPDK does; `errors` says
 * how many failed.
 */
import type { PerfFigures, PerfPercentile, PerfResult, PerfRow } from './perf-result.js';
import type { SpdkCutoff } from './spdk-histogram.js';

export const PERF_JSON_SCHEMA = 'nvmekit-perf/1';

/** Latencies at percentiles, keyed `"99.00000"`. */
export type PerfJsonPercentiles = Record<string, number>;

export interface PerfJsonFigures {
  ios: number;
  errors: number;
  bytes: number;
  iops: number;
  mibps: number;
  latencyUs: { avg: number; min: number; max: number; percentiles: PerfJsonPercentiles; spdkCutoffs?: PerfJsonPercentiles };
}

export interface PerfJsonRow extends PerfJsonFigures {
  name: string;
  lcore: number;
  histogram: { hdr: string; spdkBuckets: [number, number, number][] };
}

export interface PerfJsonDocument extends Omit<PerfResult, 'rows' | 'total'> {
  schema: typeof PERF_JSON_SCHEMA;
  rows: PerfJsonRow[];
  total: PerfJsonFigures | null;
}

function keyed(points: readonly (PerfPercentile | SpdkCutoff)[]): PerfJsonPercentiles {
  return Object.fromEntries(points.map((p) => [p.percentile.toFixed(5), p.latencyUs]));
}

function jsonFigures(f: PerfFigures): PerfJsonFigures {
  return {
    ios: f.ios,
    errors: f.errors,
    bytes: f.bytes,
    iops: f.iops,
    mibps: f.mibps,
    latencyUs: { avg: f.avgUs, min: f.minUs, max: f.maxUs, percentiles: keyed(f.percentiles) },
  };
}

function jsonRow(row: PerfRow): PerfJsonRow {
  const f = jsonFigures(row);
  return {
    name: row.name,
    lcore: row.lcore,
    ...f,
    latencyUs: { ...f.latencyUs, spdkCutoffs: keyed(row.spdkCutoffs) },
    histogram: { hdr: row.histogram, spdkBuckets: row.buckets.map((b) => [b.startUs, b.endUs, b.count]) },
  };
}

/** The JSON document as an object. */
export function toPerfJson(r: PerfResult): PerfJsonDocument {
  return {
    schema: PERF_JSON_SCHEMA,
    startTime: r.startTime,
    versions: r.versions,
    settings: r.settings,
    elapsedUs: r.elapsedUs,
    controllers: r.controllers,
    associations: r.associations,
    warnings: r.warnings,
    rows: r.rows.map(jsonRow),
    total: r.total ? jsonFigures(r.total) : null,
    transportStats: r.transportStats,
    verify: r.verify,
    ...(r.timeline === undefined ? {} : { timeline: r.timeline }),
  };
}

/** The JSON text, two-space indented, newline-terminated. */
export function formatPerfJson(r: PerfResult): string {
  return `${JSON.stringify(toPerfJson(r), null, 2)}\n`;
}
