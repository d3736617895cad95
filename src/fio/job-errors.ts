/**
 * Job-file errors in one shape: `FILE:LINE: option 'x': reason`, or
 * `command line: option 'x': reason` for command-line jobs.
 */
import { ConfigError } from '../spec/errors.js';
import type { FioSource } from './fio-job.js';
import { OptionValueError } from './option-values.js';

/** `FioSource.file` of options that came from the command line (their `line` is the argument's 1-based index). */
export const COMMAND_LINE = 'command line';

/** Where a source is, as messages print it. */
export function sourceLabel(source: FioSource): string {
  return source.file === COMMAND_LINE ? COMMAND_LINE : `${source.file}:${source.line}`;
}

/** A ConfigError keyed by the source; `option` adds `option 'x': ` before the reason. */
export function jobError(source: FioSource, reason: string, option?: string): ConfigError {
  return new ConfigError(sourceLabel(source), option === undefined ? reason : `option '${option}': ${reason}`);
}

/** Runs `read`, turning its OptionValueError into `FILE:LINE: option 'x': reason`. */
export function readAt<T>(source: FioSource, option: string | undefined, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof OptionValueError) throw jobError(source, e.message, option);
    throw e;
  }
}
