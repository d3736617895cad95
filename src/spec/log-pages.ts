/**
 * Get Log Page (admin opcode 02h): log identifiers and codecs for the log
 * pages a host reads at attach time and a target must serve. Every page
 * layout is a field table shared by parse and build; the command's dwords are
 * `GetLogPage` in commands.ts.
 */
import { defineBitLayout, readBitFields, writeBitFields, type BitValues } from './bitfield.js';
import { defineLayout, readFields, requireLength, writeFields, zeroFields, type FieldsOf } from './field-layout.js';
import { buildNsidList, NSID_LIST_MAX, parseNsidList } from './namespace-lists.js';

/** Log Page Identifiers (LID), NVMe base spec 2.0 "Log Page Identifiers". */
export const LogPageId = {
  SUPPORTED_LOG_PAGES: 0x00,
  ERROR_INFORMATION: 0x01,
  SMART_HEALTH: 0x02,
  FIRMWARE_SLOT: 0x03,
  CHANGED_NAMESPACE_LIST: 0x04,
  COMMANDS_SUPPORTED_AND_EFFECTS: 0x05,
  DEVICE_SELF_TEST: 0x06,
  TELEMETRY_HOST: 0x07,
  TELEMETRY_CONTROLLER: 0x08,
  ENDURANCE_GROUP_INFORMATION: 0x09,
  PREDICTABLE_LATENCY_PER_NVM_SET: 0x0a,
  PREDICTABLE_LATENCY_EVENT_AGGREGATE: 0x0b,
  ASYMMETRIC_NAMESPACE_ACCESS: 0x0c,
  PERSISTENT_EVENT_LOG: 0x0d,
  LBA_STATUS_INFORMATION: 0x0e,
  ENDURANCE_GROUP_EVENT_AGGREGATE: 0x0f,
  MEDIA_UNIT_STATUS: 0x10,
  SUPPORTED_CAPACITY_CONFIGURATION_LIST: 0x11,
  FEATURE_IDENTIFIERS_SUPPORTED_AND_EFFECTS: 0x12,
  NVME_MI_COMMANDS_SUPPORTED_AND_EFFECTS: 0x13,
  COMMAND_AND_FEATURE_LOCKDOWN: 0x14,
  BOOT_PARTITION: 0x15,
  ROTATIONAL_MEDIA_INFORMATION: 0x16,
  DISCOVERY: 0x70,
  RESERVATION_NOTIFICATION: 0x80,
  SANITIZE_STATUS: 0x81,
} as const;
export type LogPageId = (typeof LogPageId)[keyof typeof LogPageId];

/** The spec's name for each log page. */
export const LOG_PAGE_NAMES: Readonly<Record<number, string>> = {
  [LogPageId.SUPPORTED_LOG_PAGES]: 'Supported Log Pages',
  [LogPageId.ERROR_INFORMATION]: 'Error Information',
  [LogPageId.SMART_HEALTH]: 'SMART / Health Information',
  [LogPageId.FIRMWARE_SLOT]: 'Firmware Slot Information',
  [LogPageId.CHANGED_NAMESPACE_LIST]: 'Changed Namespace List',
  [LogPageId.COMMANDS_SUPPORTED_AND_EFFECTS]: 'Commands Supported and Effects',
  [LogPageId.DEVICE_SELF_TEST]: 'Device Self-test',
  [LogPageId.TELEMETRY_HOST]: 'Telemetry Host-Initiated',
  [LogPageId.TELEMETRY_CONTROLLER]: 'Telemetry Controller-Initiated',
  [LogPageId.ENDURANCE_GROUP_INFORMATION]: 'Endurance Group Information',
  [LogPageId.PREDICTABLE_LATENCY_PER_NVM_SET]: 'Predictable Latency Per NVM Set',
  [LogPageId.PREDICTABLE_LATENCY_EVENT_AGGREGATE]: 'Predictable Latency Event Aggregate',
  [LogPageId.ASYMMETRIC_NAMESPACE_ACCESS]: 'Asymmetric Namespace Access',
  [LogPageId.PERSISTENT_EVENT_LOG]: 'Persistent Event Log',
  [LogPageId.LBA_STATUS_INFORMATION]: 'LBA Status Information',
  [LogPageId.ENDURANCE_GROUP_EVENT_AGGREGATE]: 'Endurance Group Event Aggregate',
  [LogPageId.MEDIA_UNIT_STATUS]: 'Media Unit Status',
  [LogPageId.SUPPORTED_CAPACITY_CONFIGURATION_LIST]: 'Supported Capacity Configuration List',
  [LogPageId.FEATURE_IDENTIFIERS_SUPPORTED_AND_EFFECTS]: 'Feature Identifiers Supported and Effects',
  [LogPageId.NVME_MI_COMMANDS_SUPPORTED_AND_EFFECTS]: 'NVMe-MI Commands Supported and Effects',
  [LogPageId.COMMAND_AND_FEATURE_LOCKDOWN]: 'Command and Feature Lockdown',
  [LogPageId.BOOT_PARTITION]: 'Boot Partition',
  [LogPageId.ROTATIONAL_MEDIA_INFORMATION]: 'Rotational Media Information',
  [LogPageId.DISCOVERY]: 'Discovery',
  [LogPageId.RESERVATION_NOTIFICATION]: 'Reservation Notification',
  [LogPageId.SANITIZE_STATUS]: 'Sanitize Status',
};

