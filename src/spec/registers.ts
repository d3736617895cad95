/**
 * Controller registers (NVMe base spec "Controller Registers"): offsets, sizes,
 * doorbells and field codecs. On PCIe they are MMIO in BAR0; on fabrics the
 * same offsets are "properties" reached with Property Get/Set.
 */
import { type BitLayout, type BitValues, decodeBits, defineBitLayout, encodeBits, encodeBits32 } from './bitfield.js';

/** Register offsets. */
export const Register = {
  CAP: 0x00,
  VS: 0x08,
  INTMS: 0x0c,
  INTMC: 0x10,
  CC: 0x14,
  CSTS: 0x1c,
  NSSR: 0x20,
  AQA: 0x24,
  ASQ: 0x28,
  ACQ: 0x30,
  CMBLOC: 0x38,
  CMBSZ: 0x3c,
  BPINFO: 0x40,
  BPRSEL: 0x44,
  BPMBL: 0x48,
  CMBMSC: 0x50,
  CMBSTS: 0x58,
  CMBEBS: 0x5c,
  CMBSWTP: 0x60,
  NSSD: 0x64,
  CRTO: 0x68,
  PMRCAP: 0xe00,
  PMRCTL: 0xe04,
  PMRSTS: 0xe08,
  PMREBS: 0xe0c,
  PMRSWTP: 0xe10,
  PMRMSCL: 0xe14,
  PMRMSCU: 0xe18,
} as const;
export type Register = (typeof Register)[keyof typeof Register];

/** The 64-bit registers; every other register is 32 bits. */
const WIDE_REGISTERS: ReadonlySet<number> = new Set([Register.CAP, Register.ASQ, Register.ACQ, Register.BPMBL, Register.CMBMSC]);

/** Size in bytes of every defined register, by offset (what Property Get/Set must use). */
export const RegisterSize: ReadonlyMap<number, 4 | 8> = new Map(
  Object.values(Register).map((offset) => [offset, WIDE_REGISTERS.has(offset) ? 8 : 4]),
);

const REGISTER_NAMES = new Map<number, string>(Object.entries(Register).map(([name, offset]) => [offset, name]));

/** The register's name (`CC`), or `0xNN` for an offset that is not a register. */
export function registerName(offset: number): string {
  return REGISTER_NAMES.get(offset) ?? `0x${offset.toString(16)}`;
}

/** Offset of the first doorbell (SQ 0 tail). */
export const DOORBELL_BASE = 0x1000;

/**
 * Offset of a queue's doorbell: SQ y tail at 0x1000 + (2y) * (4 << DSTRD),
 * CQ y head at 0x1000 + (2y + 1) * (4 << DSTRD).
 */
export function doorbellOffset(qid: number, isCq: boolean, dstrd: number): number {
  return DOORBELL_BASE + (2 * qid + (isCq ? 1 : 0)) * (4 << dstrd);
}

/** Memory page size in bytes for an MPS / MPSMIN / MPSMAX value: 2^(12 + mps). */
export function memoryPageSize(mps: number): number {
  return 2 ** (12 + mps);
}

/** The field codec of a 32-bit register, derived from its one bit layout. */
export interface RegisterCodec<L extends BitLayout> {
  readonly layout: L;
  /** The fields of a register value. */
  decode(value: number): BitValues<L>;
  /** The register value for the given fields (absent ones are zero); a RangeError names a field that does not fit. */
  encode(fields: Partial<BitValues<L>>): number;
}

function register32<const L extends BitLayout>(name: string, layout: L): RegisterCodec<L> {
  const checked = defineBitLayout(name, 32, layout);
  return {
    layout: checked,
    decode: (value) => decodeBits(checked, value),
    encode: (fields) => encodeBits32(name, checked, fields),
  };
}

