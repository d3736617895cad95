/**
 * `spdk_nvme_identify`'s report, reproduced from an {@link IdentifyReport}:
 * same sections, order, labels and column alignment (SPDK v26.05), so the two
 * outputs can be diffed. Sections whose data the report lacks are left out
 * where SPDK leaves them out, and printed from zeroes where SPDK prints its
 * zero-initialised buffers (Firmware Slot, Error Log).
 */
import { decodeBits, type BitValues } from '../spec/bitfield.js';
import { CapCss, cmbSizeBytes, decodeCap, decodeCmbsz, formatVersion, memoryPageSize, type Cap } from '../spec/registers.js';
import {
  ANACAP_BITS,
  CMIC_BITS,
  CTRATT_BITS,
  FRMW_BITS,
  FUSES_BITS,
  LPA_BITS,
  OACS_BITS,
  OAES_BITS,
  ONCS_BITS,
  QUEUE_ENTRY_SIZE_BITS,
  RPMBS_BITS,
  SGLS_BITS,
  SglSupport,
  VWC_BITS,
  type IdentifyController,
  type PowerStateDescriptor,
} from '../spec/identify-controller.js';
import {
  currentLbaFormatIndex,
  DeallocReadValue,
  DLFEAT_BITS,
  DPC_BITS,
  DPS_BITS,
  lbaSizeOf,
  NMIC_BITS,
  NSATTR_BITS,
  NSFEAT_BITS,
} from '../spec/identify-namespace.js';
import { CSI_NAMES, Csi } from '../spec/identify.js';
import {
  activeFirmwareInfo,
  CriticalWarning,
  emptyFirmwareSlotLog,
  firmwareRevisions,
  type CommandEffects,
  type ErrorInformationEntry,
  type SmartHealthLog,
} from '../spec/log-pages.js';
import { AdminOpcode, IoOpcode } from '../spec/opcodes.js';
import { discoveryLogLines } from './discovery-text.js';
import type { IdentifyReport, IdentifyReportFeatures, IdentifyReportNamespace } from './identify-report.js';
import { asciiField, controllerBanner, heading, hex2, kelvin, kv, supported, uint128, yesNo } from './spdk-text.js';

/** CAP.AMS bits (arbitration mechanisms beyond round robin). */
const CapAms = { WEIGHTED_ROUND_ROBIN: 0b01, VENDOR_SPECIFIC: 0b10 } as const;

/** The Identify Controller bit fields the text report reads, decoded once. */
interface Decoded {
  c: IdentifyController;
  cap: Cap;
  cmic: BitValues<typeof CMIC_BITS>;
  oaes: BitValues<typeof OAES_BITS>;
  ctratt: BitValues<typeof CTRATT_BITS>;
  oacs: BitValues<typeof OACS_BITS>;
  frmw: BitValues<typeof FRMW_BITS>;
  lpa: BitValues<typeof LPA_BITS>;
  oncs: BitValues<typeof ONCS_BITS>;
  sgls: BitValues<typeof SGLS_BITS>;
  vwc: BitValues<typeof VWC_BITS>;
}

function decode(report: IdentifyReport): Decoded {
  const c = report.controller;
  return {
    c,
    cap: decodeCap(report.registers.cap),
    cmic: decodeBits(CMIC_BITS, c.cmic),
    oaes: decodeBits(OAES_BITS, c.oaes),
    ctratt: decodeBits(CTRATT_BITS, c.ctratt),
    oacs: decodeBits(OACS_BITS, c.oacs),
    frmw: decodeBits(FRMW_BITS, c.frmw),
    lpa: decodeBits(LPA_BITS, c.lpa),
    oncs: decodeBits(ONCS_BITS, c.oncs),
    sgls: decodeBits(SGLS_BITS, c.sgls),
    vwc: decodeBits(VWC_BITS, c.vwc),
  };
}

/** [label, flag] rows printed as `label: Supported / Not Supported`. */
type FlagRows<T> = ReadonlyArray<readonly [string, keyof T]>;

function flagRows<T>(rows: FlagRows<T>, values: T, indent = ''): string[] {
  return rows.map(([label, key]) => kv(indent + label, supported(values[key] as boolean)));
}

const OAES_ROWS: FlagRows<Decoded['oaes']> = [
  ['Namespace Attribute Notices', 'namespaceAttributeNotices'],
  ['Firmware Activation Notices', 'firmwareActivationNotices'],
  ['ANA Change Notices', 'anaChangeNotices'],
  ['PLE Aggregate Log Change Notices', 'pleAggregateLogChangeNotices'],
  ['LBA Status Info Alert Notices', 'lbaStatusInfoAlertNotices'],
  ['EGE Aggregate Log Change Notices', 'egeAggregateLogChangeNotices'],
  ['Normal NVM Subsystem Shutdown event', 'normalNvmSubsystemShutdown'],
  ['Zone Descriptor Change Notices', 'zoneDescriptorChangeNotices'],
  ['Discovery Log Change Notices', 'discoveryLogChangeNotices'],
];

