/**
 * Turns option lines into resolved jobs: fio's defaults first, then the global
 * options in force where the job starts, then the job's own, each read by its
 * kind from the option table and landed in the job; then fio's cross-option rules.
 */
import type { BlockSizeShare, FioJob, FioJobFile, FioSource } from './fio-job.js';
import { jobError, readAt } from './job-errors.js';
import { applyFioFixups } from './job-fixups.js';
import type { OptionLine } from './job-ini.js';
import {
  closestOptionName,
  FIO_OPTIONS,
  findOption,
  type FioOptionDef,
  type JobDraft,
  type ReadContext,
  readOptionValue,
} from './option-table.js';
import { type KbBase, splitPerDirection } from './option-values.js';

/** One job as written: its name, where it starts, and the option lines that apply to it. */
export interface JobSpec {
  name: string;
  source: FioSource;
  /** The global options in force where the job starts, in order. */
  globals: readonly OptionLine[];
  /** The job's own options, in order. */
  options: readonly OptionLine[];
  /** Set for the first job of a second or later job file: fio stonewalls between files. */
  fileStonewall: boolean;
}

const DEFAULTS_SOURCE: FioSource = { file: "fio's defaults", line: 0 };
const NVMEKIT_ENGINE = 'nvmekit';

/**
 * Resolves every job and collects the notices for options without effect (each once).
 * @param globals every global option line, for `globalOptions`
 * @throws ConfigError `FILE:LINE: option 'x': reason` for unknown options and bad values,
 *   `FILE:LINE: job 'x': ...` for a job without a filename
 */
export function resolveJobs(globals: readonly OptionLine[], specs: readonly JobSpec[]): FioJobFile {
  for (const line of globals) lookup(line);
  const notices = new Set<string>();
  const jobs = specs.map((spec) => resolveJob(spec, notices));
  return { globalOptions: echo(globals), jobs, notices: [...notices] };
}

function resolveJob(spec: JobSpec, notices: Set<string>): FioJob {
  const lines = [...spec.globals, ...spec.options].map((line) => ({ line, def: lookup(line) }));
  const name = lastValue(lines, 'name') ?? spec.name;
  const kbBaseLine = lines.filter((l) => l.def.name === 'kb_base').pop();
  const ctx: ReadContext = { kbBase: 1024, jobName: name };
  if (kbBaseLine) ctx.kbBase = read(kbBaseLine.def, kbBaseLine.line.value, kbBaseLine.line, ctx) as KbBase;

  const draft = initialDraft(name);
  for (const def of FIO_OPTIONS) if (def.def !== undefined) apply(draft, def, def.def, { name: def.name, value: def.def, source: DEFAULTS_SOURCE }, ctx);
  draft.stonewall = spec.fileStonewall;
  for (const { line, def } of lines) {
    if (def.ignored !== undefined) notices.add(`option '${def.name}' is ignored: ${def.ignored}`);
    else apply(draft, def, line.value, line, ctx);
  }
  return finish(draft, spec, lines.some((l) => l.def.name === 'verify'), notices);
}

function lookup(line: OptionLine): FioOptionDef {
  const def = findOption(line.name);
  if (def) return def;
  const near = closestOptionName(line.name);
  throw jobError(line.source, `unknown option${near ? ` (did you mean '${near}'?)` : ''}`, line.name);
}

function lastValue(lines: readonly { line: OptionLine; def: FioOptionDef }[], option: string): string | undefined {
  return lines.filter((l) => l.def.name === option && l.line.value !== undefined).pop()?.line.value?.trim();
}

function read(def: FioOptionDef, raw: string | undefined, line: OptionLine, ctx: ReadContext): unknown {
  return readAt(line.source, line.name, () => readOptionValue(def, raw, ctx));
}

function apply(draft: JobDraft, def: FioOptionDef, raw: string | undefined, line: OptionLine, ctx: ReadContext): void {
  const set = def.set as ((job: JobDraft, value: unknown, ddir: 0 | 1 | 2) => void) | undefined;
  if (!def.perDirection) {
    const value = read(def, raw, line, ctx);
    set?.(draft, value, 0);
    return;
  }
  const parts = readAt(line.source, line.name, () => splitPerDirection(raw ?? ''));
  if (parts.every((p) => p === undefined)) throw jobError(line.source, 'needs a value', line.name);
  parts.forEach((part, ddir) => {
    if (part !== undefined) set?.(draft, read(def, part, line, ctx), ddir as 0 | 1 | 2);
  });
}

/**
 * The fields fio gives no default string for, and the per-direction arrays the
 * defaults fill; every other field comes from the table's defaults.
 */
