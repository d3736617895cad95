/**
 * The Identify admin command (opcode 06h): what CNS selects and the size every
 * Identify data structure shares; the command's dwords are `Identify` in
 * commands.ts.
 */

/** Every Identify data structure is one 4 KiB page. */
export const IDENTIFY_DATA_SIZE = 4096;

/** Controller or Namespace Structure (CNS), CDW10 bits 7:0 (NVMe base spec 2.0, "Identify"). */
export const Cns = {
  NAMESPACE: 0x00,
  CONTROLLER: 0x01,
  ACTIVE_NAMESPACE_LIST: 0x02,
  NAMESPACE_ID_DESCRIPTOR_LIST: 0x03,
  NVM_SET_LIST: 0x04,
  IOCS_NAMESPACE: 0x05,
  IOCS_CONTROLLER: 0x06,
  IOCS_ACTIVE_NAMESPACE_LIST: 0x07,
  IOCS_INDEPENDENT_NAMESPACE: 0x08,
  ALLOCATED_NAMESPACE_LIST: 0x10,
  ALLOCATED_NAMESPACE: 0x11,
  NAMESPACE_ATTACHED_CONTROLLER_LIST: 0x12,
  CONTROLLER_LIST: 0x13,
  PRIMARY_CONTROLLER_CAPABILITIES: 0x14,
  SECONDARY_CONTROLLER_LIST: 0x15,
  NAMESPACE_GRANULARITY_LIST: 0x16,
  UUID_LIST: 0x17,
  DOMAIN_LIST: 0x18,
  ENDURANCE_GROUP_LIST: 0x19,
  IOCS_ALLOCATED_NAMESPACE_LIST: 0x1a,
  IOCS_ALLOCATED_NAMESPACE: 0x1b,
  IO_COMMAND_SET: 0x1c,
} as const;
export type Cns = (typeof Cns)[keyof typeof Cns];

/** Command Set Identifier (CSI), Identify CDW11 bits 31:24 and the CSI namespace descriptor. */
export const Csi = {
  NVM: 0x00,
  KEY_VALUE: 0x01,
  ZONED_NAMESPACE: 0x02,
} as const;

/** Command set names as SPDK's identify prints them (`NVM (00h)`). */
export const CSI_NAMES: Readonly<Record<number, string>> = {
  [Csi.NVM]: 'NVM',
  [Csi.KEY_VALUE]: 'KV',
  [Csi.ZONED_NAMESPACE]: 'ZNS',
};
