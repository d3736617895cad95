/**
 * Controller registers in BAR0, read and written as single 32-bit accesses.
 *
 * Access width matters on MMIO: V8's DataView splits a 32-bit access into four
 * byte accesses, and Atomics.store compiles to xchg (a read before the write).
 * A Uint32Array element load or store is one 32-bit access, so that is the
 * only way registers and doorbells are touched here. 64-bit registers (CAP,
 * ASQ, ACQ) are two 32-bit accesses, low dword first, which the spec allows.
 */
import type { RegisterAccess } from '../transport.js';

export class MmioRegisters implements RegisterAccess {
  /** @param bar BAR0 as 32-bit words (a mapping of the device, or plain memory in tests) */
  constructor(private readonly bar: Uint32Array) {}

  read32(offset: number): number {
    return this.bar[offset >>> 2]! >>> 0;
  }

  read64(offset: number): bigint {
    const lo = this.read32(offset);
    const hi = this.read32(offset + 4);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  write32(offset: number, value: number): void {
    this.bar[offset >>> 2] = value;
  }

  write64(offset: number, value: bigint): void {
    this.write32(offset, Number(value & 0xffff_ffffn));
    this.write32(offset + 4, Number(value >> 32n));
  }
}
