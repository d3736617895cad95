/**
 * Completion Queue Entry: 16 bytes. DW3 holds CID (15:0), the phase tag (bit 16)
 * and the 15-bit status field (bits 31:17): SC, SCT, CRD, More, DNR.
 */

export const CQE_SIZE = 16;

/** Byte offsets of CQE fields. */
export const CqeOffset = {
  CDW0: 0,
  CDW1: 4,
  SQHD: 8,
  SQID: 10,
  CID: 12,
  /** Phase tag in bit 0, status in bits 15:1 of this 16-bit word. */
  STATUS: 14,
} as const;

/** The status field, decoded. */
export interface CqeStatus {
  /** Status Code Type (0 generic, 1 command specific, 2 media/data integrity, 3 path, 7 vendor). */
  sct: number;
  /** Status Code. */
  sc: number;
  /** Command Retry Delay index. */
  crd: number;
  /** More: extra information in the Error Information log page. */
  more: boolean;
  /** Do Not Retry. */
  dnr: boolean;
}

export interface Cqe extends CqeStatus {
  cdw0: number;
  cdw1: number;
  sqhd: number;
  sqid: number;
  cid: number;
  /** Phase tag. */
  p: number;
}

export type CqeInit = Partial<Cqe> & { cid: number };

/** The 15-bit status field value (bits 15:1 of the status word, shifted down). */
export function packStatus(s: Partial<CqeStatus>): number {
  return (
    ((s.sc ?? 0) & 0xff) |
    (((s.sct ?? 0) & 0x7) << 8) |
    (((s.crd ?? 0) & 0x3) << 11) |
    ((s.more ? 1 : 0) << 13) |
    ((s.dnr ? 1 : 0) << 14)
  );
}

/** Decodes a 15-bit status field value. */
export function unpackStatus(status: number): CqeStatus {
  return {
    sc: status & 0xff,
    sct: (status >> 8) & 0x7,
    crd: (status >> 11) & 0x3,
    more: ((status >> 13) & 1) === 1,
    dnr: ((status >> 14) & 1) === 1,
  };
}

/** Writes a CQE into `buf` at `offset`. */
export function encodeCqe(init: CqeInit, buf: Buffer = Buffer.alloc(CQE_SIZE), offset = 0): Buffer {
  buf.writeUInt32LE((init.cdw0 ?? 0) >>> 0, offset + CqeOffset.CDW0);
  buf.writeUInt32LE((init.cdw1 ?? 0) >>> 0, offset + CqeOffset.CDW1);
  buf.writeUInt16LE(init.sqhd ?? 0, offset + CqeOffset.SQHD);
  buf.writeUInt16LE(init.sqid ?? 0, offset + CqeOffset.SQID);
  buf.writeUInt16LE(init.cid, offset + CqeOffset.CID);
  buf.writeUInt16LE(((packStatus(init) << 1) | ((init.p ?? 0) & 1)) & 0xffff, offset + CqeOffset.STATUS);
  return buf;
}

/** Reads the CQE at `offset` of `buf`. */
export function decodeCqe(buf: Buffer, offset = 0): Cqe {
  if (buf.length - offset < CQE_SIZE) throw new RangeError(`CQE needs ${CQE_SIZE} bytes, got ${buf.length - offset}`);
  const word = buf.readUInt16LE(offset + CqeOffset.STATUS);
  return {
    cdw0: buf.readUInt32LE(offset + CqeOffset.CDW0),
    cdw1: buf.readUInt32LE(offset + CqeOffset.CDW1),
    sqhd: buf.readUInt16LE(offset + CqeOffset.SQHD),
    sqid: buf.readUInt16LE(offset + CqeOffset.SQID),
    cid: buf.readUInt16LE(offset + CqeOffset.CID),
    p: word & 1,
    ...unpackStatus(word >> 1),
  };
}

/** The 15-bit status of the CQE at `offset`, without decoding the rest (hot path). */
export function cqeStatusField(buf: Buffer, offset = 0): number {
  return buf.readUInt16LE(offset + CqeOffset.STATUS) >> 1;
}
