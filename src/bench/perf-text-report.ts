/**
 * SPDK perf's text output from a {@link PerfResult}, line for line in the
 * layout of `spdk_nvme_perf` (examples/perf.c): the start-up lines, the
 * `Device Information` table (name column as wide as the longest name, `from
 * core %2u`, five `%10.2f` columns), the Total row, the `-L` summary with the
 * name cut to 43 characters, the `-LL` histogram, `--transport-stats` blocks,
 * and the live once-a-second line. Every line is returned without its newline
 * unless the function says otherwise.
 */
import { cFixedWidth, cStringCut } from './c-format.js';
import type { PerfAssociation, PerfController, PerfFigures, PerfResult, PerfRow, PerfTransportStats, PerfTransportStatsEntry } from './perf-result.js';

export const INITIALIZING_LINE = 'Initializing NVMe Controllers';
export const LAUNCHING_LINE = 'Initialization complete. Launching workers.';
/** The line SPDK prints when a namespace could not be used (too small, LBA size, inactive). */
export const SKIPPED_DEVICES_WARNING = 'WARNING: Some requested NVMe devices were skipped';
/** Written before the first result line on a TTY after warm-up, whose live line is longer. */
export const ERASE_LINE = '\x1b[2K';

const RULE = '='.repeat(56);
const SUMMARY_RULE = '='.repeat(81);
const HISTOGRAM_RULE = '='.repeat(78);
/** perf.c prints names in the `-L` / `-LL` headings with `%-43.43s`. */
const HEADING_NAME_WIDTH = 43;

/** `Attached to NVMeoF Controller at TCP (addr:... subnqn:...)`. */
export function attachedLine(c: PerfController): string {
  return `Attached to NVMe${c.fabrics ? 'oF' : ''} Controller at ${c.name}`;
}

/** `Associating <name> with lcore <n>`, and the `-d N%` line when it applies. */
export function associatingLines(a: PerfAssociation): string[] {
  const lines = [`Associating ${a.name} with lcore ${a.lcore}`];
  if (a.numberIos) {
    lines.push(`number_ios for namespace ${a.name} set to ${a.numberIos.count} (${a.numberIos.percent}% of namespace size)`);
  }
  return lines;
}

/** Everything SPDK prints before the workers start. */
export function formatStartup(r: PerfResult): string[] {
  return [
    INITIALIZING_LINE,
    ...r.controllers.map(attachedLine),
    ...r.warnings,
    ...r.associations.flatMap(associatingLines),
    LAUNCHING_LINE,
  ];
}

const col = (v: number): string => cFixedWidth(v, 10, 2);

function figuresColumns(f: PerfFigures): string {
  return `${col(f.iops)} ${col(f.mibps)} ${col(f.avgUs)} ${col(f.minUs)} ${col(f.maxUs)}`;
}

/** The `Device Information` table, the Total row and, with `-L` / `-LL`, the latency sections. */
export function formatPerformance(r: PerfResult): string[] {
  const nameWidth = r.rows.reduce((w, row) => Math.max(w, row.name.length), 0);
  const lines = [
    RULE,
    'Latency(us)'.padStart(nameWidth + 60),
    `${'Device Information'.padEnd(nameWidth + 13)}: ${['IOPS', 'MiB/s', 'Average', 'min', 'max'].map((h) => h.padStart(10)).join(' ')}`,
  ];
  for (const row of r.rows) {
    if (row.ios === 0) continue;
    lines.push(`${cStringCut(row.name, nameWidth)} from core ${String(row.lcore).padStart(2)}: ${figuresColumns(row)}`);
  }
  if (r.total) {
    lines.push(RULE, `${'Total'.padEnd(nameWidth + 13)}: ${figuresColumns(r.total)}`, '');
  }
  const level = r.settings.latencyTracking;
  if (level === 0 || !r.total) return lines;
  for (const row of r.rows) lines.push(...summaryLines(row));
  if (level === 1) return lines;
  for (const row of r.rows) lines.push(...histogramLines(row));
  return lines;
}

function headingName(row: PerfRow): string {
  return `${cStringCut(row.name, HEADING_NAME_WIDTH)} from core ${row.lcore}:`;
}

function summaryLines(row: PerfRow): string[] {
  return [
    `Summary latency data for ${headingName(row)}`,
    SUMMARY_RULE,
    ...row.spdkCutoffs.map((c) => `${cFixedWidth(c.percentile, 9, 5)}% : ${cFixedWidth(c.latencyUs, 9, 3)}us`),
    '',
  ];
}

function histogramLines(row: PerfRow): string[] {
  const total = row.buckets.reduce((s, b) => s + b.count, 0);
  const lines = [`Latency histogram for ${headingName(row)}`, HISTOGRAM_RULE, '       Range in us     Cumulative    IO count'];
  let soFar = 0;
  for (const b of row.buckets) {
    if (b.count === 0) continue;
    soFar += b.count;
    lines.push(
      `${cFixedWidth(b.startUs, 9, 3)} - ${cFixedWidth(b.endUs, 9, 3)}: ${cFixedWidth((soFar * 100) / total, 9, 4)}%  (${String(b.count).padStart(9)})`,
    );
  }
  lines.push('');
  return lines;
}

