/**
 * Opening one I/O queue pair: the transport connects it, then (on fabrics)
 * Fabrics Connect joins it to the controller's association by CNTLID, or (on
 * PCIe) Create I/O CQ and Create I/O SQ on the admin queue make the controller
 * use the transport's rings. Shared by `Controller.allocIoQpair` and
 * `attachQpair` in a worker.
 */
import { ConfigError, TransportError } from '../spec/errors.js';
import type { QueueMemory, TransportController } from '../transport/transport.js';
import type { AdminCommands } from './admin-commands.js';
import { fabricConnect } from './fabrics.js';
import { QueuePair, type QueuePairOptions } from './queue-pair.js';
import { withTimeout } from './wait.js';

/** Where the queue goes and who asks for it. */
export interface IoQpairTarget {
  qid: number;
  qsize: number;
  headerDigest: boolean;
  dataDigest: boolean;
  connectTimeoutMs: number;
  /** PCIe: complete through MSI-X instead of polling. */
  enableInterrupts?: boolean;
  /** In-capsule write data the controller accepts (from IOCCSZ), when known. */
  inCapsuleDataSize?: number | undefined;
  cntlid: number;
  subnqn: string;
  hostnqn: string;
  hostid: string;
}

/**
 * Opens I/O queue `t.qid`. On failure everything opened is closed again and
 * `qpOptions.onFree` has run, so the caller's only cleanup hook is that one.
 * A memory-mapped transport needs `admin` to create (and later delete) the
 * queues; its polled queue pairs poll on their own, like the admin queue, so
 * the promise helpers work without a `processCompletions` loop (interrupt-driven
 * ones deliver completions when the interrupt comes).
 */
export async function openIoQpair(
  tctrl: TransportController,
  t: IoQpairTarget,
  qpOptions: QueuePairOptions,
  admin?: AdminCommands,
): Promise<QueuePair> {
  let qp: QueuePair | undefined;
  try {
    const tq = await tctrl.connectQpair({
      qid: t.qid,
      qsize: t.qsize,
      headerDigest: t.headerDigest,
      dataDigest: t.dataDigest,
      connectTimeoutMs: t.connectTimeoutMs,
      inCapsuleDataSize: t.inCapsuleDataSize,
      interrupts: t.enableInterrupts ?? false,
    });
    if (tq.queueMemory) {
      const autoPoll = tq.queueMemory.interruptVector === null;
      qp = new QueuePair(tq, { ...qpOptions, autoPoll, beforeClose: () => deleteIoQueues(admin, tq.qid) });
      await createIoQueues(admin, tq.qid, tq.qsize, tq.queueMemory);
      return qp;
    }
    qp = new QueuePair(tq, qpOptions);
    if (tctrl.fabrics) {
      const connect = fabricConnect(qp, { cntlid: t.cntlid, kato: 0, subnqn: t.subnqn, hostnqn: t.hostnqn, hostid: t.hostid });
      await withTimeout(connect, t.connectTimeoutMs, () => {
        return new TransportError(`Connect of qid:${t.qid} to cntlid ${t.cntlid} did not finish within ${t.connectTimeoutMs} ms`, 'ETIMEDOUT');
      });
    }
    return qp;
  } catch (err) {
    if (qp) await qp.free().catch(() => undefined);
    else await Promise.resolve(qpOptions.onFree?.()).catch(() => undefined);
    throw err;
  }
}

/** Create I/O CQ, then the SQ that posts to it, both with QID `qid`. */
export async function createIoQueues(admin: AdminCommands | undefined, qid: number, qsize: number, mem: QueueMemory): Promise<void> {
  if (!admin) throw new ConfigError('qid', `I/O queue ${qid} of a memory-mapped controller can only be created through its admin queue`);
  await admin.createIoCq(qid, qsize, mem.cqIova, mem.interruptVector);
  try {
    await admin.createIoSq(qid, qsize, mem.sqIova, qid);
  } catch (err) {
    await admin.deleteIoCq(qid).catch(() => undefined);
    throw err;
  }
}

/** Delete I/O SQ, then its CQ (the spec's order), unless the admin queue is gone. */
export async function deleteIoQueues(admin: AdminCommands | undefined, qid: number): Promise<void> {
  if (!admin || admin.qp.failedReason !== null) return;
  await admin.deleteIoSq(qid);
  await admin.deleteIoCq(qid);
}
