/**
 * Completion status codes (NVMe base spec "Status Field Definition", NVMe-oF
 * "Fabrics Command Status Values"), their names, and the error that carries one.
 *
 * The tables hold the spec's names in UPPER_SNAKE; `statusName` prints them the
 * way SPDK's `spdk_nvme_cpl_get_status_string` does, so a `--trace` line can be
 * diffed against SPDK's. Where SPDK spells a name differently the override table
 * says so; codes SPDK does not know print under the spec's name.
 */
import { FABRICS_OPCODE } from './opcodes.js';
import { type CqeStatus, unpackStatus } from './cqe.js';

/** Status Code Type (SCT), bits 10:8 of the status field. */
export const StatusCodeType = {
  GENERIC: 0,
  COMMAND_SPECIFIC: 1,
  MEDIA_DATA_INTEGRITY: 2,
  PATH: 3,
  VENDOR_SPECIFIC: 7,
} as const;
export type StatusCodeType = (typeof StatusCodeType)[keyof typeof StatusCodeType];

/** Generic Command Status (SCT 0). */
export const GenericStatus = {
  SUCCESS: 0x00,
  INVALID_OPCODE: 0x01,
  INVALID_FIELD: 0x02,
  COMMAND_ID_CONFLICT: 0x03,
  DATA_TRANSFER_ERROR: 0x04,
  ABORTED_POWER_LOSS: 0x05,
  INTERNAL_ERROR: 0x06,
  ABORTED_BY_REQUEST: 0x07,
  ABORTED_SQ_DELETION: 0x08,
  ABORTED_FAILED_FUSED: 0x09,
  ABORTED_MISSING_FUSED: 0x0a,
  INVALID_NAMESPACE_OR_FORMAT: 0x0b,
  COMMAND_SEQUENCE_ERROR: 0x0c,
  INVALID_SGL_SEGMENT_DESCRIPTOR: 0x0d,
  INVALID_NUMBER_OF_SGL_DESCRIPTORS: 0x0e,
  DATA_SGL_LENGTH_INVALID: 0x0f,
  METADATA_SGL_LENGTH_INVALID: 0x10,
  SGL_DESCRIPTOR_TYPE_INVALID: 0x11,
  INVALID_USE_OF_CONTROLLER_MEMORY_BUFFER: 0x12,
  PRP_OFFSET_INVALID: 0x13,
  ATOMIC_WRITE_UNIT_EXCEEDED: 0x14,
  OPERATION_DENIED: 0x15,
  SGL_OFFSET_INVALID: 0x16,
  SGL_SUBTYPE_INVALID: 0x17,
  HOST_IDENTIFIER_INCONSISTENT_FORMAT: 0x18,
  KEEP_ALIVE_TIMER_EXPIRED: 0x19,
  KEEP_ALIVE_TIMEOUT_INVALID: 0x1a,
  ABORTED_PREEMPT_AND_ABORT: 0x1b,
  SANITIZE_FAILED: 0x1c,
  SANITIZE_IN_PROGRESS: 0x1d,
  SGL_DATA_BLOCK_GRANULARITY_INVALID: 0x1e,
  COMMAND_NOT_SUPPORTED_FOR_QUEUE_IN_CMB: 0x1f,
  NAMESPACE_IS_WRITE_PROTECTED: 0x20,
  COMMAND_INTERRUPTED: 0x21,
  TRANSIENT_TRANSPORT_ERROR: 0x22,
  COMMAND_PROHIBITED_BY_LOCKDOWN: 0x23,
  ADMIN_COMMAND_MEDIA_NOT_READY: 0x24,
  FDP_DISABLED: 0x29,
  INVALID_PLACEMENT_HANDLE_LIST: 0x2a,
  /** Linux nvmet returns this as a generic status (e.g. Identify with an unknown CSI). */
  INVALID_IO_COMMAND_SET: 0x2c,
  LBA_OUT_OF_RANGE: 0x80,
  CAPACITY_EXCEEDED: 0x81,
  NAMESPACE_NOT_READY: 0x82,
  RESERVATION_CONFLICT: 0x83,
  FORMAT_IN_PROGRESS: 0x84,
} as const;

