/**
 * NVMe/RDMA transport binding: the rdma_cm private data exchanged when a
 * queue pair connects (NVMe over Fabrics spec, "RDMA Transport" binding;
 * Linux include/linux/nvme-rdma.h, SPDK nvmf_spec.h).
 *
 * - The host's connect request carries RECFMT, QID, HRQSIZE, HSQSIZE and CNTLID (32 bytes).
 * - The controller's accept carries RECFMT and CRQSIZE (32 bytes).
 * - A reject carries RECFMT and a status (STS) saying which field was unacceptable.
 *
 * All fields are little endian.
 */
import { ProtocolError } from './errors.js';

/** The only record format defined (NVMe/RDMA 1.0). */
export const RDMA_CM_RECFMT = 0;
/** Bytes of the connect-request and accept private data. */
export const RDMA_CM_REQUEST_SIZE = 32;
export const RDMA_CM_ACCEPT_SIZE = 32;
/** Bytes of the reject private data that carry meaning (RECFMT, STS). */
export const RDMA_CM_REJECT_SIZE = 4;

/** Byte offsets in the connect-request private data. */
export const RdmaCmRequestOffset = {
  RECFMT: 0,
  QID: 2,
  /** Host receive queue size: how many responses the host can take (a count). */
  HRQSIZE: 4,
  /** Host send queue size, 0's based (the SQSIZE the host will use in Connect). */
  HSQSIZE: 6,
  /** Controller ID for I/O queues (0xFFFF: dynamic / not yet known). */
  CNTLID: 8,
} as const;

/** Byte offsets in the accept private data. */
export const RdmaCmAcceptOffset = {
  RECFMT: 0,
  /** Controller receive queue size: how many capsules the controller can take (a count). */
  CRQSIZE: 2,
} as const;

/** Byte offsets in the reject private data. */
export const RdmaCmRejectOffset = {
  RECFMT: 0,
  STS: 2,
} as const;

/** NVMe/RDMA reject status codes (STS). */
export const RdmaCmStatus = {
  INVALID_LENGTH: 0x01,
  INVALID_RECFMT: 0x02,
  INVALID_QID: 0x03,
  INVALID_HSQSIZE: 0x04,
  INVALID_HRQSIZE: 0x05,
  NO_RESOURCES: 0x06,
  INVALID_IRD: 0x07,
  INVALID_ORD: 0x08,
} as const;
export type RdmaCmStatus = (typeof RdmaCmStatus)[keyof typeof RdmaCmStatus];

/** Words for each reject status, and the field it blames. */
export const RDMA_CM_STATUS_INFO: Readonly<Record<number, { field: string; text: string }>> = {
  [RdmaCmStatus.INVALID_LENGTH]: { field: 'privateData', text: 'invalid private data length' },
  [RdmaCmStatus.INVALID_RECFMT]: { field: 'recfmt', text: 'invalid record format' },
  [RdmaCmStatus.INVALID_QID]: { field: 'qid', text: 'invalid queue ID' },
  [RdmaCmStatus.INVALID_HSQSIZE]: { field: 'hsqsize', text: 'invalid host send queue size' },
  [RdmaCmStatus.INVALID_HRQSIZE]: { field: 'hrqsize', text: 'invalid host receive queue size' },
  [RdmaCmStatus.NO_RESOURCES]: { field: 'resources', text: 'no resources on the controller' },
  [RdmaCmStatus.INVALID_IRD]: { field: 'ird', text: 'invalid inbound RDMA read depth (IRD)' },
  [RdmaCmStatus.INVALID_ORD]: { field: 'ord', text: 'invalid outbound RDMA read depth (ORD)' },
};

/** The host's connect-request private data. */
export interface RdmaCmRequest {
  recfmt: number;
  qid: number;
  /** Host receive queue size (a count). */
  hrqsize: number;
  /** Host send queue size, 0's based. */
  hsqsize: number;
  cntlid: number;
}

/** The controller's accept private data. */
export interface RdmaCmAccept {
  recfmt: number;
  /** Controller receive queue size (a count). */
  crqsize: number;
}

/** The controller's reject private data. */
export interface RdmaCmReject {
  recfmt: number;
  sts: number;
}

/** The connect request of queue `qid` with `qsize` entries (Linux's host sends HRQSIZE = qsize, HSQSIZE = qsize - 1). */
export function rdmaCmRequestFor(qid: number, qsize: number, cntlid = 0): RdmaCmRequest {
  return { recfmt: RDMA_CM_RECFMT, qid, hrqsize: qsize, hsqsize: qsize - 1, cntlid };
}

