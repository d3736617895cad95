/**
 * nvme-fio's `verify=`: every unit a verifying job writes (fio's
 * `verify_interval`, here the gcd of the job's block sizes) starts with the
 * shared verify header (bench/verify-header.ts: magic, method, offset, length,
 * the job's seed, generation, checksum of the payload) and carries a payload
 * after it: random bytes from the seed, or `verify_pattern` repeated (then
 * compared byte for byte). A read is checked header first, so a misdirected or
 * stale unit is named as such before its checksum is blamed.
 *
 * Checking and stamping allocate nothing with crc32c and pattern; md5 and
 * sha256 go through node:crypto, which allocates a hash object and its digest.
 */
import { createHash } from 'node:crypto';
import { crc32c } from '@node-rs/crc32';
import type { FioVerify } from './fio-job.js';
import { Xoshiro128 } from '../bench/prng.js';
import {
  headerWords,
  readVerifyHeader,
  sealVerifyHeader,
  VERIFY_CHECKSUM_BYTES,
  VERIFY_HEADER_BYTES,
  VERIFY_MAGIC,
  VerifyField,
  verifyHeaderOffset,
  verifyHeaderSealed,
  VerifyMethod,
  writeVerifyHeader,
  type VerifyHeader,
} from '../bench/verify-header.js';

const CHECKSUM_AT = VerifyField.checksum;

type Method = Exclude<FioVerify, 'none'>;

/** Method codes in the header, and the checksum each stores. */
const METHODS: Readonly<Record<Method, { code: number; digest: ((payload: Uint8Array, out: Buffer, at: number) => void) | null }>> = {
  crc32c: { code: VerifyMethod.crc32c, digest: (p, out, at) => void out.writeUInt32LE(crc32c(p), at + CHECKSUM_AT) },
  // createHash, not crypto.hash: the one-shot form needs Node 20.12, package.json allows any Node 20.
  md5: { code: VerifyMethod.md5, digest: (p, out, at) => void createHash('md5').update(p).digest().copy(out, at + CHECKSUM_AT) },
  sha256: { code: VerifyMethod.sha256, digest: (p, out, at) => void createHash('sha256').update(p).digest().copy(out, at + CHECKSUM_AT) },
  pattern: { code: VerifyMethod.pattern, digest: null },
};

/** A unit that did not verify: its offset, and one line naming expected and actual header. */
export interface VerifyFailure {
  offset: number;
  message: string;
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;
const describe = (h: VerifyHeader): string => `{magic=${hex(h.magic)} offset=${h.offset} len=${h.length} seed=${hex(h.seed)} gen=${h.generation}}`;

/** Stamps and checks the units of one job clone. */
export class FioVerifier {
  private readonly method: (typeof METHODS)[Method];
  /** The pattern repeated over a unit's payload (pattern method), else null. */
  private readonly patternImage: Buffer | null;
  /** The header a read should find, built per check. */
  private readonly expected: Buffer = Buffer.alloc(VERIFY_HEADER_BYTES);
  /** Word views of the buffers headers are written into (task buffers, `expected`), made once each. */
  private readonly words = new WeakMap<Buffer, Uint32Array>();

  /**
   * @param unitBytes bytes per verify unit (more than the header)
   * @param seed the job clone's verify seed, stamped into every header
   */
  constructor(
    methodName: Method,
    readonly unitBytes: number,
    readonly seed: number,
    pattern: Uint8Array | null,
  ) {
    if (unitBytes <= VERIFY_HEADER_BYTES) throw new RangeError(`a verify unit must be larger than its ${VERIFY_HEADER_BYTES}-byte header, got ${unitBytes}`);
    this.method = METHODS[methodName];
    if (methodName === 'pattern') {
      if (pattern === null || pattern.length === 0) throw new RangeError('verify=pattern needs verify_pattern');
      const img = Buffer.alloc(unitBytes - VERIFY_HEADER_BYTES);
      for (let i = 0; i < img.length; i += pattern.length) img.set(pattern.subarray(0, Math.min(pattern.length, img.length - i)), i);
      this.patternImage = img;
    } else {
      this.patternImage = null;
    }
  }

  /** Payload views of a task buffer, one per unit it holds: made once per task so stamping and checking need no view per I/O. */
  payloadViews(buf: Buffer): Buffer[] {
    const units = Math.floor(buf.length / this.unitBytes);
    return Array.from({ length: units }, (_, u) => buf.subarray(u * this.unitBytes + VERIFY_HEADER_BYTES, (u + 1) * this.unitBytes));
  }

