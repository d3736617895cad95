import { describe, expect, it } from 'vitest';
import { defineLayout, formatUuid, hexToBytes, readFields, writeFields, zeroFields } from '../../../src/spec/field-layout.js';

const T = defineLayout('T', 64, [
  { key: 'a', offset: 0, size: 3, kind: 'u24' },
  { key: 'lo', offset: 3, size: 1, kind: 'bits', shift: 0, width: 3 },
  { key: 'hi', offset: 3, size: 1, kind: 'bits', shift: 5, width: 3 },
  { key: 'big', offset: 4, size: 16, kind: 'u128' },
  { key: 'name', offset: 20, size: 8, kind: 'ascii' },
  { key: 'nqn', offset: 28, size: 8, kind: 'cstring' },
  { key: 'addr', offset: 36, size: 8, kind: 'text' },
  { key: 'id', offset: 44, size: 4, kind: 'hex' },
  { key: 'u', offset: 48, size: 16, kind: 'uuid' },
] as const);

describe('field layout codec', () => {
  it('refuses overlapping fields, wrong integer sizes and fields outside the structure', () => {
    expect(() => defineLayout('X', 8, [{ key: 'a', offset: 0, size: 4, kind: 'u32' }, { key: 'b', offset: 2, size: 2, kind: 'u16' }])).toThrow(/X.b: byte 2 already belongs to a/);
    expect(() => defineLayout('X', 8, [{ key: 'a', offset: 0, size: 2, kind: 'u32' }])).toThrow(/needs size 4/);
    expect(() => defineLayout('X', 8, [{ key: 'a', offset: 6, size: 4, kind: 'u32' }])).toThrow(/outside 8-byte/);
  });

  it('round-trips every kind and puts bytes where the table says', () => {
    const v = { a: 0x5cd2e4, lo: 5, hi: 6, big: (1n << 127n) + 1n, name: 'ab', nqn: 'nqn.x', addr: '1.2', id: 'deadbeef', u: '00112233-4455-6677-8899-aabbccddeeff' };
    const buf = Buffer.alloc(64);
    writeFields(T, v, buf, 0, 'nul');
    expect([...buf.subarray(0, 4)]).toEqual([0xe4, 0xd2, 0x5c, 0xc5]);
    expect(buf[19]).toBe(0x80);
    expect(buf.toString('latin1', 20, 28)).toBe('ab      ');
    expect(buf.toString('latin1', 36, 44)).toBe('1.2\0\0\0\0\0');
    expect(readFields(T, buf)).toEqual(v);
  });

  it('drops either padding of text fields and uses the caller padding on build', () => {
    const buf = Buffer.alloc(64);
    writeFields(T, { ...zeroFields(T), addr: '1.2' }, buf);
    expect(buf.toString('latin1', 36, 44)).toBe('1.2     ');
    expect(readFields(T, buf).addr).toBe('1.2');
  });

  it('names the field and the problem when a value does not fit', () => {
    const buf = Buffer.alloc(64);
    expect(() => writeFields(T, { ...zeroFields(T), a: 1 << 24 }, buf)).toThrow(/a: 16777216 does not fit in 3 bytes/);
    expect(() => writeFields(T, { ...zeroFields(T), hi: 8 }, buf)).toThrow(/hi: 8 does not fit in 3 bits/);
    expect(() => writeFields(T, { ...zeroFields(T), name: 'x'.repeat(9) }, buf)).toThrow(/name: at most 8/);
    expect(() => writeFields(T, { ...zeroFields(T), id: 'xyz' }, buf)).toThrow(/id: expected 8 hex digits/);
  });

  it('formats and parses UUIDs', () => {
    const bytes = hexToBytes('5a0c0b2e-1d2f-4e3a-9b4c-000000000001', 16, 'uuid');
    expect(formatUuid(bytes)).toBe('5a0c0b2e-1d2f-4e3a-9b4c-000000000001');
  });
});