/** Command Specific Status (SCT 1) of admin commands. */
export const AdminCommandStatus = {
  COMPLETION_QUEUE_INVALID: 0x00,
  INVALID_QUEUE_IDENTIFIER: 0x01,
  INVALID_QUEUE_SIZE: 0x02,
  ABORT_COMMAND_LIMIT_EXCEEDED: 0x03,
  ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED: 0x05,
  INVALID_FIRMWARE_SLOT: 0x06,
  INVALID_FIRMWARE_IMAGE: 0x07,
  INVALID_INTERRUPT_VECTOR: 0x08,
  INVALID_LOG_PAGE: 0x09,
  INVALID_FORMAT: 0x0a,
  FIRMWARE_ACTIVATION_REQUIRES_CONVENTIONAL_RESET: 0x0b,
  INVALID_QUEUE_DELETION: 0x0c,
  FEATURE_ID_NOT_SAVEABLE: 0x0d,
  FEATURE_NOT_CHANGEABLE: 0x0e,
  FEATURE_NOT_NAMESPACE_SPECIFIC: 0x0f,
  FIRMWARE_ACTIVATION_REQUIRES_NVM_SUBSYSTEM_RESET: 0x10,
  FIRMWARE_ACTIVATION_REQUIRES_RESET: 0x11,
  FIRMWARE_ACTIVATION_REQUIRES_MAXIMUM_TIME_VIOLATION: 0x12,
  FIRMWARE_ACTIVATION_PROHIBITED: 0x13,
  OVERLAPPING_RANGE: 0x14,
  NAMESPACE_INSUFFICIENT_CAPACITY: 0x15,
  NAMESPACE_IDENTIFIER_UNAVAILABLE: 0x16,
  NAMESPACE_ALREADY_ATTACHED: 0x18,
  NAMESPACE_IS_PRIVATE: 0x19,
  NAMESPACE_NOT_ATTACHED: 0x1a,
  THIN_PROVISIONING_NOT_SUPPORTED: 0x1b,
  CONTROLLER_LIST_INVALID: 0x1c,
  DEVICE_SELF_TEST_IN_PROGRESS: 0x1d,
  BOOT_PARTITION_WRITE_PROHIBITED: 0x1e,
  INVALID_CONTROLLER_IDENTIFIER: 0x1f,
  INVALID_SECONDARY_CONTROLLER_STATE: 0x20,
  INVALID_NUMBER_OF_CONTROLLER_RESOURCES: 0x21,
  INVALID_RESOURCE_IDENTIFIER: 0x22,
  SANITIZE_PROHIBITED_WHILE_PMR_ENABLED: 0x23,
  ANA_GROUP_IDENTIFIER_INVALID: 0x24,
  ANA_ATTACH_FAILED: 0x25,
  INSUFFICIENT_CAPACITY: 0x26,
  NAMESPACE_ATTACHMENT_LIMIT_EXCEEDED: 0x27,
  PROHIBITION_OF_COMMAND_EXECUTION_NOT_SUPPORTED: 0x28,
  IO_COMMAND_SET_NOT_SUPPORTED: 0x29,
  IO_COMMAND_SET_NOT_ENABLED: 0x2a,
  IO_COMMAND_SET_COMBINATION_REJECTED: 0x2b,
  INVALID_IO_COMMAND_SET_SPECIFIC: 0x2c,
  IDENTIFIER_UNAVAILABLE: 0x2d,
  STREAM_RESOURCE_ALLOCATION_FAILED: 0x7f,
} as const;

/** Command Specific Status (SCT 1) of NVM command set I/O commands (0x80 and up). */
export const NvmCommandStatus = {
  CONFLICTING_ATTRIBUTES: 0x80,
  INVALID_PROTECTION_INFORMATION: 0x81,
  ATTEMPTED_WRITE_TO_READ_ONLY_RANGE: 0x82,
  COMMAND_SIZE_LIMIT_EXCEEDED: 0x83,
  ZONED_BOUNDARY_ERROR: 0xb8,
  ZONE_IS_FULL: 0xb9,
  ZONE_IS_READ_ONLY: 0xba,
  ZONE_IS_OFFLINE: 0xbb,
  ZONE_INVALID_WRITE: 0xbc,
  TOO_MANY_ACTIVE_ZONES: 0xbd,
  TOO_MANY_OPEN_ZONES: 0xbe,
  INVALID_ZONE_STATE_TRANSITION: 0xbf,
} as const;

/**
 * Command Specific Status (SCT 1) of Fabrics commands. The values overlap
 * `NvmCommandStatus`: which one a completion means depends on the command.
 */
export const FabricsCommandStatus = {
  CONNECT_INCOMPATIBLE_FORMAT: 0x80,
  CONNECT_CONTROLLER_BUSY: 0x81,
  CONNECT_INVALID_PARAMETERS: 0x82,
  CONNECT_RESTART_DISCOVERY: 0x83,
  CONNECT_INVALID_HOST: 0x84,
  INVALID_QUEUE_TYPE: 0x85,
  DISCOVER_RESTART: 0x90,
  AUTHENTICATION_REQUIRED: 0x91,
} as const;

/** Every Command Specific Status (SCT 1): admin, NVM I/O and Fabrics. */
export const CommandSpecificStatus = {
  ...AdminCommandStatus,
  ...NvmCommandStatus,
  ...FabricsCommandStatus,
} as const;

