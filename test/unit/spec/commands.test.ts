import { describe, expect, it } from 'vitest';
import {
  Abort,
  AsyncEventNoticeInfo,
  AsyncEventRequest,
  AsyncEventType,
  CreateIoCq,
  CreateIoSq,
  DatasetManagement,
  DeleteIoCq,
  DeleteIoSq,
  DsmAttribute,
  Flush,
  GetFeatures,
  GetLogPage,
  Identify,
  IoCdw12Flag,
  KeepAlive,
  NLB_MAX,
  Read,
  SetFeatures,
  Write,
  WriteZeroes,
  abortSucceeded,
  asyncEventName,
  decodeAsyncEventCompletion,
  decodeCommand,
  decodeDsmRanges,
  decodeReadWrite,
  dwordsOf,
  encodeAsyncEventCompletion,
  encodeCommand,
  encodeDsmRanges,
  writeDsmRange,
  encodeReadWrite,
  readNlb,
  readSlba,
  writeIoCommand,
  type CommandDefinition,
} from '../../../src/spec/commands.js';
import type { BitLayout } from '../../../src/spec/bitfield.js';
import { LogPageId } from '../../../src/spec/log-pages.js';
import { AdminOpcode, FABRICS_OPCODE, IoOpcode } from '../../../src/spec/opcodes.js';
import { decodeFabricsSqe, FabricsCommandType } from '../../../src/spec/fabrics.js';
import { decodeSqe } from '../../../src/spec/sqe.js';
import { commandCapsules, readStream, streamNames } from './capsule-streams.js';

const ADMIN: ReadonlyMap<number, CommandDefinition<BitLayout>> = new Map<number, CommandDefinition<BitLayout>>(
  [Identify, GetLogPage, GetFeatures, SetFeatures, AsyncEventRequest, KeepAlive].map((c) => [c.opc, c]),
);
const IO: ReadonlyMap<number, CommandDefinition<BitLayout>> = new Map<number, CommandDefinition<BitLayout>>(
  [Read, Write, WriteZeroes, Flush, DatasetManagement].map((c) => [c.opc, c]),
);

/** The SQE with what the command codecs do not own cleared: CID (queue pair) and PSDT/DPTR (transport). */
function commandPart(sqe: Buffer): Buffer {
  const copy = Buffer.from(sqe);
  copy[1] = 0;
  copy.writeUInt16LE(0, 2);
  copy.fill(0, 24, 40);
  return copy;
}

function capturedCommands(stream: string): { qid: number; sqes: Buffer[] } {
  const capsules = commandCapsules(readStream(stream));
  const connect = decodeFabricsSqe(capsules[0]!.entry);
  if (connect.fctype !== FabricsCommandType.CONNECT) throw new Error(`${stream}: no Connect`);
  return { qid: connect.qid, sqes: capsules.slice(1).map((c) => c.entry).filter((e) => e[0] !== FABRICS_OPCODE) };
}

