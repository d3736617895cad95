import type { Mapping, VfioLibc } from '../../../src/native/vfio.js';

/** libc on plain memory: mmap hands out ArrayBuffers at made-up addresses; no hugepages. */
export interface FakeLibc extends VfioLibc {
  /** The memory mmap handed out at `address` (what an IOMMU mapping of it reaches). */
  memoryAt(address: bigint): ArrayBuffer;
}

export function fakeLibc(): FakeLibc {
  let next = 0x7f00_0000_0000n;
  const buffers = new Map<bigint, ArrayBuffer>();
  return {
    mmap: (length: number, _prot: number, flags: number) => {
      if (flags & 0x40000) return null;
      const address = next;
      next += BigInt(length);
      buffers.set(address, new ArrayBuffer(length));
      return { ptr: address, address, length };
    },
    munmap: (m: Mapping) => (buffers.delete(m.address) ? 0 : -1),
    view: (m: Mapping) => buffers.get(m.address)!,
    memoryAt: (address: bigint) => buffers.get(address)!,
    lastError: () => ({ code: 'ENOMEM', message: 'Cannot allocate memory' }),
  } as unknown as FakeLibc;
}
