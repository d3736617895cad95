/**
 * Sizes as users type them on a command line (`4096`, `4k`, `128K`, `1M`,
 * `64MiB`, `1G`): binary multiples, as SPDK, fio and nvme-cli read them.
 */
import { ConfigError } from '../spec/errors.js';

const MULTIPLIERS: Readonly<Record<string, number>> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
const SIZE_RE = /^(\d+)([kmgt]?)(?:i?b)?$/i;

/**
 * Bytes in `text`: digits, then optionally k/m/g/t (any case, powers of 1024)
 * and an optional `B` / `iB`.
 * @param flag the flag or key the size came from, for the error
 * @throws ConfigError naming `flag` when `text` is not a size or is too large to count exactly
 */
export function parseSize(text: string, flag: string): number {
  const m = SIZE_RE.exec(text.trim());
  if (!m) throw new ConfigError(flag, `expected a size like 4096, 4k, 128K, 1M or 1G, got '${text}'`);
  const bytes = Number(m[1]) * MULTIPLIERS[m[2]!.toLowerCase()]!;
  if (!Number.isSafeInteger(bytes)) throw new ConfigError(flag, `size '${text}' is too large`);
  return bytes;
}
