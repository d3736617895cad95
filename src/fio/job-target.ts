/**
 * `filename=` for nvme-fio: `loopback` (the bundled target), or a transport ID in
 * SPDK's fio-plugin form (`trtype=TCP adrfam=IPv4 traddr=127.0.0.1 trsvcid=4420
 * subnqn=... ns=1`). fio splits filenames at `:`, so a `:` inside a value is
 * written `\:` (or, for PCIe addresses, `.`: `traddr=0000.04.00.0`).
 */
import { parseTransportId } from '../nvme-driver/transport-id.js';
import { ConfigError } from '../spec/errors.js';
import type { FioTarget } from './fio-job.js';
import { OptionValueError } from './option-values.js';

/** The filename that selects the bundled target. */
export const LOOPBACK_FILENAME = 'loopback';

const EXAMPLE = 'filename=trtype=TCP adrfam=IPv4 traddr=127.0.0.1 trsvcid=4420 subnqn=nqn.2016-06.io.spdk\\:cnode1 ns=1';

/**
 * Reads a `filename=` value.
 * @throws OptionValueError for several files (`a:b`), a path, or a bad transport ID
 */
export function parseFioFilename(value: string): FioTarget {
  const files = splitFiles(value);
  if (files.length !== 1) {
    throw new OptionValueError(
      `one filename per job, got ${files.length} files separated by ':' in '${value}' (write a ':' inside a value as '\\:')`,
    );
  }
  const name = files[0]!.trim();
  if (name === LOOPBACK_FILENAME) return { kind: 'loopback' };
  if (!name.includes('=')) {
    throw new OptionValueError(
      `'${name}' is not a transport ID: nvme-fio talks NVMe itself and opens no block device or file; ` +
        `give a transport ID (${EXAMPLE}) or filename=loopback`,
    );
  }
  try {
    return { kind: 'trid', trid: parseTransportId(name) };
  } catch (e) {
    if (e instanceof ConfigError) throw new OptionValueError(`bad transport ID '${name}': ${e.message}`);
    throw e;
  }
}

/** fio's `get_next_file_name`: `:` separates files, `\:` is a literal colon. */
function splitFiles(value: string): string[] {
  return value
    .split(/(?<!\\):/)
    .map((part) => part.replace(/\\:/g, ':'))
    .filter((part) => part.trim() !== '');
}
