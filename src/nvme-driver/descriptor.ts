/**
 * Queue-pair descriptors: a plain, structured-cloneable description of an I/O
 * queue pair that a controller reserved, so another thread (a perf worker)
 * can open the queue itself and join the controller's association with
 * Fabrics Connect and the controller's CNTLID.
 */
import { ConfigError } from '../spec/errors.js';
import { openIoQpair } from './io-qpair.js';
import type { QueuePair } from './queue-pair.js';
import { parseTransportId, type TrType } from './transport-id.js';
import { createTransportController } from './transports.js';

/** Everything a thread needs to attach to an I/O queue of an existing controller. Plain data. */
export interface QpairDescriptor {
  /** The controller's transport ID, formatted (`trtype:TCP adrfam:IPv4 ...`). */
  trid: string;
  trtype: TrType;
  cntlid: number;
  subnqn: string;
  hostnqn: string;
  hostid: string;
  /** The QID reserved for this queue pair. */
  qid: number;
  /** Queue entries. */
  qsize: number;
  headerDigest: boolean;
  dataDigest: boolean;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  /** Largest transfer per command from MDTS, in bytes; 0 when the controller sets no limit. */
  maxTransferSize: number;
  /** In-capsule write data the controller accepts on I/O queues (from IOCCSZ), when it reports it. */
  inCapsuleDataSize?: number;
}

/** Options that cannot travel in a descriptor. */
export interface AttachOptions {
  trace?: (line: string) => void;
}

/**
 * Opens the queue pair a descriptor describes, in any thread: connects the
 * transport queue, sends Fabrics Connect with the descriptor's CNTLID and
 * returns a working `QueuePair`. `free()` closes it and its transport.
 * Commands that time out are failed but not aborted (no admin queue here).
 */
export async function attachQpair(desc: QpairDescriptor, opts: AttachOptions = {}): Promise<QueuePair> {
  const tctrl = createTransportController(parseTransportId(desc.trid));
  if (!tctrl.fabrics) {
    await tctrl.close();
    throw new ConfigError('trtype', `queue pair descriptors need a fabrics transport; ${desc.trtype} is not one`);
  }
  return openIoQpair(tctrl, desc, {
    commandTimeoutMs: desc.commandTimeoutMs,
    maxTransferSize: desc.maxTransferSize || Infinity,
    trace: opts.trace,
    onFree: () => tctrl.close(),
  });
}
