import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeCommand, GetLogPage } from '../../../src/spec/commands.js';
import { LogPageId, parseErrorLog } from '../../../src/spec/log-pages.js';
import { IoOpcode } from '../../../src/spec/opcodes.js';
import { SqeOffset } from '../../../src/spec/sqe.js';
import { writeKeyedSgl } from '../../../src/spec/sgl.js';
import {
  Fes,
  PduOffset,
  PduType,
  encodeC2HData,
  encodeCapsuleCmd,
  encodeIcReq,
  encodeR2T,
  encodeTermReq,
  pduFormat,
} from '../../../src/spec/tcp/index.js';
import { RawHost, openController, type ReceivedPdu } from './raw-host.js';
import { pattern, startTarget, type Fixture } from './fixture.js';

const { READ, WRITE } = IoOpcode;

/** A healthy controller must keep working while another connection misbehaves. */
async function expectHealthy(io: RawHost, seed: number): Promise<void> {
  const data = pattern(4096, seed);
  expect((await io.run(RawHost.ioSqe(WRITE, 1, 64, 8), { write: data, inCapsule: true })).status).toBe('0/0x00');
  const r = await io.run(RawHost.ioSqe(READ, 1, 64, 8), { readLength: 4096 });
  expect(r.data.equals(data)).toBe(true);
}

/** The next PDU is a C2HTermReq with `fes` (and `fei`), quoting `quoted`; then the target closes. */
async function expectTermReq(bad: RawHost, fes: number, fei: number, quoted: Buffer): Promise<ReceivedPdu> {
  const term = await bad.next();
  expect(term.type).toBe(PduType.C2H_TERM_REQ);
  expect({ fes: term.fes, fei: term.fei }).toEqual({ fes, fei });
  expect(term.data!.equals(quoted.subarray(0, term.data!.length))).toBe(true);
  expect(term.data!.length).toBeGreaterThanOrEqual(8);
  await bad.ended;
  return term;
}

function icReq(opts: { hdgst?: boolean; ddgst?: boolean; hpda?: number; pfv?: number } = {}): Buffer {
  const b = Buffer.alloc(128);
  encodeIcReq(b, 0, { hdgst: opts.hdgst ?? false, ddgst: opts.ddgst ?? false, hpda: opts.hpda ?? 0, pfv: opts.pfv ?? 0 });
  return b;
}

