/**
 * 64-bit memory addresses in NVMe structures (PRP entries, SGL descriptors)
 * and in verbs work requests, written from a JS number. Addresses of user
 * memory and IOVAs stay below 2^53, so a number holds them exactly, and
 * writing the two 32-bit halves avoids allocating a BigInt per I/O.
 */

const TWO_32 = 0x1_0000_0000;

/** Writes `address` (an integer below 2^53) as a little-endian u64 at `offset`. */
export function writeAddress(buf: Buffer, offset: number, address: number): void {
  buf.writeUInt32LE(address % TWO_32, offset);
  buf.writeUInt32LE(Math.floor(address / TWO_32), offset + 4);
}
