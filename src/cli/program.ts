/**
 * The frame every nvmekit CLI runs in: a commander program whose errors are one
 * stderr line prefixed with the program name, exit code 2 for bad flags, and a
 * runner that turns whatever the work throws into that line and an exit code
 * (never `process.exit()` from the middle, so controllers get detached).
 */
import { Command, CommanderError } from 'commander';
import { NVMEKIT_VERSION } from '../version.js';
import { describeError, ExitCode, type ErrorContext } from './error-messages.js';

/** Writes `name: message` to stderr. */
export function printError(name: string, message: string): void {
  process.stderr.write(`${name}: ${message}\n`);
}

function usageHint(name: string): string {
  return `(see ${name} --help)`;
}

/**
 * A commander program with the nvmekit error conventions and `--version`
 * (long form only: SPDK's tools use `-V` and `-v` for other things). Add
 * options, then hand it to {@link runCli}.
 */
export function createProgram(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .version(NVMEKIT_VERSION, '--version', 'print the nvmekit version and exit')
    .exitOverride()
    .configureOutput({
      // Commander says `error: unknown option '--jsn'\n(Did you mean --json?)`; make it one line.
      outputError: (str, write) => write(`${name}: ${str.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')} ${usageHint(name)}\n`),
    });
}

function commanderExitCode(err: CommanderError): ExitCode {
  // Help and version exit 0; every other commander error is about the flags.
  return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
}

/**
 * Parses `argv` (as `process.argv`), runs `main` with the options and returns the
 * exit code. What `main` throws is printed as one line worded with `ctx`, which
 * `main` fills in as it goes (the transport ID, whether it connected...).
 */
export async function runCli<O>(
  program: Command,
  argv: readonly string[],
  main: (opts: O) => Promise<void>,
  ctx: ErrorContext = { connected: false },
): Promise<ExitCode> {
  const name = program.name();
  try {
    program.parse([...argv]);
    await main(program.opts<O & Record<string, unknown>>());
    return ExitCode.OK;
  } catch (err) {
    if (err instanceof CommanderError) return commanderExitCode(err);
    const failure = describeError(err, ctx);
    printError(name, failure.exitCode === ExitCode.USAGE ? `${failure.message} ${usageHint(name)}` : failure.message);
    return failure.exitCode;
  }
}