describe('TcpListener: fatal protocol errors close only the offending connection', () => {
  let fx: Fixture;
  let healthy: { admin: RawHost; io: RawHost };
  beforeEach(async () => {
    fx = await startTarget();
    healthy = await openController(fx.port);
  });
  afterEach(async () => {
    healthy.admin.close();
    healthy.io.close();
    await fx.stop();
  });

  it('CapsuleCmd before ICReq: PDU Sequence Error', async () => {
    const bad = await RawHost.connect(fx.port);
    const pdu = bad.capsule(RawHost.ioSqe(READ, 1, 0, 1), { transportLength: 512 });
    bad.write(pdu);
    await expectTermReq(bad, Fes.PDU_SEQUENCE_ERROR, 0, pdu);
    await expectHealthy(healthy.io, 1);
  });

  it('a second ICReq: PDU Sequence Error', async () => {
    const bad = await RawHost.start(fx.port);
    const again = icReq();
    bad.write(again);
    await expectTermReq(bad, Fes.PDU_SEQUENCE_ERROR, 0, again);
    await expectHealthy(healthy.io, 2);
  });

  it('an ICReq with PFV 1 or HPDA 32: Invalid PDU Header Field naming the field', async () => {
    const pfv = await RawHost.connect(fx.port);
    const a = icReq({ pfv: 1 });
    pfv.write(a);
    await expectTermReq(pfv, Fes.INVALID_PDU_HEADER_FIELD, PduOffset.PFV, a);
    const hpda = await RawHost.connect(fx.port);
    const b = icReq({ hpda: 32 });
    hpda.write(b);
    await expectTermReq(hpda, Fes.INVALID_PDU_HEADER_FIELD, PduOffset.HPDA, b);
    await expectHealthy(healthy.io, 3);
  });

  it('a PDU type only a controller sends (R2T): Invalid PDU Header Field at PDU-Type', async () => {
    const bad = await RawHost.start(fx.port);
    const r2t = Buffer.alloc(24);
    encodeR2T(r2t, 0, pduFormat(false, false), 1, 0, 0, 4096);
    bad.write(r2t);
    await expectTermReq(bad, Fes.INVALID_PDU_HEADER_FIELD, 0, r2t);
    await expectHealthy(healthy.io, 4);
  });

  it('an undefined PDU type: Invalid PDU Header Field at PDU-Type', async () => {
    const bad = await RawHost.start(fx.port);
    const junk = Buffer.from([0x0f, 0, 24, 0, 24, 0, 0, 0, ...new Array<number>(16).fill(0)]);
    bad.write(junk);
    await expectTermReq(bad, Fes.INVALID_PDU_HEADER_FIELD, 0, junk);
    await expectHealthy(healthy.io, 5);
  });

  it('a huge PLEN is refused from the common header: Data Transfer Limit Exceeded', async () => {
    const bad = await RawHost.start(fx.port);
    const sqe = RawHost.ioSqe(WRITE, 1, 0, 8);
    const pdu = bad.capsule(sqe, { inCapsule: pattern(64) });
    pdu.writeUInt32LE(0xfffffff0, 4);
    bad.write(pdu.subarray(0, 72));
    await expectTermReq(bad, Fes.DATA_TRANSFER_LIMIT_EXCEEDED, 0, pdu);
    await expectHealthy(healthy.io, 6);
  });

  it('a wrong header digest: Header Digest Error', async () => {
    const bad = await RawHost.start(fx.port, { hdgst: true });
    const pdu = bad.capsule(RawHost.ioSqe(READ, 1, 0, 1), { transportLength: 512 });
    pdu[72]! ^= 0x5a;
    bad.write(pdu);
    await expectTermReq(bad, Fes.HEADER_DIGEST_ERROR, 0, pdu);
    await expectHealthy(healthy.io, 7);
  });

  it('H2CData with no R2T outstanding: PDU Sequence Error', async () => {
    const bad = await RawHost.start(fx.port);
    const pdu = bad.h2cData(1, 0, 0, pattern(512), true);
    bad.write(pdu);
    await expectTermReq(bad, Fes.PDU_SEQUENCE_ERROR, 0, pdu);
    await expectHealthy(healthy.io, 8);
  });

  it('H2CData at the wrong offset or for the wrong CID', async () => {
    const { admin, io } = await openController(fx.port);
    const sqe = RawHost.ioSqe(WRITE, 1, 0, 16);
    sqe.writeUInt16LE(9, SqeOffset.CID);
    io.write(io.capsule(sqe, { transportLength: 8192 }));
    const r2t = await io.next();
    expect(r2t).toMatchObject({ type: PduType.R2T, cccid: 9, r2to: 0, r2tl: 8192 });
    const skipped = io.h2cData(9, r2t.ttag, 4096, pattern(4096), true);
    io.write(skipped);
    await expectTermReq(io, Fes.DATA_TRANSFER_OUT_OF_RANGE, 0, skipped);
    admin.close();

    const other = await openController(fx.port);
    const sqe2 = RawHost.ioSqe(WRITE, 1, 0, 16);
    sqe2.writeUInt16LE(10, SqeOffset.CID);
    other.io.write(other.io.capsule(sqe2, { transportLength: 8192 }));
    const r2t2 = await other.io.next();
    const wrongCid = other.io.h2cData(11, r2t2.ttag, 0, pattern(8192), true);
    other.io.write(wrongCid);
    await expectTermReq(other.io, Fes.INVALID_PDU_HEADER_FIELD, PduOffset.CCCID, wrongCid);
    other.admin.close();
    await expectHealthy(healthy.io, 9);
  });

  it('H2CData beyond the R2T: Data Transfer Out of Range', async () => {
    const { admin, io } = await openController(fx.port);
    const sqe = RawHost.ioSqe(WRITE, 1, 0, 8);
    sqe.writeUInt16LE(3, SqeOffset.CID);
    io.write(io.capsule(sqe, { transportLength: 4096 }));
    const r2t = await io.next();
    const tooLong = io.h2cData(3, r2t.ttag, 0, pattern(8192), true);
    io.write(tooLong);
    await expectTermReq(io, Fes.DATA_TRANSFER_OUT_OF_RANGE, 0, tooLong);
    admin.close();
    await expectHealthy(healthy.io, 10);
  });

  it('H2CData larger than MAXH2CDATA: Data Transfer Limit Exceeded', async () => {
    await fx.stop();
    fx = await startTarget({ maxH2CDataSize: 4096 });
    healthy = await openController(fx.port);
    const { admin, io } = await openController(fx.port);
    const sqe = RawHost.ioSqe(WRITE, 1, 0, 16);
    sqe.writeUInt16LE(4, SqeOffset.CID);
    io.write(io.capsule(sqe, { transportLength: 8192 }));
    const r2t = await io.next();
    expect(r2t).toMatchObject({ type: PduType.R2T, r2to: 0, r2tl: 4096 });
    const oversized = io.h2cData(4, r2t.ttag, 0, pattern(8192), true);
    io.write(oversized);
    await expectTermReq(io, Fes.DATA_TRANSFER_LIMIT_EXCEEDED, 0, oversized);
    admin.close();
    await expectHealthy(healthy.io, 16);
  });

  it('a host-side TermReq closes the connection without an answer', async () => {
    const bad = await RawHost.start(fx.port);
    const term = Buffer.alloc(32);
    encodeTermReq(term, 0, PduType.H2C_TERM_REQ, Fes.PDU_SEQUENCE_ERROR, 0, Buffer.alloc(8));
    bad.write(term);
    await bad.ended;
    expect(bad.received).toEqual([]);
    await expectHealthy(healthy.io, 11);
  });

  it('a PDU cut short by the peer closing, or by a reset, tears down cleanly', async () => {
    const before = fx.listener.connectionCount;
    const cut = await RawHost.start(fx.port);
    cut.write(cut.capsule(RawHost.ioSqe(WRITE, 1, 0, 8), { inCapsule: pattern(4096) }).subarray(0, 1000));
    cut.socket.end();
    await cut.ended;
    const reset = await RawHost.start(fx.port);
    reset.write(reset.capsule(RawHost.ioSqe(WRITE, 1, 0, 8), { inCapsule: pattern(4096) }).subarray(0, 40));
    reset.socket.resetAndDestroy();
    await vi.waitFor(() => expect(fx.listener.connectionCount).toBe(before));
    expect(cut.received).toEqual([]);
    await expectHealthy(healthy.io, 12);
  });

  it('a host that overruns its queue is disconnected without a TermReq', async () => {
    await fx.stop();
    fx = await startTarget({ maxQueueDepth: 8, maxAqDepth: 8 });
    healthy = await openController(fx.port, {}, 7);
    const { admin, io } = await openController(fx.port, {}, 7);
    // Writes waiting for their data hold their slot: the ninth finds none (depth 8).
    for (let cid = 1; cid <= 9; cid++) {
      const sqe = RawHost.ioSqe(WRITE, 1, 0, 8);
      sqe.writeUInt16LE(cid, SqeOffset.CID);
      io.write(io.capsule(sqe, { transportLength: 4096 }));
    }
    await io.ended;
    expect(io.received.map((p) => p.type)).toEqual(new Array<number>(8).fill(PduType.R2T));
    expect(fx.logs.some((l) => l.includes('at most 8 commands outstanding'))).toBe(true);
    admin.close();
    await expectHealthy(healthy.io, 13);
  });

  it('a PDU a host never sends (C2HData) after ICReq: Invalid PDU Header Field', async () => {
    const bad = await RawHost.start(fx.port);
    const c2h = Buffer.alloc(24 + 16);
    encodeC2HData(c2h, 0, pduFormat(false, false), 1, 0, 16, true, false);
    bad.write(c2h);
    await expectTermReq(bad, Fes.INVALID_PDU_HEADER_FIELD, 0, c2h);
    await expectHealthy(healthy.io, 14);
  });

  it('a CapsuleCmd with a wrong HLEN: Invalid PDU Header Field at HLEN', async () => {
    const bad = await RawHost.start(fx.port);
    const pdu = Buffer.alloc(72);
    encodeCapsuleCmd(pdu, 0, pduFormat(false, false), RawHost.ioSqe(READ, 1, 0, 1), 0, 0);
    pdu[2] = 64;
    bad.write(pdu);
    await expectTermReq(bad, Fes.INVALID_PDU_HEADER_FIELD, 2, pdu);
    await expectHealthy(healthy.io, 15);
  });
});

