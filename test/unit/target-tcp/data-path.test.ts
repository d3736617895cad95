import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IoOpcode } from '../../../src/spec/opcodes.js';
import { PduType } from '../../../src/spec/tcp/index.js';
import { SqeOffset } from '../../../src/spec/sqe.js';
import { RawHost, openController } from './raw-host.js';
import { pattern, startTarget, type Fixture } from './fixture.js';

const { READ, WRITE } = IoOpcode;
const SUCCESS_FLAGS = 0x04 | 0x08;

describe('TcpListener: ICReq / ICResp', () => {
  let fx: Fixture;
  beforeEach(async () => {
    fx = await startTarget();
  });
  afterEach(async () => {
    await fx.stop();
  });

  it('answers an ICReq with PFV 0, CPDA 0, no digests and MAXH2CDATA = max_io_size', async () => {
    const host = await RawHost.connect(fx.port);
    const resp = await host.initialize();
    expect(resp).toMatchObject({ type: PduType.IC_RESP, hlen: 128, plen: 128, pfv: 0, cpda: 0, dgst: 0, maxh2cdata: 131072 });
    host.close();
  });

  it('grants the digests the host asks for and then sends every PDU with them', async () => {
    const { admin, io } = await openController(fx.port, { hdgst: true, ddgst: true });
    expect(admin.fmt).toMatchObject({ hdgst: true, ddgst: true });
    const data = pattern(8192);
    const w = await io.run(RawHost.ioSqe(WRITE, 1, 16, 16), { write: data });
    expect(w.status).toBe('0/0x00');
    const r = await io.run(RawHost.ioSqe(READ, 1, 16, 16), { readLength: 8192 });
    expect(r.data.equals(data)).toBe(true);
    // The host receiver checked HDGST and DDGST of each of them; the flags say they were there.
    for (const pdu of [...w.pdus, ...r.pdus]) expect(pdu.flags & 0x01).toBe(0x01);
    expect(r.pdus[0]!.flags & 0x02).toBe(0x02);
    admin.close();
    io.close();
  });

  it('grants a header digest alone', async () => {
    const host = await RawHost.connect(fx.port);
    const resp = await host.initialize({ hdgst: true });
    expect(resp.dgst).toBe(1);
    const c = await host.connectQueue(0);
    expect(c.status).toBe('0/0x00');
    expect(c.pdus[0]!.flags).toBe(0x01);
    host.close();
  });

  it('pads C2HData to the HPDA the host asked for', async () => {
    const { admin, io } = await openController(fx.port, { hpda: 7, hdgst: true });
    const data = pattern(4096, 3);
    expect((await io.run(RawHost.ioSqe(WRITE, 1, 0, 8), { write: data, inCapsule: true })).status).toBe('0/0x00');
    const r = await io.run(RawHost.ioSqe(READ, 1, 0, 8), { readLength: 4096 });
    const c2h = r.pdus.find((p) => p.type === PduType.C2H_DATA)!;
    expect(c2h.pdo).toBe(32);
    expect(r.data.equals(data)).toBe(true);
    admin.close();
    io.close();
  });
});

