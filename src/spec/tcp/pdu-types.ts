/**
 * NVMe/TCP PDU definitions (NVMe/TCP Transport Specification 1.0, "PDU Formats"):
 * types, flags, header lengths, field offsets and Fatal Error Status codes, as tables.
 * All multi-byte fields are little endian.
 */

/** PDU-Type values of the common header. */
export const PduType = {
  IC_REQ: 0x00,
  IC_RESP: 0x01,
  H2C_TERM_REQ: 0x02,
  C2H_TERM_REQ: 0x03,
  CAPSULE_CMD: 0x04,
  CAPSULE_RESP: 0x05,
  H2C_DATA: 0x06,
  C2H_DATA: 0x07,
  R2T: 0x09,
} as const;
export type PduType = (typeof PduType)[keyof typeof PduType];

/** Bits of the common header FLAGS field. */
export const PduFlag = {
  /** A header digest follows the PDU header. */
  HDGSTF: 0x01,
  /** A data digest follows the PDU data. */
  DDGSTF: 0x02,
  /** H2CData / C2HData: last data PDU of the command (or of the R2T). */
  LAST_PDU: 0x04,
  /** C2HData only: the command succeeded; no CapsuleResp follows. Requires LAST_PDU. */
  SUCCESS: 0x08,
} as const;

/** DGST field of ICReq / ICResp. */
export const IcDigest = {
  HDGST_ENABLE: 0x01,
  DDGST_ENABLE: 0x02,
} as const;

/** Fatal Error Status, reported in H2CTermReq / C2HTermReq. */
export const Fes = {
  INVALID_PDU_HEADER_FIELD: 0x01,
  PDU_SEQUENCE_ERROR: 0x02,
  HEADER_DIGEST_ERROR: 0x03,
  DATA_TRANSFER_OUT_OF_RANGE: 0x04,
  DATA_TRANSFER_LIMIT_EXCEEDED: 0x05,
  UNSUPPORTED_PARAMETER: 0x06,
} as const;
export type Fes = (typeof Fes)[keyof typeof Fes];

/** Spec names of the FES values, for logs and error messages. */
export const FES_NAMES: Readonly<Record<number, string>> = {
  [Fes.INVALID_PDU_HEADER_FIELD]: 'Invalid PDU Header Field',
  [Fes.PDU_SEQUENCE_ERROR]: 'PDU Sequence Error',
  [Fes.HEADER_DIGEST_ERROR]: 'Header Digest Error',
  [Fes.DATA_TRANSFER_OUT_OF_RANGE]: 'Data Transfer Out of Range',
  [Fes.DATA_TRANSFER_LIMIT_EXCEEDED]: 'Data Transfer Limit Exceeded',
  [Fes.UNSUPPORTED_PARAMETER]: 'Unsupported Parameter',
};

/** FES values whose FEI carries the byte offset of the offending field; for the others FEI is reserved. */
export const FES_WITH_FEI: ReadonlySet<number> = new Set([Fes.INVALID_PDU_HEADER_FIELD, Fes.UNSUPPORTED_PARAMETER]);

/** Size of a header or data digest (CRC32C). */
export const DIGEST_SIZE = 4;
/** Size of the common header shared by every PDU. */
export const PDU_COMMON_HEADER_SIZE = 8;
/** ICReq and ICResp are exactly this long (HLEN = PLEN = 128). */
export const IC_PDU_SIZE = 128;
/** Largest H2CTermReq / C2HTermReq: a 24-byte header plus up to 128 bytes of the offending header. */
export const TERM_REQ_MAX_SIZE = 152;
/** Largest span from the start of a PDU to its data: PDO is one byte. */
export const PDU_MAX_DATA_OFFSET = 255;
/** The smallest MAXH2CDATA a controller may announce. */
export const MIN_MAXH2CDATA = 4096;
/** PDU Format Version 1.0, the only one defined. */
export const PFV_1_0 = 0;
/** Largest HPDA / CPDA: data alignment is (PDA + 1) * 4 bytes, so 128 bytes at most. */
export const MAX_PDA = 31;

/** Byte offsets of common header fields. */
export const ChOffset = {
  PDU_TYPE: 0,
  FLAGS: 1,
  HLEN: 2,
  PDO: 3,
  PLEN: 4,
} as const;