/** Media and Data Integrity Errors (SCT 2). */
export const MediaStatus = {
  WRITE_FAULT: 0x80,
  UNRECOVERED_READ_ERROR: 0x81,
  END_TO_END_GUARD_CHECK_ERROR: 0x82,
  END_TO_END_APPLICATION_TAG_CHECK_ERROR: 0x83,
  END_TO_END_REFERENCE_TAG_CHECK_ERROR: 0x84,
  COMPARE_FAILURE: 0x85,
  ACCESS_DENIED: 0x86,
  DEALLOCATED_OR_UNWRITTEN_BLOCK: 0x87,
  END_TO_END_STORAGE_TAG_CHECK_ERROR: 0x88,
} as const;

/** Path Related Status (SCT 3). */
export const PathStatus = {
  INTERNAL_PATH_ERROR: 0x00,
  ASYMMETRIC_ACCESS_PERSISTENT_LOSS: 0x01,
  ASYMMETRIC_ACCESS_INACCESSIBLE: 0x02,
  ASYMMETRIC_ACCESS_TRANSITION: 0x03,
  CONTROLLER_PATHING_ERROR: 0x60,
  HOST_PATHING_ERROR: 0x70,
  ABORTED_BY_HOST: 0x71,
} as const;

/** Where SPDK prints a name other than the table key with spaces for underscores. */
const SPDK_SPELLING: Record<string, string> = {
  ABORTED_POWER_LOSS: 'ABORTED - POWER LOSS',
  INTERNAL_ERROR: 'INTERNAL DEVICE ERROR',
  ABORTED_BY_REQUEST: 'ABORTED - BY REQUEST',
  ABORTED_SQ_DELETION: 'ABORTED - SQ DELETION',
  ABORTED_FAILED_FUSED: 'ABORTED - FAILED FUSED',
  ABORTED_MISSING_FUSED: 'ABORTED - MISSING FUSED',
  INVALID_USE_OF_CONTROLLER_MEMORY_BUFFER: 'INVALID CONTROLLER MEMORY BUFFER',
  PRP_OFFSET_INVALID: 'INVALID PRP OFFSET',
  SGL_OFFSET_INVALID: 'INVALID SGL OFFSET',
  HOST_IDENTIFIER_INCONSISTENT_FORMAT: 'HOSTID INCONSISTENT FORMAT',
  KEEP_ALIVE_TIMER_EXPIRED: 'KEEP ALIVE EXPIRED',
  KEEP_ALIVE_TIMEOUT_INVALID: 'KEEP ALIVE INVALID',
  ABORTED_PREEMPT_AND_ABORT: 'ABORTED - PREEMPT AND ABORT',
  SGL_DATA_BLOCK_GRANULARITY_INVALID: 'DATA BLOCK GRANULARITY INVALID',
  COMPLETION_QUEUE_INVALID: 'INVALID COMPLETION QUEUE',
  ABORT_COMMAND_LIMIT_EXCEEDED: 'ABORT CMD LIMIT EXCEEDED',
  ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED: 'ASYNC LIMIT EXCEEDED',
  FIRMWARE_ACTIVATION_REQUIRES_CONVENTIONAL_RESET: 'FIRMWARE REQUIRES CONVENTIONAL RESET',
  FIRMWARE_ACTIVATION_REQUIRES_NVM_SUBSYSTEM_RESET: 'FIRMWARE REQUIRES NVM RESET',
  FIRMWARE_ACTIVATION_REQUIRES_RESET: 'FIRMWARE REQUIRES RESET',
  FIRMWARE_ACTIVATION_REQUIRES_MAXIMUM_TIME_VIOLATION: 'FIRMWARE REQUIRES MAX TIME VIOLATION',
  NAMESPACE_IDENTIFIER_UNAVAILABLE: 'NAMESPACE ID UNAVAILABLE',
  THIN_PROVISIONING_NOT_SUPPORTED: 'THINPROVISIONING NOT SUPPORTED',
  DEVICE_SELF_TEST_IN_PROGRESS: 'DEVICE SELF-TEST IN PROGRESS',
  INVALID_CONTROLLER_IDENTIFIER: 'INVALID CONTROLLER ID',
  INVALID_PROTECTION_INFORMATION: 'INVALID PROTECTION INFO',
  ATTEMPTED_WRITE_TO_READ_ONLY_RANGE: 'WRITE TO RO RANGE',
  WRITE_FAULT: 'WRITE FAULTS',
  END_TO_END_GUARD_CHECK_ERROR: 'GUARD CHECK ERROR',
  END_TO_END_APPLICATION_TAG_CHECK_ERROR: 'APPLICATION TAG CHECK ERROR',
  END_TO_END_REFERENCE_TAG_CHECK_ERROR: 'REFERENCE TAG CHECK ERROR',
  CONTROLLER_PATHING_ERROR: 'CONTROLLER PATH ERROR',
  HOST_PATHING_ERROR: 'HOST PATH ERROR',
};

