/**
 * Opening one I/O queue pair: the transport connects it, then (on fabrics)
 * Fabrics Connect joins it to the controller's association by CNTLID. Shared
 * by `Controller.allocIoQpair` and `attachQpair` in a worker.
 */
import { TransportError } from '../spec/errors.js';
import type { TransportController } from '../transport/transport.js';
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
 */
export async function openIoQpair(tctrl: TransportController, t: IoQpairTarget, qpOptions: QueuePairOptions): Promise<QueuePair> {
  let qp: QueuePair | undefined;
  try {
    const tq = await tctrl.connectQpair({
      qid: t.qid,
      qsize: t.qsize,
      headerDigest: t.headerDigest,
      dataDigest: t.dataDigest,
      connectTimeoutMs: t.connectTimeoutMs,
      inCapsuleDataSize: t.inCapsuleDataSize,
    });
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
