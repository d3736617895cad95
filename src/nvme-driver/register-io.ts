/**
 * Controller register access as the driver uses it: asynchronous, because on
 * fabrics every access is a Property Get/Set round trip on the admin queue.
 */
import type { RegisterAccess } from '../transport/transport.js';

/** Reads and writes controller registers (`Register.CC`...); MMIO or Property Get/Set. */
export interface RegisterIo {
  read32(offset: number): Promise<number>;
  read64(offset: number): Promise<bigint>;
  write32(offset: number, value: number): Promise<void>;
  write64(offset: number, value: bigint): Promise<void>;
}

/** Memory-mapped registers (PCIe) behind the asynchronous interface. */
export function mmioRegisterIo(regs: RegisterAccess): RegisterIo {
  return {
    read32: async (offset) => regs.read32(offset),
    read64: async (offset) => regs.read64(offset),
    write32: async (offset, value) => regs.write32(offset, value),
    write64: async (offset, value) => regs.write64(offset, value),
  };
}
