import { describe, expect, it } from 'vitest';
import { decodeCqe } from '../../../src/spec/cqe.js';
import { decodeFabricsSqe, FabricsCommandType, propertyValueFromCqe } from '../../../src/spec/fabrics.js';
import { FABRICS_OPCODE } from '../../../src/spec/opcodes.js';
import {
  CapCss,
  CcCss,
  Register,
  RegisterSize,
  ShutdownNotification,
  ShutdownStatus,
  cmbSizeBytes,
  decodeAqa,
  decodeCap,
  decodeCc,
  decodeCmbloc,
  decodeCmbsz,
  decodeCsts,
  decodeVs,
  doorbellOffset,
  encodeAqa,
  encodeCap,
  encodeCc,
  encodeCmbsz,
  encodeCsts,
  encodeVs,
  formatVersion,
  memoryPageSize,
  registerName,
} from '../../../src/spec/registers.js';
import { commandCapsules, readStream, responseCapsules } from './capsule-streams.js';

/** Property Get values read on an admin connection, by register offset (first read of each). */
function propertyReads(conn: string): Map<number, bigint> {
  const cmds = commandCapsules(readStream(`${conn}.host-to-ctrl.bin`));
  const resps = responseCapsules(readStream(`${conn}.ctrl-to-host.bin`)).map((c) => decodeCqe(c.entry));
  const values = new Map<number, bigint>();
  // Controller initialisation is one command at a time, so the n-th response answers the n-th command.
  cmds.forEach((c, i) => {
    if (c.entry[0] !== FABRICS_OPCODE || i >= resps.length) return;
    const cmd = decodeFabricsSqe(c.entry);
    const cqe = resps[i]!;
    if (cmd.fctype !== FabricsCommandType.PROPERTY_GET || cqe.cid !== cmd.cid || values.has(cmd.offset)) return;
    values.set(cmd.offset, propertyValueFromCqe(cqe.cdw0, cqe.cdw1, cmd.size));
  });
  return values;
}

describe('register map', () => {
  it('has the spec offsets and sizes', () => {
    expect(Register).toMatchObject({ CAP: 0, VS: 8, INTMS: 0xc, INTMC: 0x10, CC: 0x14, CSTS: 0x1c, NSSR: 0x20, AQA: 0x24, ASQ: 0x28, ACQ: 0x30, CMBLOC: 0x38, CMBSZ: 0x3c });
    expect([Register.CAP, Register.ASQ, Register.ACQ].map((r) => RegisterSize.get(r))).toEqual([8, 8, 8]);
    expect([Register.VS, Register.CC, Register.CSTS, Register.AQA, Register.NSSR].map((r) => RegisterSize.get(r))).toEqual([4, 4, 4, 4, 4]);
    expect(RegisterSize.get(0x18)).toBeUndefined();
  });

  it('keeps registers from overlapping', () => {
    const sorted = [...RegisterSize].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]![0]).toBeGreaterThanOrEqual(sorted[i - 1]![0] + sorted[i - 1]![1]);
  });

  it('names registers', () => {
    expect(registerName(0x14)).toBe('CC');
    expect(registerName(0x18)).toBe('0x18');
  });

  it('places doorbells by queue and stride', () => {
    expect(doorbellOffset(0, false, 0)).toBe(0x1000);
    expect(doorbellOffset(0, true, 0)).toBe(0x1004);
    expect(doorbellOffset(1, false, 0)).toBe(0x1008);
    expect(doorbellOffset(1, true, 2)).toBe(0x1000 + 3 * 16);
  });

  it('computes memory page sizes', () => {
    expect(memoryPageSize(0)).toBe(4096);
    expect(memoryPageSize(4)).toBe(65536);
  });
});

describe('register values read from the Linux target (Property Get)', () => {
  const regs = propertyReads('linux-host-to-linux-nvmet-tcp-plain.conn1');

  it('CAP: 1024 entries, 7.5 s timeout, NVM and I/O command sets', () => {
    const cap = decodeCap(regs.get(Register.CAP)!);
    expect(cap).toMatchObject({ mqes: 1023, cqr: false, to: 15, dstrd: 0, nssrs: false, mpsmin: 0, mpsmax: 0, cmbs: false, pmrs: false });
    expect(cap.css).toBe(CapCss.NVM | CapCss.IO_COMMAND_SETS);
    expect(encodeCap(cap)).toBe(regs.get(Register.CAP));
  });

  it('VS: 1.3', () => {
    const vs = Number(regs.get(Register.VS));
    expect(decodeVs(vs)).toEqual({ mjr: 1, mnr: 3, ter: 0 });
    expect(formatVersion(vs)).toBe('1.3');
    expect(encodeVs(decodeVs(vs))).toBe(vs);
  });

  it('CC as the Linux host wrote it before enabling: all I/O command sets, 4 KiB pages, 64/16-byte entries', () => {
    expect(decodeCc(Number(regs.get(Register.CC)))).toEqual({
      en: false,
      css: CcCss.ALL_IO_COMMAND_SETS,
      mps: 0,
      ams: 0,
      shn: ShutdownNotification.NONE,
      iosqes: 6,
      iocqes: 4,
      crime: false,
    });
  });

  it('CSTS: ready after enable; shutdown complete after CC.SHN', () => {
    expect(decodeCsts(Number(regs.get(Register.CSTS)))).toMatchObject({ rdy: true, cfs: false, shst: ShutdownStatus.NORMAL });
    // The discovery connection reads CSTS once more after setting CC.SHN = normal.
    const disc = commandCapsules(readStream('linux-host-to-linux-nvmet-tcp-plain.conn0.host-to-ctrl.bin'));
    const resp = responseCapsules(readStream('linux-host-to-linux-nvmet-tcp-plain.conn0.ctrl-to-host.bin')).map((c) => decodeCqe(c.entry));
    const setShn = disc.map((c) => c.entry).find((e) => e[0] === FABRICS_OPCODE && e[4] === FabricsCommandType.PROPERTY_SET && e.readUInt32LE(48) === 0x464061)!;
    const setCmd = decodeFabricsSqe(setShn);
    expect(setCmd.fctype === FabricsCommandType.PROPERTY_SET && decodeCc(Number(setCmd.value)).shn).toBe(ShutdownNotification.NORMAL);
    const lastCsts = resp.at(-1)!;
    expect(decodeCsts(lastCsts.cdw0)).toMatchObject({ rdy: false, shst: ShutdownStatus.COMPLETE });
  });
});