const CTRATT_ROWS: FlagRows<Decoded['ctratt']> = [
  ['128-bit Host Identifier', 'hostId128'],
  ['Non-Operational Permissive Mode', 'nopspm'],
  ['NVM Sets', 'nvmSets'],
  ['Read Recovery Levels', 'readRecoveryLevels'],
  ['Endurance Groups', 'enduranceGroups'],
  ['Predictable Latency Mode', 'predictableLatencyMode'],
  // SPDK's spelling, capital L included.
  ['Traffic Based Keep ALive', 'tbkas'],
  ['Namespace Granularity', 'namespaceGranularity'],
  ['SQ Associations', 'sqAssociations'],
  ['UUID List', 'uuidList'],
  ['Multi-Domain Subsystem', 'multiDomainSubsystem'],
  ['Fixed Capacity Management', 'fixedCapacityManagement'],
  ['Variable Capacity Management', 'variableCapacityManagement'],
  ['Delete Endurance Group', 'deleteEnduranceGroup'],
  ['Delete NVM Set', 'deleteNvmSet'],
  ['Extended LBA Formats Supported', 'extendedLbaFormats'],
  ['Flexible Data Placement Supported', 'flexibleDataPlacement'],
];

const OACS_ROWS: FlagRows<Decoded['oacs']> = [
  ['Security Send/Receive', 'securitySendReceive'],
  ['Format NVM', 'formatNvm'],
  ['Firmware Activate/Download', 'firmware'],
  ['Namespace Management', 'namespaceManagement'],
  ['Device Self-Test', 'deviceSelfTest'],
  ['Directives', 'directives'],
  ['NVMe-MI', 'nvmeMi'],
  ['Virtualization Management', 'virtualizationManagement'],
  ['Doorbell Buffer Config', 'doorbellBufferConfig'],
  ['Get LBA Status Capability', 'getLbaStatus'],
  ['Command & Feature Lockdown Capability', 'commandFeatureLockdown'],
];

const ONCS_ROWS: FlagRows<Decoded['oncs']> = [
  ['Compare Command', 'compare'],
  ['Write Uncorrectable Command', 'writeUncorrectable'],
  ['Dataset Management Command', 'datasetManagement'],
  ['Write Zeroes Command', 'writeZeroes'],
  ['Set Features Save Field', 'saveField'],
  ['Reservations', 'reservations'],
  ['Timestamp', 'timestamp'],
  ['Copy', 'copy'],
];

const SGL_ROWS: FlagRows<Decoded['sgls']> = [
  ['SGL Keyed', 'keyed'],
  ['SGL Bit Bucket Descriptor', 'bitBucket'],
  ['SGL Metadata Pointer', 'metadataPointer'],
  ['Oversized SGL', 'oversized'],
  ['SGL Metadata Address', 'metadataAddress'],
  ['SGL Offset', 'offset'],
  ['Transport SGL Data Block', 'transportDataBlock'],
];

const ANACAP_ROWS: FlagRows<BitValues<typeof ANACAP_BITS>> = [
  ['ANA Optimized State', 'optimized'],
  ['ANA Non-Optimized State', 'nonOptimized'],
  ['ANA Inaccessible State', 'inaccessible'],
  ['ANA Persistent Loss State', 'persistentLoss'],
  ['ANA Change State', 'change'],
];

/** Column of the NVM Command Set, Firmware, Arbitration and Health sections. */
const COL_NARROW = 29;
/** Column of the ANA block, which SPDK aligns with spaces before the colon. */
const ANA_LABEL_WIDTH = 36;

function anaKv(label: string, value: string | number): string {
  return `${label.padEnd(ANA_LABEL_WIDTH)}:  ${value}`;
}

