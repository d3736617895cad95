/**
 * Running the built nvme-perf (dist/tools/nvme-perf.js) and nvme-target as a
 * user does, for the perf integration tests. dist/ must be built first
 * (`npm run build`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const PERF = `${ROOT}dist/tools/nvme-perf.js`;
export const TARGET = `${ROOT}dist/tools/nvme-target.js`;
/** A run that takes longer than this is a hang (a worker or a handle left behind). */
const RUN_LIMIT_MS = 60_000;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface TargetProcess {
  child: ChildProcess;
  port: string;
}

/** Throws with the build hint when dist/ is missing. */
export function requireBuild(): void {
  for (const file of [PERF, TARGET]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: build first with \`npm run build\``);
  }
}

export function perf(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PERF, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nvme-perf ${args.join(' ')} did not exit within ${RUN_LIMIT_MS} ms; stderr: ${stderr}`));
    }, RUN_LIMIT_MS);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** nvme-target on a free 127.0.0.1 port; resolves once its `ready:` line came. */
export function startTarget(args: string[]): Promise<TargetProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TARGET, '--listen', 'tcp://127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const ready = /^ready: .*\btrsvcid:(\d+)\b/m.exec(out);
      if (ready) resolve({ child, port: ready[1]! });
    });
    child.once('exit', (code) => reject(new Error(`nvme-target exited (${code}) before ready: ${err.trim()}`)));
  });
}

export async function stopTarget(t: TargetProcess | undefined): Promise<void> {
  if (!t || t.child.exitCode !== null) return;
  const exited = new Promise((resolve) => t.child.once('exit', resolve));
  t.child.kill('SIGTERM');
  await exited;
}

/** A port nothing listens on: one the kernel just handed out and took back. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const trid = (port: string | number, subnqn?: string): string =>
  `trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:${port}${subnqn ? ` subnqn:${subnqn}` : ''}`;

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
