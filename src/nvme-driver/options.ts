/**
 * Controller options: what a user may set, the defaults (SPDK's where a user
 * would compare), and their validation.
 */
import { ConfigError } from '../spec/errors.js';
import { defaultHostIdentity, hostIdFor } from './host-identity.js';
import type { TransportId } from './transport-id.js';

/** Options for `connect()`, `discover()` and `connectAll()`. Every field is optional. */
export interface ControllerOptions {
  /**
   * Host NQN sent in Connect. Default: the transport ID's `hostnqn`, else the
   * first line of /etc/nvme/hostnqn, else `nqn.2014-08.org.nvmexpress:uuid:<uuid>`
   * with one UUID per process.
   */
  hostnqn?: string;
  /** Host identifier (UUID). Default: /etc/nvme/hostid, else the UUID of a UUID-based host NQN, else one per process. */
  hostid?: string;
  /**
   * Keep Alive Timeout in ms, sent in the admin Connect; a Keep Alive goes out
   * every half of it. 0 disables. Default 10000 (SPDK's minimum). `discover()` defaults to 0.
   */
  keepAliveTimeoutMs?: number;
  /** Admin queue entries. Default 32 (SPDK). */
  adminQueueSize?: number;
  /**
   * I/O queue entries, capped at CAP.MQES + 1. Default 128 (SPDK's nvmf target
   * queue depth; SPDK's library default of 256 is capped by MQES the same way).
   */
  ioQueueSize?: number;
  /** I/O queues to request with Set Features Number of Queues. Default 1024 (SPDK). */
  numIoQueues?: number;
  /** NVMe/TCP header digest. Default false. */
  headerDigest?: boolean;
  /** NVMe/TCP data digest. Default false. */
  dataDigest?: boolean;
  /** Fail a command (and send Abort) after this long without a completion; 0 disables. Default 30000 (SPDK's admin timeout). */
  commandTimeoutMs?: number;
  /** Give up opening a queue pair (transport connect plus Fabrics Connect) after this long. Default 10000. */
  connectTimeoutMs?: number;
  /**
   * PCIe: I/O queues complete through MSI-X interrupts (an eventfd read by
   * libuv) instead of being polled (SPDK's `enable_interrupts`). Default false.
   */
  enableInterrupts?: boolean;
  /** Receives controller state transitions and every command and completion, in SPDK's log format. */
  trace?: (line: string) => void;
  /**
   * Receives what a user should know that is no error: PCIe controllers a
   * transport ID without traddr left out (still bound to the kernel). Default: stderr.
   */
  notice?: (line: string) => void;
}

/** Options with every default filled in. */
export interface ResolvedOptions extends Required<Omit<ControllerOptions, 'trace' | 'notice'>> {
  trace: ((line: string) => void) | undefined;
}

export const DEFAULT_OPTIONS = {
  keepAliveTimeoutMs: 10_000,
  adminQueueSize: 32,
  ioQueueSize: 128,
  numIoQueues: 1024,
  headerDigest: false,
  dataDigest: false,
  commandTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  enableInterrupts: false,
} as const;

/** Integer options and their ranges (queue sizes per the spec's 16-bit, 0-based fields). */
const RANGES: ReadonlyArray<[keyof ControllerOptions, number, number]> = [
  ['keepAliveTimeoutMs', 0, 0xffffffff],
  ['adminQueueSize', 2, 4096],
  ['ioQueueSize', 2, 65536],
  ['numIoQueues', 1, 65535],
  ['commandTimeoutMs', 0, 0x7fffffff],
  ['connectTimeoutMs', 1, 0x7fffffff],
];

/**
 * Fills in defaults and checks ranges.
 * @throws ConfigError naming the option
 */
export function resolveOptions(trid: TransportId, opts: ControllerOptions = {}): ResolvedOptions {
  for (const [key, min, max] of RANGES) {
    const v = opts[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)) {
      throw new ConfigError(key, `expected an integer from ${min} to ${max}, got ${String(v)}`);
    }
  }
  const identity = defaultHostIdentity();
  const hostnqn = opts.hostnqn ?? trid.hostnqn ?? identity.hostnqn;
  const hostid = opts.hostid ?? (hostnqn === identity.hostnqn ? identity.hostid : hostIdFor(hostnqn));
  return {
    ...DEFAULT_OPTIONS,
    ...definedOnly(opts),
    hostnqn,
    hostid,
    trace: opts.trace,
  };
}

function definedOnly(opts: ControllerOptions): Partial<ControllerOptions> {
  return Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
}