function nameMap(...tables: Record<string, number>[]): Map<number, string> {
  const map = new Map<number, string>();
  for (const table of tables) {
    for (const [key, sc] of Object.entries(table)) map.set(sc, SPDK_SPELLING[key] ?? key.replace(/_/g, ' '));
  }
  return map;
}

/** Per SCT: SC -> printed name, and what SPDK prints for an SC it does not know. */
const NAMES = new Map<number, { names: Map<number, string>; unknown: string }>([
  [StatusCodeType.GENERIC, { names: nameMap(GenericStatus), unknown: 'GENERIC' }],
  [
    StatusCodeType.COMMAND_SPECIFIC,
    { names: nameMap(AdminCommandStatus, NvmCommandStatus), unknown: 'COMMAND SPECIFIC' },
  ],
  [StatusCodeType.MEDIA_DATA_INTEGRITY, { names: nameMap(MediaStatus), unknown: 'MEDIA ERROR' }],
  [StatusCodeType.PATH, { names: nameMap(PathStatus), unknown: 'PATH ERROR' }],
]);
const FABRICS_NAMES = nameMap(FabricsCommandStatus);

const SCT_NAMES = new Map<number, string>([
  [StatusCodeType.GENERIC, 'GENERIC'],
  [StatusCodeType.COMMAND_SPECIFIC, 'COMMAND SPECIFIC'],
  [StatusCodeType.MEDIA_DATA_INTEGRITY, 'MEDIA AND DATA INTEGRITY'],
  [StatusCodeType.PATH, 'PATH'],
  [StatusCodeType.VENDOR_SPECIFIC, 'VENDOR SPECIFIC'],
]);

/**
 * The printed name of a status, in SPDK's spelling (`SUCCESS`, `INVALID FIELD`,
 * `LBA OUT OF RANGE`). SCT 7 prints `VENDOR SPECIFIC`, SCTs 4-6 `RESERVED`, and an
 * unknown SC the SCT's catch-all as SPDK does (`GENERIC`, `COMMAND SPECIFIC`...).
 *
 * @param opc the command's opcode when known: command specific codes 0x80 and up
 *   mean different things for Fabrics commands (`CONNECT INVALID PARAMETERS`)
 *   and NVM I/O commands (`WRITE TO RO RANGE`).
 */
export function statusName(sct: number, sc: number, opc?: number): string {
  if (sct === StatusCodeType.VENDOR_SPECIFIC) return 'VENDOR SPECIFIC';
  const entry = NAMES.get(sct);
  if (!entry) return 'RESERVED';
  if (sct === StatusCodeType.COMMAND_SPECIFIC && opc === FABRICS_OPCODE) {
    const fabrics = FABRICS_NAMES.get(sc);
    if (fabrics) return fabrics;
  }
  return entry.names.get(sc) ?? entry.unknown;
}

/** The name of a Status Code Type (`GENERIC`, `COMMAND SPECIFIC`...), or `RESERVED`. */
export function statusCodeTypeName(sct: number): string {
  return SCT_NAMES.get(sct) ?? 'RESERVED';
}

/** True when a 15-bit status field (see `unpackStatus`) says SUCCESS: SCT 0, SC 0. */
export function isSuccess(statusField: number): boolean {
  return (statusField & 0x7ff) === 0;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** A command completed with a status other than SUCCESS. */
export class NvmeStatusError extends Error {
  override readonly name = 'NvmeStatusError';
  readonly sct: number;
  readonly sc: number;
  readonly crd: number;
  readonly more: boolean;
  readonly dnr: boolean;
  /** The status in SPDK's spelling, e.g. `LBA OUT OF RANGE`. */
  readonly statusName: string;

  /**
   * @param status the decoded status field, or the raw 15-bit value
   * @param command the command in trace style, e.g. `READ sqid:1 cid:7 nsid:1 lba:0 len:8`
   * @param opc the command's opcode, to name command specific codes right
   * @param cdw0 dword 0 of the completion that carried the status, when there was one
   */
  constructor(
    status: CqeStatus | number,
    readonly command?: string,
    opc?: number,
    /**
     * Dword 0 of the completion, when the error came from one: some statuses
     * say more there (Connect's invalid parameter, IATTR and IPO).
     */
    readonly cdw0?: number,
  ) {
    const s = typeof status === 'number' ? unpackStatus(status) : status;
    const name = statusName(s.sct, s.sc, opc);
    const text = `${name} (${hex2(s.sct)}/${hex2(s.sc)}) dnr:${s.dnr ? 1 : 0}`;
    super(command ? `${command}: ${text}` : text);
    this.sct = s.sct;
    this.sc = s.sc;
    this.crd = s.crd;
    this.more = s.more;
    this.dnr = s.dnr;
    this.statusName = name;
  }
}
