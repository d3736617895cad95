/**
 * What data an NVMe/RDMA command capsule moves and how, read in place from its
 * SQE: the direction from the opcode, the placement from SGL1. NVMe/RDMA
 * hosts use one descriptor: an in-capsule Data Block with an offset into the
 * capsule's data (01h), or a Keyed Data Block (40h, 4Fh asking for the key to
 * be invalidated with the response). Linux nvmet-rdma `nvmet_rdma_map_sgl`
 * and SPDK `nvmf_rdma_request_parse_sgl` make the same checks.
 */
import { IN_CAPSULE_SGL_ID, SglOffset, sglIdentifier, SglSubtype, SglType } from '../../../spec/sgl.js';
import { DataDirection, SqeOffset } from '../../../spec/sqe.js';
import { sglDataDirection, TransportStatus } from '../command-data.js';
import type { CommandFailure } from '../transport.js';

/** How a command's data travels over NVMe/RDMA. */
export const RdmaDataPath = {
  /** No data, or a zero-length transfer. */
  NONE: 0,
  /** Host-to-controller data inside the capsule, after the SQE. */
  IN_CAPSULE: 1,
  /** Host-to-controller data the controller fetches with an RDMA READ. */
  RDMA_READ: 2,
  /** Controller-to-host data the controller places with an RDMA WRITE before the response. */
  RDMA_WRITE: 3,
} as const;
export type RdmaDataPath = (typeof RdmaDataPath)[keyof typeof RdmaDataPath];

const KEYED_ID = sglIdentifier(SglType.KEYED_DATA_BLOCK, SglSubtype.ADDRESS);
const KEYED_INVALIDATE_ID = sglIdentifier(SglType.KEYED_DATA_BLOCK, SglSubtype.INVALIDATE_KEY);

/** Filled in by `describeRdmaCommandData`; the transport's command contexts implement it. */
export interface RdmaCommandData {
  path: RdmaDataPath;
  /** Bytes the SGL describes (0 for NONE). */
  length: number;
  /** IN_CAPSULE: where the data starts in the capsule's data area. */
  capsuleOffset: number;
  /** Keyed: the host's remote key (the remote address stays in the SQE). */
  rkey: number;
  /** Keyed 4Fh: answer with SEND_WITH_INVALIDATE of `rkey`. */
  invalidate: boolean;
  /** The status to fail the command with before it reaches the core, or null. */
  failure: CommandFailure | null;
}

/** Limits the SGL is checked against. */
export interface RdmaDataLimits {
  /** In-capsule data bytes the receive buffers hold. */
  inCapsuleDataSize: number;
  /** Largest transfer (MDTS). */
  maxIoSize: number;
}

/**
 * Reads the direction and SGL1 of `sqe` into `out`. Allocates nothing (called per command).
 * @param received bytes of capsule data that came after the SQE
 */
export function describeRdmaCommandData(sqe: Buffer, received: number, limits: RdmaDataLimits, out: RdmaCommandData): void {
  out.path = RdmaDataPath.NONE;
  out.length = 0;
  out.capsuleOffset = 0;
  out.rkey = 0;
  out.invalidate = false;
  out.failure = null;
  const direction = sglDataDirection(sqe, out);
  if (direction === DataDirection.NONE) return;
  const sgl = SqeOffset.DPTR;
  const id = sqe[sgl + SglOffset.IDENTIFIER];
  if (id === IN_CAPSULE_SGL_ID) {
    describeInCapsule(sqe, direction, received, limits, out);
    return;
  }
  if (id !== KEYED_ID && id !== KEYED_INVALIDATE_ID) {
    out.failure = TransportStatus.SGL_DESCRIPTOR_TYPE_INVALID;
    return;
  }
  const length = sqe.readUIntLE(sgl + SglOffset.LENGTH, 3);
  out.rkey = sqe.readUInt32LE(sgl + SglOffset.KEY);
  out.invalidate = id === KEYED_INVALIDATE_ID;
  if (length > limits.maxIoSize) {
    out.failure = TransportStatus.DATA_SGL_LENGTH_INVALID;
  } else if (length > 0) {
    out.path = direction === DataDirection.HOST_TO_CONTROLLER ? RdmaDataPath.RDMA_READ : RdmaDataPath.RDMA_WRITE;
    out.length = length;
  }
}

function describeInCapsule(sqe: Buffer, direction: DataDirection, received: number, limits: RdmaDataLimits, out: RdmaCommandData): void {
  const sgl = SqeOffset.DPTR;
  const length = sqe.readUInt32LE(sgl + SglOffset.LENGTH);
  if (length === 0) return;
  const high = sqe.readUInt32LE(sgl + SglOffset.ADDRESS + 4);
  const offset = sqe.readUInt32LE(sgl + SglOffset.ADDRESS);
  if (direction !== DataDirection.HOST_TO_CONTROLLER) {
    out.failure = TransportStatus.INVALID_FIELD;
  } else if (high !== 0 || offset >= limits.inCapsuleDataSize) {
    out.failure = TransportStatus.SGL_OFFSET_INVALID;
  } else if (offset + length > limits.inCapsuleDataSize || offset + length > received) {
    out.failure = TransportStatus.DATA_SGL_LENGTH_INVALID;
  } else {
    out.path = RdmaDataPath.IN_CAPSULE;
    out.length = length;
    out.capsuleOffset = offset;
  }
}
