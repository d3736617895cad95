/**
 * Identify Controller data structure (CNS 01h), NVMe base spec 2.0 figure
 * "Identify – Identify Controller Data Structure, I/O Command Set Independent".
 * Property names are the keys `nvme id-ctrl -o json` prints, so a user can
 * put our output beside nvme-cli's.
 */
import { defineBitLayout } from './bitfield.js';
import { defineLayout, readFields, requireLength, writeFields, zeroFields, type FieldsOf } from './field-layout.js';
import { IDENTIFY_DATA_SIZE } from './identify.js';

/** Byte layout of the controller fields, in offset order (nvme-cli prints them in this order too). */
export const CONTROLLER_FIELDS = defineLayout('IdentifyController', IDENTIFY_DATA_SIZE, [
  { key: 'vid', offset: 0, size: 2, kind: 'u16' },
  { key: 'ssvid', offset: 2, size: 2, kind: 'u16' },
  { key: 'sn', offset: 4, size: 20, kind: 'ascii' },
  { key: 'mn', offset: 24, size: 40, kind: 'ascii' },
  { key: 'fr', offset: 64, size: 8, kind: 'ascii' },
  { key: 'rab', offset: 72, size: 1, kind: 'u8' },
  /** IEEE OUI, least significant byte first on the wire. */
  { key: 'ieee', offset: 73, size: 3, kind: 'u24' },
  { key: 'cmic', offset: 76, size: 1, kind: 'u8' },
  { key: 'mdts', offset: 77, size: 1, kind: 'u8' },
  { key: 'cntlid', offset: 78, size: 2, kind: 'u16' },
  { key: 'ver', offset: 80, size: 4, kind: 'u32' },
  { key: 'rtd3r', offset: 84, size: 4, kind: 'u32' },
  { key: 'rtd3e', offset: 88, size: 4, kind: 'u32' },
  { key: 'oaes', offset: 92, size: 4, kind: 'u32' },
  { key: 'ctratt', offset: 96, size: 4, kind: 'u32' },
  { key: 'rrls', offset: 100, size: 2, kind: 'u16' },
  { key: 'cntrltype', offset: 111, size: 1, kind: 'u8' },
  { key: 'fguid', offset: 112, size: 16, kind: 'uuid' },
  { key: 'crdt1', offset: 128, size: 2, kind: 'u16' },
  { key: 'crdt2', offset: 130, size: 2, kind: 'u16' },
  { key: 'crdt3', offset: 132, size: 2, kind: 'u16' },
  { key: 'nvmsr', offset: 253, size: 1, kind: 'u8' },
  { key: 'vwci', offset: 254, size: 1, kind: 'u8' },
  { key: 'mec', offset: 255, size: 1, kind: 'u8' },
  { key: 'oacs', offset: 256, size: 2, kind: 'u16' },
  { key: 'acl', offset: 258, size: 1, kind: 'u8' },
  { key: 'aerl', offset: 259, size: 1, kind: 'u8' },
  { key: 'frmw', offset: 260, size: 1, kind: 'u8' },
  { key: 'lpa', offset: 261, size: 1, kind: 'u8' },
  { key: 'elpe', offset: 262, size: 1, kind: 'u8' },
  { key: 'npss', offset: 263, size: 1, kind: 'u8' },
  { key: 'avscc', offset: 264, size: 1, kind: 'u8' },
  { key: 'apsta', offset: 265, size: 1, kind: 'u8' },
  { key: 'wctemp', offset: 266, size: 2, kind: 'u16' },
  { key: 'cctemp', offset: 268, size: 2, kind: 'u16' },
  { key: 'mtfa', offset: 270, size: 2, kind: 'u16' },
  { key: 'hmpre', offset: 272, size: 4, kind: 'u32' },
  { key: 'hmmin', offset: 276, size: 4, kind: 'u32' },
  { key: 'tnvmcap', offset: 280, size: 16, kind: 'u128' },
  { key: 'unvmcap', offset: 296, size: 16, kind: 'u128' },
  { key: 'rpmbs', offset: 312, size: 4, kind: 'u32' },
  { key: 'edstt', offset: 316, size: 2, kind: 'u16' },
  { key: 'dsto', offset: 318, size: 1, kind: 'u8' },
  { key: 'fwug', offset: 319, size: 1, kind: 'u8' },
  { key: 'kas', offset: 320, size: 2, kind: 'u16' },
  { key: 'hctma', offset: 322, size: 2, kind: 'u16' },
  { key: 'mntmt', offset: 324, size: 2, kind: 'u16' },
  { key: 'mxtmt', offset: 326, size: 2, kind: 'u16' },
  { key: 'sanicap', offset: 328, size: 4, kind: 'u32' },
  { key: 'hmminds', offset: 332, size: 4, kind: 'u32' },
  { key: 'hmmaxd', offset: 336, size: 2, kind: 'u16' },
  { key: 'nsetidmax', offset: 338, size: 2, kind: 'u16' },
  { key: 'endgidmax', offset: 340, size: 2, kind: 'u16' },
  { key: 'anatt', offset: 342, size: 1, kind: 'u8' },
  { key: 'anacap', offset: 343, size: 1, kind: 'u8' },
  { key: 'anagrpmax', offset: 344, size: 4, kind: 'u32' },
  { key: 'nanagrpid', offset: 348, size: 4, kind: 'u32' },
  { key: 'pels', offset: 352, size: 4, kind: 'u32' },
  { key: 'domainid', offset: 356, size: 2, kind: 'u16' },
  { key: 'megcap', offset: 368, size: 16, kind: 'u128' },
  { key: 'sqes', offset: 512, size: 1, kind: 'u8' },
  { key: 'cqes', offset: 513, size: 1, kind: 'u8' },
  { key: 'maxcmd', offset: 514, size: 2, kind: 'u16' },
  { key: 'nn', offset: 516, size: 4, kind: 'u32' },
  { key: 'oncs', offset: 520, size: 2, kind: 'u16' },
  { key: 'fuses', offset: 522, size: 2, kind: 'u16' },
  { key: 'fna', offset: 524, size: 1, kind: 'u8' },
  { key: 'vwc', offset: 525, size: 1, kind: 'u8' },
  { key: 'awun', offset: 526, size: 2, kind: 'u16' },
  { key: 'awupf', offset: 528, size: 2, kind: 'u16' },
  { key: 'icsvscc', offset: 530, size: 1, kind: 'u8' },
  { key: 'nwpc', offset: 531, size: 1, kind: 'u8' },
  { key: 'acwu', offset: 532, size: 2, kind: 'u16' },
  { key: 'ocfs', offset: 534, size: 2, kind: 'u16' },
  { key: 'sgls', offset: 536, size: 4, kind: 'u32' },
  { key: 'mnan', offset: 540, size: 4, kind: 'u32' },
  { key: 'maxdna', offset: 544, size: 16, kind: 'u128' },
  { key: 'maxcna', offset: 560, size: 4, kind: 'u32' },
  { key: 'subnqn', offset: 768, size: 256, kind: 'cstring' },
  { key: 'ioccsz', offset: 1792, size: 4, kind: 'u32' },
  { key: 'iorcsz', offset: 1796, size: 4, kind: 'u32' },
  { key: 'icdoff', offset: 1800, size: 2, kind: 'u16' },
  { key: 'fcatt', offset: 1802, size: 1, kind: 'u8' },
  { key: 'msdbd', offset: 1803, size: 1, kind: 'u8' },
  { key: 'ofcs', offset: 1804, size: 2, kind: 'u16' },
] as const);

