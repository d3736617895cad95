/**
 * nvme-fio's job parser: fio job files and command-line jobs in, resolved
 * {@link FioJobFile} out. fio 3.x's rules, with these choices where fio is loose
 * or its code and HOWTO disagree:
 * - an unset `${VAR}` is an error (fio substitutes an empty string);
 * - a trailing comment needs whitespace before its `;`/`#` (fio cuts at any `;`/`#`,
 *   which breaks quoted patterns and transport IDs);
 * - per-direction values follow the HOWTO: `rate=500k,` limits reads only;
 * - sizes refuse fractions and unknown suffixes (fio reads `1.5m` as 1);
 * - a bare boolean option (`randrepeat`) means 1, as on fio's command line;
 * - arithmetic is computed only around fio's keywords (`2*$ncpus`), not in any
 *   parenthesised value;
 * - `verify` on a read-only job is accepted, as fio does: the reads check headers
 *   written earlier (a previous job or run), and blocks never written fail.
 */
import type { FioJobFile, FioSource } from './fio-job.js';
import { COMMAND_LINE, jobError } from './job-errors.js';
import { GLOBAL_SECTION, type IniSection, type OptionLine, expandValue, readJobFile } from './job-ini.js';
import { type JobSpec, resolveJobs } from './job-resolve.js';
import { findOption } from './option-table.js';

/**
 * Parses fio job files. `[global]` options apply to the jobs after them (also in
 * later files, as fio keeps them); the first job of each file after the first
 * waits for the jobs before it (fio stonewalls between job files).
 *
 * @param env variables for `${VAR}` (default `process.env`)
 * @throws ConfigError `FILE:LINE: option 'x': reason` for anything that is not a valid job
 */
export function parseJobFiles(paths: string[], env: NodeJS.ProcessEnv = process.env): FioJobFile {
  const files = paths.map((path) => readJobFile(path, env));
  const globals: OptionLine[] = [];
  const specs: JobSpec[] = [];
  files.forEach((sections, fileIndex) => {
    let firstInFile = true;
    for (const section of sections) {
      if (section.name === GLOBAL_SECTION) {
        globals.push(...section.options);
        continue;
      }
      specs.push(jobSpec(section, globals, fileIndex > 0 && firstInFile && specs.length > 0));
      firstInFile = false;
    }
  });
  return resolveJobs(globals, specs);
}

/**
 * Parses command-line jobs as fio does: `--name=x` starts a job (`--name=global`
 * starts global options), options before the first `--name` are global,
 * `--opt` alone sets a boolean, and an option that needs a value may take it
 * from the next argument (`--bs 4k`, as getopt allows). An option's source line
 * is its 1-based index in `argv`.
 *
 * @param argv options only; the CLI takes out its own flags and job-file paths first
 * @throws ConfigError `command line: option 'x': reason`
 */
export function parseCommandLineJobs(argv: string[], env: NodeJS.ProcessEnv = process.env): FioJobFile {
  const sections: IniSection[] = [{ name: GLOBAL_SECTION, source: { file: COMMAND_LINE, line: 0 }, options: [] }];
  for (let i = 0; i < argv.length; i++) {
    const source: FioSource = { file: COMMAND_LINE, line: i + 1 };
    const arg = argv[i]!;
    const m = /^--([^=]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw jobError(source, `expected --option or --option=value, got '${arg}'`);
    const name = m[1]!;
    let value = m[2];
    if (value === undefined && takesValue(name) && i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) value = argv[++i];
    const line: OptionLine = { name, value: value === undefined ? undefined : expandValue(value, env, source, name), source };
    if (name === 'name') {
      if (line.value === undefined || line.value === '') throw jobError(source, 'needs a value', name);
      sections.push({ name: line.value, source, options: [] });
      if (line.value === GLOBAL_SECTION) continue;
    }
    sections[sections.length - 1]!.options.push(line);
  }
  const globals = sections.filter((s) => s.name === GLOBAL_SECTION).flatMap((s) => s.options);
  const specs: JobSpec[] = [];
  const inForce: OptionLine[] = [];
  for (const section of sections) {
    if (section.name === GLOBAL_SECTION) inForce.push(...section.options);
    else specs.push(jobSpec(section, inForce, false));
  }
  return resolveJobs(globals, specs);
}

function jobSpec(section: IniSection, globals: readonly OptionLine[], fileStonewall: boolean): JobSpec {
  return { name: section.name, source: section.source, globals: [...globals], options: section.options, fileStonewall };
}

/**
 * Whether job option `name` needs a value (not a boolean, log name or ignored
 * option), so that written without `=` it reads the next argument.
 */
export function takesValue(name: string): boolean {
  const kind = findOption(name)?.kind;
  return kind !== undefined && kind !== 'bool' && kind !== 'flag' && kind !== 'log' && kind !== 'ignored';
}
