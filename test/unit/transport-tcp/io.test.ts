/**
 * The TCP queue pair against scripted controllers on real sockets: data
 * placement (in-capsule, R2T/H2CData with MAXH2CDATA splitting, C2HData in
 * both completion styles), digests, and batching of writes per tick.
 */
import { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GenericStatus } from '../../../src/spec/status.js';
import { SqeOffset } from '../../../src/spec/sqe.js';
import { PduType } from '../../../src/spec/tcp/index.js';
import type { TcpQpair } from '../../../src/transport/tcp/index.js';
import { FakeTarget, type FakeConnection } from './fake-target.js';
import { connectQpair, CtrlPdus, HostEvents, OPC_FLUSH, OPC_READ, OPC_WRITE, randomBytes } from './host.js';
import { BLOCK_SIZE, serveMemory, type MemoryTargetLog, type MemoryTargetOptions } from './memory-target.js';

const targets: FakeTarget[] = [];
const qpairs: { close(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(qpairs.splice(0).map((q) => q.close()));
  await Promise.all(targets.splice(0).map((t) => t.close()));
});

function newLog(): MemoryTargetLog {
  return { inCapsuleWrites: 0, r2tWrites: 0, h2cPdus: [], sglIds: [] };
}

async function memoryTarget(opts: MemoryTargetOptions, log = newLog()): Promise<FakeTarget> {
  const blocks = new Map<number, Buffer>();
  const t = await FakeTarget.start((c) => serveMemory(c, blocks, opts, log));
  targets.push(t);
  return t;
}

async function open(port: number, opts: Parameters<typeof connectQpair>[1] = {}): Promise<HostEvents> {
  const qp = await connectQpair(port, opts);
  qpairs.push(qp);
  return new HostEvents(qp);
}

function rw(opc: number, cid: number, lba: number, bytes: number) {
  return { opc, cid, nsid: 1, cdw10: lba, cdw12: bytes / BLOCK_SIZE - 1 };
}