describe('TcpListener: data transfer', () => {
  let fx: Fixture;
  afterEach(async () => {
    await fx.stop();
  });

  it('executes an in-capsule write and reads it back with the SUCCESS optimisation', async () => {
    fx = await startTarget();
    const { admin, io } = await openController(fx.port);
    const data = pattern(4096);
    const w = await io.run(RawHost.ioSqe(WRITE, 1, 8, 8), { write: data, inCapsule: true });
    expect(w.status).toBe('0/0x00');
    expect(w.pdus.map((p) => p.type)).toEqual([PduType.CAPSULE_RESP]);
    const r = await io.run(RawHost.ioSqe(READ, 1, 8, 8), { readLength: 4096 });
    expect(r.cqe).toBeNull();
    expect(r.pdus).toHaveLength(1);
    expect(r.pdus[0]).toMatchObject({ type: PduType.C2H_DATA, flags: SUCCESS_FLAGS, datao: 0, datal: 4096 });
    expect(r.data.equals(data)).toBe(true);
    admin.close();
    io.close();
  });

  it('sends C2HData with LAST_PDU and then a CapsuleResp when c2h_success is off', async () => {
    fx = await startTarget({ c2hSuccess: false });
    const { admin, io } = await openController(fx.port);
    const data = pattern(2048, 9);
    await io.run(RawHost.ioSqe(WRITE, 1, 0, 4), { write: data, inCapsule: true });
    const r = await io.run(RawHost.ioSqe(READ, 1, 0, 4), { readLength: 2048 });
    expect(r.pdus.map((p) => [p.type, p.flags])).toEqual([
      [PduType.C2H_DATA, 0x04],
      [PduType.CAPSULE_RESP, 0],
    ]);
    expect(r.cqe).toMatchObject({ sct: 0, sc: 0, sqid: 1 });
    expect(r.data.equals(data)).toBe(true);
    admin.close();
    io.close();
  });

  it('keeps the CapsuleResp when the completion carries dword 0 (Connect)', async () => {
    fx = await startTarget();
    const host = await RawHost.start(fx.port);
    const c = await host.connectQueue(0);
    expect(c.cqe).not.toBeNull();
    expect(c.cqe!.cdw0 & 0xffff).toBeGreaterThan(0);
    host.close();
  });

  it('gathers a 128 KiB write from several H2CData PDUs answering one R2T', async () => {
    fx = await startTarget();
    const { admin, io } = await openController(fx.port);
    const data = pattern(131072, 5);
    const w = await io.run(RawHost.ioSqe(WRITE, 1, 256, 256), { write: data, h2cChunk: 16384 });
    expect(w.status).toBe('0/0x00');
    const r2ts = w.pdus.filter((p) => p.type === PduType.R2T);
    expect(r2ts).toHaveLength(1);
    expect(r2ts[0]).toMatchObject({ r2to: 0, r2tl: 131072 });
    const r = await io.run(RawHost.ioSqe(READ, 1, 256, 256), { readLength: 131072 });
    expect(r.data.equals(data)).toBe(true);
    admin.close();
    io.close();
  });

  it('asks for a write in MAXH2CDATA-sized R2Ts, one at a time', async () => {
    fx = await startTarget({ maxH2CDataSize: 16384 });
    const { admin, io } = await openController(fx.port);
    const data = pattern(65536, 11);
    const sqe = RawHost.ioSqe(WRITE, 1, 1024, 128);
    sqe.writeUInt16LE(77, SqeOffset.CID);
    io.write(io.capsule(sqe, { transportLength: data.length }));
    for (let i = 0; i < 4; i++) {
      const r2t = await io.next();
      expect(r2t).toMatchObject({ type: PduType.R2T, cccid: 77, r2to: i * 16384, r2tl: 16384 });
      // Nothing else may arrive until this R2T's data is in: the next PDU is only read after sending it.
      io.write(io.h2cData(77, r2t.ttag, r2t.r2to, data.subarray(r2t.r2to, r2t.r2to + 8192), false));
      io.write(io.h2cData(77, r2t.ttag, r2t.r2to + 8192, data.subarray(r2t.r2to + 8192, r2t.r2to + 16384), true));
    }
    const resp = await io.next();
    expect(resp).toMatchObject({ type: PduType.CAPSULE_RESP, cqe: { cid: 77, sc: 0, sct: 0 } });
    const r = await io.run(RawHost.ioSqe(READ, 1, 1024, 128), { readLength: 65536 });
    expect(r.data.equals(data)).toBe(true);
    admin.close();
    io.close();
  });

  it('splits a read larger than 128 KiB into several C2HData PDUs, SUCCESS only on the last', async () => {
    fx = await startTarget({ maxIoSize: 262144 });
    const { admin, io } = await openController(fx.port);
    const data = pattern(262144, 13);
    expect((await io.run(RawHost.ioSqe(WRITE, 1, 0, 512), { write: data })).status).toBe('0/0x00');
    const r = await io.run(RawHost.ioSqe(READ, 1, 0, 512), { readLength: 262144 });
    expect(r.pdus.map((p) => [p.datao, p.datal, p.flags])).toEqual([
      [0, 131072, 0],
      [131072, 131072, SUCCESS_FLAGS],
    ]);
    expect(r.data.equals(data)).toBe(true);
    admin.close();
    io.close();
  });

  it('keeps many commands in flight on one queue and answers each', async () => {
    fx = await startTarget();
    const { admin, io } = await openController(fx.port);
    const writes: Buffer[] = [];
    for (let i = 0; i < 32; i++) {
      const data = pattern(4096, i);
      writes.push(data);
      const sqe = RawHost.ioSqe(WRITE, 1, i * 8, 8);
      sqe.writeUInt16LE(100 + i, SqeOffset.CID);
      io.write(io.capsule(sqe, { inCapsule: data }));
    }
    const cids = new Set<number>();
    for (let i = 0; i < 32; i++) {
      const p = await io.next();
      expect(p.type).toBe(PduType.CAPSULE_RESP);
      expect(p.cqe!.sc).toBe(0);
      cids.add(p.cqe!.cid);
    }
    expect(cids.size).toBe(32);
    for (let i = 0; i < 32; i++) {
      const r = await io.run(RawHost.ioSqe(READ, 1, i * 8, 8), { readLength: 4096 });
      expect(r.data.equals(writes[i]!)).toBe(true);
    }
    admin.close();
    io.close();
  });
});
