/**
 * The rdma_cm side of opening one NVMe/RDMA queue pair: waiting for CM events
 * without blocking the event loop, and turning the unhappy ones into typed
 * errors with one clear message each.
 */
import { ProtocolError, TransportError } from '../../spec/errors.js';
import { decodeRdmaCmReject, RdmaCmRejectError } from '../../spec/rdma.js';
import { CmEventType, rdmacm, type CmEvent } from '../../native/rdmacm.js';

/** How often a connecting queue pair looks at its event channel. */
const CM_POLL_MS = 1;

/** IB CM reject reason "consumer reject": the peer's NVMe/RDMA layer said no (its private data says why). */
const IB_CM_REJ_CONSUMER_DEFINED = 28;

/** Why each failure event ended the connect, in words. */
const FAILURE_TEXT: Readonly<Record<number, { text: string; code: string }>> = {
  [CmEventType.ADDR_ERROR]: { text: 'no RDMA device reaches this address (address resolution failed)', code: 'ENODEV' },
  [CmEventType.ROUTE_ERROR]: { text: 'route resolution failed', code: 'EHOSTUNREACH' },
  [CmEventType.CONNECT_ERROR]: { text: 'connection error', code: 'ECONNRESET' },
  [CmEventType.UNREACHABLE]: { text: 'the controller is unreachable', code: 'EHOSTUNREACH' },
  [CmEventType.DEVICE_REMOVAL]: { text: 'the RDMA device was removed', code: 'ENODEV' },
  [CmEventType.DISCONNECTED]: { text: 'disconnected by the controller', code: 'ECONNRESET' },
};

/**
 * Resolves with the next event on `channel` once one arrives.
 * @param step what is being waited for, for the timeout message
 */
export function waitCmEvent(channel: bigint, deadline: number, where: string, step: string): Promise<CmEvent> {
  const cm = rdmacm();
  return new Promise((resolve, reject) => {
    const look = (): void => {
      let ev: CmEvent | null;
      try {
        ev = cm.getEvent(channel);
      } catch (err) {
        reject(err as Error);
        return;
      }
      if (ev !== null) resolve(ev);
      else if (Date.now() >= deadline) reject(new TransportError(`${where}: no ${step} before the connect timeout`, 'ETIMEDOUT'));
      else setTimeout(look, CM_POLL_MS);
    };
    look();
  });
}

/**
 * Checks that `ev` is `expected`; otherwise the error that ends the connect.
 * A REJECTED event with NVMe/RDMA private data becomes an RdmaCmRejectError
 * naming the field the controller refused.
 */
export function expectCmEvent(ev: CmEvent, expected: number, where: string): void {
  if (ev.type === expected) return;
  if (ev.type === CmEventType.REJECTED) {
    const rej = ev.status === IB_CM_REJ_CONSUMER_DEFINED ? decodeRdmaCmReject(ev.privateData) : null;
    if (rej !== null) throw new RdmaCmRejectError(rej.sts, `${where}: the controller rejected the connect request`);
    throw new TransportError(`${where}: connection refused (rdma_cm REJECTED, IB CM reason ${ev.status}: nothing listens there?)`, 'ECONNREFUSED');
  }
  const failure = FAILURE_TEXT[ev.type];
  if (failure !== undefined) {
    throw new TransportError(`${where}: ${failure.text} (rdma_cm ${rdmacm().eventName(ev.type)}, status ${ev.status})`, failure.code);
  }
  throw new ProtocolError('cmEvent', ev.type, `${where}: expected ${rdmacm().eventName(expected)}, got ${rdmacm().eventName(ev.type)}`);
}
