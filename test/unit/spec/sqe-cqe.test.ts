import { describe, expect, it } from 'vitest';
import { CQE_SIZE, cqeStatusField, decodeCqe, encodeCqe, packStatus, unpackStatus } from '../../../src/spec/cqe.js';
import { DataDirection, Psdt, SQE_SIZE, dataDirectionOf, decodeSqe, encodeSqe } from '../../../src/spec/sqe.js';
import { GenericStatus, isSuccess, statusName } from '../../../src/spec/status.js';
import { commandCapsules, readStream, responseCapsules, streamNames } from './capsule-streams.js';

describe('every captured SQE and CQE', () => {
  it.each(streamNames('host-to-ctrl'))('%s: SQEs decode and re-encode to the same 64 bytes', (stream) => {
    const sqes = commandCapsules(readStream(stream)).map((c) => c.entry);
    expect(sqes.length).toBeGreaterThan(0);
    for (const sqe of sqes) {
      const decoded = decodeSqe(sqe);
      expect(decoded.psdt).toBe(Psdt.SGL_MPTR_CONTIG);
      expect(decoded.fuse).toBe(0);
      expect(encodeSqe(decoded).equals(sqe)).toBe(true);
    }
  });

  it.each(streamNames('ctrl-to-host'))('%s: CQEs decode and re-encode to the same 16 bytes', (stream) => {
    for (const { entry } of responseCapsules(readStream(stream))) {
      const cqe = decodeCqe(entry);
      // Fabrics controllers do not use the phase tag.
      expect(cqe.p).toBe(0);
      expect(encodeCqe(cqe).equals(entry)).toBe(true);
      expect(cqeStatusField(entry)).toBe(packStatus(cqe));
    }
  });

  it('the Linux target fails the outstanding AER with INTERNAL DEVICE ERROR, DNR, on teardown', () => {
    const last = decodeCqe(responseCapsules(readStream('linux-host-to-linux-nvmet-tcp-plain.conn1.ctrl-to-host.bin')).at(-1)!.entry);
    expect(last).toMatchObject({ cid: 31, sct: 0, sc: GenericStatus.INTERNAL_ERROR, dnr: true, more: false, crd: 0 });
    expect(statusName(last.sct, last.sc)).toBe('INTERNAL DEVICE ERROR');
    expect(isSuccess(packStatus(last))).toBe(false);
  });
});

describe('SQE codec', () => {
  it('round-trips every field', () => {
    const init = {
      opc: 0x81,
      fuse: 2,
      psdt: Psdt.SGL_MPTR_SGL,
      cid: 0xbeef,
      nsid: 0xffff_ffff,
      cdw2: 0x0202_0202,
      cdw3: 0x0303_0303,
      mptr: 0x1122_3344_5566_7788n,
      dptr: Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i),
      cdw10: 0x1010_1010,
      cdw11: 0x1111_1111,
      cdw12: 0x1212_1212,
      cdw13: 0x1313_1313,
      cdw14: 0x1414_1414,
      cdw15: 0x1515_1515,
    };
    const buf = encodeSqe(init);
    expect(buf.length).toBe(SQE_SIZE);
    expect(decodeSqe(buf)).toEqual(init);
  });

  it('accepts dwords with bit 31 set as bitwise operators produce them', () => {
    const buf = encodeSqe({ opc: 0x09, cdw10: (1 << 31) | 0x07, nsid: -1 });
    expect(buf.readUInt32LE(40)).toBe(0x8000_0007);
    expect(buf.readUInt32LE(4)).toBe(0xffff_ffff);
  });

  it('encodes at an offset and decodes from a view', () => {
    const buf = Buffer.alloc(3 * SQE_SIZE, 0x55);
    encodeSqe({ opc: 0x02, cid: 7, nsid: 1 }, buf, SQE_SIZE);
    expect(buf[0]).toBe(0x55);
    expect(buf[2 * SQE_SIZE]).toBe(0x55);
    const view = new Uint8Array(buf.buffer, buf.byteOffset + SQE_SIZE, SQE_SIZE);
    expect(decodeSqe(view)).toMatchObject({ opc: 2, cid: 7, nsid: 1, cdw10: 0 });
    expect(decodeSqe(buf, SQE_SIZE).cid).toBe(7);
  });

  it('rejects a short buffer and a wrong-sized DPTR', () => {
    expect(() => decodeSqe(Buffer.alloc(63))).toThrow(RangeError);
    expect(() => encodeSqe({ opc: 0, dptr: new Uint8Array(8) })).toThrow(/dptr/);
  });

  it('reads the data direction from the opcode', () => {
    expect(dataDirectionOf(0x01)).toBe(DataDirection.HOST_TO_CONTROLLER);
    expect(dataDirectionOf(0x02)).toBe(DataDirection.CONTROLLER_TO_HOST);
    expect(dataDirectionOf(0x00)).toBe(DataDirection.NONE);
    expect(dataDirectionOf(0x7f)).toBe(DataDirection.BIDIRECTIONAL);
  });
});

describe('CQE codec', () => {
  it('round-trips every field, status bits included', () => {
    const init = { cdw0: 0xffff_fffe, cdw1: 0x1234_5678, sqhd: 0xabcd, sqid: 3, cid: 0xfffe, p: 1, sct: 7, sc: 0xff, crd: 3, more: true, dnr: true };
    const buf = encodeCqe(init);
    expect(buf.length).toBe(CQE_SIZE);
    expect(buf.readUInt16LE(14)).toBe(0xffff);
    expect(decodeCqe(buf)).toEqual(init);
  });

  it('packs SC, SCT, CRD, More and DNR into the 15-bit status', () => {
    expect(packStatus({ sc: 0x80, sct: 2, crd: 1, more: false, dnr: true })).toBe(0x4a80);
    expect(unpackStatus(0x4a80)).toEqual({ sc: 0x80, sct: 2, crd: 1, more: false, dnr: true });
    const buf = encodeCqe({ cid: 1, sc: 0x02, dnr: true, p: 1 });
    expect(buf.readUInt16LE(14)).toBe((0x4002 << 1) | 1);
    expect(cqeStatusField(buf)).toBe(0x4002);
  });

  it('rejects a short buffer', () => {
    expect(() => decodeCqe(Buffer.alloc(15))).toThrow(RangeError);
  });
});