function capabilitiesSection(report: IdentifyReport, d: Decoded): string[] {
  const { c, cap } = d;
  const ioQueues = report.maxIoQueues;
  return [
    ...heading('Controller Capabilities/Features'),
    kv('Vendor ID', c.vid.toString(16).padStart(4, '0')),
    kv('Subsystem Vendor ID', c.ssvid.toString(16).padStart(4, '0')),
    kv('Serial Number', asciiField(c.sn)),
    kv('Model Number', asciiField(c.mn)),
    kv('Firmware Version', asciiField(c.fr)),
    kv('Recommended Arb Burst', c.rab),
    kv('IEEE OUI Identifier', [0, 8, 16].map((s) => ((c.ieee >> s) & 0xff).toString(16).padStart(2, '0')).join(' ')),
    'Multi-path I/O',
    kv('  May have multiple subsystem ports', yesNo(d.cmic.multiPort)),
    kv('  May have multiple controllers', yesNo(d.cmic.multiController)),
    kv('  Associated with SR-IOV VF', yesNo(d.cmic.sriov)),
    kv('Max Data Transfer Size', c.mdts === 0 ? 'Unlimited' : (2n ** BigInt(12 + cap.mpsmin + c.mdts)).toString()),
    kv('Max Number of Namespaces', c.nn),
    ...(ioQueues === undefined ? [] : [kv('Max Number of I/O Queues', ioQueues)]),
    kv('NVMe Specification Version (VS)', formatVersion(report.registers.vs)),
    ...(c.ver !== 0 ? [kv('NVMe Specification Version (Identify)', formatVersion(c.ver))] : []),
    kv('Maximum Queue Entries', cap.mqes + 1),
    kv('Contiguous Queues Required', yesNo(cap.cqr)),
    'Arbitration Mechanisms Supported',
    kv('  Weighted Round Robin', supported((cap.ams & CapAms.WEIGHTED_ROUND_ROBIN) !== 0)),
    kv('  Vendor Specific', supported((cap.ams & CapAms.VENDOR_SPECIFIC) !== 0)),
    kv('Reset Timeout', `${500 * cap.to} ms`),
    kv('Doorbell Stride', `${4 << cap.dstrd} bytes`),
    kv('NVM Subsystem Reset', supported(cap.nssrs)),
    'Command Sets Supported',
    kv('  NVM Command Set', supported((cap.css & CapCss.NVM) !== 0)),
    kv('Boot Partition', supported(cap.bps)),
    kv('Memory Page Size Minimum', `${memoryPageSize(cap.mpsmin)} bytes`),
    kv('Memory Page Size Maximum', `${memoryPageSize(cap.mpsmax)} bytes`),
    kv('Persistent Memory Region', supported(cap.pmrs)),
    'Optional Asynchronous Events Supported',
    ...flagRows(OAES_ROWS, d.oaes, '  '),
    'Controller Attributes',
    ...flagRows(CTRATT_ROWS, d.ctratt, '  '),
    '',
  ];
}

function cmbSection(report: IdentifyReport): string[] {
  const raw = report.registers.cmbsz ?? 0;
  if (raw === 0) return [...heading('Controller Memory Buffer Support'), kv('Supported', 'No'), ''];
  const cmbsz = decodeCmbsz(raw);
  return [
    ...heading('Controller Memory Buffer Support'),
    kv('Supported', 'Yes'),
    kv('Total Size', `${cmbSizeBytes(cmbsz)} bytes`),
    kv('Submission Queues in CMB', supported(cmbsz.sqs)),
    kv('Completion Queues in CMB', supported(cmbsz.cqs)),
    kv('Read data and metadata in CMB', supported(cmbsz.rds)),
    kv('Write data and metadata in CMB', supported(cmbsz.wds)),
    '',
  ];
}

function pmrSection(d: Decoded): string[] {
  return [...heading('Persistent Memory Region Support'), kv('Supported', yesNo(d.cap.pmrs)), ''];
}

function firmwareUpdateGranularity(fwug: number): string {
  if (fwug === 0x00) return 'No Information Provided';
  if (fwug === 0xff) return 'No Restriction';
  return `${fwug * 4} KiB`;
}

function anaLines(c: IdentifyController): string[] {
  const anacap = decodeBits(ANACAP_BITS, c.anacap);
  return [
    anaKv('ANA Transition Time', `${c.anatt} sec`),
    '',
    'Asymmetric Namespace Access Capabilities',
    ...ANACAP_ROWS.map(([label, key]) => anaKv(`  ${label}`, supported(anacap[key]))),
    anaKv('  ANAGRPID is not changed', yesNo(anacap.staticGroupId)),
    anaKv('  Non-Zero ANAGRPID for NS Mgmt Cmd', supported(anacap.nonZeroGroupId)),
    '',
    anaKv('ANA Group Identifier Maximum', c.anagrpmax),
    anaKv('Number of ANA Group Identifiers', c.nanagrpid),
    anaKv('Max Number of Allowed Namespaces', c.mnan),
  ];
}

