import { describe, expect, it } from 'vitest';
import { BlockTagger } from '../../../src/bench/block-tags.js';
import { readVerifyHeader, VERIFY_MAGIC, verifyHeaderSealed, VerifyMethod } from '../../../src/bench/verify-header.js';

const BS = 512;
const NLB = 8;

function stamped(tagger: BlockTagger, lba: number, gen: number, nlb = NLB): Buffer {
  const buf = Buffer.alloc(nlb * tagger.blockSize);
  tagger.stampWrite(buf, lba, nlb, gen);
  return buf;
}

describe('BlockTagger', () => {
  const tagger = new BlockTagger(BS, 0x1234abcd);

  it('accepts what it stamped, at small and > 2^32 LBAs, for 512 and 4096-byte blocks', () => {
    expect(tagger.checkRead(stamped(tagger, 800, 3), 800, NLB, 3)).toBeNull();
    const far = 2 ** 40 + 16;
    expect(tagger.checkRead(stamped(tagger, far, 1), far, NLB, 1)).toBeNull();
    const t4k = new BlockTagger(4096, 7);
    expect(t4k.checkRead(stamped(t4k, 5, 9, 2), 5, 2, 9)).toBeNull();
  });

  it('writes the shared verify header: magic, method, byte offset, length, run tag, generation (unsealed)', () => {
    const lba = 2 ** 32 + 5;
    const buf = stamped(tagger, lba, 77, 1);
    expect(readVerifyHeader(buf, 0)).toEqual({ magic: VERIFY_MAGIC, method: VerifyMethod.derived, offset: lba * BS, length: BS, seed: 0x1234abcd, generation: 77 });
    expect(buf.toString('latin1', 0, 4)).toBe('NVFV');
    // Every byte of the block is compared, so no header crc is kept.
    expect(buf.readUInt32LE(60)).toBe(0);
    expect(verifyHeaderSealed(buf, 0)).toBe(false);
  });

  it('detects one flipped bit anywhere in any block, naming its LBA and offset', () => {
    for (const [block, byte, bit] of [
      [0, 64, 0],
      [3, 300, 5],
      [7, 511, 7],
      [5, 100, 2],
    ] as const) {
      const buf = stamped(tagger, 800, 3);
      buf[block * BS + byte] ^= 1 << bit;
      const m = tagger.checkRead(buf, 800, NLB, 3);
      expect(m).not.toBeNull();
      expect(m!.lba).toBe(800 + block);
      expect(m!.kind).toBe('data');
      expect(m!.byteOffset).toBe(byte - (byte % 4));
      expect(m!.message).toContain(`LBA ${800 + block}`);
      expect(m!.message).toContain('1 bit(s)');
    }
  });

  it('detects a flipped bit in the header', () => {
    const buf = stamped(tagger, 800, 3);
    buf[2 * BS + 24] ^= 0x10;
    expect(tagger.checkRead(buf, 800, NLB, 3)).toMatchObject({ lba: 802, kind: 'generation' });
    const buf2 = stamped(tagger, 800, 3);
    buf2[BS + 21] ^= 0x01;
    expect(tagger.checkRead(buf2, 800, NLB, 3)).toMatchObject({ lba: 801, kind: 'run' });
    const buf3 = stamped(tagger, 800, 3);
    buf3[BS + 60] ^= 0x01;
    expect(tagger.checkRead(buf3, 800, NLB, 3)).toMatchObject({ lba: 801, kind: 'data', byteOffset: 60 });
  });

  it('detects data for another LBA (misdirected I/O)', () => {
    const m = tagger.checkRead(stamped(tagger, 808, 3), 800, NLB, 3);
    expect(m).toMatchObject({ lba: 800, kind: 'lba', expected: 800, actual: 808 });
    expect(m!.message).toContain('carries LBA 808');
  });

  it('detects a stale generation (a lost write) and a newer one', () => {
    const stale = tagger.checkRead(stamped(tagger, 800, 3), 800, NLB, 4);
    expect(stale).toMatchObject({ kind: 'generation', expected: 4, actual: 3 });
    expect(stale!.message).toContain('stale data');
    expect(tagger.checkRead(stamped(tagger, 800, 5), 800, NLB, 4)).toMatchObject({ kind: 'generation', actual: 5 });
  });

  it("detects another run's data and untagged data", () => {
    const other = new BlockTagger(BS, 0x99);
    expect(tagger.checkRead(stamped(other, 800, 3), 800, NLB, 3)).toMatchObject({ kind: 'run', actual: 0x99 });
    expect(tagger.checkRead(Buffer.alloc(NLB * BS), 800, NLB, 3)).toMatchObject({ kind: 'magic', lba: 800, actual: 0 });
  });

  it('checks nothing when no generation is known', () => {
    expect(tagger.checkRead(Buffer.alloc(NLB * BS), 800, NLB, 0)).toBeNull();
  });

  it('refuses block sizes it cannot lay out', () => {
    expect(() => new BlockTagger(510, 1)).toThrow(RangeError);
    expect(() => new BlockTagger(64, 1)).toThrow(RangeError);
  });
});
