/**
 * What the controller answers an NVMe/RDMA connect request: accept with a
 * queue size, or reject with the NVMe/RDMA status (STS) naming the field it
 * cannot take. Linux nvmet-rdma `nvmet_rdma_parse_cm_connect_req` and SPDK
 * `nvmf_rdma_connect` read the same fields; where SPDK quietly shrinks a queue
 * that is too large, this rejects it so the host learns its limit.
 */
import { decodeRdmaCmRequest, RdmaCmRejectError, RdmaCmStatus, type RdmaCmRequest } from '../../../spec/rdma.js';

/** The bounds a connect request is checked against. */
export interface ConnectLimits {
  /** Largest admin queue, in entries. */
  maxAqDepth: number;
  /** Largest I/O queue, in entries. */
  maxQueueDepth: number;
  /** Highest queue ID (the I/O queues a controller allows). */
  maxQid: number;
  /** RDMA READs this side issues per queue pair at most. */
  maxReadDepth: number;
}

/** An acceptable request and the queue it opens. */
export interface AcceptedConnect {
  request: RdmaCmRequest;
  /** Queue entries: HSQSIZE + 1, the RECVs to post and CRQSIZE in the accept. */
  qsize: number;
  /** RDMA READs to keep in flight: the host's IRD, capped by `maxReadDepth`. */
  readDepth: number;
}

/**
 * Checks the private data of a CONNECT_REQUEST.
 * @param hostIrd the RDMA READs the host accepts in flight (its responder resources: the event's initiator depth)
 * @throws RdmaCmRejectError with the status to reject with
 */
export function checkConnectRequest(privateData: Buffer, hostIrd: number, limits: ConnectLimits): AcceptedConnect {
  const request = decodeRdmaCmRequest(privateData);
  const { qid, hsqsize, hrqsize } = request;
  if (qid > limits.maxQid) {
    throw new RdmaCmRejectError(RdmaCmStatus.INVALID_QID, `QID ${qid}, expected at most ${limits.maxQid}`);
  }
  const max = qid === 0 ? limits.maxAqDepth : limits.maxQueueDepth;
  const qsize = hsqsize + 1;
  if (hsqsize < 1 || qsize > max) {
    throw new RdmaCmRejectError(RdmaCmStatus.INVALID_HSQSIZE, `HSQSIZE ${hsqsize}, expected 1 to ${max - 1} (a 0's based size of at most ${max} entries)`);
  }
  if (hrqsize < qsize) {
    // Fewer host receives than commands in flight: responses could find no RECV posted.
    throw new RdmaCmRejectError(RdmaCmStatus.INVALID_HRQSIZE, `HRQSIZE ${hrqsize}, expected at least HSQSIZE + 1 (${qsize})`);
  }
  if (hostIrd < 1) {
    throw new RdmaCmRejectError(RdmaCmStatus.INVALID_IRD, `the host accepts ${hostIrd} RDMA READs in flight, expected at least 1`);
  }
  return { request, qsize, readDepth: Math.min(hostIrd, limits.maxReadDepth) };
}
