/**
 * What data a command capsule moves and how, read in place from its SQE:
 * the direction from the opcode (FCTYPE for Fabrics commands) and the length
 * and placement from SGL1 (NVMe/TCP uses exactly one descriptor: an in-capsule
 * Data Block, identifier 01h, or a Transport Data Block, 5Ah). Linux nvmet
 * `nvmet_tcp_map_data` and SPDK `nvmf_tcp_req_parse_sgl` make the same checks.
 */
import { IN_CAPSULE_SGL_ID, SglOffset, TRANSPORT_SGL_ID } from '../../../spec/sgl.js';
import { DataDirection, SqeOffset } from '../../../spec/sqe.js';
import { sglDataDirection, TransportStatus } from '../command-data.js';
import type { CommandFailure } from '../transport.js';

/** The statuses `describeCommandData` fails commands with, and the connection its digest errors with. */
export { TransportStatus } from '../command-data.js';

/** How a command's data travels over NVMe/TCP. */
export const DataPath = {
  /** No data, or a zero-length transfer. */
  NONE: 0,
  /** Host-to-controller data inside the CapsuleCmd PDU. */
  IN_CAPSULE: 1,
  /** Host-to-controller data the controller asks for with R2T, sent in H2CData PDUs. */
  R2T: 2,
  /** Controller-to-host data sent in C2HData PDUs. */
  C2H: 3,
} as const;
export type DataPath = (typeof DataPath)[keyof typeof DataPath];

/** Filled in by `describeCommandData`; the transport's command slots implement it. */
export interface CommandData {
  path: DataPath;
  /** Bytes the SGL describes (0 for NONE). */
  length: number;
  /** The status to fail the command with before it reaches the core, or null. */
  failure: CommandFailure | null;
}

/** Limits the SGL is checked against. */
export interface CommandDataLimits {
  /** Largest in-capsule data on this queue. */
  inCapsuleDataSize: number;
  /** Largest transfer (MDTS). */
  maxIoSize: number;
}

/** Reads the direction and SGL1 of `sqe` into `out`. Allocates nothing (called per command). */
export function describeCommandData(sqe: Buffer, limits: CommandDataLimits, out: CommandData): void {
  out.path = DataPath.NONE;
  out.length = 0;
  out.failure = null;
  const direction = sglDataDirection(sqe, out);
  if (direction === DataDirection.NONE) return;
  const sgl = SqeOffset.DPTR;
  const length = sqe.readUInt32LE(sgl + SglOffset.LENGTH);
  switch (sqe[sgl + SglOffset.IDENTIFIER]) {
    case IN_CAPSULE_SGL_ID:
      if (sqe.readUInt32LE(sgl + SglOffset.ADDRESS) !== 0 || sqe.readUInt32LE(sgl + SglOffset.ADDRESS + 4) !== 0) {
        out.failure = TransportStatus.SGL_OFFSET_INVALID;
      } else if (length > limits.inCapsuleDataSize) {
        out.failure = TransportStatus.DATA_SGL_LENGTH_INVALID;
      } else if (length > 0 && direction !== DataDirection.HOST_TO_CONTROLLER) {
        out.failure = TransportStatus.INVALID_FIELD;
      } else if (length > 0) {
        out.path = DataPath.IN_CAPSULE;
        out.length = length;
      }
      return;
    case TRANSPORT_SGL_ID:
      if (length > limits.maxIoSize) {
        out.failure = TransportStatus.DATA_SGL_LENGTH_INVALID;
      } else if (direction === DataDirection.CONTROLLER_TO_HOST) {
        out.path = DataPath.C2H;
        out.length = length;
      } else if (length > 0) {
        out.path = DataPath.R2T;
        out.length = length;
      }
      return;
    default:
      out.failure = TransportStatus.SGL_DESCRIPTOR_TYPE_INVALID;
  }
}
