import { describe, expect, it } from 'vitest';
import { DmaAllocator, dmaIovaOf, IovaSpace } from '../../../src/transport/pcie/dma-memory.js';
import { fakeLibc } from './fake-libc.js';

const MiB = 1024 * 1024;

describe('IovaSpace', () => {
  it('hands out aligned ranges from the base upwards', () => {
    const space = new IovaSpace(MiB);
    expect(space.take(8192, 4096)).toBe(MiB);
    expect(space.take(4096, 4096)).toBe(MiB + 8192);
    expect(space.take(2 * MiB, 2 * MiB)).toBe(2 * MiB);
    expect(space.end).toBe(4 * MiB);
  });

  it('reuses a freed range, first fit, and splits what is left of it', () => {
    const space = new IovaSpace(MiB);
    const a = space.take(16384, 4096);
    const b = space.take(4096, 4096);
    space.give(a, 16384);
    expect(space.take(4096, 4096)).toBe(a);
    expect(space.take(8192, 4096)).toBe(a + 4096);
    expect(space.take(4096, 4096)).toBe(a + 12288);
    expect(space.take(4096, 4096)).toBe(b + 4096);
  });

  it('merges freed neighbours, so a larger range fits where two small ones were', () => {
    const space = new IovaSpace(MiB);
    const a = space.take(4096, 4096);
    const b = space.take(4096, 4096);
    const c = space.take(4096, 4096);
    space.take(4096, 4096);
    space.give(a, 4096);
    space.give(c, 4096);
    space.give(b, 4096);
    expect(space.take(12288, 4096)).toBe(a);
  });

  it('skips free ranges too small after alignment, and keeps the gap alignment left free', () => {
    const space = new IovaSpace(MiB);
    const small = space.take(4096, 4096);
    const huge = space.take(2 * MiB, 2 * MiB);
    expect(huge).toBe(2 * MiB);
    space.give(small, 4096);
    expect(space.take(8192, 4096)).toBe(MiB);
    expect(space.take(2 * MiB, 2 * MiB)).toBe(4 * MiB);
  });

  it('gives the top back when the highest range is freed, and refuses a double free', () => {
    const space = new IovaSpace(MiB);
    const a = space.take(4096, 4096);
    const b = space.take(4096, 4096);
    space.give(b, 4096);
    expect(space.end).toBe(MiB + 4096);
    space.give(a, 4096);
    expect(space.end).toBe(MiB);
    const c = space.take(4096, 4096);
    space.take(4096, 4096);
    space.give(c, 4096);
    expect(() => space.give(c, 4096)).toThrow(/freed twice/);
  });
});

describe('DmaAllocator', () => {
  it('maps each region at a fresh IOVA, unmaps on free, and maps the next region into the freed IOVA range', () => {
    const maps: string[] = [];
    const dma = new DmaAllocator(fakeLibc(), {
      map: (_vaddr, iova, size) => void maps.push(`map 0x${iova.toString(16)} ${size}`),
      unmap: (iova, size) => void maps.push(`unmap 0x${iova.toString(16)} ${size}`),
    });
    const a = dma.alloc(64 * 1024);
    const b = dma.alloc(4096);
    dma.free(a);
    const c = dma.alloc(32 * 1024);
    expect(c.iova).toBe(a.iova);
    expect(b.iova).toBe(a.iova + 64 * 1024);
    expect(maps).toEqual(['map 0x100000 65536', 'map 0x110000 4096', 'unmap 0x100000 65536', 'map 0x100000 32768']);
  });

  it('gives the IOVA range back when the IOMMU refuses the mapping', () => {
    let refuse = true;
    const dma = new DmaAllocator(fakeLibc(), {
      map: () => {
        if (refuse) throw new Error('VFIO_IOMMU_MAP_DMA: Cannot allocate memory');
      },
      unmap: () => undefined,
    });
    expect(() => dma.alloc(4096)).toThrow(/MAP_DMA/);
    refuse = false;
    expect(dma.alloc(4096).iova).toBe(0x10_0000);
  });

  it('knows the IOVA of a live region and of any view inside it, and forgets a freed one', () => {
    const dma = new DmaAllocator(fakeLibc(), { map: () => undefined, unmap: () => undefined });
    const a = dma.alloc(3 * 4096);
    const b = dma.alloc(4096);
    expect(dmaIovaOf(a.buf)).toBe(a.iova);
    expect(dmaIovaOf(a.buf.subarray(4100, 8192))).toBe(a.iova + 4100);
    expect(dmaIovaOf(new Uint8Array(b.buf.buffer, 16, 32))).toBe(b.iova + 16);
    expect(dmaIovaOf(Buffer.alloc(4096))).toBe(-1);
    dma.free(a);
    expect(dmaIovaOf(a.buf)).toBe(-1);
    expect(dmaIovaOf(b.buf)).toBe(b.iova);
  });
});
