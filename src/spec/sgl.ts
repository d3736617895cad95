/**
 * SGL descriptors (NVMe base spec "Scatter Gather List"): 16 bytes, the
 * identifier in byte 15 (type in bits 7:4, subtype in bits 3:0).
 *
 * The fabrics transports use three forms in SGL1 of the SQE:
 * - in-capsule data: Data Block, subtype Offset (byte 0x01), address = offset in the capsule;
 * - NVMe/TCP data moved by R2T/H2CData/C2HData: Transport Data Block, subtype Transport A (0x5A);
 * - RDMA: Keyed Data Block (0x40, or 0x4F to invalidate the key), 24-bit length, 32-bit key.
 *
 * The `write*` functions are for the hot path (no objects); `encodeSgl` / `decodeSgl`
 * take and return descriptors for the control path, the target and tests.
 */
import { writeAddress } from './address.js';
import { ProtocolError } from './errors.js';

export const SGL_DESCRIPTOR_SIZE = 16;

/** SGL descriptor types (byte 15 bits 7:4). */
export const SglType = {
  DATA_BLOCK: 0x0,
  BIT_BUCKET: 0x1,
  SEGMENT: 0x2,
  LAST_SEGMENT: 0x3,
  KEYED_DATA_BLOCK: 0x4,
  TRANSPORT_DATA_BLOCK: 0x5,
} as const;
export type SglType = (typeof SglType)[keyof typeof SglType];

/** SGL descriptor subtypes (byte 15 bits 3:0). */
export const SglSubtype = {
  ADDRESS: 0x0,
  OFFSET: 0x1,
  /** Transport specific; NVMe/TCP uses "Transport SGL Data Block descriptor format A". */
  TRANSPORT: 0xa,
  INVALIDATE_KEY: 0xf,
} as const;
export type SglSubtype = (typeof SglSubtype)[keyof typeof SglSubtype];

/** Byte offsets inside a descriptor. */
export const SglOffset = {
  ADDRESS: 0,
  LENGTH: 8,
  /** Keyed Data Block: 24-bit length at 8, key at 11. */
  KEY: 11,
  IDENTIFIER: 15,
} as const;

/** The identifier byte for a type and subtype. */
export function sglIdentifier(type: number, subtype: number): number {
  return ((type & 0xf) << 4) | (subtype & 0xf);
}

/** Data Block, Segment or Last Segment: an address (or capsule offset) and a length. */
export interface SglAddressDescriptor {
  type: typeof SglType.DATA_BLOCK | typeof SglType.SEGMENT | typeof SglType.LAST_SEGMENT;
  subtype: typeof SglSubtype.ADDRESS | typeof SglSubtype.OFFSET;
  /** Memory address, or the byte offset in the capsule when subtype is OFFSET. */
  address: bigint;
  length: number;
}

/** Bit Bucket: `length` bytes of read data the host discards. */
export interface SglBitBucketDescriptor {
  type: typeof SglType.BIT_BUCKET;
  subtype: typeof SglSubtype.ADDRESS | typeof SglSubtype.OFFSET;
  length: number;
}

/** Keyed Data Block (RDMA): remote address, 24-bit length, remote key. */
export interface SglKeyedDescriptor {
  type: typeof SglType.KEYED_DATA_BLOCK;
  /** INVALIDATE_KEY asks the target to send with invalidate (RDMA). */
  subtype: typeof SglSubtype.ADDRESS | typeof SglSubtype.INVALIDATE_KEY;
  address: bigint;
  length: number;
  key: number;
}

/** Transport Data Block: the transport moves `length` bytes its own way (NVMe/TCP R2T, H2CData, C2HData). */
export interface SglTransportDescriptor {
  type: typeof SglType.TRANSPORT_DATA_BLOCK;
  subtype: typeof SglSubtype.TRANSPORT;
  length: number;
}

export type SglDescriptor = SglAddressDescriptor | SglBitBucketDescriptor | SglKeyedDescriptor | SglTransportDescriptor;

const KEYED_LENGTH_MAX = 0xff_ffff;

/** SGL identifier of an in-capsule Data Block (01h): the data follows the SQE in the capsule. */
export const IN_CAPSULE_SGL_ID = sglIdentifier(SglType.DATA_BLOCK, SglSubtype.OFFSET);
/** SGL identifier of an NVMe/TCP Transport Data Block (5Ah): the data moves in data PDUs. */
export const TRANSPORT_SGL_ID = sglIdentifier(SglType.TRANSPORT_DATA_BLOCK, SglSubtype.TRANSPORT);

/*
 * The two writers below run once per I/O. They store every byte as dwords
 * (bytes 12..15, then the identifier over byte 15) rather than `Buffer#fill`,
 * whose call into C++ costs more than the bytes it clears.
 */

/** Writes an in-capsule Data Block (identifier 0x01): `length` bytes at `capsuleOffset` in the capsule data. */
export function writeInCapsuleSgl(buf: Buffer, offset: number, length: number, capsuleOffset = 0): void {
  buf.writeUInt32LE(capsuleOffset, offset + SglOffset.ADDRESS);
  buf.writeUInt32LE(0, offset + SglOffset.ADDRESS + 4);
  buf.writeUInt32LE(length, offset + SglOffset.LENGTH);
  buf.writeUInt32LE(0, offset + SglOffset.LENGTH + 4);
  buf[offset + SglOffset.IDENTIFIER] = IN_CAPSULE_SGL_ID;
}

