/**
 * What both ends of an NVMe/RDMA queue pair set up the same way, the host's
 * RdmaQpair and the target's RdmaConnection: the RC QP on the CM ID with one
 * CQ for sends and receives, the `rdma_conn_param` of rdma_connect and
 * rdma_accept, and the receive work request every RECV reuses.
 */
import { writeAddress } from '../../spec/address.js';
import { TransportError } from '../../spec/errors.js';
import { CmIdOffset, CONN_PARAM_SIZE, ConnParamOffset, rdmacm } from '../../native/rdmacm.js';
import { IBV_QPT_RC, QP_INIT_ATTR_SIZE, QpInitAttrOffset, SgeOffset, verbs, WrOffset, type NativeScratch } from '../../native/verbs.js';

/** Work completions reaped per ibv_poll_cq call. */
export const WC_BATCH = 32;
/** How long a closing queue pair waits for DISCONNECTED before tearing down anyway. */
export const DISCONNECT_WAIT_MS = 1000;
/** RC retry count: 7 is "retry forever" for RNR and the maximum for transport retries. */
export const RC_RETRY_COUNT = 7;

/** The work requests a QP holds at most. */
export interface RcQpCapacity {
  maxSendWr: number;
  maxRecvWr: number;
  /** SGEs of one send work request (receives always have one). */
  maxSendSge: number;
}

/**
 * Creates the RC QP of CM ID `id` on `pd`, with `cq` for both its queues.
 * @param where starts the error message, when given
 * @returns the `ibv_qp *`
 * @throws TransportError with the errno of rdma_create_qp
 */
export function createRcQp(id: bigint, pd: bigint, cq: bigint, cap: RcQpCapacity, where?: string): bigint {
  const attr = Buffer.alloc(QP_INIT_ATTR_SIZE);
  attr.writeBigUInt64LE(cq, QpInitAttrOffset.SEND_CQ);
  attr.writeBigUInt64LE(cq, QpInitAttrOffset.RECV_CQ);
  attr.writeUInt32LE(cap.maxSendWr, QpInitAttrOffset.MAX_SEND_WR);
  attr.writeUInt32LE(cap.maxRecvWr, QpInitAttrOffset.MAX_RECV_WR);
  attr.writeUInt32LE(cap.maxSendSge, QpInitAttrOffset.MAX_SEND_SGE);
  attr.writeUInt32LE(1, QpInitAttrOffset.MAX_RECV_SGE);
  attr.writeUInt32LE(IBV_QPT_RC, QpInitAttrOffset.QP_TYPE);
  const cm = rdmacm();
  if (cm.createQp(id, pd, attr) !== 0) {
    const e = cm.errnoName();
    throw new TransportError(`${where === undefined ? '' : `${where}: `}rdma_create_qp failed: ${e}`, e);
  }
  return verbs().koffi.decode(id, CmIdOffset.QP, 'void *') as bigint;
}

/** The RDMA READ depths and retries of a connection; the NVMe/RDMA private data sits in native memory. */
export interface ConnectionParameters {
  /** The private data, already encoded at `offset` of `scratch` (rdma_cm reads it from C). */
  scratch: NativeScratch;
  offset: number;
  length: number;
  /** RDMA READs the peer may have in flight against us. */
  responderResources: number;
  /** RDMA READs we may have in flight against the peer. */
  initiatorDepth: number;
  /** Transport retries (the RNR retry count is always "forever"). */
  retryCount: number;
}

/** The `struct rdma_conn_param` for rdma_connect or rdma_accept, with flow control on. */
export function connectionParameters(p: ConnectionParameters): Buffer {
  const param = Buffer.alloc(CONN_PARAM_SIZE);
  writeAddress(param, ConnParamOffset.PRIVATE_DATA, Number(p.scratch.address) + p.offset);
  param[ConnParamOffset.PRIVATE_DATA_LEN] = p.length;
  param[ConnParamOffset.RESPONDER_RESOURCES] = p.responderResources;
  param[ConnParamOffset.INITIATOR_DEPTH] = p.initiatorDepth;
  param[ConnParamOffset.FLOW_CONTROL] = 1;
  param[ConnParamOffset.RETRY_COUNT] = p.retryCount;
  param[ConnParamOffset.RNR_RETRY_COUNT] = RC_RETRY_COUNT;
  return param;
}

/**
 * Fills the receive work request at `wr` of `scratch` and its one SGE at
 * `sge`: `length` bytes of memory region `lkey`. Each post then writes only
 * the wr_id and the buffer's address.
 */
export function prepareRecvWr(scratch: NativeScratch, wr: number, sge: number, length: number, lkey: number): void {
  const b = scratch.buffer;
  writeAddress(b, wr + WrOffset.SG_LIST, Number(scratch.address) + sge);
  b.writeInt32LE(1, wr + WrOffset.NUM_SGE);
  b.writeUInt32LE(length, sge + SgeOffset.LENGTH);
  b.writeUInt32LE(lkey, sge + SgeOffset.LKEY);
}
