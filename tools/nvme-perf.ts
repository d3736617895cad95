#!/usr/bin/env node
/**
 * nvme-perf: spdk_nvme_perf for nvmekit. SPDK's flags with SPDK's meanings
 * and output, one worker thread per core of `-c`, against any NVMe-oF target
 * (`-r`) or the bundled one started for the run (`--loopback`).
 *
 * The command line is read by the bench layer's own getopt-style parser
 * (SPDK's clustered and glued forms), not commander; errors follow the other
 * CLIs: one line, exit 2 for bad flags, 1 for anything that failed at run time.
 */
import { cpus } from 'node:os';
import { runPerf } from '../src/bench/perf-engine.js';
import { formatIgnoredNote, formatPerfHelp } from '../src/bench/perf-help.js';
import { parsePerfCommandLine } from '../src/bench/perf-options.js';
import { describeError, ExitCode, type ErrorContext } from '../src/cli/error-messages.js';
import { printError } from '../src/cli/program.js';

const NAME = 'nvme-perf';

async function main(argv: readonly string[]): Promise<ExitCode> {
  const ctx: ErrorContext = { connected: false };
  try {
    const command = parsePerfCommandLine(argv, { cpuCount: cpus().length });
    const ignored = formatIgnoredNote(command.ignored, NAME);
    if (ignored !== null) process.stderr.write(`${ignored}\n`);
    if (command.kind === 'help') {
      process.stdout.write(formatPerfHelp(NAME));
      return ExitCode.OK;
    }
    for (const warning of command.warnings) process.stderr.write(`${warning}\n`);
    const { failure } = await runPerf(command.options, process, ctx);
    if (failure === null) return ExitCode.OK;
    printError(NAME, failure);
    return ExitCode.FAILURE;
  } catch (err) {
    const { message, exitCode } = describeError(err, ctx);
    printError(NAME, exitCode === ExitCode.USAGE ? `${message} (see ${NAME} --help)` : message);
    return exitCode;
  }
}

process.exitCode = await main(process.argv.slice(2));