describe('TCP queue pair: writes', () => {
  it('puts writes up to the in-capsule size in the capsule (SGL 0x01) and pulls larger ones with R2T (SGL 0x5A)', async () => {
    const log = newLog();
    const t = await memoryTarget({}, log);
    const host = await open(t.port, { inCapsuleDataSize: 4096 });
    const small = randomBytes(4096, 1);
    const large = randomBytes(4096 + BLOCK_SIZE, 2);
    await host.command(rw(OPC_WRITE, 1, 0, small.length), small);
    await host.command(rw(OPC_WRITE, 2, 100, large.length), large);
    expect(log.inCapsuleWrites).toBe(1);
    expect(log.r2tWrites).toBe(1);
    expect(log.sglIds).toEqual([0x01, 0x5a]);
    const back = Buffer.alloc(large.length);
    await host.command(rw(OPC_READ, 3, 100, back.length), back);
    expect(back.equals(large)).toBe(true);
  });

  it('uses the 8 KiB admin capsule on the admin queue and for Fabrics commands on any queue', async () => {
    const log = newLog();
    const t = await memoryTarget({}, log);
    const admin = await open(t.port, { qid: 0 });
    expect(admin.qp.inCapsuleDataSize).toBe(8192);
    const io = await open(t.port, { qid: 1, inCapsuleDataSize: 0 });
    expect(io.qp.inCapsuleDataSize).toBe(0);
    // Fabrics Connect (FCTYPE 0x01, host to controller): 1024 bytes, in-capsule although IOCCSZ allows none.
    const connect = Buffer.alloc(64);
    connect[SqeOffset.OPC] = 0x7f;
    connect.writeUInt16LE(5, SqeOffset.CID);
    connect[4] = 0x01;
    await io.command(connect, Buffer.alloc(1024, 0xab));
    await io.command(rw(OPC_WRITE, 6, 0, 512), Buffer.alloc(512));
    expect(log.sglIds).toEqual([0x01, 0x5a]);
    expect(log.r2tWrites).toBe(1);
  });

  it('defaults to SPDK’s 4096-byte in-capsule size on I/O queues when the driver passes none', async () => {
    const t = await memoryTarget({});
    const io = await open(t.port, { qid: 2 });
    expect(io.qp.inCapsuleDataSize).toBe(4096);
  });

  it('splits R2T data into H2CData PDUs of at most MAXH2CDATA, LAST_PDU on the final one of each R2T', async () => {
    const log = newLog();
    const t = await memoryTarget({ maxh2cdata: 4096, maxR2tLength: 6144 }, log);
    const host = await open(t.port, { inCapsuleDataSize: 0 });
    expect((host.qp as TcpQpair).maxH2CData).toBe(4096);
    const data = randomBytes(26 * BLOCK_SIZE, 3);
    await host.command(rw(OPC_WRITE, 7, 8, data.length), data);
    // R2Ts of 6144, 6144 and 1024 bytes, each cut at 4096.
    expect(log.h2cPdus).toEqual([4096, 2048, 4096, 2048, 1024]);
    const back = Buffer.alloc(data.length);
    await host.command(rw(OPC_READ, 7, 8, back.length), back);
    expect(back.equals(data)).toBe(true);
  });

  it('sends commands without data with a zero-length transport SGL and no PDO, as Linux does', async () => {
    let seen: Buffer | null = null;
    const pdus = new CtrlPdus();
    const t = await FakeTarget.start(async (c) => {
      await c.expect(PduType.IC_REQ);
      c.send(pdus.icResp());
      const cmd = await c.expect(PduType.CAPSULE_CMD);
      seen = cmd.bytes;
      c.send(pdus.capsuleResp({ cid: cmd.cid, cdw0: 0xfeed }));
    });
    targets.push(t);
    const host = await open(t.port);
    const cqe = await host.command({ opc: OPC_FLUSH, cid: 9, nsid: 1 });
    expect(cqe.cdw0).toBe(0xfeed);
    expect(seen!.length).toBe(72);
    expect(seen![3]).toBe(0); // PDO
    expect(seen!.subarray(8 + 24, 8 + 40).toString('hex')).toBe('00'.repeat(15) + '5a');
    expect(seen![8 + 1]! >> 6).toBe(1); // PSDT: SGL
  });
});

describe('TCP queue pair: misuse', () => {
  it('refuses data on an opcode that moves none, and a CID that is still outstanding', async () => {
    const t = await memoryTarget({});
    const host = await open(t.port);
    const flushWithData = Buffer.alloc(64);
    flushWithData.writeUInt16LE(4, SqeOffset.CID);
    expect(() => host.qp.submit(flushWithData, Buffer.alloc(512))).toThrow(/opcode 0x0 moves no data/);
    const first = host.command(rw(OPC_READ, 5, 0, 512), Buffer.alloc(512));
    const again = Buffer.alloc(64);
    again[SqeOffset.OPC] = OPC_READ;
    again.writeUInt16LE(5, SqeOffset.CID);
    expect(() => host.qp.submit(again, Buffer.alloc(512))).toThrow(/cid 5: slot 5 is still held/);
    expect((await first).cid).toBe(5);
    expect(host.fatals).toEqual([]);
  });
});

