import { describe, expect, it } from 'vitest';
import { FioVerifier } from '../../../src/fio/fio-verify.js';
import { readVerifyHeader, VERIFY_HEADER_BYTES, VERIFY_MAGIC, verifyHeaderSealed } from '../../../src/bench/verify-header.js';

const UNIT = 4096;

/** A two-unit buffer stamped for offsets 8192 and 12288 at generation 3. */
function written(method: 'crc32c' | 'md5' | 'sha256' | 'pattern', pattern: Uint8Array | null = null) {
  const v = new FioVerifier(method, UNIT, 0xabcdef01, pattern);
  const buf = Buffer.alloc(2 * UNIT);
  const views = v.payloadViews(buf);
  v.fillPayloads(views, 7);
  v.stamp(buf, 0, views[0]!, 8192, 3);
  v.stamp(buf, 1, views[1]!, 12288, 3);
  return { v, buf, views };
}

describe('FioVerifier', () => {
  it('lays out magic, method, offset, length, seed, generation as documented', () => {
    const { buf } = written('crc32c');
    expect(readVerifyHeader(buf, 0)).toEqual({ magic: VERIFY_MAGIC, method: 1, offset: 8192, length: UNIT, seed: 0xabcdef01, generation: 3 });
    expect(buf.toString('latin1', 0, 4)).toBe('NVFV');
    expect(verifyHeaderSealed(buf, 0)).toBe(true);
    expect(readVerifyHeader(buf, UNIT).offset).toBe(12288);
  });

  it('keeps offsets past 4 GiB', () => {
    const v = new FioVerifier('crc32c', UNIT, 1, null);
    const buf = Buffer.alloc(UNIT);
    const [view] = v.payloadViews(buf);
    v.stamp(buf, 0, view!, 5 * 2 ** 40, 1);
    expect(readVerifyHeader(buf, 0).offset).toBe(5 * 2 ** 40);
    expect(v.check(buf, 0, view!, 5 * 2 ** 40, 1)).toBeNull();
  });

  it.each(['crc32c', 'md5', 'sha256'] as const)('%s: passes what was written, catches a flipped payload bit', (method) => {
    const { v, buf, views } = written(method);
    expect(v.check(buf, 0, views[0]!, 8192, 3)).toBeNull();
    expect(v.check(buf, 1, views[1]!, 12288, 3)).toBeNull();
    buf[UNIT + 1000]! ^= 0x04;
    const f = v.check(buf, 1, views[1]!, 12288, 3);
    expect(f?.offset).toBe(12288);
    expect(f?.message).toMatch(/^verify: offset 12288: payload checksum differs/);
    expect(f?.message).toContain('expected header {magic=0x5646564e offset=12288 len=4096 seed=0xabcdef01 gen=3}, read {magic=0x5646564e offset=12288 len=4096 seed=0xabcdef01 gen=3}');
  });

  it('pattern: compares the payload with verify_pattern byte for byte', () => {
    const { v, buf, views } = written('pattern', Uint8Array.from([0xde, 0xad, 0xbe, 0xef]));
    expect(views[0]!.subarray(0, 8)).toEqual(Buffer.from('deadbeefdeadbeef', 'hex'));
    expect(v.check(buf, 0, views[0]!, 8192, 3)).toBeNull();
    buf[VERIFY_HEADER_BYTES + 5] = 0;
    expect(v.check(buf, 0, views[0]!, 8192, 3)?.message).toMatch(/payload byte 69 is 0x0, the pattern has 0xad/);
  });

  it('names a stale unit (older generation), a misdirected one, another job\'s, a corrupted header and no header at all', () => {
    const { v, buf, views } = written('crc32c');
    expect(v.check(buf, 0, views[0]!, 8192, 4)?.message).toMatch(/stale data: an older generation .* gen=4\}, read \{.* gen=3\}$/);
    expect(v.check(buf, 0, views[0]!, 8192, 2)?.message).toContain('a newer generation than any completed write');
    expect(v.check(buf, 0, views[0]!, 4096, 3)?.message).toContain('the unit belongs at offset 8192');
    const other = new FioVerifier('crc32c', UNIT, 0x12345678, null);
    expect(other.check(buf, 0, views[0]!, 8192, 3)?.message).toContain('written by another job');
    buf[20]! ^= 1;
    expect(v.check(buf, 0, views[0]!, 8192, 3)?.message).toContain('header checksum differs');
    buf.fill(0, UNIT, 2 * UNIT);
    expect(v.check(buf, 1, views[1]!, 12288, 3)?.message).toMatch(/bad magic .* read \{magic=0x0 offset=0 len=0 seed=0x0 gen=0\}$/);
  });

  it('refuses units too small for the header and pattern without a pattern', () => {
    expect(() => new FioVerifier('crc32c', 64, 1, null)).toThrow(/larger than its 64-byte header/);
    expect(() => new FioVerifier('pattern', UNIT, 1, null)).toThrow(/verify_pattern/);
  });
});