/** Name of a log page, or `Log Page 0xNN` for one not in the table. */
export function logPageName(lid: number): string {
  return LOG_PAGE_NAMES[lid] ?? `Log Page 0x${lid.toString(16).padStart(2, '0')}`;
}

// ---------------------------------------------------------------------------
// Error Information (LID 01h): 64-byte entries, newest first.

export const ERROR_ENTRY_SIZE = 64;

export const ERROR_ENTRY_FIELDS = defineLayout('ErrorInformationEntry', ERROR_ENTRY_SIZE, [
  /** Unique, incrementing error identifier; 0 marks an unused entry. */
  { key: 'error_count', offset: 0, size: 8, kind: 'u64' },
  { key: 'sqid', offset: 8, size: 2, kind: 'u16' },
  { key: 'cmdid', offset: 10, size: 2, kind: 'u16' },
  /** Phase tag in bit 0, the 15-bit status field in bits 15:1, as in a CQE. */
  { key: 'status_field', offset: 12, size: 2, kind: 'u16' },
  { key: 'parm_error_location', offset: 14, size: 2, kind: 'u16' },
  { key: 'lba', offset: 16, size: 8, kind: 'u64' },
  { key: 'nsid', offset: 24, size: 4, kind: 'u32' },
  /** Vendor Specific Information Available: log page ID with more detail, or 0. */
  { key: 'vs', offset: 28, size: 1, kind: 'u8' },
  { key: 'trtype', offset: 29, size: 1, kind: 'u8' },
  { key: 'csi', offset: 30, size: 1, kind: 'u8' },
  { key: 'opcode', offset: 31, size: 1, kind: 'u8' },
  { key: 'cmd_specific', offset: 32, size: 8, kind: 'u64' },
  { key: 'trtype_spec_info', offset: 40, size: 2, kind: 'u16' },
  { key: 'log_page_version', offset: 63, size: 1, kind: 'u8' },
] as const);

export type ErrorInformationEntry = FieldsOf<typeof ERROR_ENTRY_FIELDS>;

/** Parses as many whole 64-byte entries as `buf` holds (the host asks for ELPE + 1). */
export function parseErrorLog(buf: Uint8Array): ErrorInformationEntry[] {
  const out: ErrorInformationEntry[] = [];
  for (let off = 0; off + ERROR_ENTRY_SIZE <= buf.length; off += ERROR_ENTRY_SIZE) {
    out.push(readFields(ERROR_ENTRY_FIELDS, buf, off));
  }
  return out;
}

