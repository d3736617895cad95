/**
 * fio's per-job log files (`write_lat_log`, `write_iops_log`, `write_bw_log`)
 * as fio 3.33 writes them (iolog.c flush_samples, init.c gen_log_name): one
 * file per log and clone, named `<prefix>_<kind>.<thread>.log` where
 * `<thread>` is fio's thread number (1-based over all clones of the run, in
 * job order) and `<prefix>` the option's value or the job name; one line per
 * entry, `time, value, ddir, bs, prio` (ms, ns or KiB/s or IOPS, 0/1/2, bytes,
 * 0: nvme-fio sets no I/O priorities).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FioJob } from './fio-job.js';
import type { FioLogEntry, FioLogs, FioRunRaw } from './fio-stats.js';

type LogKind = keyof FioLogs;

/** Which option names each log's prefix; fio writes lat, slat and clat for `write_lat_log`. */
const LOG_PREFIX: Record<LogKind, (job: FioJob) => string | null> = {
  lat: (job) => job.writeLatLog,
  clat: (job) => job.writeLatLog,
  slat: (job) => job.writeLatLog,
  iops: (job) => job.writeIopsLog,
  bw: (job) => job.writeBwLog,
};
const LOG_KINDS = Object.keys(LOG_PREFIX) as LogKind[];

/** One line as fio's `flush_samples` prints it (integer time and value). */
function logLine(e: FioLogEntry): string {
  return `${Math.floor(e.timeMs)}, ${Math.round(e.value)}, ${e.ddir}, ${e.bs}, 0\n`;
}

/**
 * Writes every log the run's jobs asked for into `dir` (created if missing;
 * an absolute prefix wins over it, as a path in fio's option would) and
 * returns the paths written, in clone then log order.
 */
export function writeFioLogs(raw: FioRunRaw, dir: string): string[] {
  const written: string[] = [];
  raw.jobs.forEach((clone, index) => {
    for (const kind of LOG_KINDS) {
      const entries = clone.logs[kind];
      const prefix = LOG_PREFIX[kind](clone.job);
      if (!entries || prefix === null) continue;
      const path = resolve(dir, `${prefix || clone.job.name}_${kind}.${index + 1}.log`);
      if (written.length === 0) mkdirSync(dir, { recursive: true });
      writeFileSync(path, entries.map(logLine).join(''));
      written.push(path);
    }
  });
  return written;
}
