/**
 * fio's job-file dialect, read into sections of option lines (values not yet
 * interpreted): `[section]` headers, `name=value` or bare `name`, comments,
 * `include FILE`, `${VAR}` expansion and fio's `$ncpus`-style keywords. The job
 * parser gives the lines meaning.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../spec/errors.js';
import type { FioSource } from './fio-job.js';
import { jobError, readAt } from './job-errors.js';
import { expandKeywords } from './job-keywords.js';

/** One `name=value` (value undefined for a bare `name`), where it was written. */
export interface OptionLine {
  name: string;
  value: string | undefined;
  source: FioSource;
}

/** A `[name]` section and its option lines, includes inlined. */
export interface IniSection {
  name: string;
  source: FioSource;
  options: OptionLine[];
}

/** The section name whose options apply to the jobs after it. */
export const GLOBAL_SECTION = 'global';

/**
 * Reads one job file. Comments are lines starting with `;` or `#`, and a `;` or
 * `#` after whitespace up to the end of the line (outside double quotes). An
 * `include` inside a section inlines another file's options, its path relative to
 * the including file; included files may not hold sections, and cycles are errors.
 *
 * @throws ConfigError `FILE:LINE: ...` for an unreadable file, an option outside a
 *   section, a malformed header, an include problem, or an unset `${VAR}`
 */
export function readJobFile(path: string, env: NodeJS.ProcessEnv): IniSection[] {
  const sections: IniSection[] = [];
  try {
    readInto(path, env, sections, [], null);
  } catch (e) {
    if (e instanceof UnreadableFile) throw new ConfigError(path, `cannot read job file (${e.code})`);
    throw e;
  }
  return sections;
}

/**
 * Expands an option value: `${VAR}` from `env`, then fio's keywords
 * (`$pagesize`, `$mb_memory`, `$ncpus`, with integer arithmetic).
 */
export function expandValue(text: string, env: NodeJS.ProcessEnv, source: FioSource, option: string): string {
  const expanded = expandEnv(text, env, source, option);
  return readAt(source, option, () => expandKeywords(expanded));
}

/** Expands `${VAR}` from `env`; an unset variable is an error naming it (fio would substitute nothing). */
function expandEnv(text: string, env: NodeJS.ProcessEnv, source: FioSource, option?: string): string {
  return text.replace(/\$\{([^}]*)\}/g, (_, name: string) => {
    const value = env[name];
    if (value === undefined) throw jobError(source, `environment variable '${name}' is not set (in '${text}')`, option);
    return value;
  });
}

/**
 * @param chain absolute paths of the files including this one, for cycle errors
 * @param into the section an include adds to; null at the top level
 */
function readInto(path: string, env: NodeJS.ProcessEnv, sections: IniSection[], chain: string[], into: IniSection | null): void {
  const text = readText(path);
  let current = into;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const source: FioSource = { file: path, line: i + 1 };
    const line = stripComment(lines[i]!).trim();
    if (line === '') continue;
    if (line.startsWith('[')) {
      if (into) throw jobError(source, `section '${line}' in an included file (included files hold options only)`);
      current = { name: sectionName(line, source), source, options: [] };
      sections.push(current);
      continue;
    }
    const include = /^include\s+(.+)$/.exec(line);
    if (include) {
      if (!current) throw jobError(source, `'include' outside of a [section]`);
      const target = join(dirname(path), expandEnv(include[1]!.trim(), env, source));
      const nested = [...chain, resolve(path)];
      if (nested.includes(resolve(target))) throw jobError(source, `include cycle: ${[...nested, resolve(target)].join(' -> ')}`);
      try {
        readInto(target, env, sections, nested, current);
      } catch (e) {
        if (e instanceof UnreadableFile) throw jobError(source, `include '${target}': cannot read (${e.code})`);
        throw e;
      }
      continue;
    }
    const eq = line.indexOf('=');
    const name = (eq < 0 ? line : line.slice(0, eq)).trim();
    if (name === '') throw jobError(source, `expected option=value, got '${line}'`);
    if (!current) throw jobError(source, `outside of a [section] (start with [global] or [jobname])`, name);
    const value = eq < 0 ? undefined : expandValue(line.slice(eq + 1).trim(), env, source, name);
    current.options.push({ name, value, source });
  }
}

/** A file that could not be read; the caller says whether it was a job file or an include. */
class UnreadableFile extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UnreadableFile((e as NodeJS.ErrnoException).code ?? String(e));
  }
}

function sectionName(line: string, source: FioSource): string {
  const m = /^\[([^\]]*)\]$/.exec(line);
  const name = m?.[1]?.trim();
  if (!name) throw jobError(source, `expected a section header like [global] or [jobname], got '${line}'`);
  return name;
}

/** Cuts a trailing `;`/`#` comment that follows whitespace, outside double quotes; a whole-line comment leaves ''. */
function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if ((c === ';' || c === '#') && !quoted && /\s/.test(line[i - 1] ?? ' ')) return line.slice(0, i);
  }
  return line;
}