function adminSection(d: Decoded): string[] {
  const { c, frmw, lpa } = d;
  const fw = (v: string) => (d.oacs.firmware ? v : 'N/A');
  const lps = lpa.supportedLogPages;
  return [
    ...heading('Admin Command Set Attributes'),
    ...flagRows(OACS_ROWS, d.oacs),
    kv('Abort Command Limit', c.acl + 1),
    kv('Async Event Request Limit', c.aerl + 1),
    kv('Number of Firmware Slots', fw(String(frmw.numSlots))),
    kv('Firmware Slot 1 Read-Only', fw(yesNo(frmw.slot1ReadOnly))),
    kv('Firmware Activation Without Reset', fw(yesNo(frmw.activationWithoutReset))),
    kv('Multiple Update Detection Support', fw(yesNo(frmw.multipleUpdateDetection))),
    kv('Firmware Update Granularity', firmwareUpdateGranularity(c.fwug)),
    kv('Per-Namespace SMART Log', yesNo(lpa.smartPerNamespace)),
    kv('Asymmetric Namespace Access Log Page', supported(d.cmic.anaReporting)),
    ...(d.cmic.anaReporting ? anaLines(c) : []),
    kv('Subsystem NQN', c.subnqn),
    kv('Command Effects Log Page', supported(lpa.commandEffects)),
    kv('Get Log Page Extended Data', supported(lpa.extendedData)),
    kv('Telemetry Log Pages', supported(lpa.telemetry)),
    kv('Persistent Event Log Pages', supported(lpa.persistentEventLog)),
    kv('Supported Log Pages Log Page', lps ? 'Supported' : 'May Support'),
    kv('Commands Supported & Effects Log Page', supported(lps || lpa.commandEffects)),
    kv('Feature Identifiers & Effects Log Page', lps ? 'Supported' : 'May Support'),
    kv('NVMe-MI Commands & Effects Log Page', lps ? 'Supported' : 'May Support'),
    kv('Data Area 4 for Telemetry Log', supported(lpa.telemetryDataArea4)),
    kv('Error Log Page Entries Supported', c.elpe + 1),
    ...(c.kas === 0
      ? [kv('Keep Alive', 'Not Supported')]
      : [kv('Keep Alive', 'Supported'), kv('Keep Alive Granularity', `${c.kas * 100} ms`)]),
    '',
  ];
}

const RPMB_AUTH_METHODS: Readonly<Record<number, string>> = { 0: 'HMAC SHA-256' };

function rpmbLines(rpmbs: number): string[] {
  const r = decodeBits(RPMBS_BITS, rpmbs);
  if (r.units === 0) return ['Replay Protected Memory Block:  Not Supported'];
  return [
    'Replay Protected Memory Block:  Supported',
    `  Number of RPMB Units:  ${r.units}`,
    `  Authentication Method: ${RPMB_AUTH_METHODS[r.authMethod] ?? 'Unknown'}`,
    `  Total Size (in 128KB units) = ${r.totalSize}`,
    `  Access Size (in 512B units) = ${r.accessSize}`,
  ];
}

const SGL_SUPPORT_NAMES: Readonly<Record<number, string>> = {
  [SglSupport.SUPPORTED]: 'Supported',
  [SglSupport.DWORD_ALIGNED]: 'Supported (Dword aligned)',
};

function nvmSection(d: Decoded): string[] {
  const { c } = d;
  const sqes = decodeBits(QUEUE_ENTRY_SIZE_BITS, c.sqes);
  const cqes = decodeBits(QUEUE_ENTRY_SIZE_BITS, c.cqes);
  const n = (label: string, v: string | number) => kv(label, v, COL_NARROW);
  return [
    ...heading('NVM Command Set Attributes'),
    'Submission Queue Entry Size',
    n('  Max', 2 ** sqes.max),
    n('  Min', 2 ** sqes.min),
    'Completion Queue Entry Size',
    n('  Max', 2 ** cqes.max),
    n('  Min', 2 ** cqes.min),
    n('Number of Namespaces', c.nn),
    ...ONCS_ROWS.map(([label, key]) => n(label, supported(d.oncs[key]))),
    n('Volatile Write Cache', d.vwc.present ? 'Present' : 'Not Present'),
    n('Atomic Write Unit (Normal)', c.awun + 1),
    n('Atomic Write Unit (PFail)', c.awupf + 1),
    n('Atomic Compare & Write Unit', c.acwu + 1),
    n('Fused Compare & Write', supported(decodeBits(FUSES_BITS, c.fuses).compareAndWrite)),
    'Scatter-Gather List',
    n('  SGL Command Set', SGL_SUPPORT_NAMES[d.sgls.support] ?? 'Not Supported'),
    ...SGL_ROWS.map(([label, key]) => n(`  ${label}`, supported(d.sgls[key] as boolean))),
    ...rpmbLines(c.rpmbs),
    '',
  ];
}

function firmwareSection(report: IdentifyReport): string[] {
  const fw = report.logs?.firmwareSlot ?? emptyFirmwareSlotLog();
  const afi = activeFirmwareInfo(fw.afi);
  const n = (label: string, v: string | number) => kv(label, v, COL_NARROW);
  return [
    ...heading('Firmware Slot Information'),
    n('Active slot', afi.activeSlot),
    ...(afi.nextResetSlot ? [n('Next controller reset slot', afi.nextResetSlot)] : []),
    ...firmwareRevisions(fw).flatMap((rev, i) => (rev === undefined ? [] : [n(`Slot ${i + 1} Firmware Revision`, asciiField(rev))])),
    '',
    '',
  ];
}