  /**
   * Fills payloads for writing: random bytes from `fillSeed`, or the pattern.
   * Done once per task buffer; after a read brought bad data into the buffer the
   * pattern method fills it again (checksum methods digest whatever is there).
   */
  fillPayloads(views: readonly Buffer[], fillSeed: number): void {
    const rng = new Xoshiro128(fillSeed);
    for (const view of views) {
      if (this.patternImage !== null) this.patternImage.copy(view);
      else for (let i = 0; i + 4 <= view.length; i += 4) view.writeUInt32LE(rng.nextU32(), i);
    }
  }

  /** Whether payloads must be filled again after a read that may have brought bad data. */
  get refillsAfterBadRead(): boolean {
    return this.patternImage !== null;
  }

  /** Writes the header of unit `u` of `buf` (payload view `payload`) for byte `offset` and `generation`. */
  stamp(buf: Buffer, u: number, payload: Buffer, offset: number, generation: number): void {
    this.buildHeader(buf, u * this.unitBytes, offset, generation, payload);
  }

  /**
   * Checks unit `u` of a read buffer against what the job last wrote at `offset`
   * (`generation`). Returns null when it is right.
   */
  check(buf: Buffer, u: number, payload: Buffer, offset: number, generation: number): VerifyFailure | null {
    const at = u * this.unitBytes;
    const exp = this.expected;
    this.buildHeader(exp, 0, offset, generation, payload);
    const reason = this.headerReason(buf, at, offset, generation);
    if (reason !== null) return this.failure(buf, at, offset, generation, reason);
    if (this.patternImage !== null) {
      if (payload.compare(this.patternImage) !== 0) {
        const i = firstDifference(payload, this.patternImage);
        return this.failure(buf, at, offset, generation, `payload byte ${VERIFY_HEADER_BYTES + i} is ${hex(payload[i]!)}, the pattern has ${hex(this.patternImage[i]!)}`);
      }
      return null;
    }
    // buildHeader wrote the checksum of what was read into `exp`; the stored one must equal it.
    if (buf.compare(exp, CHECKSUM_AT, CHECKSUM_AT + VERIFY_CHECKSUM_BYTES, at + CHECKSUM_AT, at + CHECKSUM_AT + VERIFY_CHECKSUM_BYTES) !== 0) {
      return this.failure(buf, at, offset, generation, 'payload checksum differs (data corrupted after the header)');
    }
    return null;
  }

  private buildHeader(out: Buffer, at: number, offset: number, generation: number, payload: Buffer): void {
    writeVerifyHeader(this.wordsOf(out), at / 4, this.method.code, offset, this.unitBytes, this.seed, generation);
    this.method.digest?.(payload, out, at);
    sealVerifyHeader(out, at);
  }

  private wordsOf(buf: Buffer): Uint32Array {
    let w = this.words.get(buf);
    if (w === undefined) this.words.set(buf, (w = headerWords(buf)));
    return w;
  }

  /** What is wrong with the header at `at`, or null. */
  private headerReason(buf: Buffer, at: number, offset: number, generation: number): string | null {
    if (buf.readUInt32LE(at) !== VERIFY_MAGIC) return 'bad magic (the unit was never written by a verifying job, or was overwritten)';
    if (!verifyHeaderSealed(buf, at)) return 'header checksum differs (the header is corrupted)';
    const actualOffset = verifyHeaderOffset(buf, at);
    if (actualOffset !== offset) return `the unit belongs at offset ${actualOffset} (misdirected write or read)`;
    if (buf.readUInt32LE(at + VerifyField.length) !== this.unitBytes) return `unit length differs, expected ${this.unitBytes}`;
    const method = buf[at + VerifyField.method];
    if (method !== this.method.code) return `verify method ${method}, expected ${this.method.code}`;
    if (buf.readUInt32LE(at + VerifyField.seed) !== this.seed >>> 0) return 'written by another job (seed differs)';
    const actualGeneration = buf.readUInt32LE(at + VerifyField.generation);
    if (actualGeneration !== generation >>> 0) {
      return actualGeneration < generation ? 'stale data: an older generation (a completed write was lost)' : 'a newer generation than any completed write';
    }
    return null;
  }

  private failure(buf: Buffer, at: number, offset: number, generation: number, reason: string): VerifyFailure {
    const expected: VerifyHeader = { magic: VERIFY_MAGIC, method: this.method.code, offset, length: this.unitBytes, seed: this.seed >>> 0, generation };
    return { offset, message: `verify: offset ${offset}: ${reason}; expected header ${describe(expected)}, read ${describe(readVerifyHeader(buf, at))}` };
  }
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i;
}
