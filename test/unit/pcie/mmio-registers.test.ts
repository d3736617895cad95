import { describe, expect, it } from 'vitest';
import { MmioRegisters } from '../../../src/transport/pcie/mmio-registers.js';
import { decodeAqa, encodeAqa, Register } from '../../../src/spec/registers.js';

/** A Uint32Array that records every element access, standing in for BAR0. */
function recordingBar() {
  const words = new Uint32Array(0x1000 / 4);
  const log: string[] = [];
  const bar = new Proxy(words, {
    get(target, key) {
      if (typeof key === 'string' && /^\d+$/.test(key)) log.push(`r${Number(key) * 4}`);
      return Reflect.get(target, key);
    },
    set(target, key, value) {
      if (typeof key === 'string' && /^\d+$/.test(key)) log.push(`w${Number(key) * 4}`);
      return Reflect.set(target, key, value);
    },
  });
  return { words, bar, log };
}

describe('MmioRegisters', () => {
  it('reads a 64-bit register as two 32-bit reads, low dword first', () => {
    const { words, bar, log } = recordingBar();
    words[0] = 0x0a0107ff;
    words[1] = 0x00000020;
    expect(new MmioRegisters(bar).read64(Register.CAP)).toBe(0x0000_0020_0a01_07ffn);
    expect(log).toEqual(['r0', 'r4']);
  });

  it('writes ASQ low then high, and 32-bit registers in one store', () => {
    const { words, bar, log } = recordingBar();
    const regs = new MmioRegisters(bar);
    regs.write64(Register.ASQ, 0x1_2345_6000n);
    regs.write32(Register.AQA, encodeAqa({ asqs: 31, acqs: 31 }));
    expect(log).toEqual(['w40', 'w44', 'w36']);
    expect(words[Register.ASQ / 4]).toBe(0x2345_6000);
    expect(words[Register.ASQ / 4 + 1]).toBe(1);
    expect(decodeAqa(words[Register.AQA / 4]!)).toEqual({ asqs: 31, acqs: 31 });
  });

  it('returns unsigned values', () => {
    const { words, bar } = recordingBar();
    words[Register.CSTS / 4] = 0xffff_ffff;
    expect(new MmioRegisters(bar).read32(Register.CSTS)).toBe(0xffff_ffff);
  });
});
