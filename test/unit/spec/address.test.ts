import { describe, expect, it } from 'vitest';
import { writeAddress } from '../../../src/spec/address.js';

describe('writeAddress', () => {
  it.each([0, 1, 0xffff_ffff, 0x1_0000_0000, 0x7fff_f7a0_1000, Number.MAX_SAFE_INTEGER])('writes %d as writeBigUInt64LE does', (address) => {
    const ours = Buffer.alloc(12, 0xee);
    const bigint = Buffer.alloc(12, 0xee);
    writeAddress(ours, 2, address);
    bigint.writeBigUInt64LE(BigInt(address), 2);
    expect(ours).toEqual(bigint);
  });
});
