/**
 * The `--report FILE.html` file: checked before a run starts (a benchmark that
 * ran for minutes should not end in "cannot write"), written at its end.
 */
import { accessSync, constants, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../../spec/errors.js';
import { renderHtmlReport } from './html-report.js';
import type { HtmlReportData } from './report-data.js';

/** The reason `path` cannot be written, or null when it can be. */
function unwritable(path: string): string | null {
  if (path === '') return 'expected a file name, got an empty string';
  const full = resolve(path);
  const dir = dirname(full);
  const dirStat = statSync(dir, { throwIfNoEntry: false });
  if (dirStat === undefined) return `cannot write '${path}': directory '${dir}' does not exist`;
  if (!dirStat.isDirectory()) return `cannot write '${path}': '${dir}' is not a directory`;
  const fileStat = statSync(full, { throwIfNoEntry: false });
  if (fileStat?.isDirectory()) return `cannot write '${path}': it is a directory`;
  try {
    accessSync(fileStat === undefined ? dir : full, constants.W_OK);
  } catch {
    return `cannot write '${path}': permission denied`;
  }
  return null;
}

/**
 * Throws unless a report could be written to `path` (its directory exists and
 * is writable, and it is not a directory itself). Nothing is created.
 * @param flag the option that named the file, for the error (`--report`)
 * @throws ConfigError naming `flag`
 */
export function assertReportWritable(path: string, flag: string): void {
  const reason = unwritable(path);
  if (reason !== null) throw new ConfigError(flag, reason);
}

/** Renders `data` and writes it to `path`. */
export function writeHtmlReport(path: string, data: HtmlReportData): void {
  writeFileSync(path, renderHtmlReport(data));
}