function initialDraft(name: string): JobDraft {
  return {
    name,
    bs: [0, 0, 0],
    target: null,
    size: null,
    ioSize: null,
    randSeed: null,
    timeBased: false,
    norandommap: false,
    stonewall: false,
    newGroup: false,
    groupReporting: false,
    blockAlign: [0, 0, 0],
    rate: [0, 0, 0],
    rateIops: [0, 0, 0],
    bssplit: [null, null, null],
    writeLatLog: null,
    writeIopsLog: null,
    writeBwLog: null,
    verifyPattern: null,
    verifyBacklog: 0,
    ioengine: null,
  } as Partial<JobDraft> as JobDraft;
}

/** @param verifyGiven `verify=` was written: `verify_pattern` then leaves the method alone (fio's rule). */
function finish(d: JobDraft, spec: JobSpec, verifyGiven: boolean, notices: Set<string>): FioJob {
  if (d.target === null) {
    throw jobError(
      spec.source,
      `job '${d.name}': no filename; give filename=loopback or a transport ID (filename=trtype=TCP adrfam=IPv4 traddr=127.0.0.1 trsvcid=4420 subnqn=... ns=1) in the job or in [global]`,
    );
  }
  if (d.ioengine !== null && d.ioengine !== NVMEKIT_ENGINE) {
    notices.add(`ioengine=${d.ioengine} is ignored: nvme-fio always runs nvmekit's own engine (ioengine=${NVMEKIT_ENGINE})`);
  }
  if (d.verifyPattern !== null && !verifyGiven) d.verify = 'pattern';
  if (d.verify === 'pattern' && d.verifyPattern === null) {
    throw jobError(spec.source, `job '${d.name}': verify=pattern needs verify_pattern= (0xhex, "text" or a number)`);
  }
  const job: FioJob = {
    name: d.name,
    source: spec.source,
    rawOptions: echo(spec.options),
    target: d.target,
    rw: d.rw,
    rwMixRead: d.rwMixRead,
    blockSizes: [blockSizes(d, 0), blockSizes(d, 1), blockSizes(d, 2)],
    blockAlign: d.blockAlign,
    iodepth: d.iodepth,
    iodepthBatchSubmit: d.iodepthBatchSubmit,
    numjobs: d.numjobs,
    offset: d.offset,
    size: d.size,
    ioSize: d.ioSize,
    numberIos: d.numberIos,
    runtimeMs: d.runtimeMs,
    timeBased: d.timeBased,
    rampTimeMs: d.rampTimeMs,
    startDelayMs: d.startDelayMs,
    randRepeat: d.randRepeat,
    randSeed: d.randSeed,
    distribution: d.distribution,
    norandommap: d.norandommap,
    rate: d.rate,
    rateIops: d.rateIops,
    thinktimeUs: d.thinktimeUs,
    stonewall: d.stonewall,
    newGroup: d.newGroup,
    groupReporting: d.groupReporting,
    percentileList: d.percentileList,
    clatPercentiles: d.clatPercentiles,
    latPercentiles: d.latPercentiles,
    writeLatLog: d.writeLatLog,
    writeIopsLog: d.writeIopsLog,
    writeBwLog: d.writeBwLog,
    logAvgMsec: d.logAvgMsec,
    verify: d.verify,
    verifyPattern: d.verifyPattern,
    doVerify: d.doVerify,
    verifyBacklog: d.verifyBacklog,
    verifyFatal: d.verifyFatal,
  };
  applyFioFixups(job, {
    notice: (text) => notices.add(text),
    fail: (reason) => {
      throw jobError(spec.source, reason);
    },
  });
  return job;
}

/** `bssplit` for a direction when given (whatever its place among the options, as fio), else `bs` alone. */
function blockSizes(d: JobDraft, ddir: 0 | 1 | 2): readonly BlockSizeShare[] {
  return d.bssplit[ddir] ?? [{ bytes: d.bs[ddir], percent: 100 }];
}

/**
 * Options as written, for fio's JSON "job options"/"global options": fio's own
 * option names (aliases resolved), values as text, a later value replacing an earlier one in place,
 * bare options left out, and ordered as fio parses them (by priority, so
 * `filename` comes last).
 */
function echo(lines: readonly OptionLine[]): Record<string, string> {
  const written = lines
    .filter((l) => l.value !== undefined)
    .map((l) => ({ def: findOption(l.name)!, value: l.value! }))
    .sort((a, b) => (b.def.prio ?? 0) - (a.def.prio ?? 0));
  const out: Record<string, string> = {};
  for (const { def, value } of written) {
    out[def.name] = value;
  }
  return out;
}
