/**
 * SPDK application flags that nvmekit accepts and ignores, so a script written
 * for spdk_nvme_identify or spdk_nvme_perf runs unchanged: most set up SPDK's
 * DPDK environment (hugepages, cores, shared memory), which nvmekit does not have.
 */
import { Option, type Command } from 'commander';

/** One ignored flag: commander flags (with its argument, if it takes one) and what it does in SPDK. */
export interface IgnoredSpdkFlag {
  readonly flags: string;
  readonly spdkMeaning: string;
}

/** The SPDK flags, by what they do there; each CLI picks those its SPDK counterpart has. */
export const SPDK_FLAGS = {
  memSizeMb: { flags: '-s <MB>', spdkMeaning: 'DPDK memory size in MB' },
  hugeMemMb: { flags: '-d <MB>', spdkMeaning: 'DPDK huge memory size in MB' },
  singleFileSegments: { flags: '-g', spdkMeaning: 'one file descriptor for DPDK memory segments' },
  shmId: { flags: '-i <id>', spdkMeaning: 'shared memory group ID' },
  mainCore: { flags: '-p <core>', spdkMeaning: 'core to run on' },
  iovaMode: { flags: '-v <mode>', spdkMeaning: "IOVA mode ('pa' or 'va')" },
  vmd: { flags: '-V', spdkMeaning: 'enumerate VMD' },
  sockImpl: { flags: '-S <impl>', spdkMeaning: 'socket implementation' },
  noHuge: { flags: '--no-huge', spdkMeaning: 'run without hugepages' },
  logFlag: { flags: '-L <flag>', spdkMeaning: 'enable a debug log flag' },
  ocssdVerbose: { flags: '-o', spdkMeaning: 'verbose Open-Channel SSD output' },
  zoneReport: { flags: '-z [entries]', spdkMeaning: 'dump the ZNS zone report' },
} as const satisfies Record<string, IgnoredSpdkFlag>;

function flagName(flag: IgnoredSpdkFlag): string {
  return flag.flags.split(' ')[0]!;
}

/**
 * Registers `flags` on `program` as hidden options and returns the help text
 * that lists them once. After parsing, {@link givenIgnoredFlags} says which were used.
 */
export function addIgnoredSpdkFlags(program: Command, flags: readonly IgnoredSpdkFlag[]): string {
  for (const flag of flags) program.addOption(new Option(flag.flags, flag.spdkMeaning).hideHelp());
  const list = flags.map((f) => `  ${f.flags.padEnd(14)} ${f.spdkMeaning}`).join('\n');
  return `SPDK flags accepted for compatibility and ignored:\n${list}`;
}

/** The ignored flags the command line used, by name (`-i`, `--no-huge`). */
export function givenIgnoredFlags(program: Command, flags: readonly IgnoredSpdkFlag[]): string[] {
  return flags
    .filter((f) => {
      const option = program.options.find((o) => o.flags === f.flags);
      return option !== undefined && program.getOptionValueSource(option.attributeName()) === 'cli';
    })
    .map(flagName);
}
