/**
 * Submission Queue Entry (NVMe base spec, "Common Command Format"): 64 bytes,
 * little endian. The hot path writes fields in place with the offsets below;
 * `encodeSqe` / `decodeSqe` are for the control path, tests and the target.
 */

export const SQE_SIZE = 64;

/** Byte offsets of SQE fields. */
export const SqeOffset = {
  OPC: 0,
  /** FUSE in bits 1:0, PSDT in bits 7:6. */
  FLAGS: 1,
  CID: 2,
  NSID: 4,
  CDW2: 8,
  CDW3: 12,
  MPTR: 16,
  /** Data pointer: PRP1 + PRP2, or SGL1 (16 bytes). */
  DPTR: 24,
  PRP1: 24,
  PRP2: 32,
  CDW10: 40,
  CDW11: 44,
  CDW12: 48,
  CDW13: 52,
  CDW14: 56,
  CDW15: 60,
} as const;

/** PSDT: how DPTR is to be read. */
export const Psdt = {
  PRP: 0,
  /** SGL, MPTR is an address. */
  SGL_MPTR_CONTIG: 1,
  /** SGL, MPTR is an SGL segment. */
  SGL_MPTR_SGL: 2,
} as const;

/** A decoded SQE. Fields not given to `encodeSqe` are zero. */
export interface Sqe {
  opc: number;
  fuse: number;
  psdt: number;
  cid: number;
  nsid: number;
  cdw2: number;
  cdw3: number;
  mptr: bigint;
  /** The 16-byte data pointer (PRP entries or an SGL descriptor), as bytes. */
  dptr: Uint8Array;
  cdw10: number;
  cdw11: number;
  cdw12: number;
  cdw13: number;
  cdw14: number;
  cdw15: number;
}

/** Fields for `encodeSqe`; everything but `opc` defaults to zero. */
export type SqeInit = Partial<Sqe> & { opc: number };

/**
 * Writes an SQE into `buf` at `offset` (zeroing the 64 bytes first). Dwords may be
 * given as signed 32-bit values (`1 << 31`), as bitwise operators produce them.
 */
export function encodeSqe(init: SqeInit, buf: Buffer = Buffer.alloc(SQE_SIZE), offset = 0): Buffer {
  buf.fill(0, offset, offset + SQE_SIZE);
  buf.writeUInt8(init.opc, offset + SqeOffset.OPC);
  buf.writeUInt8(((init.psdt ?? 0) << 6) | (init.fuse ?? 0), offset + SqeOffset.FLAGS);
  buf.writeUInt16LE(init.cid ?? 0, offset + SqeOffset.CID);
  buf.writeUInt32LE((init.nsid ?? 0) >>> 0, offset + SqeOffset.NSID);
  buf.writeUInt32LE((init.cdw2 ?? 0) >>> 0, offset + SqeOffset.CDW2);
  buf.writeUInt32LE((init.cdw3 ?? 0) >>> 0, offset + SqeOffset.CDW3);
  buf.writeBigUInt64LE(init.mptr ?? 0n, offset + SqeOffset.MPTR);
  if (init.dptr) {
    if (init.dptr.length !== 16) throw new RangeError(`dptr must be 16 bytes, got ${init.dptr.length}`);
    buf.set(init.dptr, offset + SqeOffset.DPTR);
  }
  buf.writeUInt32LE((init.cdw10 ?? 0) >>> 0, offset + SqeOffset.CDW10);
  buf.writeUInt32LE((init.cdw11 ?? 0) >>> 0, offset + SqeOffset.CDW11);
  buf.writeUInt32LE((init.cdw12 ?? 0) >>> 0, offset + SqeOffset.CDW12);
  buf.writeUInt32LE((init.cdw13 ?? 0) >>> 0, offset + SqeOffset.CDW13);
  buf.writeUInt32LE((init.cdw14 ?? 0) >>> 0, offset + SqeOffset.CDW14);
  buf.writeUInt32LE((init.cdw15 ?? 0) >>> 0, offset + SqeOffset.CDW15);
  return buf;
}

/** Reads the SQE at `offset` of `buf`. */
export function decodeSqe(buf: Uint8Array, offset = 0): Sqe {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length - offset < SQE_SIZE) throw new RangeError(`SQE needs ${SQE_SIZE} bytes, got ${b.length - offset}`);
  const flags = b.readUInt8(offset + SqeOffset.FLAGS);
  return {
    opc: b.readUInt8(offset + SqeOffset.OPC),
    fuse: flags & 0x3,
    psdt: flags >> 6,
    cid: b.readUInt16LE(offset + SqeOffset.CID),
    nsid: b.readUInt32LE(offset + SqeOffset.NSID),
    cdw2: b.readUInt32LE(offset + SqeOffset.CDW2),
    cdw3: b.readUInt32LE(offset + SqeOffset.CDW3),
    mptr: b.readBigUInt64LE(offset + SqeOffset.MPTR),
    // A copy, as a plain Uint8Array (slicing a Buffer would give a Buffer).
    dptr: Uint8Array.from(b.subarray(offset + SqeOffset.DPTR, offset + SqeOffset.DPTR + 16)),
    cdw10: b.readUInt32LE(offset + SqeOffset.CDW10),
    cdw11: b.readUInt32LE(offset + SqeOffset.CDW11),
    cdw12: b.readUInt32LE(offset + SqeOffset.CDW12),
    cdw13: b.readUInt32LE(offset + SqeOffset.CDW13),
    cdw14: b.readUInt32LE(offset + SqeOffset.CDW14),
    cdw15: b.readUInt32LE(offset + SqeOffset.CDW15),
  };
}

/** Data transfer direction, from opcode bits 1:0 (same rule for admin, I/O and Fabrics). */
export const DataDirection = {
  NONE: 0,
  HOST_TO_CONTROLLER: 1,
  CONTROLLER_TO_HOST: 2,
  BIDIRECTIONAL: 3,
} as const;
export type DataDirection = (typeof DataDirection)[keyof typeof DataDirection];

/** The direction encoded in an opcode's low two bits. */
export function dataDirectionOf(opc: number): DataDirection {
  return (opc & 0x3) as DataDirection;
}