describe('TCP queue pair: reads', () => {
  for (const style of ['Linux (C2HData, then CapsuleResp)', 'SPDK (SUCCESS on the last C2HData)'] as const) {
    it(`places multi-PDU C2HData at DATAO and completes ${style}`, async () => {
      const c2hSuccess = style.startsWith('SPDK');
      const t = await memoryTarget({ c2hPduSize: 3 * BLOCK_SIZE, c2hSuccess });
      const host = await open(t.port, { qid: 3, inCapsuleDataSize: 0 });
      const data = randomBytes(16 * BLOCK_SIZE, 4);
      await host.command(rw(OPC_WRITE, 4, 32, data.length), data);
      const back = Buffer.alloc(data.length);
      const cqe = await host.command(rw(OPC_READ, 4, 32, back.length), back);
      expect(back.equals(data)).toBe(true);
      expect(cqe.cid).toBe(4);
      expect(cqe.sct).toBe(0);
      expect(cqe.sc).toBe(0);
      expect(cqe.sqid).toBe(c2hSuccess ? 3 : 1);
    });
  }

  it('fails only the affected read with DATA TRANSFER ERROR when its data digest is wrong, in both styles', async () => {
    const pdus = new CtrlPdus(false, true);
    const good = randomBytes(1024, 5);
    const t = await FakeTarget.start(async (c) => {
      c.offer = { hdgst: false, ddgst: true };
      await c.expect(PduType.IC_REQ);
      c.send(pdus.icResp());
      for (;;) {
        const cmd = await c.next();
        if (cmd === null) return;
        const corrupt = cmd.cid !== 3;
        const pdu = pdus.c2hData(cmd.cid, 0, good, true, cmd.cid === 2);
        if (corrupt) pdu[pdu.length - 1]! ^= 0xff;
        c.send(pdu);
        if (cmd.cid !== 2) c.send(pdus.capsuleResp({ cid: cmd.cid }));
      }
    });
    targets.push(t);
    const host = await open(t.port, { dataDigest: true });
    for (const cid of [1, 2]) {
      const cqe = await host.command(rw(OPC_READ, cid, 0, 1024), Buffer.alloc(1024));
      expect([cqe.sct, cqe.sc]).toEqual([0, GenericStatus.DATA_TRANSFER_ERROR]);
    }
    const back = Buffer.alloc(1024);
    const ok = await host.command(rw(OPC_READ, 3, 0, 1024), back);
    expect([ok.sct, ok.sc]).toEqual([0, 0]);
    expect(back.equals(good)).toBe(true);
    expect(host.fatals).toEqual([]);
  });

  it('passes an error CapsuleResp through without demanding the data', async () => {
    const pdus = new CtrlPdus();
    const t = await FakeTarget.start(async (c) => {
      await c.expect(PduType.IC_REQ);
      c.send(pdus.icResp());
      const cmd = await c.expect(PduType.CAPSULE_CMD);
      c.send(pdus.capsuleResp({ cid: cmd.cid, sct: 0, sc: GenericStatus.LBA_OUT_OF_RANGE, dnr: true }));
    });
    targets.push(t);
    const host = await open(t.port);
    const cqe = await host.command(rw(OPC_READ, 11, 1 << 30, 4096), Buffer.alloc(4096));
    expect([cqe.sct, cqe.sc, cqe.dnr]).toEqual([0, GenericStatus.LBA_OUT_OF_RANGE, true]);
  });
});