/** Byte offsets of type-specific header fields, from the start of the PDU. */
export const PduOffset = {
  /** ICReq / ICResp: PDU Format Version (16 bits). */
  PFV: 8,
  /** ICReq: Host PDU Data Alignment. */
  HPDA: 10,
  /** ICResp: Controller PDU Data Alignment. */
  CPDA: 10,
  /** ICReq / ICResp: digest enables (IcDigest bits). */
  DGST: 11,
  /** ICReq: maximum outstanding R2Ts per command, 0's based (32 bits). */
  MAXR2T: 12,
  /** ICResp: maximum H2CData data length (32 bits). */
  MAXH2CDATA: 12,
  /** TermReq: Fatal Error Status (16 bits). */
  FES: 8,
  /** TermReq: Fatal Error Information (32 bits). */
  FEI: 10,
  /** CapsuleCmd: the 64-byte SQE. */
  SQE: 8,
  /** CapsuleResp: the 16-byte CQE. */
  CQE: 8,
  /** H2CData / C2HData / R2T: Command Capsule CID (16 bits). */
  CCCID: 8,
  /** H2CData / R2T: Transfer Tag (16 bits). */
  TTAG: 10,
  /** H2CData / C2HData: data offset within the command's data (32 bits). */
  DATAO: 12,
  /** H2CData / C2HData: data length of this PDU (32 bits). */
  DATAL: 16,
  /** R2T: requested offset (32 bits). */
  R2TO: 12,
  /** R2T: requested length (32 bits). */
  R2TL: 16,
} as const;

/** How a PDU type may carry data. */
export type PduDataKind =
  /** ICReq / ICResp: fixed 128 bytes, never digests. */
  | 'ic'
  /** TermReq: the offending header follows HLEN directly (PDO 0), never digests. */
  | 'term'
  /** CapsuleResp / R2T: header (+ HDGST) only. */
  | 'none'
  /** CapsuleCmd / H2CData / C2HData: data at PDO, then DDGST when enabled. */
  | 'data';

/** What every PDU type looks like on the wire. */
export interface PduTypeInfo {
  readonly type: PduType;
  /** Name as in the spec, for messages. */
  readonly name: string;
  /** Required HLEN. */
  readonly hlen: number;
  /** Which side sends it. */
  readonly sender: 'host' | 'controller';
  /** FLAGS bits allowed for this type. */
  readonly validFlags: number;
  readonly data: PduDataKind;
}

const DIGESTS = PduFlag.HDGSTF | PduFlag.DDGSTF;

const PDU_TYPE_LIST: readonly PduTypeInfo[] = [
  { type: PduType.IC_REQ, name: 'ICReq', hlen: 128, sender: 'host', validFlags: 0, data: 'ic' },
  { type: PduType.IC_RESP, name: 'ICResp', hlen: 128, sender: 'controller', validFlags: 0, data: 'ic' },
  { type: PduType.H2C_TERM_REQ, name: 'H2CTermReq', hlen: 24, sender: 'host', validFlags: 0, data: 'term' },
  { type: PduType.C2H_TERM_REQ, name: 'C2HTermReq', hlen: 24, sender: 'controller', validFlags: 0, data: 'term' },
  { type: PduType.CAPSULE_CMD, name: 'CapsuleCmd', hlen: 72, sender: 'host', validFlags: DIGESTS, data: 'data' },
  {
    type: PduType.CAPSULE_RESP,
    name: 'CapsuleResp',
    hlen: 24,
    sender: 'controller',
    validFlags: PduFlag.HDGSTF,
    data: 'none',
  },
  {
    type: PduType.H2C_DATA,
    name: 'H2CData',
    hlen: 24,
    sender: 'host',
    validFlags: DIGESTS | PduFlag.LAST_PDU,
    data: 'data',
  },
  {
    type: PduType.C2H_DATA,
    name: 'C2HData',
    hlen: 24,
    sender: 'controller',
    validFlags: DIGESTS | PduFlag.LAST_PDU | PduFlag.SUCCESS,
    data: 'data',
  },
  { type: PduType.R2T, name: 'R2T', hlen: 24, sender: 'controller', validFlags: PduFlag.HDGSTF, data: 'none' },
];

/** PDU type table indexed by PDU-Type; undefined for reserved values. */
export const PDU_TYPES: readonly (PduTypeInfo | undefined)[] = (() => {
  const table: (PduTypeInfo | undefined)[] = new Array<PduTypeInfo | undefined>(256).fill(undefined);
  for (const info of PDU_TYPE_LIST) table[info.type] = info;
  return table;
})();

/** The spec name of a PDU type, or `type 0xNN` for reserved values. */
export function pduTypeName(type: number): string {
  return PDU_TYPES[type]?.name ?? `type 0x${type.toString(16).padStart(2, '0')}`;
}

/** Data alignment in bytes for a HPDA / CPDA value: (PDA + 1) * 4. */
export function pdaAlignment(pda: number): number {
  return (pda + 1) * 4;
}