/** Counter labels per transport, padded as perf.c pads them (PCIe's columns are ragged there too). */
const TRANSPORT_STAT_LINES = {
  TCP: [
    ['polls:', 'polls', 20],
    ['idle_polls:', 'idlePolls', 20],
    ['sock_completions:', 'socketCompletions', 20],
    ['nvme_completions:', 'nvmeCompletions', 20],
    ['submitted_requests:', 'submittedRequests', 20],
    ['queued_requests:', 'queuedRequests', 20],
  ],
  RDMA: [
    ['polls:', 'polls', 23],
    ['idle_polls:', 'idlePolls', 23],
    ['completions:', 'completions', 23],
    ['queued_requests:', 'queuedRequests', 23],
    ['total_send_wrs:', 'totalSendWrs', 23],
    ['send_doorbell_updates:', 'sendDoorbellUpdates', 23],
    ['total_recv_wrs:', 'totalRecvWrs', 23],
    ['recv_doorbell_updates:', 'recvDoorbellUpdates', 23],
  ],
  PCIe: [
    ['polls:', 'polls', 21],
    ['idle_polls:', 'idlePolls', 21],
    ['completions:', 'completions', 21],
    ['cq_mmio_doorbell_updates:', 'cqMmioDoorbellUpdates', 26],
    ['cq_shadow_doorbell_updates:', 'cqShadowDoorbellUpdates', 28],
    ['submitted_requests:', 'submittedRequests', 21],
    ['sq_mmio_doorbell_updates:', 'sqMmioDoorbellUpdates', 27],
    ['sq_shadow_doorbell_updates:', 'sqShadowDoorbellUpdates', 29],
    ['queued_requests:', 'queuedRequests', 21],
  ],
} as const satisfies Record<PerfTransportStats['trtype'], readonly (readonly [string, string, number])[]>;

const TRANSPORT_TITLES: Record<PerfTransportStats['trtype'], string> = { TCP: 'TCP transport:', RDMA: 'RDMA transport:', PCIe: 'PCIE transport:' };

function counterLines(table: readonly (readonly [string, string, number])[], values: object): string[] {
  const v = values as Record<string, number>;
  return table.map(([label, key, width]) => `\t${label.padEnd(width)}${v[key]}`);
}

/** One `--transport-stats` block (it starts with an empty line, as SPDK's does). */
export function transportStatsLines(e: PerfTransportStatsEntry): string[] {
  const s = e.stats;
  const lines = ['', '====================', `lcore ${e.lcore}, ns ${e.name} statistics:`, TRANSPORT_TITLES[s.trtype]];
  if (s.trtype === 'RDMA') {
    for (const dev of s.devices) {
      lines.push(`\t${'dev name:'.padEnd(23)}${dev.name}`, ...counterLines(TRANSPORT_STAT_LINES.RDMA, dev), '\t---------------------------------');
    }
  } else {
    lines.push(...counterLines(TRANSPORT_STAT_LINES[s.trtype], s));
  }
  return lines;
}

/** nvmekit's line after the report with `--verify`: how many reads were checked, how many were wrong. */
export function verifyLines(r: PerfResult): string[] {
  if (r.verify === null) return [];
  const v = r.verify;
  return [`Verify: ${v.readsChecked} reads checked against the block tags this run wrote, ${v.mismatchCount} mismatched`];
}

/** What SPDK prints once the workers finished (transport statistics, the table, latency sections), then the verify line. */
export function formatPerfResults(r: PerfResult): string {
  const lines = [...r.transportStats.flatMap(transportStatsLines), ...formatPerformance(r), ...verifyLines(r)];
  return lines.map((l) => `${l}\n`).join('');
}

/** The whole report as SPDK prints it to stdout, newline-terminated lines. */
export function formatPerfText(r: PerfResult): string {
  return formatStartup(r).map((l) => `${l}\n`).join('') + formatPerfResults(r);
}

/** What the live line shows for the last second. */
export interface ProgressSample {
  /** I/Os completed in the last second, over all workers. */
  ios: number;
  ioSizeBytes: number;
  warmup: boolean;
  /** With `-m`: busy percent of the worker cores, and how many there are. */
  cpu?: { busyPercent: number; workers: number } | null;
}

/**
 * SPDK's once-a-second line for a TTY (`print_periodic_performance`), ending in
 * a carriage return so the next one overwrites it:
 * `[warmup]    335788 IOPS,  1311.68 MiB/s  2 Core(s):  99.50% Busy\r`.
 */
export function formatProgressLine(s: ProgressSample): string {
  const mib = (s.ios * s.ioSizeBytes) / (1024 * 1024);
  let line = `${s.warmup ? '[warmup] ' : ''}${String(s.ios).padStart(9)} IOPS, ${cFixedWidth(mib, 8, 2)} MiB/s`;
  if (s.cpu) line += `${String(s.cpu.workers).padStart(3)} Core(s): ${cFixedWidth(s.cpu.busyPercent, 6, 2)}% Busy`;
  return `${line}\r`;
}

/** `Read completed with error (sct=0, sc=2)`, as perf logs a failed I/O. */
export function ioErrorLine(isRead: boolean, sct: number, sc: number): string {
  return `${isRead ? 'Read' : 'Write'} completed with error (sct=${sct}, sc=${sc})`;
}

/**
 * SPDK's `RATELIMIT_LOG` for `-Q N`: the first message and then one in every
 * N, the latter prefixed with how many were suppressed. Keep one per kind of
 * message, as SPDK keeps one counter per call site.
 */
export class RateLimitedLog {
  private count = 0;

  constructor(private readonly interval: number) {}

  /** The line to print for this occurrence, or null to stay quiet. */
  line(message: string): string | null {
    const n = this.count++;
    if (n % this.interval !== 0) return null;
    return n > 0 && this.interval > 1 ? `Message suppressed ${this.interval - 1} times: ${message}` : message;
  }
}
