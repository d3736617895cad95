/**
 * The completion statuses the target returns, as ready-made 15-bit status
 * field values (`packStatus` layout: SC, SCT, DNR), so a handler completes with
 * one constant and the hot path never builds a status.
 *
 * DNR is set wherever sending the same command again cannot succeed; it is
 * clear where a retry may (a back-end I/O error, an aborted AER, a busy
 * controller table).
 */
import { packStatus } from '../spec/cqe.js';
import {
  AdminCommandStatus,
  FabricsCommandStatus,
  GenericStatus,
  MediaStatus,
  StatusCodeType,
} from '../spec/status.js';

function generic(sc: number, dnr = true): number {
  return packStatus({ sct: StatusCodeType.GENERIC, sc, dnr });
}

function specific(sc: number, dnr = true): number {
  return packStatus({ sct: StatusCodeType.COMMAND_SPECIFIC, sc, dnr });
}

export const Status = {
  SUCCESS: 0,
  INVALID_OPCODE: generic(GenericStatus.INVALID_OPCODE),
  INVALID_FIELD: generic(GenericStatus.INVALID_FIELD),
  /** A command that threw inside the target: the same command would throw again. */
  INTERNAL_ERROR: generic(GenericStatus.INTERNAL_ERROR),
  /** A block device reported an error; it may be transient. */
  BDEV_ERROR: generic(GenericStatus.INTERNAL_ERROR, false),
  ABORTED_SQ_DELETION: generic(GenericStatus.ABORTED_SQ_DELETION, false),
  INVALID_NAMESPACE_OR_FORMAT: generic(GenericStatus.INVALID_NAMESPACE_OR_FORMAT),
  COMMAND_SEQUENCE_ERROR: generic(GenericStatus.COMMAND_SEQUENCE_ERROR),
  DATA_SGL_LENGTH_INVALID: generic(GenericStatus.DATA_SGL_LENGTH_INVALID),
  SGL_DESCRIPTOR_TYPE_INVALID: generic(GenericStatus.SGL_DESCRIPTOR_TYPE_INVALID),
  LBA_OUT_OF_RANGE: generic(GenericStatus.LBA_OUT_OF_RANGE),
  KEEP_ALIVE_TIMEOUT_INVALID: generic(GenericStatus.KEEP_ALIVE_TIMEOUT_INVALID),
  INVALID_LOG_PAGE: specific(AdminCommandStatus.INVALID_LOG_PAGE),
  ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED: specific(AdminCommandStatus.ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED),
  FEATURE_ID_NOT_SAVEABLE: specific(AdminCommandStatus.FEATURE_ID_NOT_SAVEABLE),
  CONNECT_INCOMPATIBLE_FORMAT: specific(FabricsCommandStatus.CONNECT_INCOMPATIBLE_FORMAT),
  /** No CNTLID left in the subsystem; one may free up. */
  CONNECT_CONTROLLER_BUSY: specific(FabricsCommandStatus.CONNECT_CONTROLLER_BUSY, false),
  CONNECT_INVALID_PARAMETERS: specific(FabricsCommandStatus.CONNECT_INVALID_PARAMETERS),
  CONNECT_INVALID_HOST: specific(FabricsCommandStatus.CONNECT_INVALID_HOST),
  INVALID_QUEUE_TYPE: specific(FabricsCommandStatus.INVALID_QUEUE_TYPE),
  COMPARE_FAILURE: packStatus({ sct: StatusCodeType.MEDIA_DATA_INTEGRITY, sc: MediaStatus.COMPARE_FAILURE, dnr: true }),
} as const;