export const CAP_LAYOUT = defineBitLayout('CAP', 64, {
  /** Maximum Queue Entries Supported, 0-based. */
  mqes: { shift: 0, width: 16 },
  /** Contiguous Queues Required. */
  cqr: { shift: 16, width: 1, flag: true },
  /** Arbitration Mechanisms Supported: bit 0 WRR with urgent, bit 1 vendor specific. */
  ams: { shift: 17, width: 2 },
  /** Worst-case time to become ready, in 500 ms units. */
  to: { shift: 24, width: 8 },
  /** Doorbell stride: 4 << DSTRD bytes. */
  dstrd: { shift: 32, width: 4 },
  /** NVM Subsystem Reset Supported. */
  nssrs: { shift: 36, width: 1, flag: true },
  /** Command Sets Supported (`CapCss`). */
  css: { shift: 37, width: 8 },
  /** Boot Partition Support. */
  bps: { shift: 45, width: 1, flag: true },
  /** Controller Power Scope. */
  cps: { shift: 46, width: 2 },
  mpsmin: { shift: 48, width: 4 },
  mpsmax: { shift: 52, width: 4 },
  /** Persistent Memory Region Supported. */
  pmrs: { shift: 56, width: 1, flag: true },
  /** Controller Memory Buffer Supported. */
  cmbs: { shift: 57, width: 1, flag: true },
  /** NVM Subsystem Shutdown Supported. */
  nsss: { shift: 58, width: 1, flag: true },
  /** Controller Ready Modes Supported: bit 0 with media, bit 1 independent of media. */
  crms: { shift: 59, width: 2 },
});
export type Cap = BitValues<typeof CAP_LAYOUT>;

/** CAP.CSS bits. */
export const CapCss = {
  NVM: 0x01,
  /** One or more I/O command sets (CC.CSS may be 110b). */
  IO_COMMAND_SETS: 0x40,
  /** Admin only: no I/O command set. */
  NO_IO: 0x80,
} as const;

export function decodeCap(value: bigint): Cap {
  return decodeBits(CAP_LAYOUT, value);
}
export function encodeCap(cap: Partial<Cap>): bigint {
  return encodeBits('CAP', CAP_LAYOUT, cap);
}

/** Version: major, minor and tertiary numbers. */
export const { layout: VS_LAYOUT, decode: decodeVs, encode: encodeVs } = register32('VS', {
  ter: { shift: 0, width: 8 },
  mnr: { shift: 8, width: 8 },
  mjr: { shift: 16, width: 16 },
});
export type Vs = BitValues<typeof VS_LAYOUT>;

/** `1.4`, or `1.2.1` when the tertiary number is set (how SPDK and nvme-cli print VS). */
export function formatVersion(vs: Vs | number): string {
  const { mjr, mnr, ter } = typeof vs === 'number' ? decodeVs(vs) : vs;
  return ter ? `${mjr}.${mnr}.${ter}` : `${mjr}.${mnr}`;
}

/** Controller Configuration. */
export const { layout: CC_LAYOUT, decode: decodeCc, encode: encodeCc } = register32('CC', {
  en: { shift: 0, width: 1, flag: true },
  /** I/O Command Set Selected (`CcCss`). */
  css: { shift: 4, width: 3 },
  /** Memory Page Size: 2^(12 + MPS). */
  mps: { shift: 7, width: 4 },
  /** Arbitration Mechanism Selected. */
  ams: { shift: 11, width: 3 },
  /** Shutdown Notification (`ShutdownNotification`). */
  shn: { shift: 14, width: 2 },
  /** I/O SQ entry size, log2 (6 = 64 bytes). */
  iosqes: { shift: 16, width: 4 },
  /** I/O CQ entry size, log2 (4 = 16 bytes). */
  iocqes: { shift: 20, width: 4 },
  /** Controller Ready Independent of Media Enable. */
  crime: { shift: 24, width: 1, flag: true },
});
export type Cc = BitValues<typeof CC_LAYOUT>;

