/**
 * Command opcodes: admin, NVM command set I/O, and Fabrics. The name tables use the
 * spellings SPDK prints in its command traces, so `--trace` output can be diffed
 * against SPDK's.
 */

export const AdminOpcode = {
  DELETE_IO_SQ: 0x00,
  CREATE_IO_SQ: 0x01,
  GET_LOG_PAGE: 0x02,
  DELETE_IO_CQ: 0x04,
  CREATE_IO_CQ: 0x05,
  IDENTIFY: 0x06,
  ABORT: 0x08,
  SET_FEATURES: 0x09,
  GET_FEATURES: 0x0a,
  ASYNC_EVENT_REQUEST: 0x0c,
  NAMESPACE_MANAGEMENT: 0x0d,
  FIRMWARE_COMMIT: 0x10,
  FIRMWARE_IMAGE_DOWNLOAD: 0x11,
  DEVICE_SELF_TEST: 0x14,
  NAMESPACE_ATTACHMENT: 0x15,
  KEEP_ALIVE: 0x18,
  DIRECTIVE_SEND: 0x19,
  DIRECTIVE_RECEIVE: 0x1a,
  VIRTUALIZATION_MANAGEMENT: 0x1c,
  NVME_MI_SEND: 0x1d,
  NVME_MI_RECEIVE: 0x1e,
  DOORBELL_BUFFER_CONFIG: 0x7c,
  FORMAT_NVM: 0x80,
  SECURITY_SEND: 0x81,
  SECURITY_RECEIVE: 0x82,
  SANITIZE: 0x84,
  GET_LBA_STATUS: 0x86,
} as const;

export const IoOpcode = {
  FLUSH: 0x00,
  WRITE: 0x01,
  READ: 0x02,
  WRITE_UNCORRECTABLE: 0x04,
  COMPARE: 0x05,
  WRITE_ZEROES: 0x08,
  DATASET_MANAGEMENT: 0x09,
  VERIFY: 0x0c,
  RESERVATION_REGISTER: 0x0d,
  RESERVATION_REPORT: 0x0e,
  RESERVATION_ACQUIRE: 0x11,
  RESERVATION_RELEASE: 0x15,
  COPY: 0x19,
} as const;

/** Every Fabrics command uses this opcode; FCTYPE (SQE byte 4) says which one. */
export const FABRICS_OPCODE = 0x7f;

const ADMIN_NAMES = nameTable(AdminOpcode);
const IO_NAMES = nameTable(IoOpcode);

/** Name of an admin opcode in SPDK's trace style (`IDENTIFY`, `GET LOG PAGE`), or `ADMIN 0xNN`. */
export function adminOpcodeName(opc: number): string {
  if (opc === FABRICS_OPCODE) return 'FABRIC';
  return ADMIN_NAMES.get(opc) ?? `ADMIN 0x${hex2(opc)}`;
}

/** Name of an NVM I/O opcode in SPDK's trace style (`READ`, `WRITE ZEROES`), or `IO 0xNN`. */
export function ioOpcodeName(opc: number): string {
  if (opc === FABRICS_OPCODE) return 'FABRIC';
  return IO_NAMES.get(opc) ?? `IO 0x${hex2(opc)}`;
}

function nameTable(table: Record<string, number>): Map<number, string> {
  return new Map(Object.entries(table).map(([key, opc]) => [opc, key.replace(/_/g, ' ')]));
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