/** Controller Type (CNTRLTYPE). */
export const ControllerType = {
  NOT_REPORTED: 0,
  IO: 1,
  DISCOVERY: 2,
  ADMINISTRATIVE: 3,
} as const;

/** Power State Descriptors start here; one per power state, NPSS + 1 of them. */
export const PSD_OFFSET = 2048;
export const PSD_SIZE = 32;
export const MAX_POWER_STATES = 32;

/** Layout of one Power State Descriptor; keys as nvme-cli prints them under `psds`. */
export const POWER_STATE_FIELDS = defineLayout('PowerStateDescriptor', PSD_SIZE, [
  /** MP, in 0.01 W units (0.0001 W when flags bit 0, MXPS, is set). */
  { key: 'max_power', offset: 0, size: 2, kind: 'u16' },
  /** Bit 0 MXPS (max power scale), bit 1 NOPS (non-operational state). */
  { key: 'flags', offset: 3, size: 1, kind: 'u8' },
  /** ENLAT, microseconds. */
  { key: 'entry_lat', offset: 4, size: 4, kind: 'u32' },
  /** EXLAT, microseconds. */
  { key: 'exit_lat', offset: 8, size: 4, kind: 'u32' },
  { key: 'read_tput', offset: 12, size: 1, kind: 'u8' },
  { key: 'read_lat', offset: 13, size: 1, kind: 'u8' },
  { key: 'write_tput', offset: 14, size: 1, kind: 'u8' },
  { key: 'write_lat', offset: 15, size: 1, kind: 'u8' },
  { key: 'idle_power', offset: 16, size: 2, kind: 'u16' },
  /** IPS: 0 not reported, 1 = 0.0001 W, 2 = 0.01 W. */
  { key: 'idle_scale', offset: 18, size: 1, kind: 'bits', shift: 6, width: 2 },
  { key: 'active_power', offset: 20, size: 2, kind: 'u16' },
  /** APW, active power workload. */
  { key: 'active_power_work', offset: 22, size: 1, kind: 'bits', shift: 0, width: 3 },
  /** APS: 0 not reported, 1 = 0.0001 W, 2 = 0.01 W. */
  { key: 'active_scale', offset: 22, size: 1, kind: 'bits', shift: 6, width: 2 },
] as const);