/** Writes an NVMe/TCP Transport Data Block (identifier 0x5A) of `length` bytes. */
export function writeTransportSgl(buf: Buffer, offset: number, length: number): void {
  buf.writeUInt32LE(0, offset + SglOffset.ADDRESS);
  buf.writeUInt32LE(0, offset + SglOffset.ADDRESS + 4);
  buf.writeUInt32LE(length, offset + SglOffset.LENGTH);
  buf.writeUInt32LE(0, offset + SglOffset.LENGTH + 4);
  buf[offset + SglOffset.IDENTIFIER] = TRANSPORT_SGL_ID;
}

/**
 * Writes a Keyed Data Block (identifier 0x40, or 0x4F with `invalidate`).
 * @param address remote address as a number (exact up to 2^53; user space addresses are)
 */
export function writeKeyedSgl(
  buf: Buffer,
  offset: number,
  address: number,
  length: number,
  key: number,
  invalidate = false,
): void {
  if (length > KEYED_LENGTH_MAX) throw new RangeError(`keyed SGL length is 24 bits, got ${length}`);
  writeAddress(buf, offset + SglOffset.ADDRESS, address);
  buf.writeUIntLE(length, offset + SglOffset.LENGTH, 3);
  buf.writeUInt32LE(key >>> 0, offset + SglOffset.KEY);
  buf[offset + SglOffset.IDENTIFIER] = sglIdentifier(
    SglType.KEYED_DATA_BLOCK,
    invalidate ? SglSubtype.INVALIDATE_KEY : SglSubtype.ADDRESS,
  );
}

/** Writes `desc` as 16 bytes at `offset` of `buf`. */
export function encodeSgl(desc: SglDescriptor, buf: Buffer = Buffer.alloc(SGL_DESCRIPTOR_SIZE), offset = 0): Buffer {
  buf.fill(0, offset, offset + SGL_DESCRIPTOR_SIZE);
  switch (desc.type) {
    case SglType.KEYED_DATA_BLOCK:
      if (desc.length > KEYED_LENGTH_MAX) throw new RangeError(`keyed SGL length is 24 bits, got ${desc.length}`);
      buf.writeBigUInt64LE(desc.address, offset + SglOffset.ADDRESS);
      buf.writeUIntLE(desc.length, offset + SglOffset.LENGTH, 3);
      buf.writeUInt32LE(desc.key >>> 0, offset + SglOffset.KEY);
      break;
    case SglType.BIT_BUCKET:
    case SglType.TRANSPORT_DATA_BLOCK:
      buf.writeUInt32LE(desc.length, offset + SglOffset.LENGTH);
      break;
    default:
      buf.writeBigUInt64LE(desc.address, offset + SglOffset.ADDRESS);
      buf.writeUInt32LE(desc.length, offset + SglOffset.LENGTH);
  }
  buf[offset + SglOffset.IDENTIFIER] = sglIdentifier(desc.type, desc.subtype);
  return buf;
}

/** Subtypes each type accepts. */
const VALID_SUBTYPES = new Map<number, readonly number[]>([
  [SglType.DATA_BLOCK, [SglSubtype.ADDRESS, SglSubtype.OFFSET]],
  [SglType.BIT_BUCKET, [SglSubtype.ADDRESS, SglSubtype.OFFSET]],
  [SglType.SEGMENT, [SglSubtype.ADDRESS, SglSubtype.OFFSET]],
  [SglType.LAST_SEGMENT, [SglSubtype.ADDRESS, SglSubtype.OFFSET]],
  [SglType.KEYED_DATA_BLOCK, [SglSubtype.ADDRESS, SglSubtype.INVALIDATE_KEY]],
  [SglType.TRANSPORT_DATA_BLOCK, [SglSubtype.TRANSPORT]],
]);

/**
 * Reads the descriptor at `offset` of `buf`.
 * @throws ProtocolError naming `sgl.type` or `sgl.subtype` for a descriptor this code does not know
 */
export function decodeSgl(buf: Buffer, offset = 0): SglDescriptor {
  const id = buf[offset + SglOffset.IDENTIFIER]!;
  const type = id >> 4;
  const subtype = id & 0xf;
  const subtypes = VALID_SUBTYPES.get(type);
  if (!subtypes) throw new ProtocolError('sgl.type', type, 'expected a data block, bit bucket, segment, keyed or transport descriptor (0-5)');
  if (!subtypes.includes(subtype)) {
    throw new ProtocolError('sgl.subtype', subtype, `not valid for SGL type ${type}; expected one of ${subtypes.join(', ')}`);
  }
  switch (type) {
    case SglType.KEYED_DATA_BLOCK:
      return {
        type,
        subtype: subtype as SglKeyedDescriptor['subtype'],
        address: buf.readBigUInt64LE(offset + SglOffset.ADDRESS),
        length: buf.readUIntLE(offset + SglOffset.LENGTH, 3),
        key: buf.readUInt32LE(offset + SglOffset.KEY),
      };
    case SglType.BIT_BUCKET:
      return { type, subtype: subtype as SglBitBucketDescriptor['subtype'], length: buf.readUInt32LE(offset + SglOffset.LENGTH) };
    case SglType.TRANSPORT_DATA_BLOCK:
      return { type, subtype: SglSubtype.TRANSPORT, length: buf.readUInt32LE(offset + SglOffset.LENGTH) };
    default:
      return {
        type: type as SglAddressDescriptor['type'],
        subtype: subtype as SglAddressDescriptor['subtype'],
        address: buf.readBigUInt64LE(offset + SglOffset.ADDRESS),
        length: buf.readUInt32LE(offset + SglOffset.LENGTH),
      };
  }
}