/** Builds `count` entries (default: as many as given); missing entries are zero (unused). */
export function buildErrorLog(entries: readonly ErrorInformationEntry[], count = entries.length): Buffer {
  if (entries.length > count) throw new RangeError(`entries: ${entries.length} do not fit in ${count}`);
  const buf = Buffer.alloc(count * ERROR_ENTRY_SIZE);
  entries.forEach((e, i) => writeFields(ERROR_ENTRY_FIELDS, e, buf, i * ERROR_ENTRY_SIZE));
  return buf;
}

/** An unused (all zero) error log entry, to start from. */
export function emptyErrorEntry(): ErrorInformationEntry {
  return zeroFields(ERROR_ENTRY_FIELDS);
}

// ---------------------------------------------------------------------------
// SMART / Health Information (LID 02h): 512 bytes.

export const SMART_LOG_SIZE = 512;

export const SMART_LOG_FIELDS = defineLayout('SmartHealthLog', SMART_LOG_SIZE, [
  /** Bits: 0 spare below threshold, 1 temperature, 2 reliability degraded, 3 read only, 4 volatile backup failed, 5 PMR read only. */
  { key: 'critical_warning', offset: 0, size: 1, kind: 'u8' },
  /** Composite temperature, Kelvin. */
  { key: 'temperature', offset: 1, size: 2, kind: 'u16' },
  { key: 'avail_spare', offset: 3, size: 1, kind: 'u8' },
  { key: 'spare_thresh', offset: 4, size: 1, kind: 'u8' },
  { key: 'percent_used', offset: 5, size: 1, kind: 'u8' },
  { key: 'endu_grp_crit_warn_sumry', offset: 6, size: 1, kind: 'u8' },
  /** Thousands of 512-byte units. */
  { key: 'data_units_read', offset: 32, size: 16, kind: 'u128' },
  { key: 'data_units_written', offset: 48, size: 16, kind: 'u128' },
  { key: 'host_reads', offset: 64, size: 16, kind: 'u128' },
  { key: 'host_writes', offset: 80, size: 16, kind: 'u128' },
  /** Minutes. */
  { key: 'ctrl_busy_time', offset: 96, size: 16, kind: 'u128' },
  { key: 'power_cycles', offset: 112, size: 16, kind: 'u128' },
  { key: 'power_on_hours', offset: 128, size: 16, kind: 'u128' },
  { key: 'unsafe_shutdowns', offset: 144, size: 16, kind: 'u128' },
  { key: 'media_errors', offset: 160, size: 16, kind: 'u128' },
  { key: 'num_err_log_entries', offset: 176, size: 16, kind: 'u128' },
  /** Minutes above WCTEMP. */
  { key: 'warning_temp_time', offset: 192, size: 4, kind: 'u32' },
  /** Minutes above CCTEMP. */
  { key: 'critical_comp_time', offset: 196, size: 4, kind: 'u32' },
  { key: 'temp_sensor1', offset: 200, size: 2, kind: 'u16' },
  { key: 'temp_sensor2', offset: 202, size: 2, kind: 'u16' },
  { key: 'temp_sensor3', offset: 204, size: 2, kind: 'u16' },
  { key: 'temp_sensor4', offset: 206, size: 2, kind: 'u16' },
  { key: 'temp_sensor5', offset: 208, size: 2, kind: 'u16' },
  { key: 'temp_sensor6', offset: 210, size: 2, kind: 'u16' },
  { key: 'temp_sensor7', offset: 212, size: 2, kind: 'u16' },
  { key: 'temp_sensor8', offset: 214, size: 2, kind: 'u16' },
  { key: 'thm_temp1_trans_count', offset: 216, size: 4, kind: 'u32' },
  { key: 'thm_temp2_trans_count', offset: 220, size: 4, kind: 'u32' },
  { key: 'thm_temp1_total_time', offset: 224, size: 4, kind: 'u32' },
  { key: 'thm_temp2_total_time', offset: 228, size: 4, kind: 'u32' },
] as const);

export type SmartHealthLog = FieldsOf<typeof SMART_LOG_FIELDS>;

/** Critical Warning bits of the SMART / Health log. */
export const CriticalWarning = {
  AVAILABLE_SPARE: 0x01,
  TEMPERATURE: 0x02,
  DEVICE_RELIABILITY: 0x04,
  READ_ONLY: 0x08,
  VOLATILE_MEMORY_BACKUP: 0x10,
  PMR_READ_ONLY: 0x20,
} as const;