/** One Power State Descriptor. */
export type PowerStateDescriptor = FieldsOf<typeof POWER_STATE_FIELDS>;

/**
 * Identify Controller data. 128-bit capacities are bigint; ASCII fields are
 * without their space padding. Reserved and vendor-specific bytes are not kept.
 */
export interface IdentifyController extends FieldsOf<typeof CONTROLLER_FIELDS> {
  /** Power State Descriptors 0..NPSS. */
  psds: PowerStateDescriptor[];
}

/** Parses a 4096-byte Identify Controller page. Reads NPSS + 1 power states. */
export function parseIdentifyController(buf: Uint8Array): IdentifyController {
  requireLength('Identify Controller', buf, IDENTIFY_DATA_SIZE);
  const c = readFields(CONTROLLER_FIELDS, buf);
  const psds: PowerStateDescriptor[] = [];
  for (let i = 0; i <= Math.min(c.npss, MAX_POWER_STATES - 1); i++) {
    psds.push(readFields(POWER_STATE_FIELDS, buf, PSD_OFFSET + i * PSD_SIZE));
  }
  return { ...c, psds };
}

/** Builds the 4096-byte Identify Controller page. `psds` must hold NPSS + 1 descriptors (at most 32). */
export function buildIdentifyController(c: IdentifyController): Buffer {
  if (c.psds.length !== c.npss + 1 || c.psds.length > MAX_POWER_STATES) {
    throw new RangeError(`psds: expected npss + 1 = ${c.npss + 1} power states (at most ${MAX_POWER_STATES}), got ${c.psds.length}`);
  }
  const buf = Buffer.alloc(IDENTIFY_DATA_SIZE);
  writeFields(CONTROLLER_FIELDS, c, buf);
  c.psds.forEach((psd, i) => writeFields(POWER_STATE_FIELDS, psd, buf, PSD_OFFSET + i * PSD_SIZE));
  return buf;
}

/** A power state descriptor with every field zero. */
export function zeroPowerState(): PowerStateDescriptor {
  return zeroFields(POWER_STATE_FIELDS);
}

/**
 * Identify Controller data with every field zero except what any sane
 * controller reports: NVMe 2.0, an I/O controller, 64-byte SQEs and 16-byte
 * CQEs, one power state. A target starts here and fills in the rest.
 */