/** CC.CSS values. */
export const CcCss = {
  NVM: 0b000,
  ALL_IO_COMMAND_SETS: 0b110,
  ADMIN_ONLY: 0b111,
} as const;

/** CC.AMS values. */
export const ArbitrationMechanism = {
  ROUND_ROBIN: 0b000,
  WEIGHTED_ROUND_ROBIN_URGENT: 0b001,
  VENDOR_SPECIFIC: 0b111,
} as const;

/** CC.SHN values. */
export const ShutdownNotification = {
  NONE: 0,
  NORMAL: 1,
  ABRUPT: 2,
} as const;

/** CSTS.SHST values. */
export const ShutdownStatus = {
  NORMAL: 0,
  OCCURRING: 1,
  COMPLETE: 2,
} as const;

/** Controller Status. */
export const { layout: CSTS_LAYOUT, decode: decodeCsts, encode: encodeCsts } = register32('CSTS', {
  rdy: { shift: 0, width: 1, flag: true },
  /** Controller Fatal Status. */
  cfs: { shift: 1, width: 1, flag: true },
  /** Shutdown Status (`ShutdownStatus`). */
  shst: { shift: 2, width: 2 },
  /** NVM Subsystem Reset Occurred. */
  nssro: { shift: 4, width: 1, flag: true },
  /** Processing Paused. */
  pp: { shift: 5, width: 1, flag: true },
  /** Shutdown Type (0 controller, 1 NVM subsystem). */
  st: { shift: 6, width: 1 },
});
export type Csts = BitValues<typeof CSTS_LAYOUT>;

/** Admin Queue Attributes. */
export const { layout: AQA_LAYOUT, decode: decodeAqa, encode: encodeAqa } = register32('AQA', {
  /** Admin SQ size, 0-based. */
  asqs: { shift: 0, width: 12 },
  /** Admin CQ size, 0-based. */
  acqs: { shift: 16, width: 12 },
});
export type Aqa = BitValues<typeof AQA_LAYOUT>;

/** Controller Memory Buffer Location. */
export const { layout: CMBLOC_LAYOUT, decode: decodeCmbloc, encode: encodeCmbloc } = register32('CMBLOC', {
  /** Base Indicator Register: which BAR holds the CMB. */
  bir: { shift: 0, width: 3 },
  cqmms: { shift: 3, width: 1, flag: true },
  cqpds: { shift: 4, width: 1, flag: true },
  cdpmls: { shift: 5, width: 1, flag: true },
  cdpcils: { shift: 6, width: 1, flag: true },
  cdmmms: { shift: 7, width: 1, flag: true },
  cqda: { shift: 8, width: 1, flag: true },
  /** Offset into the BAR, in CMBSZ.SZU units. */
  ofst: { shift: 12, width: 20 },
});
export type Cmbloc = BitValues<typeof CMBLOC_LAYOUT>;

/** Controller Memory Buffer Size. */
export const { layout: CMBSZ_LAYOUT, decode: decodeCmbsz, encode: encodeCmbsz } = register32('CMBSZ', {
  /** Submission queues may live in the CMB. */
  sqs: { shift: 0, width: 1, flag: true },
  cqs: { shift: 1, width: 1, flag: true },
  /** PRP/SGL lists may live in the CMB. */
  lists: { shift: 2, width: 1, flag: true },
  rds: { shift: 3, width: 1, flag: true },
  wds: { shift: 4, width: 1, flag: true },
  /** Size Units: 4 KiB << (4 * SZU). */
  szu: { shift: 8, width: 4 },
  /** Size, in SZU units. */
  sz: { shift: 12, width: 20 },
});
export type Cmbsz = BitValues<typeof CMBSZ_LAYOUT>;

/** CMB size in bytes from CMBSZ. */
export function cmbSizeBytes(cmbsz: Cmbsz): bigint {
  return BigInt(cmbsz.sz) * (4096n << BigInt(4 * cmbsz.szu));
}