/** Command names as SPDK's identify prints them in the effects log. */
const ADMIN_COMMAND_NAMES: Readonly<Record<number, string>> = {
  [AdminOpcode.DELETE_IO_SQ]: 'Delete I/O Submission Queue',
  [AdminOpcode.CREATE_IO_SQ]: 'Create I/O Submission Queue',
  [AdminOpcode.GET_LOG_PAGE]: 'Get Log Page',
  [AdminOpcode.DELETE_IO_CQ]: 'Delete I/O Completion Queue',
  [AdminOpcode.CREATE_IO_CQ]: 'Create I/O Completion Queue',
  [AdminOpcode.IDENTIFY]: 'Identify',
  [AdminOpcode.ABORT]: 'Abort',
  [AdminOpcode.SET_FEATURES]: 'Set Features',
  [AdminOpcode.GET_FEATURES]: 'Get Features',
  [AdminOpcode.ASYNC_EVENT_REQUEST]: 'Asynchronous Event Request',
  [AdminOpcode.NAMESPACE_MANAGEMENT]: 'Namespace Management',
  [AdminOpcode.FIRMWARE_COMMIT]: 'Firmware Commit',
  [AdminOpcode.FIRMWARE_IMAGE_DOWNLOAD]: 'Firmware Image Download',
  [AdminOpcode.DEVICE_SELF_TEST]: 'Device Self-test',
  [AdminOpcode.NAMESPACE_ATTACHMENT]: 'Namespace Attachment',
  [AdminOpcode.KEEP_ALIVE]: 'Keep Alive',
  [AdminOpcode.DIRECTIVE_SEND]: 'Directive Send',
  [AdminOpcode.DIRECTIVE_RECEIVE]: 'Directive Receive',
  [AdminOpcode.VIRTUALIZATION_MANAGEMENT]: 'Virtualization Management',
  [AdminOpcode.NVME_MI_SEND]: 'NVMe-MI Send',
  [AdminOpcode.NVME_MI_RECEIVE]: 'NVMe-MI Receive',
  [AdminOpcode.DOORBELL_BUFFER_CONFIG]: 'Doorbell Buffer Config',
  [AdminOpcode.FORMAT_NVM]: 'Format NVM',
  [AdminOpcode.SECURITY_SEND]: 'Security Send',
  [AdminOpcode.SECURITY_RECEIVE]: 'Security Receive',
  [AdminOpcode.SANITIZE]: 'Sanitize',
  [AdminOpcode.GET_LBA_STATUS]: 'Get LBA Status',
};

const IO_COMMAND_NAMES: Readonly<Record<number, string>> = {
  [IoOpcode.FLUSH]: 'Flush',
  [IoOpcode.WRITE]: 'Write',
  [IoOpcode.READ]: 'Read',
  [IoOpcode.WRITE_UNCORRECTABLE]: 'Write Uncorrectable',
  [IoOpcode.COMPARE]: 'Compare',
  [IoOpcode.WRITE_ZEROES]: 'Write Zeroes',
  [IoOpcode.DATASET_MANAGEMENT]: 'Dataset Management',
  [IoOpcode.VERIFY]: 'Verify',
  [IoOpcode.RESERVATION_REGISTER]: 'Reservation Register',
  [IoOpcode.RESERVATION_REPORT]: 'Reservation Report',
  [IoOpcode.RESERVATION_ACQUIRE]: 'Reservation Acquire',
  [IoOpcode.RESERVATION_RELEASE]: 'Reservation Release',
  [IoOpcode.COPY]: 'Copy',
};

const CSE_NAMES: Readonly<Record<number, string>> = { 1: 'Per-NS-Exclusive', 2: 'All-NS-Exclusive' };
/** First vendor-specific opcode of each set, for the name SPDK falls back to. */
const ADMIN_VENDOR_OPC = 0xc0;
const IO_VENDOR_OPC = 0x80;

function effectsRows(entries: CommandEffects[], names: Readonly<Record<number, string>>, vendorFrom: number): string[] {
  return entries.flatMap((e, opc) => {
    if (!e.csupp) return [];
    const name = names[opc] ?? (opc >= vendorFrom ? 'Vendor specific' : 'Unknown');
    const effects =
      (e.lbcc ? 'LBA-Change ' : '') +
      (e.ncc ? 'NS-Cap-Change ' : '') +
      (e.nic ? 'NS-Inventory-Change ' : '') +
      (e.ccc ? 'Ctrlr-Cap-Change ' : '') +
      (CSE_NAMES[e.cse] ?? '');
    return [`${name.padStart(30)} (${hex2(opc)}h): Supported ${effects}`];
  });
}