export function defaultIdentifyController(): IdentifyController {
  return {
    ...zeroFields(CONTROLLER_FIELDS),
    ver: 0x00020000,
    cntrltype: ControllerType.IO,
    sqes: 0x66,
    cqes: 0x44,
    psds: [zeroPowerState()],
  };
}

// Bit fields inside Identify Controller fields; decode with `decodeBits` from bitfield.ts.

/** CMIC: Controller Multi-Path I/O and Namespace Sharing Capabilities. */
export const CMIC_BITS = defineBitLayout('CMIC', 8, {
  multiPort: { shift: 0, width: 1, flag: true },
  multiController: { shift: 1, width: 1, flag: true },
  sriov: { shift: 2, width: 1, flag: true },
  /** Asymmetric Namespace Access reporting. */
  anaReporting: { shift: 3, width: 1, flag: true },
});

/** OAES: Optional Asynchronous Events Supported. */
export const OAES_BITS = defineBitLayout('OAES', 32, {
  namespaceAttributeNotices: { shift: 8, width: 1, flag: true },
  firmwareActivationNotices: { shift: 9, width: 1, flag: true },
  anaChangeNotices: { shift: 11, width: 1, flag: true },
  pleAggregateLogChangeNotices: { shift: 12, width: 1, flag: true },
  lbaStatusInfoAlertNotices: { shift: 13, width: 1, flag: true },
  egeAggregateLogChangeNotices: { shift: 14, width: 1, flag: true },
  normalNvmSubsystemShutdown: { shift: 15, width: 1, flag: true },
  zoneDescriptorChangeNotices: { shift: 27, width: 1, flag: true },
  discoveryLogChangeNotices: { shift: 31, width: 1, flag: true },
});

/** CTRATT: Controller Attributes. */
export const CTRATT_BITS = defineBitLayout('CTRATT', 32, {
  hostId128: { shift: 0, width: 1, flag: true },
  nopspm: { shift: 1, width: 1, flag: true },
  nvmSets: { shift: 2, width: 1, flag: true },
  readRecoveryLevels: { shift: 3, width: 1, flag: true },
  enduranceGroups: { shift: 4, width: 1, flag: true },
  predictableLatencyMode: { shift: 5, width: 1, flag: true },
  tbkas: { shift: 6, width: 1, flag: true },
  namespaceGranularity: { shift: 7, width: 1, flag: true },
  sqAssociations: { shift: 8, width: 1, flag: true },
  uuidList: { shift: 9, width: 1, flag: true },
  multiDomainSubsystem: { shift: 10, width: 1, flag: true },
  fixedCapacityManagement: { shift: 11, width: 1, flag: true },
  variableCapacityManagement: { shift: 12, width: 1, flag: true },
  deleteEnduranceGroup: { shift: 13, width: 1, flag: true },
  deleteNvmSet: { shift: 14, width: 1, flag: true },
  extendedLbaFormats: { shift: 15, width: 1, flag: true },
  flexibleDataPlacement: { shift: 19, width: 1, flag: true },
});

/** OACS: Optional Admin Command Support. */
export const OACS_BITS = defineBitLayout('OACS', 16, {
  securitySendReceive: { shift: 0, width: 1, flag: true },
  formatNvm: { shift: 1, width: 1, flag: true },
  firmware: { shift: 2, width: 1, flag: true },
  namespaceManagement: { shift: 3, width: 1, flag: true },
  deviceSelfTest: { shift: 4, width: 1, flag: true },
  directives: { shift: 5, width: 1, flag: true },
  nvmeMi: { shift: 6, width: 1, flag: true },
  virtualizationManagement: { shift: 7, width: 1, flag: true },
  doorbellBufferConfig: { shift: 8, width: 1, flag: true },
  getLbaStatus: { shift: 9, width: 1, flag: true },
  commandFeatureLockdown: { shift: 10, width: 1, flag: true },
});

/** FRMW: Firmware Updates. */
export const FRMW_BITS = defineBitLayout('FRMW', 8, {
  slot1ReadOnly: { shift: 0, width: 1, flag: true },
  numSlots: { shift: 1, width: 3 },
  activationWithoutReset: { shift: 4, width: 1, flag: true },
  multipleUpdateDetection: { shift: 5, width: 1, flag: true },
});

