/**
 * Queue-pair descriptors: a plain, structured-cloneable description of an I/O
 * queue pair that a controller reserved, so another thread (a perf worker)
 * can open the queue itself and join the controller's association with
 * Fabrics Connect and the controller's CNTLID. On PCIe the controller's
 * thread creates the queues and the descriptor carries the ring and doorbell
 * addresses (process-wide mappings) and a shared flag that says when the
 * queues exist.
 */
import { ConfigError, TransportError } from '../spec/errors.js';
import { openIoQpair } from './io-qpair.js';
import { QueuePair } from './queue-pair.js';
import { sleep } from './wait.js';
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
  /** Memory-mapped transports (PCIe): the queue pair the controller's thread set up. */
  shared?: SharedQpairDescriptor;
}

/** A PCIe queue pair in a descriptor. */
export interface SharedQpairDescriptor {
  /** The transport's `SharedQpairReservation.share`. */
  share: unknown;
  /**
   * The CQ signals an MSI-X interrupt the attached queue pair waits on (the
   * controller's `enableInterrupts`); false: it completes only when polled.
   */
  interrupts: boolean;
  /**
   * Over a SharedArrayBuffer: 0 while Create I/O CQ/SQ run on the controller's
   * thread, then `SHARED_QPAIR_READY` or `SHARED_QPAIR_FAILED`.
   */
  state: Int32Array;
}

export const SHARED_QPAIR_READY = 1;
export const SHARED_QPAIR_FAILED = -1;

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
    if (!desc.shared || !tctrl.attachSharedQpair) {
      await tctrl.close();
      throw new ConfigError('trtype', `this ${desc.trtype} descriptor carries no shared queue pair`);
    }
    await sharedQpairCreated(desc);
    return new QueuePair(tctrl.attachSharedQpair(desc.shared.share), {
      commandTimeoutMs: desc.commandTimeoutMs,
      maxTransferSize: desc.maxTransferSize || Infinity,
      trace: opts.trace,
      onFree: () => tctrl.close(),
    });
  }
  return openIoQpair(tctrl, desc, {
    commandTimeoutMs: desc.commandTimeoutMs,
    maxTransferSize: desc.maxTransferSize || Infinity,
    trace: opts.trace,
    onFree: () => tctrl.close(),
  });
}

/** Waits (without blocking the thread) until the controller's thread created the queues. */
async function sharedQpairCreated(desc: QpairDescriptor): Promise<void> {
  const state = desc.shared!.state;
  const deadline = Date.now() + desc.connectTimeoutMs;
  while (Atomics.load(state, 0) === 0 && Date.now() < deadline) await sleep(1);
  const value = Atomics.load(state, 0);
  if (value === SHARED_QPAIR_READY) return;
  throw new TransportError(
    value === SHARED_QPAIR_FAILED
      ? `creating I/O queue ${desc.qid} on the controller failed (see the controller's thread)`
      : `I/O queue ${desc.qid} was not created within ${desc.connectTimeoutMs} ms`,
    value === SHARED_QPAIR_FAILED ? 'EIO' : 'ETIMEDOUT',
  );
}
