/**
 * The nvme-fio command line, split as fio splits it: its own flags
 * (`--output-format`, `--output`, `--report`, `--help`, `--version`,
 * `--trace`), job files (arguments that are not options), and job options
 * (`--name=j1 --rw=randread ...`, left for the job parser in their order).
 */
import { ConfigError } from '../spec/errors.js';
import { takesValue } from './job-parser.js';

/** `--output-format` values, as fio names them. */
export const FIO_OUTPUT_FORMATS = ['normal', 'json', 'json+'] as const;
export type FioOutputFormat = (typeof FIO_OUTPUT_FORMATS)[number];

export interface FioCommand {
  kind: 'run' | 'help' | 'version';
  /** In the order given; fio prints each once, normal first. */
  formats: FioOutputFormat[];
  /** `--output=FILE`: the report goes there instead of stdout. */
  output: string | null;
  /** `--report FILE.html`. */
  report: string | null;
  trace: boolean;
  jobFiles: string[];
  /** Job options for `parseCommandLineJobs`. */
  jobArgs: string[];
}

/** The CLI's own flags: whether each takes a value, and where it lands. */
const CLI_FLAGS: Readonly<Record<string, { value: boolean; apply: (cmd: FioCommand, value: string) => void }>> = {
  'output-format': { value: true, apply: (cmd, v) => (cmd.formats = parseFormats(v)) },
  output: { value: true, apply: (cmd, v) => (cmd.output = v) },
  report: { value: true, apply: (cmd, v) => (cmd.report = v) },
  trace: { value: false, apply: (cmd) => (cmd.trace = true) },
  help: { value: false, apply: (cmd) => (cmd.kind = 'help') },
  version: { value: false, apply: (cmd) => (cmd.kind = 'version') },
};

function parseFormats(text: string): FioOutputFormat[] {
  const formats = text.split(',').map((f) => f.trim());
  for (const f of formats) {
    if (!(FIO_OUTPUT_FORMATS as readonly string[]).includes(f)) {
      throw new ConfigError('--output-format', `expected ${FIO_OUTPUT_FORMATS.join(', ')} (comma-separated for several), got '${f}'`);
    }
  }
  return [...new Set(formats as FioOutputFormat[])];
}

/**
 * Splits `argv` (without node and the script).
 * @throws ConfigError for a flag without its value or a bad `--output-format`
 */
export function parseFioCommandLine(argv: readonly string[]): FioCommand {
  const cmd: FioCommand = { kind: 'run', formats: ['normal'], output: null, report: null, trace: false, jobFiles: [], jobArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h') {
      cmd.kind = 'help';
      continue;
    }
    const m = /^--([^=]+)(?:=(.*))?$/s.exec(arg);
    if (!m) {
      cmd.jobFiles.push(arg);
      continue;
    }
    const name = m[1]!;
    const inline = m[2];
    const flag = CLI_FLAGS[name];
    if (flag === undefined) {
      cmd.jobArgs.push(arg);
      if (inline === undefined && takesValue(name) && i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) cmd.jobArgs.push(argv[++i]!);
      continue;
    }
    let value = inline ?? '';
    if (flag.value && inline === undefined) {
      if (i + 1 >= argv.length) throw new ConfigError(`--${name}`, 'needs a value');
      value = argv[++i]!;
    }
    flag.apply(cmd, value);
  }
  return cmd;
}
