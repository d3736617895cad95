/**
 * What every fabrics transport reads from a command capsule's SQE before its
 * SGL: the data direction (FCTYPE for Fabrics commands), and the checks that
 * fail a command before it reaches the core. Each transport then reads SGL1
 * its own way (`tcp/command-data.ts`, `rdma/command-data.ts`).
 */
import { commandDataDirection } from '../../spec/fabrics.js';
import { DataDirection, Psdt, SqeOffset } from '../../spec/sqe.js';
import { GenericStatus, StatusCodeType } from '../../spec/status.js';
import type { CommandFailure } from './transport.js';

/** The statuses the transport fails commands with itself, through `TargetQueuePair.fail`. */
export const TransportStatus = {
  INVALID_OPCODE: { sct: StatusCodeType.GENERIC, sc: GenericStatus.INVALID_OPCODE, dnr: true },
  INVALID_FIELD: { sct: StatusCodeType.GENERIC, sc: GenericStatus.INVALID_FIELD, dnr: true },
  DATA_SGL_LENGTH_INVALID: { sct: StatusCodeType.GENERIC, sc: GenericStatus.DATA_SGL_LENGTH_INVALID, dnr: true },
  SGL_DESCRIPTOR_TYPE_INVALID: { sct: StatusCodeType.GENERIC, sc: GenericStatus.SGL_DESCRIPTOR_TYPE_INVALID, dnr: true },
  SGL_OFFSET_INVALID: { sct: StatusCodeType.GENERIC, sc: GenericStatus.SGL_OFFSET_INVALID, dnr: true },
  /** A data digest did not match: the host may retry the command (no DNR), as SPDK reports it. */
  TRANSIENT_TRANSPORT_ERROR: { sct: StatusCodeType.GENERIC, sc: GenericStatus.TRANSIENT_TRANSPORT_ERROR, dnr: false },
} as const satisfies Record<string, CommandFailure>;

/**
 * The direction of the data SGL1 describes, or NONE when there is no SGL to
 * read: the command moves no data, or it cannot be served and `out.failure`
 * says why (a bidirectional opcode; PSDT asking for PRPs, which fabrics do not carry).
 */
export function sglDataDirection(sqe: Buffer, out: { failure: CommandFailure | null }): DataDirection {
  const direction = commandDataDirection(sqe);
  if (direction === DataDirection.BIDIRECTIONAL) {
    out.failure = TransportStatus.INVALID_OPCODE;
    return DataDirection.NONE;
  }
  if (direction !== DataDirection.NONE && sqe[SqeOffset.FLAGS]! >> 6 === Psdt.PRP) {
    out.failure = TransportStatus.INVALID_FIELD;
    return DataDirection.NONE;
  }
  return direction;
}