/** Writes the 32-byte connect-request private data (reserved bytes zero). */
export function encodeRdmaCmRequest(r: RdmaCmRequest, out: Buffer = Buffer.alloc(RDMA_CM_REQUEST_SIZE), offset = 0): Buffer {
  out.fill(0, offset, offset + RDMA_CM_REQUEST_SIZE);
  out.writeUInt16LE(r.recfmt, offset + RdmaCmRequestOffset.RECFMT);
  out.writeUInt16LE(r.qid, offset + RdmaCmRequestOffset.QID);
  out.writeUInt16LE(r.hrqsize, offset + RdmaCmRequestOffset.HRQSIZE);
  out.writeUInt16LE(r.hsqsize, offset + RdmaCmRequestOffset.HSQSIZE);
  out.writeUInt16LE(r.cntlid, offset + RdmaCmRequestOffset.CNTLID);
  return out;
}

/**
 * Reads a connect request (target side).
 * @throws RdmaCmRejectError with the status a controller answers: INVALID_LENGTH, INVALID_RECFMT
 */
export function decodeRdmaCmRequest(data: Buffer): RdmaCmRequest {
  if (data.length < RDMA_CM_REQUEST_SIZE) {
    throw new RdmaCmRejectError(RdmaCmStatus.INVALID_LENGTH, `${data.length} bytes of private data, expected ${RDMA_CM_REQUEST_SIZE}`);
  }
  const recfmt = data.readUInt16LE(RdmaCmRequestOffset.RECFMT);
  if (recfmt !== RDMA_CM_RECFMT) throw new RdmaCmRejectError(RdmaCmStatus.INVALID_RECFMT, `RECFMT ${recfmt}, expected ${RDMA_CM_RECFMT}`);
  return {
    recfmt,
    qid: data.readUInt16LE(RdmaCmRequestOffset.QID),
    hrqsize: data.readUInt16LE(RdmaCmRequestOffset.HRQSIZE),
    hsqsize: data.readUInt16LE(RdmaCmRequestOffset.HSQSIZE),
    cntlid: data.readUInt16LE(RdmaCmRequestOffset.CNTLID),
  };
}

/** Writes the 32-byte accept private data. */
export function encodeRdmaCmAccept(a: RdmaCmAccept, out: Buffer = Buffer.alloc(RDMA_CM_ACCEPT_SIZE), offset = 0): Buffer {
  out.fill(0, offset, offset + RDMA_CM_ACCEPT_SIZE);
  out.writeUInt16LE(a.recfmt, offset + RdmaCmAcceptOffset.RECFMT);
  out.writeUInt16LE(a.crqsize, offset + RdmaCmAcceptOffset.CRQSIZE);
  return out;
}

/**
 * Reads the accept private data (host side).
 * @throws ProtocolError naming `privateData` (too short) or `recfmt`
 */
export function decodeRdmaCmAccept(data: Buffer): RdmaCmAccept {
  if (data.length < 4) {
    throw new ProtocolError('privateData', data.length, `accept private data needs RECFMT and CRQSIZE (4 bytes)`);
  }
  const recfmt = data.readUInt16LE(RdmaCmAcceptOffset.RECFMT);
  if (recfmt !== RDMA_CM_RECFMT) throw new ProtocolError('recfmt', recfmt, `expected record format ${RDMA_CM_RECFMT} in the accept`);
  return { recfmt, crqsize: data.readUInt16LE(RdmaCmAcceptOffset.CRQSIZE) };
}

/** Writes the reject private data (RECFMT 0 and `sts`). */
export function encodeRdmaCmReject(sts: number, out: Buffer = Buffer.alloc(RDMA_CM_REJECT_SIZE), offset = 0): Buffer {
  out.writeUInt16LE(RDMA_CM_RECFMT, offset + RdmaCmRejectOffset.RECFMT);
  out.writeUInt16LE(sts, offset + RdmaCmRejectOffset.STS);
  return out;
}

/** Reads reject private data; null when there is none (a reject by the CM itself, not by the NVMe/RDMA layer). */
export function decodeRdmaCmReject(data: Buffer): RdmaCmReject | null {
  if (data.length < RDMA_CM_REJECT_SIZE) return null;
  return { recfmt: data.readUInt16LE(RdmaCmRejectOffset.RECFMT), sts: data.readUInt16LE(RdmaCmRejectOffset.STS) };
}

/**
 * A connect request the controller turned down with an NVMe/RDMA status
 * (host side), or one to turn down (target side).
 */
export class RdmaCmRejectError extends ProtocolError {
  /** The NVMe/RDMA reject status (STS). */
  readonly sts: number;

  constructor(sts: number, detail: string) {
    const info = RDMA_CM_STATUS_INFO[sts];
    const text = info?.text ?? 'unknown NVMe/RDMA reject status';
    super(info?.field ?? 'sts', sts, `${text}: ${detail}`);
    this.sts = sts;
    // `field=value` would print the status as if it were the field's value (`recfmt=2` for RECFMT 1).
    this.message = `NVMe/RDMA reject STS ${sts} (${text}, field ${info?.field ?? 'unknown'}): ${detail}`;
  }
}
