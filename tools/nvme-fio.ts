#!/usr/bin/env node
/**
 * nvme-fio: fio job files and fio's output on nvmekit. Job files and
 * command-line jobs are parsed as fio parses them, run by the nvme-fio engine
 * (nvme-perf's worker threads), and reported as fio's text or JSON, log files,
 * and an optional HTML report.
 *
 * Errors follow the other CLIs: one line, exit 2 for a bad command line or job
 * file, 1 when a job failed (I/O error, verify mismatch) or the run could not go on.
 */
import { writeFileSync } from 'node:fs';
import { describeError, ExitCode, type ErrorContext } from '../src/cli/error-messages.js';
import { printError } from '../src/cli/program.js';
import { runFio } from '../src/fio/fio-engine.js';
import { parseFioCommandLine, type FioCommand } from '../src/fio/fio-engine-command.js';
import { formatFioHelp } from '../src/fio/fio-help.js';
import type { FioJobFile } from '../src/fio/fio-job.js';
import { formatFioJson } from '../src/fio/fio-json-report.js';
import { writeFioLogs } from '../src/fio/fio-logs.js';
import { buildFioResult } from '../src/fio/fio-result.js';
import { formatFioText } from '../src/fio/fio-text-report.js';
import { parseCommandLineJobs, parseJobFiles } from '../src/fio/job-parser.js';
import { fioReportData } from '../src/report/html/fio-report-data.js';
import { assertReportWritable, writeHtmlReport } from '../src/report/html/report-file.js';
import { NVMEKIT_VERSION } from '../src/version.js';

const NAME = 'nvme-fio';

/** Job files first, then command-line jobs, as fio reads them. */
function readJobs(cmd: FioCommand): FioJobFile {
  const parts: FioJobFile[] = [];
  if (cmd.jobFiles.length > 0) parts.push(parseJobFiles(cmd.jobFiles));
  if (cmd.jobArgs.length > 0) parts.push(parseCommandLineJobs(cmd.jobArgs));
  return {
    globalOptions: Object.assign({}, ...parts.map((p) => p.globalOptions)) as Record<string, string>,
    jobs: parts.flatMap((p) => p.jobs),
    notices: parts.flatMap((p) => p.notices),
  };
}

async function main(argv: readonly string[]): Promise<ExitCode> {
  const ctx: ErrorContext = { connected: false };
  try {
    const cmd = parseFioCommandLine(argv);
    if (cmd.kind === 'help') {
      process.stdout.write(formatFioHelp(NAME));
      return ExitCode.OK;
    }
    if (cmd.kind === 'version') {
      process.stdout.write(`${NAME} ${NVMEKIT_VERSION}\n`);
      return ExitCode.OK;
    }
    const file = readJobs(cmd);
    for (const notice of file.notices) process.stderr.write(`${NAME}: ${notice}\n`);
    if (cmd.report !== null) assertReportWritable(cmd.report, '--report');
    if (cmd.output !== null) assertReportWritable(cmd.output, '--output');

    // Ctrl-C stops the jobs and the report still comes, as fio does; a second one quits at once.
    const abort = new AbortController();
    const onSignal = (): void => {
      if (abort.signal.aborted) process.exit(130);
      process.stderr.write(`${NAME}: stopping the jobs (Ctrl-C again to quit without a report)\n`);
      abort.abort();
    };
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    const raw = await runFio(file, process, { signal: abort.signal, trace: cmd.trace });
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);

    const result = buildFioResult(raw);
    const text = cmd.formats.map((f) => (f === 'normal' ? formatFioText(result) : formatFioJson(result, f === 'json+'))).join('');
    if (cmd.output !== null) writeFileSync(cmd.output, text);
    else process.stdout.write(text);
    writeFioLogs(raw, process.cwd());
    if (cmd.report !== null) writeHtmlReport(cmd.report, fioReportData(raw));

    const failed = raw.jobs.filter((j) => j.error !== 0);
    for (const j of failed) printError(NAME, `job '${j.job.name}'${j.job.numjobs > 1 ? ` (clone ${j.clone})` : ''}: err=${j.error}: ${j.errorMessage ?? 'failed'}`);
    return failed.length > 0 || abort.signal.aborted ? ExitCode.FAILURE : ExitCode.OK;
  } catch (err) {
    const { message, exitCode } = describeError(err, ctx);
    printError(NAME, exitCode === ExitCode.USAGE ? `${message} (see ${NAME} --help)` : message);
    return exitCode;
  }
}

process.exitCode = await main(process.argv.slice(2));
