import { describe, expect, it } from 'vitest';
import { prpListBytesNeeded, prpListEntriesNeeded, prpPageCount, writePrps } from '../../../src/spec/prp.js';

const PAGE = 4096;
const BASE = 0x7f00_0000_0000;

function prps(sqe: Buffer): [number, number] {
  return [Number(sqe.readBigUInt64LE(24)), Number(sqe.readBigUInt64LE(32))];
}

function listEntries(buf: Buffer, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Number(buf.readBigUInt64LE(i * 8)));
}

describe('PRP entries', () => {
  it('one page: PRP1 only, with its offset', () => {
    const sqe = Buffer.alloc(64, 0xff);
    writePrps(sqe, 0, BASE + 0x200, 512, PAGE);
    expect(prps(sqe)).toEqual([BASE + 0x200, 0]);
    expect(prpPageCount(BASE, PAGE, PAGE)).toBe(1);
    expect(prpListEntriesNeeded(BASE + 0x200, 512, PAGE)).toBe(0);
  });

  it('two pages: PRP2 is the page-aligned second page, also when PRP1 has an offset', () => {
    const sqe = Buffer.alloc(64);
    writePrps(sqe, 0, BASE, 2 * PAGE, PAGE);
    expect(prps(sqe)).toEqual([BASE, BASE + PAGE]);
    writePrps(sqe, 0, BASE + 0xe00, 4096, PAGE);
    expect(prps(sqe)).toEqual([BASE + 0xe00, BASE + PAGE]);
    expect(prpPageCount(BASE + 0xe00, 4096, PAGE)).toBe(2);
  });

  it('more pages: PRP2 points at a list of pages 2..n', () => {
    const sqe = Buffer.alloc(64);
    const list = Buffer.alloc(PAGE, 0xff);
    const listIova = 0x1_0000_0000;
    // 16 KiB starting 0x800 into a page touches 5 pages.
    writePrps(sqe, 0, BASE + 0x800, 4 * PAGE, PAGE, { buf: list, offset: 0, iova: listIova });
    expect(prpListEntriesNeeded(BASE + 0x800, 4 * PAGE, PAGE)).toBe(4);
    expect(prps(sqe)).toEqual([BASE + 0x800, listIova]);
    expect(listEntries(list, 4)).toEqual([1, 2, 3, 4].map((p) => BASE + p * PAGE));
    expect(list.readBigUInt64LE(32)).toBe(0xffff_ffff_ffff_ffffn);
  });

  it('a list longer than one page chains through its last slot', () => {
    const sqe = Buffer.alloc(64);
    const perPage = PAGE / 8;
    const pages = perPage + 2; // PRP1 + (perPage + 1) list entries
    const length = pages * PAGE;
    const entries = prpListEntriesNeeded(BASE, length, PAGE);
    expect(entries).toBe(perPage + 1);
    expect(prpListBytesNeeded(BASE, length, PAGE)).toBe((entries + 1) * 8);
    const list = Buffer.alloc(2 * PAGE);
    const listIova = 0x2_0000_0000;
    writePrps(sqe, 0, BASE, length, PAGE, { buf: list, offset: 0, iova: listIova });
    const slots = listEntries(list, entries + 1);
    expect(slots.slice(0, perPage - 1)).toEqual(Array.from({ length: perPage - 1 }, (_, i) => BASE + (i + 1) * PAGE));
    expect(slots[perPage - 1]).toBe(listIova + PAGE);
    expect(slots.slice(perPage)).toEqual([BASE + perPage * PAGE, BASE + (perPage + 1) * PAGE]);
  });

  it('a list that exactly fills one page needs no chain', () => {
    const perPage = PAGE / 8;
    expect(prpListBytesNeeded(BASE, (perPage + 1) * PAGE, PAGE)).toBe(PAGE);
  });

  it('works in a larger memory page size', () => {
    const sqe = Buffer.alloc(64);
    writePrps(sqe, 0, BASE + 0x10, 65536, 65536);
    expect(prps(sqe)).toEqual([BASE + 0x10, BASE + 65536]);
  });

  it('rejects what the spec forbids', () => {
    const sqe = Buffer.alloc(64);
    expect(() => writePrps(sqe, 0, BASE + 2, 512, PAGE)).toThrow(/dword-aligned/);
    expect(() => writePrps(sqe, 0, BASE, 3 * PAGE, PAGE)).toThrow(/PRP list/);
    expect(() => writePrps(sqe, 0, BASE, 3 * PAGE, PAGE, { buf: Buffer.alloc(8), offset: 0, iova: 0 })).toThrow(/needs 16 bytes/);
    expect(() => writePrps(sqe, 0, BASE, 3 * PAGE, PAGE, { buf: Buffer.alloc(16), offset: 0, iova: 8 })).toThrow(/page aligned/);
    expect(() => prpPageCount(BASE, 0, PAGE)).toThrow(RangeError);
    expect(() => prpPageCount(BASE, 1, 3000)).toThrow(/power of two/);
  });
});