describe('register values read from the SPDK target', () => {
  const regs = propertyReads('spdk-identify-to-spdk-nvmf-tgt-tcp.conn0');

  it('CAP agrees with what spdk_nvme_identify printed', () => {
    const cap = decodeCap(regs.get(Register.CAP)!);
    // spdk-identify.txt: Maximum Queue Entries 128, Contiguous Queues Required Yes,
    // Reset Timeout 15000 ms, Doorbell Stride 4 bytes, page size min/max 4096.
    expect(cap.mqes + 1).toBe(128);
    expect(cap.cqr).toBe(true);
    expect(cap.to * 500).toBe(15000);
    expect(4 << cap.dstrd).toBe(4);
    expect([memoryPageSize(cap.mpsmin), memoryPageSize(cap.mpsmax)]).toEqual([4096, 4096]);
    expect(cap.css & CapCss.NVM).toBe(CapCss.NVM);
    expect(encodeCap(cap)).toBe(regs.get(Register.CAP));
  });

  it('VS 2.0, as printed', () => {
    expect(formatVersion(Number(regs.get(Register.VS)))).toBe('2.0');
  });
});

describe('register codecs', () => {
  it('round-trip every CC field at its bits', () => {
    const cc = { en: true, css: 7, mps: 15, ams: 7, shn: 3, iosqes: 15, iocqes: 15, crime: true };
    expect(encodeCc(cc)).toBe(0x01ff_fff1);
    expect(decodeCc(encodeCc(cc))).toEqual(cc);
    expect(encodeCc({ en: true, iosqes: 6, iocqes: 4 })).toBe(0x0046_0001);
  });

  it('CSTS fields', () => {
    expect(encodeCsts({ rdy: true, cfs: true, shst: ShutdownStatus.COMPLETE, nssro: true, pp: true, st: 1 })).toBe(0x7b);
    expect(decodeCsts(0x4)).toMatchObject({ rdy: false, shst: ShutdownStatus.OCCURRING });
  });

  it('AQA sizes are 0-based 12-bit fields', () => {
    expect(encodeAqa({ asqs: 31, acqs: 4095 })).toBe(0x0fff_001f);
    expect(decodeAqa(0x0fff_001f)).toEqual({ asqs: 31, acqs: 4095 });
    expect(() => encodeAqa({ asqs: 4096 })).toThrow(/AQA\.asqs=4096/);
  });

  it('CAP high fields land above bit 32', () => {
    const v = encodeCap({ dstrd: 2, nssrs: true, css: 0xc1, bps: true, mpsmin: 1, mpsmax: 4, pmrs: true, cmbs: true, nsss: true, crms: 3 });
    expect(v >> 32n).toBe(0x1f41_3832n);
    expect(v & 0xffff_ffffn).toBe(0n);
  });

  it('rejects values that do not fit', () => {
    expect(() => encodeCc({ mps: 16 })).toThrow(RangeError);
    expect(() => encodeCc({ mps: -1 })).toThrow(/CC\.mps/);
    expect(() => encodeVs({ mjr: 0x1_0000 })).toThrow(/VS\.mjr/);
  });

  it('formats a tertiary version', () => {
    expect(formatVersion({ mjr: 1, mnr: 2, ter: 1 })).toBe('1.2.1');
  });

  it('CMB location and size', () => {
    expect(decodeCmbloc(0x0000_3002)).toMatchObject({ bir: 2, ofst: 3 });
    const cmbsz = decodeCmbsz(encodeCmbsz({ sqs: true, wds: true, szu: 2, sz: 16 }));
    expect(cmbsz).toMatchObject({ sqs: true, cqs: false, wds: true, szu: 2, sz: 16 });
    expect(cmbSizeBytes(cmbsz)).toBe(16n * 1024n * 1024n);
  });
});