describe('TCP queue pair: digests', () => {
  for (const [hdgst, ddgst] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    it(`moves in-capsule, R2T and C2HData correctly with HDGST ${hdgst ? 'on' : 'off'}, DDGST ${ddgst ? 'on' : 'off'}`, async () => {
      const log = newLog();
      const t = await memoryTarget({ hdgst, ddgst, maxh2cdata: 8192, c2hPduSize: 5000 }, log);
      const host = await open(t.port, { headerDigest: hdgst, dataDigest: ddgst, inCapsuleDataSize: 4096 });
      const qp = host.qp as TcpQpair;
      expect([qp.headerDigest, qp.dataDigest]).toEqual([hdgst, ddgst]);
      const small = randomBytes(2048, 6);
      const large = randomBytes(40 * BLOCK_SIZE, 7);
      await host.command(rw(OPC_WRITE, 1, 0, small.length), small);
      await host.command(rw(OPC_WRITE, 2, 64, large.length), large);
      const backSmall = Buffer.alloc(small.length);
      const backLarge = Buffer.alloc(large.length);
      await Promise.all([
        host.command(rw(OPC_READ, 3, 0, small.length), backSmall),
        host.command(rw(OPC_READ, 4, 64, large.length), backLarge),
      ]);
      expect(backSmall.equals(small)).toBe(true);
      expect(backLarge.equals(large)).toBe(true);
      expect(log.inCapsuleWrites).toBe(1);
      expect(log.h2cPdus).toEqual([8192, 8192, 4096]);
      expect(t.connections[0]!.protocolError).toBeNull();
    });
  }

  it('runs without digests when the controller declines the ones asked for', async () => {
    const t = await memoryTarget({ hdgst: false, ddgst: false });
    const host = await open(t.port, { headerDigest: true, dataDigest: true });
    const qp = host.qp as TcpQpair;
    expect([qp.headerDigest, qp.dataDigest]).toEqual([false, false]);
    const data = randomBytes(1024, 8);
    await host.command(rw(OPC_WRITE, 1, 0, 1024), data);
    const back = Buffer.alloc(1024);
    await host.command(rw(OPC_READ, 1, 0, 1024), back);
    expect(back.equals(data)).toBe(true);
  });
});

describe('TCP queue pair: batching', () => {
  it('writes every CapsuleCmd queued in one tick with a single socket write', async () => {
    let hostConn: FakeConnection | null = null;
    const blocks = new Map<number, Buffer>();
    const t = await FakeTarget.start((c) => {
      hostConn = c;
      return serveMemory(c, blocks);
    });
    targets.push(t);
    const host = await open(t.port, { qsize: 64 });
    const write = vi.spyOn(Socket.prototype, 'write');
    try {
      const reads = [];
      for (let cid = 0; cid < 32; cid++) reads.push(host.command(rw(OPC_READ, cid, cid, 512), Buffer.alloc(512)));
      await new Promise((resolve) => process.nextTick(resolve));
      const fromHost = write.mock.contexts.filter((s) => s !== hostConn!.socket);
      expect(fromHost.length).toBe(1);
      await Promise.all(reads);
    } finally {
      write.mockRestore();
    }
  });

  it('sends a large write payload from the caller’s own buffer (no copy), small ones copied behind the header', async () => {
    const t = await memoryTarget({ maxh2cdata: 1 << 20 });
    const host = await open(t.port, { inCapsuleDataSize: 4096 });
    const large = randomBytes(64 * 1024, 9);
    const small = randomBytes(2048, 10);
    const write = vi.spyOn(Socket.prototype, 'write');
    try {
      await host.command(rw(OPC_WRITE, 1, 0, large.length), large);
      await host.command(rw(OPC_WRITE, 2, 200, small.length), small);
      const chunks = write.mock.calls.map((c) => c[0]);
      expect(chunks.filter((c) => c === large).length).toBe(1);
      expect(chunks.some((c) => c === small)).toBe(false);
    } finally {
      write.mockRestore();
    }
  });

  it('completes a full queue of pipelined R2T writes, then of SUCCESS-flag reads', async () => {
    const t = await memoryTarget({ c2hSuccess: true, maxh2cdata: 4096 });
    const host = await open(t.port, { qsize: 128, inCapsuleDataSize: 2048 });
    const data = randomBytes(127 * 4096, 10);
    await Promise.all(
      Array.from({ length: 127 }, (_, i) => host.command(rw(OPC_WRITE, i, i * 8, 4096), data.subarray(i * 4096, (i + 1) * 4096))),
    );
    const back = Buffer.alloc(data.length);
    await Promise.all(
      Array.from({ length: 127 }, (_, i) => host.command(rw(OPC_READ, i, i * 8, 4096), back.subarray(i * 4096, (i + 1) * 4096))),
    );
    expect(back.equals(data)).toBe(true);
    expect(host.completions.every((c) => c.sc === 0 && c.sct === 0)).toBe(true);
  });
});