export function parseSmartLog(buf: Uint8Array): SmartHealthLog {
  requireLength('SMART / Health log', buf, SMART_LOG_SIZE);
  return readFields(SMART_LOG_FIELDS, buf);
}

export function buildSmartLog(log: SmartHealthLog): Buffer {
  const buf = Buffer.alloc(SMART_LOG_SIZE);
  writeFields(SMART_LOG_FIELDS, log, buf);
  return buf;
}

/** A SMART / Health log with every counter zero, to start from. */
export function emptySmartLog(): SmartHealthLog {
  return zeroFields(SMART_LOG_FIELDS);
}

// ---------------------------------------------------------------------------
// Firmware Slot Information (LID 03h): 512 bytes.

export const FIRMWARE_SLOT_LOG_SIZE = 512;
export const FIRMWARE_SLOTS = 7;

export const FIRMWARE_SLOT_FIELDS = defineLayout('FirmwareSlotLog', FIRMWARE_SLOT_LOG_SIZE, [
  /** Active Firmware Info: bits 2:0 active slot, bits 6:4 slot activated at next reset. */
  { key: 'afi', offset: 0, size: 1, kind: 'u8' },
  /** Firmware revision per slot, space-padded ASCII; an empty slot is all NUL bytes. */
  { key: 'frs1', offset: 8, size: 8, kind: 'ascii' },
  { key: 'frs2', offset: 16, size: 8, kind: 'ascii' },
  { key: 'frs3', offset: 24, size: 8, kind: 'ascii' },
  { key: 'frs4', offset: 32, size: 8, kind: 'ascii' },
  { key: 'frs5', offset: 40, size: 8, kind: 'ascii' },
  { key: 'frs6', offset: 48, size: 8, kind: 'ascii' },
  { key: 'frs7', offset: 56, size: 8, kind: 'ascii' },
] as const);

export type FirmwareSlotLog = FieldsOf<typeof FIRMWARE_SLOT_FIELDS>;

export function parseFirmwareSlotLog(buf: Uint8Array): FirmwareSlotLog {
  requireLength('Firmware Slot log', buf, FIRMWARE_SLOT_LOG_SIZE);
  return readFields(FIRMWARE_SLOT_FIELDS, buf);
}

export function buildFirmwareSlotLog(log: FirmwareSlotLog): Buffer {
  const buf = Buffer.alloc(FIRMWARE_SLOT_LOG_SIZE);
  writeFields(FIRMWARE_SLOT_FIELDS, log, buf);
  return buf;
}

/** An empty slot log: no active slot, every revision all NUL. */
export function emptyFirmwareSlotLog(): FirmwareSlotLog {
  return zeroFields(FIRMWARE_SLOT_FIELDS);
}

/** Slot revisions 1..7 with `undefined` for empty (all-NUL) slots. */
export function firmwareRevisions(log: FirmwareSlotLog): (string | undefined)[] {
  const slots = [log.frs1, log.frs2, log.frs3, log.frs4, log.frs5, log.frs6, log.frs7];
  return slots.map((s) => (/^\0*$/.test(s) ? undefined : s));
}

/** AFI decoded. */
export function activeFirmwareInfo(afi: number): { activeSlot: number; nextResetSlot: number } {
  return { activeSlot: afi & 0x7, nextResetSlot: (afi >> 4) & 0x7 };
}

// ---------------------------------------------------------------------------
// Changed Namespace List (LID 04h): up to 1024 NSIDs.

/** The first entry is this when more than 1024 namespaces changed. */
export const CHANGED_NS_LIST_OVERFLOW = 0xffffffff;

export interface ChangedNamespaceList {
  /** More namespaces changed than the list can hold: the host must rescan them all. */
  overflow: boolean;
  nsids: number[];
}

export function parseChangedNamespaceList(buf: Uint8Array): ChangedNamespaceList {
  const nsids = parseNsidList(buf);
  if (nsids[0] === CHANGED_NS_LIST_OVERFLOW) return { overflow: true, nsids: [] };
  return { overflow: false, nsids };
}

