/**
 * nvme-perf's `--help`, generated from the option table, and the one-line note
 * that lists the SPDK flags a command line used that have no effect here.
 */
import { PERF_OPTION_TABLE, type PerfHelpSection, type PerfOptionDef } from './perf-option-table.js';
import { LOOPBACK_DEFAULTS, PERF_DEFAULTS, type IgnoredFlag } from './perf-options.js';

const SECTION_TITLES: Readonly<Record<PerfHelpSection, string>> = {
  basic: '==== BASIC OPTIONS ====',
  advanced: '==== ADVANCED OPTIONS ====',
  pcie: '==== PCIe OPTIONS ====',
  tcp: '==== TCP OPTIONS ====',
  rdma: '==== RDMA OPTIONS ====',
  logging: '==== LOGGING ====',
  nvmekit: '==== nvmekit OPTIONS (not in SPDK) ====',
};

const EXAMPLES: readonly [string, string][] = [
  ['the bundled target over loopback TCP, 4 KiB randread at QD 64 for 10 s:', 'nvme-perf --loopback'],
  ['the same with a 70/30 mix, latency percentiles and data checking:', 'nvme-perf --loopback -q 32 -o 4k -w randrw -M 70 -t 10 -L --verify'],
  [
    "an SPDK command line, unchanged (two workers, two queue pairs each, -L summary):",
    'nvme-perf -q 64 -o 4096 -w randrw -M 70 -t 10 -c 0x3 -P 2 -L -r "trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:nqn.2016-06.io.nvmekit:cnode1"',
  ],
  ['every namespace of every subsystem a discovery controller lists, result as JSON:', "nvme-perf -q 16 -o 128k -w read -t 5 -r 'trtype:TCP traddr:127.0.0.1 trsvcid:8009' --json result.json"],
  ['a 30 s loopback run with an HTML report (charts, no network needed to view it):', 'nvme-perf --loopback -t 30 --report perf.html'],
];

function flagColumn(def: PerfOptionDef): string {
  const names = def.short ? `-${def.short}, --${def.long}` : `    --${def.long}`;
  return def.arg ? `${names} ${def.arg}` : names;
}

function defaultNote(def: PerfOptionDef): string {
  if (!def.key || !(def.key in PERF_DEFAULTS)) return '';
  const value = PERF_DEFAULTS[def.key as keyof typeof PERF_DEFAULTS];
  return typeof value === 'boolean' ? '' : ` (default: ${value})`;
}

function block(defs: readonly PerfOptionDef[], width: number, describe: (d: PerfOptionDef) => string): string[] {
  return defs.map((d) => `  ${flagColumn(d).padEnd(width)}  ${describe(d)}`);
}

/** The full usage text, ending with a newline. */
export function formatPerfHelp(program = 'nvme-perf'): string {
  const width = Math.max(...PERF_OPTION_TABLE.map((d) => flagColumn(d).length));
  const active = PERF_OPTION_TABLE.filter((d) => typeof d.effect !== 'object');
  const ignored = PERF_OPTION_TABLE.filter((d) => typeof d.effect === 'object' && 'ignored' in d.effect);
  const refused = PERF_OPTION_TABLE.filter((d) => typeof d.effect === 'object' && 'refused' in d.effect);
  const reason = (d: PerfOptionDef): string => {
    const e = d.effect as { ignored?: string; refused?: string };
    return `${d.help}: ${e.ignored ?? e.refused}`;
  };
  const lines = [
    `${program}: NVMe and NVMe-oF benchmark with spdk_nvme_perf's flags`,
    '',
    'Usage:',
    `  ${program} -q <depth> -o <size> -w <pattern> -t <sec> -r '<transport ID>' [options]`,
    `  ${program} --loopback [options]`,
    '',
    "Flags keep spdk_nvme_perf's names, meanings and defaults, so an SPDK command line runs",
    'unchanged and its text output has the same layout. Flags that only tune SPDK\'s',
    'environment are accepted and ignored (listed at the end). With --loopback the required',
    `flags default to -q ${LOOPBACK_DEFAULTS.ioDepth} -o ${LOOPBACK_DEFAULTS.ioSizeBytes} -w ${LOOPBACK_DEFAULTS.pattern} -t ${LOOPBACK_DEFAULTS.timeSec}.`,
  ];
  for (const section of Object.keys(SECTION_TITLES) as PerfHelpSection[]) {
    const defs = active.filter((d) => d.section === section);
    if (defs.length === 0) continue;
    lines.push('', SECTION_TITLES[section], ...block(defs, width, (d) => d.help + defaultNote(d)));
  }
  lines.push('', 'Accepted for SPDK compatibility, no effect:', ...block(ignored, width, reason));
  lines.push('', 'Refused (nvmekit lacks them, and running without them would mislead):', ...block(refused, width, reason));
  lines.push('', 'Examples:');
  for (const [what, cmd] of EXAMPLES) lines.push(`  ${what}`, `    ${cmd}`);
  return lines.join('\n') + '\n';
}

/**
 * One line naming the flags that were accepted with no effect, grouped by reason,
 * or null when there were none: `nvme-perf: ignored: -s, --no-huge (SPDK/DPDK environment setting)`.
 */
export function formatIgnoredNote(ignored: readonly IgnoredFlag[], program = 'nvme-perf'): string | null {
  if (ignored.length === 0) return null;
  const byReason = new Map<string, string[]>();
  for (const { flag, reason } of ignored) byReason.set(reason, [...(byReason.get(reason) ?? []), flag]);
  const groups = [...byReason].map(([reason, flags]) => `${flags.join(', ')} (${reason})`);
  return `${program}: ignored: ${groups.join('; ')}`;
}
