/**
 * SPDK core masks (`-c`): a hex bit mask (`0x3`, `3`, `0xF0`) or a bracketed core
 * list (`[0-3,5]`), which SPDK's env layer hands to DPDK as `-c` or `-l`.
 */
import { ConfigError } from '../spec/errors.js';

/** DPDK's RTE_MAX_LCORE is 128 by default; allow more, but not absurd lists. */
const MAX_CORE = 1023;

/**
 * Parses a core mask into ascending core numbers. The first is the main core:
 * SPDK runs a worker on it too, on the main thread.
 *
 * @throws ConfigError naming `flag` for a malformed or empty mask
 */
export function parseCoreMask(mask: string, flag = '-c'): number[] {
  const list = /^\[(.*)\]$/.exec(mask.trim());
  const cores = list ? parseCoreList(list[1]!, mask, flag) : parseHexMask(mask.trim(), flag);
  if (cores.length === 0) throw new ConfigError(flag, `'${mask}' selects no core`);
  if (cores[cores.length - 1]! > MAX_CORE) throw new ConfigError(flag, `'${mask}' names a core above ${MAX_CORE}`);
  return cores;
}

function parseHexMask(mask: string, flag: string): number[] {
  const m = /^(?:0x)?([0-9a-f]+)$/i.exec(mask);
  if (!m) throw new ConfigError(flag, `expected a hex core mask (0x3) or a core list ([0-3,5]), got '${mask}'`);
  const digits = m[1]!;
  const cores: number[] = [];
  for (let i = 0; i < digits.length; i++) {
    const nibble = parseInt(digits[digits.length - 1 - i]!, 16);
    for (let bit = 0; bit < 4; bit++) if (nibble & (1 << bit)) cores.push(i * 4 + bit);
  }
  return cores;
}

function parseCoreList(body: string, mask: string, flag: string): number[] {
  const cores = new Set<number>();
  for (const item of body.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(item);
    if (!m) throw new ConfigError(flag, `'${item}' in '${mask}' is not a core or a range like 0-3`);
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (last < first) throw new ConfigError(flag, `range '${item.trim()}' in '${mask}' runs backwards`);
    if (last > MAX_CORE) throw new ConfigError(flag, `'${mask}' names a core above ${MAX_CORE}`);
    for (let c = first; c <= last; c++) cores.add(c);
  }
  return [...cores].sort((a, b) => a - b);
}

