/**
 * Identify Namespace data structure for the NVM command set (CNS 00h), NVMe
 * NVM Command Set spec 1.0 figure "Identify Namespace Data Structure".
 * Property names are the keys `nvme id-ns -o json` prints.
 */
import { defineBitLayout } from './bitfield.js';
import { defineLayout, readFields, requireLength, writeFields, zeroFields, type FieldsOf } from './field-layout.js';
import { IDENTIFY_DATA_SIZE } from './identify.js';

/** Byte layout of the namespace fields, in offset order. */
export const NAMESPACE_FIELDS = defineLayout('IdentifyNamespace', IDENTIFY_DATA_SIZE, [
  { key: 'nsze', offset: 0, size: 8, kind: 'u64' },
  { key: 'ncap', offset: 8, size: 8, kind: 'u64' },
  { key: 'nuse', offset: 16, size: 8, kind: 'u64' },
  { key: 'nsfeat', offset: 24, size: 1, kind: 'u8' },
  /** Number of LBA formats, 0's based. */
  { key: 'nlbaf', offset: 25, size: 1, kind: 'u8' },
  { key: 'flbas', offset: 26, size: 1, kind: 'u8' },
  { key: 'mc', offset: 27, size: 1, kind: 'u8' },
  { key: 'dpc', offset: 28, size: 1, kind: 'u8' },
  { key: 'dps', offset: 29, size: 1, kind: 'u8' },
  { key: 'nmic', offset: 30, size: 1, kind: 'u8' },
  { key: 'rescap', offset: 31, size: 1, kind: 'u8' },
  { key: 'fpi', offset: 32, size: 1, kind: 'u8' },
  { key: 'dlfeat', offset: 33, size: 1, kind: 'u8' },
  { key: 'nawun', offset: 34, size: 2, kind: 'u16' },
  { key: 'nawupf', offset: 36, size: 2, kind: 'u16' },
  { key: 'nacwu', offset: 38, size: 2, kind: 'u16' },
  { key: 'nabsn', offset: 40, size: 2, kind: 'u16' },
  { key: 'nabo', offset: 42, size: 2, kind: 'u16' },
  { key: 'nabspf', offset: 44, size: 2, kind: 'u16' },
  { key: 'noiob', offset: 46, size: 2, kind: 'u16' },
  { key: 'nvmcap', offset: 48, size: 16, kind: 'u128' },
  { key: 'npwg', offset: 64, size: 2, kind: 'u16' },
  { key: 'npwa', offset: 66, size: 2, kind: 'u16' },
  { key: 'npdg', offset: 68, size: 2, kind: 'u16' },
  { key: 'npda', offset: 70, size: 2, kind: 'u16' },
  { key: 'nows', offset: 72, size: 2, kind: 'u16' },
  { key: 'mssrl', offset: 74, size: 2, kind: 'u16' },
  { key: 'mcl', offset: 76, size: 4, kind: 'u32' },
  { key: 'msrc', offset: 80, size: 1, kind: 'u8' },
  /** Number of unique attribute LBA formats (not 0's based); they follow the NLBAF + 1 regular ones. */
  { key: 'nulbaf', offset: 82, size: 1, kind: 'u8' },
  { key: 'anagrpid', offset: 92, size: 4, kind: 'u32' },
  { key: 'nsattr', offset: 99, size: 1, kind: 'u8' },
  { key: 'nvmsetid', offset: 100, size: 2, kind: 'u16' },
  { key: 'endgid', offset: 102, size: 2, kind: 'u16' },
  { key: 'nguid', offset: 104, size: 16, kind: 'hex' },
  { key: 'eui64', offset: 120, size: 8, kind: 'hex' },
] as const);

export const LBAF_OFFSET = 128;
export const LBAF_SIZE = 4;
export const MAX_LBA_FORMATS = 64;

/** Layout of one LBA Format descriptor; keys as nvme-cli prints them under `lbafs`. */
export const LBA_FORMAT_FIELDS = defineLayout('LbaFormat', LBAF_SIZE, [
  /** Metadata bytes per LBA. */
  { key: 'ms', offset: 0, size: 2, kind: 'u16' },
  /** LBA data size as a power of two (9 = 512 bytes). */
  { key: 'ds', offset: 2, size: 1, kind: 'u8' },
  /** Relative performance, 0 best .. 3 degraded. */
  { key: 'rp', offset: 3, size: 1, kind: 'bits', shift: 0, width: 2 },
] as const);

export type LbaFormat = FieldsOf<typeof LBA_FORMAT_FIELDS>;

/**
 * Identify Namespace data. 64-bit sizes and NVMCAP are bigint; NGUID and EUI64
 * are hex strings in wire order. Reserved and vendor-specific bytes are not kept.
 */
export interface IdentifyNamespace extends FieldsOf<typeof NAMESPACE_FIELDS> {
  /** LBA formats 0..NLBAF followed by the NULBAF unique attribute formats. */
  lbafs: LbaFormat[];
}

/** How many LBA format descriptors the namespace reports. */
export function lbaFormatCount(ns: Pick<IdentifyNamespace, 'nlbaf' | 'nulbaf'>): number {
  return Math.min(ns.nlbaf + 1 + ns.nulbaf, MAX_LBA_FORMATS);
}

/** Parses a 4096-byte Identify Namespace page. */
export function parseIdentifyNamespace(buf: Uint8Array): IdentifyNamespace {
  requireLength('Identify Namespace', buf, IDENTIFY_DATA_SIZE);
  const ns = readFields(NAMESPACE_FIELDS, buf);
  const lbafs: LbaFormat[] = [];
  for (let i = 0; i < lbaFormatCount(ns); i++) lbafs.push(readFields(LBA_FORMAT_FIELDS, buf, LBAF_OFFSET + i * LBAF_SIZE));
  return { ...ns, lbafs };
}