/** LPA: Log Page Attributes. */
export const LPA_BITS = defineBitLayout('LPA', 8, {
  smartPerNamespace: { shift: 0, width: 1, flag: true },
  commandEffects: { shift: 1, width: 1, flag: true },
  extendedData: { shift: 2, width: 1, flag: true },
  telemetry: { shift: 3, width: 1, flag: true },
  persistentEventLog: { shift: 4, width: 1, flag: true },
  /** Supported Log Pages, Commands Supported and Effects, Feature Identifiers and NVMe-MI effects logs. */
  supportedLogPages: { shift: 5, width: 1, flag: true },
  telemetryDataArea4: { shift: 6, width: 1, flag: true },
});

/** SQES / CQES: required (minimum) and maximum entry size, log2. */
export const QUEUE_ENTRY_SIZE_BITS = defineBitLayout('QES', 8, {
  min: { shift: 0, width: 4 },
  max: { shift: 4, width: 4 },
});

/** ONCS: Optional NVM Command Support. */
export const ONCS_BITS = defineBitLayout('ONCS', 16, {
  compare: { shift: 0, width: 1, flag: true },
  writeUncorrectable: { shift: 1, width: 1, flag: true },
  datasetManagement: { shift: 2, width: 1, flag: true },
  writeZeroes: { shift: 3, width: 1, flag: true },
  saveField: { shift: 4, width: 1, flag: true },
  reservations: { shift: 5, width: 1, flag: true },
  timestamp: { shift: 6, width: 1, flag: true },
  verify: { shift: 7, width: 1, flag: true },
  copy: { shift: 8, width: 1, flag: true },
});

/** FUSES: Fused Operation Support. */
export const FUSES_BITS = defineBitLayout('FUSES', 16, {
  compareAndWrite: { shift: 0, width: 1, flag: true },
});

/** VWC: Volatile Write Cache. */
export const VWC_BITS = defineBitLayout('VWC', 8, {
  present: { shift: 0, width: 1, flag: true },
  /** 2 = Flush with NSID FFFFFFFFh not supported, 3 = supported. */
  flushBroadcast: { shift: 1, width: 2 },
});

/** SGLS: SGL Support. */
export const SGLS_BITS = defineBitLayout('SGLS', 32, {
  /** 0 not supported, 1 supported, 2 supported with dword alignment. */
  support: { shift: 0, width: 2 },
  keyed: { shift: 2, width: 1, flag: true },
  bitBucket: { shift: 16, width: 1, flag: true },
  metadataPointer: { shift: 17, width: 1, flag: true },
  oversized: { shift: 18, width: 1, flag: true },
  metadataAddress: { shift: 19, width: 1, flag: true },
  offset: { shift: 20, width: 1, flag: true },
  transportDataBlock: { shift: 21, width: 1, flag: true },
});

/** SGLS.SUPPORT values. */
export const SglSupport = { NONE: 0, SUPPORTED: 1, DWORD_ALIGNED: 2 } as const;

/** RPMBS: Replay Protected Memory Block Support. */
export const RPMBS_BITS = defineBitLayout('RPMBS', 32, {
  units: { shift: 0, width: 3 },
  authMethod: { shift: 3, width: 3 },
  /** Total size in 128 KiB units, 0-based. */
  totalSize: { shift: 16, width: 8, zeroBased: true },
  /** Access size in 512-byte units, 0-based. */
  accessSize: { shift: 24, width: 8, zeroBased: true },
});

/** ANACAP: Asymmetric Namespace Access Capabilities. */
export const ANACAP_BITS = defineBitLayout('ANACAP', 8, {
  optimized: { shift: 0, width: 1, flag: true },
  nonOptimized: { shift: 1, width: 1, flag: true },
  inaccessible: { shift: 2, width: 1, flag: true },
  persistentLoss: { shift: 3, width: 1, flag: true },
  change: { shift: 4, width: 1, flag: true },
  /** ANAGRPID does not change while the namespace is attached. */
  staticGroupId: { shift: 6, width: 1, flag: true },
  nonZeroGroupId: { shift: 7, width: 1, flag: true },
});