function effectsSection(report: IdentifyReport, d: Decoded): string[] {
  const effects = report.logs?.effects;
  if (!d.lpa.commandEffects || !effects) return [];
  return [
    ...heading('Commands Supported and Effects'),
    ...heading('Admin Commands', '-'),
    ...effectsRows(effects.admin, ADMIN_COMMAND_NAMES, ADMIN_VENDOR_OPC),
    ...heading('I/O Commands', '-'),
    ...effectsRows(effects.io, IO_COMMAND_NAMES, IO_VENDOR_OPC),
    '',
  ];
}

const ERROR_COL = 24;

function errorEntryLines(e: ErrorInformationEntry, i: number): string[] {
  const x = (n: number | bigint) => `0x${n.toString(16)}`;
  const status = e.status_field >> 1;
  const n = (label: string, v: string) => kv(label, v, ERROR_COL);
  return [
    ...(i !== 0 ? ['-----------'] : []),
    `Entry: ${i}`,
    n('Error Count', x(e.error_count)),
    n('Submission Queue Id', x(e.sqid)),
    n('Command Id', x(e.cmdid)),
    n('Phase Bit', (e.status_field & 1).toString(16)),
    n('Status Code', x(status & 0xff)),
    n('Status Code Type', x((status >> 8) & 0x7)),
    n('Do Not Retry', ((status >> 14) & 1).toString(16)),
    n('Error Location', x(e.parm_error_location)),
    n('LBA', x(e.lba)),
    n('Namespace', x(e.nsid)),
    n('Vendor Log Page', x(e.vs)),
  ];
}

function errorLogSection(report: IdentifyReport): string[] {
  const entries = (report.logs?.errors ?? []).slice(0, report.controller.elpe + 1);
  return [
    ...heading('Error Log'),
    ...entries.flatMap((e, i) => (e.error_count === 0n ? [] : errorEntryLines(e, i))),
    '',
  ];
}

function arbitrationSection(f: IdentifyReportFeatures, d: Decoded): string[] {
  const arb = f.arbitration;
  if (!arb) return [];
  const n = (label: string, v: string | number) => kv(label, v, COL_NARROW);
  const weights = (d.cap.ams & CapAms.WEIGHTED_ROUND_ROBIN) !== 0;
  return [
    ...heading('Arbitration'),
    n('Arbitration Burst', arb.ab === 7 ? 'no limit' : 2 ** arb.ab),
    ...(weights
      ? [
          n('Low Priority Weight', arb.lpw + 1),
          n('Medium Priority Weight', arb.mpw + 1),
          n('High Priority Weight', arb.hpw + 1),
        ]
      : []),
    '',
  ];
}

const PM_COL = 33;
/** Power values sit one column further right than the other power state rows. */
const PM_POWER_COL = 34;

/** A power in the scale the descriptor gives: 1 = 0.0001 W, 2 = 0.01 W, 0 = not reported. */
function scaledPower(value: number, scale: number): string {
  if (scale === 1) return `${Math.floor(value / 10000)}.${String(value % 10000).padStart(4, '0')} W`;
  if (scale === 2) return `${Math.floor(value / 100)}.${String(value % 100).padStart(2, '0')} W`;
  return 'Not Reported';
}

function maxPower(psd: PowerStateDescriptor): string {
  const label = '  Max Power:'.padEnd(PM_POWER_COL - 2);
  // MXPS (flags bit 0) selects 0.0001 W units, otherwise 0.01 W.
  if (psd.flags & 0x1) return `${label}${String(Math.floor(psd.max_power / 10000)).padStart(3)}.${String(psd.max_power % 10000).padStart(4, '0')} W`;
  return `${label}${String(Math.floor(psd.max_power / 100)).padStart(3)}.${String(psd.max_power % 100).padStart(2, '0')} W`;
}

function latency(us: number): string {
  return us === 0 ? 'Not Reported' : `${us} microseconds`;
}

function powerStateLines(psd: PowerStateDescriptor, i: number): string[] {
  const n = (label: string, v: string | number) => kv(label, v, PM_COL);
  return [
    `Power State #${i}:`,
    maxPower(psd),
    n('  Non-Operational State', psd.flags & 0x2 ? 'Non-Operational' : 'Operational'),
    n('  Entry Latency', latency(psd.entry_lat)),
    n('  Exit Latency', latency(psd.exit_lat)),
    n('  Relative Read Throughput', psd.read_tput),
    n('  Relative Read Latency', psd.read_lat),
    n('  Relative Write Throughput', psd.write_tput),
    n('  Relative Write Latency', psd.write_lat),
    kv('  Idle Power', scaledPower(psd.idle_power, psd.idle_scale), PM_POWER_COL),
    kv('  Active Power', scaledPower(psd.active_power, psd.active_scale), PM_POWER_COL),
  ];
}