/** Builds the 4096-byte Identify Namespace page. `lbafs` must hold NLBAF + 1 + NULBAF formats (at most 64). */
export function buildIdentifyNamespace(ns: IdentifyNamespace): Buffer {
  if (ns.lbafs.length !== ns.nlbaf + 1 + ns.nulbaf || ns.lbafs.length > MAX_LBA_FORMATS) {
    throw new RangeError(
      `lbafs: expected nlbaf + 1 + nulbaf = ${ns.nlbaf + 1 + ns.nulbaf} LBA formats (at most ${MAX_LBA_FORMATS}), got ${ns.lbafs.length}`,
    );
  }
  const buf = Buffer.alloc(IDENTIFY_DATA_SIZE);
  writeFields(NAMESPACE_FIELDS, ns, buf);
  ns.lbafs.forEach((f, i) => writeFields(LBA_FORMAT_FIELDS, f, buf, LBAF_OFFSET + i * LBAF_SIZE));
  return buf;
}

/**
 * Index of the LBA format in use: FLBAS bits 3:0, extended by bits 6:5 as the
 * high bits when NLBAF is greater than 16 (the spec's wording, which Linux follows).
 */
export function currentLbaFormatIndex(ns: Pick<IdentifyNamespace, 'flbas' | 'nlbaf'>): number {
  const low = ns.flbas & 0x0f;
  return ns.nlbaf > 16 ? low | (((ns.flbas >> 5) & 0x3) << 4) : low;
}

function currentLbaFormat(ns: IdentifyNamespace): LbaFormat {
  const idx = currentLbaFormatIndex(ns);
  const f = ns.lbafs[idx];
  if (!f) throw new RangeError(`flbas selects LBA format ${idx}, but the namespace reports ${ns.lbafs.length}`);
  return f;
}

/** Logical block size in bytes of the format in use. */
export function lbaSizeOf(ns: IdentifyNamespace): number {
  return 2 ** currentLbaFormat(ns).ds;
}

/** Metadata bytes per logical block of the format in use. */
export function metadataSizeOf(ns: IdentifyNamespace): number {
  return currentLbaFormat(ns).ms;
}

/** FLBAS bit 4: metadata travels at the end of each LBA (extended LBA) rather than in a separate buffer. */
export function hasExtendedLba(ns: Pick<IdentifyNamespace, 'flbas'>): boolean {
  return (ns.flbas & 0x10) !== 0;
}

/**
 * A namespace of `nsze` blocks of `2^lbads` bytes, fully allocated, with one
 * LBA format and nothing else set. A target starts here.
 */
export function defaultIdentifyNamespace(nsze: bigint, lbads = 9): IdentifyNamespace {
  return {
    ...zeroFields(NAMESPACE_FIELDS),
    nsze,
    ncap: nsze,
    nuse: nsze,
    lbafs: [{ ms: 0, ds: lbads, rp: 0 }],
  };
}

// Bit fields inside Identify Namespace fields; decode with `decodeBits` from bitfield.ts.

/** NSFEAT: Namespace Features. */
export const NSFEAT_BITS = defineBitLayout('NSFEAT', 8, {
  thinProvisioning: { shift: 0, width: 1, flag: true },
  /** NAWUN, NAWUPF, NACWU, NABSN, NABO, NABSPF apply. */
  nsAtomics: { shift: 1, width: 1, flag: true },
  deallocatedError: { shift: 2, width: 1, flag: true },
  guidNeverReused: { shift: 3, width: 1, flag: true },
  /** NPWG, NPWA, NPDG, NPDA, NOWS apply. */
  optimalPerformance: { shift: 4, width: 1, flag: true },
});

/** DLFEAT: Deallocate Logical Block Features. */
export const DLFEAT_BITS = defineBitLayout('DLFEAT', 8, {
  /** 0 not reported, 1 reads return zeroes, 2 reads return FFh. */
  readValue: { shift: 0, width: 3 },
  writeZeroesDeallocate: { shift: 3, width: 1, flag: true },
  guardIsCrc: { shift: 4, width: 1, flag: true },
});

/** DLFEAT.READ_VALUE values. */
export const DeallocReadValue = { NOT_REPORTED: 0, ZEROES: 1, ONES: 2 } as const;

/** DPS: End-to-end Data Protection Type Settings. */
export const DPS_BITS = defineBitLayout('DPS', 8, {
  /** Protection Information Type: 0 none, 1..3 Type 1..3. */
  pit: { shift: 0, width: 3 },
  /** Protection information is the first 8 bytes of metadata (else the last). */
  firstBytes: { shift: 3, width: 1, flag: true },
});

/** DPC: End-to-end Data Protection Capabilities. */
export const DPC_BITS = defineBitLayout('DPC', 8, {
  type1: { shift: 0, width: 1, flag: true },
  type2: { shift: 1, width: 1, flag: true },
  type3: { shift: 2, width: 1, flag: true },
  firstBytes: { shift: 3, width: 1, flag: true },
  lastBytes: { shift: 4, width: 1, flag: true },
});

/** NMIC: Namespace Multi-path I/O and Namespace Sharing Capabilities. */
export const NMIC_BITS = defineBitLayout('NMIC', 8, {
  shared: { shift: 0, width: 1, flag: true },
});

/** NSATTR: Namespace Attributes. */
export const NSATTR_BITS = defineBitLayout('NSATTR', 8, {
  writeProtected: { shift: 0, width: 1, flag: true },
});