describe('commands captured from Linux and SPDK hosts', () => {
  it.each(streamNames('host-to-ctrl'))('%s: every known command decodes and re-encodes to the same bytes', (stream) => {
    const { qid, sqes } = capturedCommands(stream);
    let checked = 0;
    for (const sqe of sqes) {
      const def = (qid === 0 ? ADMIN : IO).get(sqe[0]!);
      if (!def) continue;
      const fields = decodeCommand(def, sqe);
      expect(encodeCommand(def, Buffer.alloc(64, 0xee), fields).toString('hex'), `${def.name} cid ${sqe.readUInt16LE(2)}`).toBe(
        commandPart(sqe).toString('hex'),
      );
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('Linux discovery: Get Log Page of the discovery log, header first then header + 2 records', () => {
    const { sqes } = capturedCommands('linux-host-to-linux-nvmet-tcp-plain.conn0.host-to-ctrl.bin');
    const logs = sqes.filter((s) => s[0] === AdminOpcode.GET_LOG_PAGE).map((s) => decodeCommand(GetLogPage, s));
    expect(logs.map((l) => [l.lid, l.rae, l.numd * 4, l.offset])).toEqual([
      [LogPageId.DISCOVERY, true, 1024, 0],
      [LogPageId.DISCOVERY, false, 3072, 0],
    ]);
  });

  it('Linux admin queue: Identify CNS values and Set Features', () => {
    const { sqes } = capturedCommands('linux-host-to-linux-nvmet-tcp-plain.conn1.host-to-ctrl.bin');
    const ids = sqes.filter((s) => s[0] === AdminOpcode.IDENTIFY).map((s) => decodeCommand(Identify, s));
    expect(ids[0]).toEqual({ nsid: 0, cns: 1, cntid: 0, cnsSpecificId: 0, csi: 0, uuidIndex: 0 });
    // Identify Namespace ID Descriptor List (CNS 3) for namespace 1.
    expect(ids.some((i) => i.cns === 3 && i.nsid === 1)).toBe(true);
    const sets = sqes.filter((s) => s[0] === AdminOpcode.SET_FEATURES).map((s) => decodeCommand(SetFeatures, s));
    expect(sets.map((s) => [s.fid, s.cdw11])).toEqual([
      [0x07, 0],
      [0x0b, 0x900],
    ]);
  });

  it('Linux I/O queue: the first reads and the two writes', () => {
    const { qid, sqes } = capturedCommands('linux-host-to-linux-nvmet-tcp-plain.conn2.host-to-ctrl.bin');
    expect(qid).toBe(1);
    expect(decodeReadWrite(sqes[0]!)).toMatchObject({ opc: IoOpcode.READ, nsid: 1, slba: 0, nlb: 8, fua: false });
    expect(decodeReadWrite(sqes[1]!)).toMatchObject({ opc: IoOpcode.READ, nsid: 1, slba: 8, nlb: 8 });
    // Namespace 2 has 4 KiB blocks (id-ns-plain.json: lbaf ds 12): the 4 KiB write at LBA 0
    // is one block, the 128 KiB write at byte offset 131072 is 32 blocks at LBA 32.
    const writes = sqes.filter((s) => s[0] === IoOpcode.WRITE).map((s) => decodeReadWrite(s));
    expect(writes.map((w) => [w.nsid, w.slba, w.nlb])).toEqual([
      [2, 0, 1],
      [2, 32, 32],
    ]);
    expect([readSlba(sqes[1]!), readNlb(sqes[1]!)]).toEqual([8, 8]);
  });
});

describe('command layouts', () => {
  it('Get Log Page splits NUMD across CDW10/CDW11 and the offset across CDW12/CDW13', () => {
    const sqe = encodeCommand(GetLogPage, Buffer.alloc(64), {
      nsid: 0xffffffff,
      lid: LogPageId.SMART_HEALTH,
      lsp: 0x7f,
      rae: true,
      numd: 0x12345 + 1,
      lsi: 0xbeef,
      offset: 0x1_2345_6789,
      uuidIndex: 0x7f,
      ot: true,
      csi: 2,
    });
    expect(sqe[0]).toBe(AdminOpcode.GET_LOG_PAGE);
    expect(sqe.readUInt32LE(4)).toBe(0xffffffff);
    expect(sqe.readUInt32LE(40)).toBe(0x2345_ff02);
    expect(sqe.readUInt32LE(44)).toBe(0xbeef_0001);
    expect(sqe.readUInt32LE(48)).toBe(0x2345_6789);
    expect(sqe.readUInt32LE(52)).toBe(1);
    expect(sqe.readUInt32LE(56)).toBe(0x0280_007f);
    expect(dwordsOf(4096)).toBe(1024);
    expect(() => dwordsOf(6)).toThrow(RangeError);
  });

  it('Get Log Page of the health log as SPDK sends it: CDW10 0x007f0002, and back', () => {
    const sqe = encodeCommand(GetLogPage, Buffer.alloc(64), { lid: LogPageId.SMART_HEALTH, numd: dwordsOf(512) });
    expect(sqe.readUInt32LE(40)).toBe(0x007f0002);
    expect(decodeCommand(GetLogPage, sqe)).toMatchObject({ lid: LogPageId.SMART_HEALTH, numd: 128, offset: 0, rae: false });
  });

  it('Identify packs CNS, CNTID, CNS specific ID and CSI', () => {
    const sqe = encodeCommand(Identify, Buffer.alloc(64), { cns: 0x06, cntid: 0x1234, cnsSpecificId: 0xabcd, csi: 2 });
    expect([sqe.readUInt32LE(40), sqe.readUInt32LE(44)]).toEqual([0x1234_0006, 0x0200_abcd]);
  });

  it('Get and Set Features: FID, SEL, SV', () => {
    const get = encodeCommand(GetFeatures, Buffer.alloc(64), { fid: 0x0f, sel: 3 });
    expect(get.readUInt32LE(40)).toBe(0x30f);
    const set = encodeCommand(SetFeatures, Buffer.alloc(64), { fid: 0x07, sv: true, cdw11: 0x003f_003f });
    expect([set.readUInt32LE(40), set.readUInt32LE(44)]).toEqual([0x8000_0007, 0x003f_003f]);
  });

  it('Create I/O CQ and SQ (PCIe) with 0-based sizes and PRP1', () => {
    const cq = encodeCommand(CreateIoCq, Buffer.alloc(64), { prp1: 0x7f00_1234_5000, qid: 3, qsize: 1024, pc: true, ien: true, iv: 5 });
    expect(cq.readBigUInt64LE(24)).toBe(0x7f00_1234_5000n);
    expect([cq.readUInt32LE(40), cq.readUInt32LE(44)]).toEqual([0x03ff_0003, 0x0005_0003]);
    const sq = encodeCommand(CreateIoSq, Buffer.alloc(64), { qid: 3, qsize: 256, pc: true, qprio: 2, cqid: 3, nvmsetid: 9 });
    expect([sq.readUInt32LE(40), sq.readUInt32LE(44), sq.readUInt32LE(48)]).toEqual([0x00ff_0003, 0x0003_0005, 9]);
    expect(decodeCommand(CreateIoSq, sq)).toMatchObject({ qsize: 256, qprio: 2, cqid: 3 });
    expect(() => encodeCommand(CreateIoCq, Buffer.alloc(64), { qsize: 0 })).toThrow(/qsize=0/);
  });

  it('Delete I/O queues and Abort', () => {
    expect(encodeCommand(DeleteIoSq, Buffer.alloc(64), { qid: 7 }).readUInt32LE(40)).toBe(7);
    expect(encodeCommand(DeleteIoCq, Buffer.alloc(64), { qid: 7 })[0]).toBe(AdminOpcode.DELETE_IO_CQ);
    const abort = encodeCommand(Abort, Buffer.alloc(64), { sqid: 2, cid: 0x55 });
    expect(abort.readUInt32LE(40)).toBe(0x0055_0002);
    expect(decodeCommand(Abort, abort)).toEqual({ sqid: 2, cid: 0x55 });
    expect(abortSucceeded(0)).toBe(true);
    expect(abortSucceeded(1)).toBe(false);
  });

  it('block commands: SLBA in CDW10/11, 0-based NLB, flags in CDW12', () => {
    const sqe = encodeReadWrite(Buffer.alloc(64), { opc: IoOpcode.WRITE, nsid: 1, slba: 2 ** 40 + 5, nlb: NLB_MAX, fua: true, lr: true, prinfo: 0xf, dsm: 0x11, dspec: 0x2233, eilbrt: 0xdeadbeef, elbat: 0x1111, elbatm: 0xffff });
    expect([sqe.readUInt32LE(40), sqe.readUInt32LE(44), sqe.readUInt32LE(48)]).toEqual([5, 0x100, 0xfc00_ffff]);
    expect([sqe.readUInt32LE(52), sqe.readUInt32LE(56), sqe.readUInt32LE(60)]).toEqual([0x2233_0011, 0xdeadbeef, 0xffff_1111]);
    expect(decodeReadWrite(sqe)).toMatchObject({ opc: IoOpcode.WRITE, slba: 2 ** 40 + 5, nlb: 65536, fua: true, lr: true, deac: false });
    const wz = encodeCommand(WriteZeroes, Buffer.alloc(64), { nsid: 1, slba: 0, nlb: 1, deac: true });
    expect(wz.readUInt32LE(48)).toBe(1 << 25);
    expect(() => encodeReadWrite(Buffer.alloc(64), { opc: IoOpcode.READ, nlb: NLB_MAX + 1 })).toThrow(/nlb=65537/);
  });

  it('writeIoCommand writes the same bytes as the table codec and clears a reused SQE', () => {
    const hot = Buffer.alloc(64, 0xaa);
    writeIoCommand(hot, IoOpcode.READ, 3, 2 ** 33 + 7, 16, IoCdw12Flag.FUA | IoCdw12Flag.LR);
    const table = encodeReadWrite(Buffer.alloc(64), { opc: IoOpcode.READ, nsid: 3, slba: 2 ** 33 + 7, nlb: 16, fua: true, lr: true });
    expect(hot.toString('hex')).toBe(table.toString('hex'));
    expect([readSlba(hot), readNlb(hot)]).toEqual([2 ** 33 + 7, 16]);
    writeIoCommand(hot, IoOpcode.FLUSH, 1, 0, 0, 0);
    expect(hot.toString('hex')).toBe(encodeCommand(Flush, Buffer.alloc(64), { nsid: 1 }).toString('hex'));
  });

  it('Dataset Management: NR is 0-based, attributes in CDW11', () => {
    const sqe = encodeCommand(DatasetManagement, Buffer.alloc(64), { nsid: 1, nr: 256, ad: true, idw: true });
    expect([sqe.readUInt32LE(40), sqe.readUInt32LE(44)]).toEqual([0xff, DsmAttribute.DEALLOCATE | DsmAttribute.INTEGRAL_DATASET_WRITE]);
    expect(decodeCommand(DatasetManagement, sqe)).toEqual({ nsid: 1, nr: 256, idr: false, idw: true, ad: true });
  });
});

describe('Dataset Management ranges', () => {
  it('are 16 bytes: context attributes, length in blocks (1-based), starting LBA', () => {
    const buf = encodeDsmRanges([
      { slba: 0x1_0000_0002, nlb: 8 },
      { cattr: 0x0300_0000, slba: 64, nlb: 1 },
    ]);
    expect(buf.length).toBe(32);
    expect([buf.readUInt32LE(0), buf.readUInt32LE(4), buf.readBigUInt64LE(8)]).toEqual([0, 8, 0x1_0000_0002n]);
    expect([buf.readUInt32LE(16), buf.readUInt32LE(20), buf.readBigUInt64LE(24)]).toEqual([0x0300_0000, 1, 64n]);
    expect(decodeDsmRanges(buf)).toEqual([
      { cattr: 0, nlb: 8, slba: 0x1_0000_0002 },
      { cattr: 0x0300_0000, nlb: 1, slba: 64 },
    ]);
    expect(decodeDsmRanges(buf, 1)).toHaveLength(1);
  });

  it('writes one range in place with the same bytes as encodeDsmRanges', () => {
    const buf = Buffer.alloc(48, 0xee);
    writeDsmRange(buf, 16, 0x1_0000_0002, 8);
    expect(buf.subarray(16, 32)).toEqual(encodeDsmRanges([{ slba: 0x1_0000_0002, nlb: 8 }]));
    expect(buf.subarray(0, 16)).toEqual(Buffer.alloc(16, 0xee));
    expect(buf.subarray(32)).toEqual(Buffer.alloc(16, 0xee));
  });

  it('rejects 0 or more than 256 ranges, and short data', () => {
    expect(() => encodeDsmRanges([])).toThrow(RangeError);
    expect(() => encodeDsmRanges(Array.from({ length: 257 }, () => ({ slba: 0, nlb: 1 })))).toThrow(/257/);
    expect(() => decodeDsmRanges(Buffer.alloc(16), 2)).toThrow(RangeError);
  });
});

describe('asynchronous events', () => {
  it('decode the completion dword: type, info, log page', () => {
    const cdw0 = encodeAsyncEventCompletion({ type: AsyncEventType.NOTICE, info: AsyncEventNoticeInfo.DISCOVERY_LOG_CHANGE, logPageId: LogPageId.DISCOVERY });
    expect(cdw0).toBe(0x0070_f002);
    expect(decodeAsyncEventCompletion(cdw0)).toEqual({ type: 2, info: 0xf0, logPageId: 0x70 });
    expect(decodeAsyncEventCompletion(0x0004_0002)).toEqual({ type: AsyncEventType.NOTICE, info: AsyncEventNoticeInfo.NS_ATTRIBUTE_CHANGED, logPageId: LogPageId.CHANGED_NAMESPACE_LIST });
  });

  it('name events', () => {
    expect(asyncEventName(AsyncEventType.NOTICE, 0xf0)).toBe('NOTICE: DISCOVERY LOG CHANGE');
    expect(asyncEventName(AsyncEventType.SMART, 1)).toBe('SMART: TEMPERATURE THRESHOLD');
    expect(asyncEventName(AsyncEventType.VENDOR, 0x12)).toBe('VENDOR: INFO 0x12');
  });
});

describe('decodeSqe agrees with the command codecs', () => {
  it('on a captured Identify', () => {
    const { sqes } = capturedCommands('spdk-identify-to-spdk-nvmf-tgt-tcp.conn0.host-to-ctrl.bin');
    const id = sqes.find((s) => s[0] === AdminOpcode.IDENTIFY)!;
    expect(decodeCommand(Identify, id).cns).toBe(decodeSqe(id).cdw10 & 0xff);
  });
});