function powerSection(f: IdentifyReportFeatures, d: Decoded): string[] {
  const pm = f.powerManagement;
  if (!pm) return [];
  const n = (label: string, v: string | number) => kv(label, v, PM_COL);
  return [
    ...heading('Power Management'),
    n('Number of Power States', d.c.npss + 1),
    n('Current Power State', `Power State #${pm.ps}`),
    ...d.c.psds.flatMap(powerStateLines),
    n('Non-Operational Permissive Mode', supported(d.ctratt.nopspm)),
    '',
  ];
}

const CRITICAL_WARNING_ROWS: ReadonlyArray<readonly [string, number, string, string]> = [
  ['Available Spare Space', CriticalWarning.AVAILABLE_SPARE, 'WARNING', 'OK'],
  ['Temperature', CriticalWarning.TEMPERATURE, 'WARNING', 'OK'],
  ['Device Reliability', CriticalWarning.DEVICE_RELIABILITY, 'WARNING', 'OK'],
  ['Read Only', CriticalWarning.READ_ONLY, 'Yes', 'No'],
  ['Volatile Memory Backup', CriticalWarning.VOLATILE_MEMORY_BACKUP, 'WARNING', 'OK'],
];

const HEALTH_COUNTERS: ReadonlyArray<readonly [string, keyof SmartHealthLog, string]> = [
  ['Data Units Read', 'data_units_read', ''],
  ['Data Units Written', 'data_units_written', ''],
  ['Host Read Commands', 'host_reads', ''],
  ['Host Write Commands', 'host_writes', ''],
  ['Controller Busy Time', 'ctrl_busy_time', ' minutes'],
  ['Power Cycles', 'power_cycles', ''],
  ['Power On Hours', 'power_on_hours', ' hours'],
  ['Unsafe Shutdowns', 'unsafe_shutdowns', ''],
  ['Unrecoverable Media Errors', 'media_errors', ''],
  ['Lifetime Error Log Entries', 'num_err_log_entries', ''],
];

function healthSection(report: IdentifyReport): string[] {
  const h = report.logs?.health;
  const threshold = report.features?.temperatureThreshold;
  if (!h || !threshold) return [];
  const n = (label: string, v: string | number) => kv(label, v, COL_NARROW);
  const sensors = [h.temp_sensor1, h.temp_sensor2, h.temp_sensor3, h.temp_sensor4, h.temp_sensor5, h.temp_sensor6, h.temp_sensor7, h.temp_sensor8];
  return [
    ...heading('Health Information'),
    'Critical Warnings:',
    ...CRITICAL_WARNING_ROWS.map(([label, bit, set, clear]) => n(`  ${label}`, h.critical_warning & bit ? set : clear)),
    n('Current Temperature', kelvin(h.temperature)),
    n('Temperature Threshold', kelvin(threshold.tmpth)),
    n('Available Spare', `${h.avail_spare}%`),
    n('Available Spare Threshold', `${h.spare_thresh}%`),
    n('Life Percentage Used', `${h.percent_used}%`),
    ...HEALTH_COUNTERS.map(([label, key, unit]) => n(label, uint128(h[key] as bigint) + unit)),
    n('Warning Temperature Time', `${h.warning_temp_time} minutes`),
    n('Critical Temperature Time', `${h.critical_comp_time} minutes`),
    ...sensors.flatMap((t, i) => (t === 0 ? [] : [n(`Temperature Sensor ${i + 1}`, kelvin(t))])),
    '',
  ];
}

const QUEUES_COL = 38;

function queuesSection(f: IdentifyReportFeatures): string[] {
  const q = f.numberOfQueues;
  if (!q) return [];
  return [
    ...heading('Number of Queues'),
    kv('Number of I/O Submission Queues', q.nsqr, QUEUES_COL),
    kv('Number of I/O Completion Queues', q.ncqr, QUEUES_COL),
    '',
  ];
}

const DEALLOC_READ_NAMES: Readonly<Record<number, string>> = {
  [DeallocReadValue.ZEROES]: 'All 0x00',
  [DeallocReadValue.ONES]: 'All 0xFF',
};

const GIB = 2n ** 30n;

