/**
 * Running the built nvme-perf (dist/tools/nvme-perf.js) and nvme-target as a
 * user does, for the perf integration tests. dist/ must be built first
 * (`npm run build`).
 */
import { requireBuilt, runTool, TARGET, tool, type Run } from './fixtures/cli-process.js';

export { closedPort, startTarget, stopTarget, trid, type Run, type TargetProcess } from './fixtures/cli-process.js';
export const PERF = tool('nvme-perf');
export { TARGET };
/** A run that takes longer than this is a hang (a worker or a handle left behind). */
const RUN_LIMIT_MS = 60_000;

/** Throws with the build hint when dist/ is missing. */
export function requireBuild(): void {
  requireBuilt(PERF, TARGET);
}

export function perf(...args: string[]): Promise<Run> {
  return runTool(PERF, args, RUN_LIMIT_MS);
}

/** One row of SPDK's Device Information table: name, core and the five columns. */
export interface TableRow {
  name: string;
  lcore: number | null;
  iops: number;
  mibps: number;
  avg: number;
  min: number;
  max: number;
}

const ROW_RE = /^(.*?)(?: from core +(\d+))? *: +(\d+\.\d\d) +(\d+\.\d\d) +(\d+\.\d\d) +(\d+\.\d\d) +(\d+\.\d\d)$/;

/**
 * The table of a text report, checked against SPDK's layout as it goes: the
 * 56-character rules, the `Latency(us)` heading ending over the last column,
 * and every row's colon in the heading's column.
 */
export function parseTable(stdout: string): { rows: TableRow[]; total: TableRow } {
  const lines = stdout.split('\n');
  const start = lines.indexOf('='.repeat(56));
  if (start < 0) throw new Error(`no table in:\n${stdout}`);
  const heading = lines[start + 2]!;
  const colon = heading.indexOf(':');
  if (!/^Device Information +: +IOPS +MiB\/s +Average +min +max$/.test(heading)) throw new Error(`heading: ${heading}`);
  if (lines[start + 1]!.trimStart() !== 'Latency(us)' || lines[start + 1]!.length !== heading.length - 9) {
    throw new Error(`Latency(us) line: '${lines[start + 1]}'`);
  }
  const parse = (line: string): TableRow => {
    const m = ROW_RE.exec(line);
    if (!m || line.indexOf(':', colon) !== colon || line.length !== heading.length) throw new Error(`row not in SPDK's layout: '${line}'`);
    return { name: m[1]!.trimEnd(), lcore: m[2] === undefined ? null : Number(m[2]), iops: +m[3]!, mibps: +m[4]!, avg: +m[5]!, min: +m[6]!, max: +m[7]! };
  };
  const rows: TableRow[] = [];
  let i = start + 3;
  for (; lines[i] !== '='.repeat(56); i++) rows.push(parse(lines[i]!));
  return { rows, total: parse(lines[i + 1]!) };
}

/** The start-up lines of a report: up to and with `Initialization complete. Launching workers.`. */
export function startupLines(stdout: string): string[] {
  const lines = stdout.split('\n');
  return lines.slice(0, lines.indexOf('Initialization complete. Launching workers.') + 1);
}