describe('TcpListener: errors that fail one command', () => {
  let fx: Fixture;
  beforeEach(async () => {
    fx = await startTarget();
  });
  afterEach(async () => {
    await fx.stop();
  });

  it('a data digest error fails the command with TRANSIENT TRANSPORT ERROR and the connection carries on', async () => {
    const { admin, io } = await openController(fx.port, { hdgst: true, ddgst: true });
    const sqe = RawHost.ioSqe(WRITE, 1, 0, 8);
    sqe.writeUInt16LE(21, SqeOffset.CID);
    io.write(io.capsule(sqe, { inCapsule: pattern(4096, 21), corruptDataDigest: true }));
    const a = await io.completion(21);
    expect(a.status).toBe('0/0x22');
    expect(a.cqe!.dnr).toBe(false);

    const sqe2 = RawHost.ioSqe(WRITE, 1, 0, 16);
    sqe2.writeUInt16LE(22, SqeOffset.CID);
    io.write(io.capsule(sqe2, { transportLength: 8192 }));
    const r2t = await io.next();
    io.write(io.h2cData(22, r2t.ttag, 0, pattern(4096, 22), false, true));
    io.write(io.h2cData(22, r2t.ttag, 4096, pattern(4096, 23), true));
    expect((await io.completion(22)).status).toBe('0/0x22');

    // Neither write reached the namespace, and the connection still works.
    const r = await io.run(RawHost.ioSqe(READ, 1, 0, 16), { readLength: 8192 });
    expect(r.data.equals(Buffer.alloc(8192))).toBe(true);
    await expectHealthy(io, 24);
    admin.close();
    io.close();
  });

  it('fails commands whose SGL the transport cannot serve, with the status Linux and SPDK use', async () => {
    const { admin, io } = await openController(fx.port);
    const cases: [string, (sqe: Buffer) => Buffer, string][] = [
      [
        'keyed SGL (RDMA)',
        (sqe) => {
          const pdu = io.capsule(sqe, { transportLength: 4096 });
          writeKeyedSgl(pdu, 8 + SqeOffset.DPTR, 0x1000, 4096, 0x1234);
          return pdu;
        },
        '0/0x11',
      ],
      ['transport SGL beyond max_io_size', (sqe) => io.capsule(sqe, { transportLength: 262144 }), '0/0x0f'],
      ['in-capsule data beyond in_capsule_data_size', (sqe) => io.capsule(sqe, { inCapsule: pattern(8192) }), '0/0x0f'],
      [
        'in-capsule SGL with an offset',
        (sqe) => {
          const pdu = io.capsule(sqe, { inCapsule: pattern(4096) });
          pdu.writeUInt32LE(512, 8 + SqeOffset.DPTR);
          return pdu;
        },
        '0/0x16',
      ],
      [
        'PRP instead of SGL',
        (sqe) => {
          const pdu = io.capsule(sqe, { transportLength: 4096 });
          pdu[8 + SqeOffset.FLAGS] = 0;
          return pdu;
        },
        '0/0x02',
      ],
    ];
    // The core completes these like any failed command: SQHD moves on, the error log has each one.
    let sqhd = (await io.run(RawHost.ioSqe(WRITE, 1, 0, 1), { write: Buffer.alloc(512), inCapsule: true })).cqe!.sqhd;
    let cid = 40;
    for (const [name, build, status] of cases) {
      const sqe = RawHost.ioSqe(name.includes('in-capsule') ? WRITE : READ, 1, 0, 8);
      sqe.writeUInt16LE(++cid, SqeOffset.CID);
      io.write(build(sqe));
      const c = await io.completion(cid);
      sqhd = (sqhd + 1) % 32;
      expect({ name, status: c.status, sqhd: c.cqe!.sqhd }).toEqual({ name, status, sqhd });
    }
    const logSqe = encodeCommand(GetLogPage, Buffer.alloc(64), { lid: LogPageId.ERROR_INFORMATION, numd: (cases.length * 64) / 4 });
    const log = parseErrorLog((await admin.run(logSqe, { readLength: cases.length * 64 })).data);
    expect(log.map((e) => [e.sqid, e.cmdid, (e.status_field >> 1) & 0xff])).toEqual(
      cases.map(([, , status], i) => [1, 41 + i, Number(status.split('/')[1])]).reverse(),
    );
    await expectHealthy(io, 30);
    admin.close();
    io.close();
  });
});