function namespaceLines(ns: IdentifyReportNamespace, d: Decoded): string[] {
  const data = ns.data;
  const nsfeat = decodeBits(NSFEAT_BITS, data.nsfeat);
  const dlfeat = decodeBits(DLFEAT_BITS, data.dlfeat);
  const dpc = decodeBits(DPC_BITS, data.dpc);
  const dps = decodeBits(DPS_BITS, data.dps);
  const blockSize = BigInt(lbaSizeOf(data));
  const csi = ns.descriptors?.csi ?? Csi.NVM;
  const blocks = (n: bigint) => `${n} (${(n * blockSize) / GIB}GiB)`;
  const tler = ns.errorRecovery?.tler;
  const piSupported = dpc.type1 || dpc.type2 || dpc.type3;
  return [
    `Namespace ID:${ns.nsid}`,
    ...(tler === undefined ? [] : [kv('Error Recovery Timeout', tler === 0 ? 'Unlimited' : `${tler * 100} milliseconds`)]),
    kv('Command Set Identifier', `${CSI_NAMES[csi] ?? 'Unknown'} (${hex2(csi)}h)`),
    kv('Deallocate', supported(d.oncs.datasetManagement)),
    kv('Deallocated/Unwritten Error', supported(nsfeat.deallocatedError)),
    kv('Deallocated Read Value', DEALLOC_READ_NAMES[dlfeat.readValue] ?? 'Unknown'),
    kv('Deallocate in Write Zeroes', supported(dlfeat.writeZeroesDeallocate)),
    kv('Deallocated Guard Field', dlfeat.guardIsCrc ? 'CRC for Read Value' : '0xFFFF'),
    kv('Flush', supported(d.vwc.present)),
    kv('Reservation', supported(d.oncs.reservations)),
    ...(piSupported
      ? [
          kv('End-to-End Data Protection', 'Supported'),
          kv('Protection Type', `Type${dps.pit}`),
          kv('Protection Information Transferred as', data.flbas & 0x10 ? 'Extended Data LBA' : 'Separate Metadata Buffer'),
          kv('Metadata Location', dps.firstBytes ? 'First 8 Bytes' : 'Last 8 Bytes'),
        ]
      : []),
    kv('Namespace Sharing Capabilities', decodeBits(NMIC_BITS, data.nmic).shared ? 'Multiple Controllers' : 'Private'),
    kv('Size (in LBAs)', blocks(data.nsze)),
    kv('Capacity (in LBAs)', blocks(data.ncap)),
    kv('Utilization (in LBAs)', blocks(data.nuse)),
    ...(data.noiob ? [kv('Optimal I/O Boundary', `${data.noiob} blocks`)] : []),
    ...(/^0*$/.test(data.nguid) ? [] : [kv('NGUID', data.nguid.toUpperCase())]),
    ...(/^0*$/.test(data.eui64) ? [] : [kv('EUI64', data.eui64.toUpperCase())]),
    ...(ns.descriptors?.uuid ? [kv('UUID', ns.descriptors.uuid)] : []),
    kv('Thin Provisioning', supported(nsfeat.thinProvisioning)),
    kv('Per-NS Atomic Units', yesNo(nsfeat.nsAtomics)),
    ...(nsfeat.nsAtomics
      ? [
          ...(data.nawun ? [kv('  Atomic Write Unit (Normal)', data.nawun + 1)] : []),
          ...(data.nawupf ? [kv('  Atomic Write Unit (PFail)', data.nawupf + 1)] : []),
          ...(data.nacwu ? [kv('  Atomic Compare & Write Unit', data.nacwu + 1)] : []),
          kv('  Atomic Boundary Size (Normal)', data.nabsn),
          kv('  Atomic Boundary Size (PFail)', data.nabspf),
          kv('  Atomic Boundary Offset', data.nabo),
        ]
      : []),
    ...(d.oncs.copy
      ? [
          kv('Maximum Single Source Range Length', data.mssrl),
          kv('Maximum Copy Length', data.mcl),
          kv('Maximum Source Range Count', data.msrc + 1),
        ]
      : []),
    kv('NGUID/EUI64 Never Reused', yesNo(nsfeat.guidNeverReused)),
    kv('Namespace Write Protected', yesNo(decodeBits(NSATTR_BITS, data.nsattr).writeProtected)),
    kv('Number of LBA Formats', data.nlbaf + 1),
    kv('Current LBA Format', `LBA Format #${String(currentLbaFormatIndex(data)).padStart(2, '0')}`),
    ...data.lbafs
      .slice(0, data.nlbaf + 1)
      .map(
        (f, i) =>
          `LBA Format #${String(i).padStart(2, '0')}: Data Size: ${String(2 ** f.ds).padStart(5)}  Metadata Size: ${String(f.ms).padStart(5)}`,
      ),
    '',
  ];
}

/** Formats a report the way `spdk_nvme_identify` prints one controller. */
export function formatIdentifyText(report: IdentifyReport): string {
  const d = decode(report);
  const f = report.features ?? {};
  const lines = [
    ...controllerBanner(report.trid),
    ...capabilitiesSection(report, d),
    ...cmbSection(report),
    ...pmrSection(d),
    ...adminSection(d),
    ...nvmSection(d),
    ...firmwareSection(report),
    ...effectsSection(report, d),
    ...errorLogSection(report),
    ...arbitrationSection(f, d),
    ...powerSection(f, d),
    ...healthSection(report),
    ...queuesSection(f),
    ...heading('Active Namespaces'),
    ...report.namespaces.flatMap((ns) => namespaceLines(ns, d)),
    ...(report.discovery ? discoveryLogLines(report.discovery) : []),
  ];
  return lines.join('\n') + '\n';
}
