import { describe, expect, it } from 'vitest';
import { decodeBits, defineBitLayout, dw, encodeBits, encodeBits32, readBitFields, writeBitFields } from '../../../src/spec/bitfield.js';

describe('defineBitLayout', () => {
  it('rejects overlapping, out-of-range and wide flag fields', () => {
    expect(() => defineBitLayout('X', 32, { a: { shift: 0, width: 4 }, b: { shift: 3, width: 2 } })).toThrow(/X\.b: bit 3 already belongs to a/);
    expect(() => defineBitLayout('X', 32, { a: { shift: 30, width: 4 } })).toThrow(/X\.a/);
    expect(() => defineBitLayout('X', 32, { a: { shift: 0, width: 2, flag: true } })).toThrow(/one bit/);
    expect(() => defineBitLayout('X', 32, { a: { shift: 0, width: 0 } })).toThrow(RangeError);
  });
});

describe('bit-field codec', () => {
  const layout = defineBitLayout('T', 64, {
    flag: { shift: 0, width: 1, flag: true },
    nibble: { shift: 4, width: 4 },
    across: { shift: 28, width: 8 },
    count: { shift: 40, width: 8, zeroBased: true },
    top: { shift: 63, width: 1 },
  });

  it('packs and unpacks fields, including one that spans a dword boundary', () => {
    const v = encodeBits('T', layout, { flag: true, nibble: 0xa, across: 0xbc, count: 256, top: 1 });
    expect(v).toBe((1n << 63n) | (0xffn << 40n) | (0xbcn << 28n) | (0xan << 4n) | 1n);
    expect(decodeBits(layout, v)).toEqual({ flag: true, nibble: 0xa, across: 0xbc, count: 256, top: 1 });
  });

  it('rejects values that do not fit, naming the field and the range', () => {
    expect(() => encodeBits('T', layout, { nibble: 16 })).toThrow('T.nibble=16: expected an integer in 0..15');
    expect(() => encodeBits('T', layout, { count: 0 })).toThrow('T.count=0: expected an integer in 1..256');
    expect(() => encodeBits('T', layout, { nibble: 1.5 })).toThrow(RangeError);
  });

  it('encodeBits32 returns an unsigned number', () => {
    const l = defineBitLayout('U', 32, { hi: { shift: 31, width: 1, flag: true } });
    expect(encodeBits32('U', l, { hi: true })).toBe(0x8000_0000);
    expect(decodeBits(l, -0x8000_0000)).toEqual({ hi: true });
  });

  it('reads and writes fields in place, 64-bit fields across dwords, leaving other bits alone', () => {
    const region = defineBitLayout('R', 128, { lba: { shift: dw(1), width: 64 }, low: { shift: dw(0, 8), width: 8 } });
    const buf = Buffer.alloc(16, 0);
    buf[0] = 0xff;
    writeBitFields('R', region, buf, 0, { lba: 2 ** 52 + 3, low: 0x5a });
    expect(buf.readBigUInt64LE(4)).toBe(2n ** 52n + 3n);
    expect(buf[0]).toBe(0xff);
    expect(buf[1]).toBe(0x5a);
    expect(readBitFields(region, buf)).toEqual({ lba: 2 ** 52 + 3, low: 0x5a });
    expect(() => writeBitFields('R', region, buf, 0, { lba: 2 ** 53 })).toThrow(/R\.lba/);
  });
});