/** Builds the 4096-byte page; more than 1024 NSIDs (or `overflow`) becomes the overflow marker. */
export function buildChangedNamespaceList(list: ChangedNamespaceList): Buffer {
  if (list.overflow || list.nsids.length > NSID_LIST_MAX) return buildNsidList([CHANGED_NS_LIST_OVERFLOW]);
  return buildNsidList(list.nsids);
}

// ---------------------------------------------------------------------------
// Commands Supported and Effects (LID 05h): 256 admin + 256 I/O entries of 32 bits.

export const EFFECTS_LOG_SIZE = 4096;
export const EFFECTS_ENTRY_SIZE = 4;
export const EFFECTS_IO_OFFSET = 1024;
const EFFECTS_PER_SET = 256;

/** One Commands Supported and Effects entry (32 bits). */
export const EFFECTS_ENTRY_BITS = defineBitLayout('CommandEffectsEntry', 32, {
  /** Command Supported. */
  csupp: { shift: 0, width: 1, flag: true },
  /** Logical Block Content Change. */
  lbcc: { shift: 1, width: 1, flag: true },
  /** Namespace Capability Change. */
  ncc: { shift: 2, width: 1, flag: true },
  /** Namespace Inventory Change. */
  nic: { shift: 3, width: 1, flag: true },
  /** Controller Capability Change. */
  ccc: { shift: 4, width: 1, flag: true },
  /** Command Submission and Execution Relaxations. */
  cser: { shift: 14, width: 2 },
  /** Command Submission and Execution: 0 none, 1 per namespace, 2 all namespaces ({@link Cse}). */
  cse: { shift: 16, width: 3 },
  /** UUID Selection Supported. */
  uss: { shift: 19, width: 1, flag: true },
  /** Command Scope: bit 0 namespace, 1 controller, 2 NVM set, 3 endurance group, 4 domain, 5 NVM subsystem. */
  csp: { shift: 20, width: 12 },
});

export type CommandEffects = BitValues<typeof EFFECTS_ENTRY_BITS>;

export interface CommandEffectsLog {
  /** Indexed by admin opcode. */
  admin: CommandEffects[];
  /** Indexed by I/O opcode. */
  io: CommandEffects[];
}

/** Command Submission and Execution values. */
export const Cse = { NONE: 0, SINGLE_NAMESPACE: 1, ALL_NAMESPACES: 2 } as const;

export function parseCommandEffectsLog(buf: Uint8Array): CommandEffectsLog {
  requireLength('Commands Supported and Effects log', buf, EFFECTS_IO_OFFSET * 2);
  const set = (base: number) =>
    Array.from({ length: EFFECTS_PER_SET }, (_, opc) => readBitFields(EFFECTS_ENTRY_BITS, buf, base + opc * EFFECTS_ENTRY_SIZE));
  return { admin: set(0), io: set(EFFECTS_IO_OFFSET) };
}

export function buildCommandEffectsLog(log: CommandEffectsLog): Buffer {
  const buf = Buffer.alloc(EFFECTS_LOG_SIZE);
  const put = (entries: CommandEffects[], base: number, name: string) => {
    if (entries.length > EFFECTS_PER_SET) throw new RangeError(`${name}: at most ${EFFECTS_PER_SET} entries, got ${entries.length}`);
    entries.forEach((e, opc) => writeBitFields(`${name}[${opc}]`, EFFECTS_ENTRY_BITS, buf, base + opc * EFFECTS_ENTRY_SIZE, e));
  };
  put(log.admin, 0, 'admin');
  put(log.io, EFFECTS_IO_OFFSET, 'io');
  return buf;
}

/** A log with nothing supported; set entries by opcode. */
export function emptyCommandEffectsLog(): CommandEffectsLog {
  const none = () => Array.from({ length: EFFECTS_PER_SET }, () => readBitFields(EFFECTS_ENTRY_BITS, new Uint8Array(EFFECTS_ENTRY_SIZE)));
  return { admin: none(), io: none() };
}

