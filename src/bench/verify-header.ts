/**
 * The verify header: the one layout both nvme-perf's `--verify` block tags and
 * nvme-fio's `verify=` units start with, so either tool can name what it finds
 * in a block the other wrote. All fields little-endian:
 *
 * | offset | bytes | field                                                        |
 * |--------|-------|--------------------------------------------------------------|
 * | 0      | 4     | magic `NVFV` (0x5646564e)                                    |
 * | 4      | 1     | method: how the payload is checked ({@link VerifyMethod})    |
 * | 5      | 1     | header version (1)                                           |
 * | 8      | 8     | byte offset of the block/unit in the namespace (two words)   |
 * | 16     | 4     | length in bytes                                              |
 * | 20     | 4     | seed of the writer (nvme-perf's run tag, a fio job's seed)   |
 * | 24     | 4     | generation: how often the writer has written it              |
 * | 28     | 32    | checksum of the payload (crc32c 4 bytes, md5 16, sha256 32; zeros when none) |
 * | 60     | 4     | crc32c of bytes 0..59, or 0 when the writer does not seal    |
 *
 * nvme-fio seals its headers (its checksum covers only the payload); nvme-perf
 * leaves the crc 0, since it compares every byte of a block with the image it
 * expects, and a crc per 512-byte block would double its verify cost.
 * The header is written as 32-bit words in host order, so writers need a
 * little-endian host (x86-64, arm64). Writing and checking allocate nothing:
 * the crc runs over views made once per (buffer, offset).
 */
import { endianness } from 'node:os';
import { crc32c } from '@node-rs/crc32';

export const VERIFY_MAGIC = 0x5646564e;
export const VERIFY_HEADER_BYTES = 64;
const HEADER_VERSION = 1;
const TWO_32 = 4294967296;

/** Byte offsets of the fields within the header. */
export const VerifyField = {
  magic: 0,
  method: 4,
  version: 5,
  offset: 8,
  length: 16,
  seed: 20,
  generation: 24,
  checksum: 28,
  headerCrc: 60,
} as const;
export const VERIFY_CHECKSUM_BYTES = 32;

/** Payload methods: fio's checksums and pattern, and nvme-perf's payload derived from the header fields. */
export const VerifyMethod = { crc32c: 1, md5: 2, sha256: 3, pattern: 4, derived: 5 } as const;

/** The header fields as read or expected. */
export interface VerifyHeader {
  magic: number;
  method: number;
  offset: number;
  length: number;
  seed: number;
  generation: number;
}

/** 32-bit words of a buffer, for {@link writeVerifyHeader}; the buffer must start 4-byte aligned. */
export function headerWords(buf: Buffer): Uint32Array {
  if (endianness() !== 'LE') throw new Error('verify headers are written as little-endian words: this host is big-endian');
  if (buf.byteOffset % 4 !== 0) throw new RangeError(`a verify buffer must start 4-byte aligned, this one at byte ${buf.byteOffset}`);
  return new Uint32Array(buf.buffer, buf.byteOffset, Math.floor(buf.length / 4));
}

/**
 * Writes the header fields at word `i` of `words` ({@link headerWords}) and
 * zeros its checksum and crc: then write the checksum, and seal if the writer seals.
 */
export function writeVerifyHeader(words: Uint32Array, i: number, method: number, offset: number, length: number, seed: number, generation: number): void {
  words[i] = VERIFY_MAGIC;
  words[i + 1] = method | (HEADER_VERSION << 8);
  words[i + 2] = offset >>> 0;
  words[i + 3] = Math.floor(offset / TWO_32) >>> 0;
  words[i + 4] = length;
  words[i + 5] = seed;
  words[i + 6] = generation;
  words.fill(0, i + VerifyField.checksum / 4, i + VERIFY_HEADER_BYTES / 4);
}

/** Writes the header crc over bytes 0..59 of the header at `at`. */
export function sealVerifyHeader(out: Buffer, at: number): void {
  out.writeUInt32LE(crc32c(headerView(out, at)), at + VerifyField.headerCrc);
}

/** Whether the header at `at` is intact (its crc matches). */
export function verifyHeaderSealed(buf: Buffer, at: number): boolean {
  return buf.readUInt32LE(at + VerifyField.headerCrc) === crc32c(headerView(buf, at));
}

/** The offset field of the header at `at`. */
export function verifyHeaderOffset(buf: Buffer, at: number): number {
  return buf.readUInt32LE(at + VerifyField.offset + 4) * TWO_32 + buf.readUInt32LE(at + VerifyField.offset);
}

/** Reads the header at `at` (for messages; allocates). */
export function readVerifyHeader(buf: Buffer, at: number): VerifyHeader {
  return {
    magic: buf.readUInt32LE(at),
    method: buf[at + VerifyField.method]!,
    offset: verifyHeaderOffset(buf, at),
    length: buf.readUInt32LE(at + VerifyField.length),
    seed: buf.readUInt32LE(at + VerifyField.seed),
    generation: buf.readUInt32LE(at + VerifyField.generation),
  };
}

/** Bytes 0..59 of the header at `at`, for its crc; cached per buffer so a check makes no view. */
const headerViews = new WeakMap<Buffer, Map<number, Buffer>>();
function headerView(buf: Buffer, at: number): Buffer {
  let byOffset = headerViews.get(buf);
  if (byOffset === undefined) headerViews.set(buf, (byOffset = new Map()));
  let view = byOffset.get(at);
  if (view === undefined) byOffset.set(at, (view = buf.subarray(at, at + VerifyField.headerCrc)));
  return view;
}
