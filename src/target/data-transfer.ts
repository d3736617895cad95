/**
 * Data a command moves, as its SGL1 describes it: how long the host's buffer
 * is, and handing controller-to-host data back within it. Fabrics SQEs carry
 * exactly one descriptor (MSDBD 1). Read in place, no objects: the I/O path
 * calls it per command.
 */
import { SglOffset, SglType } from '../spec/sgl.js';
import { SqeOffset } from '../spec/sqe.js';
import { Status } from './command-status.js';
import type { TargetRequest } from './request.js';

/** The data length in SGL1 of `sqe`, or -1 for a descriptor type that does not describe data. */
export function sglDataLength(sqe: Buffer): number {
  const at = SqeOffset.DPTR;
  switch (sqe[at + SglOffset.IDENTIFIER]! >> 4) {
    case SglType.KEYED_DATA_BLOCK:
      return sqe.readUIntLE(at + SglOffset.LENGTH, 3);
    case SglType.DATA_BLOCK:
    case SglType.TRANSPORT_DATA_BLOCK:
      return sqe.readUInt32LE(at + SglOffset.LENGTH);
    default:
      return -1;
  }
}

/**
 * Completes an admin command with `payload` as its controller-to-host data,
 * or with DATA SGL LENGTH INVALID when the host's buffer is too small for it.
 */
export function completeWithData(req: TargetRequest, sqe: Buffer, payload: Buffer): void {
  if (sglDataLength(sqe) < payload.length) {
    req.complete(Status.DATA_SGL_LENGTH_INVALID);
    return;
  }
  req.complete(Status.SUCCESS, 0, payload);
}
