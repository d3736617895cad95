import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeDsmRanges, decodeReadWrite, IoCdw12Flag } from '../../../src/spec/commands.js';
import { encodeCqe } from '../../../src/spec/cqe.js';
import { CommandTimeoutError, ProtocolError, TransportError } from '../../../src/spec/errors.js';
import { AdminOpcode, IoOpcode } from '../../../src/spec/opcodes.js';
import { SqeOffset } from '../../../src/spec/sqe.js';
import { GenericStatus, NvmeStatusError, StatusCodeType } from '../../../src/spec/status.js';
import { QueuePair, type QueuePairOptions } from '../../../src/nvme-driver/queue-pair.js';
import { FakeController, FakeQpair } from './fake-controller.js';

const NSID = 1;
const BLOCK = 512;

function setup(qsize = 8, maxTransferSize = 1 << 20, opts: Partial<QueuePairOptions> = {}) {
  const ctrl = new FakeController();
  ctrl.addNamespace(NSID, 2048);
  const fq = new FakeQpair(ctrl, 1, qsize, maxTransferSize);
  const qp = new QueuePair(fq, { commandTimeoutMs: 0, ...opts });
  return { ctrl, fq, qp };
}

function pattern(blocks: number, seed: number): Buffer {
  const b = Buffer.alloc(blocks * BLOCK);
  for (let i = 0; i < b.length; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

const cids = (ctrl: FakeController, opc: number) => ctrl.commands(opc, 1).map((r) => r.sqe.readUInt16LE(SqeOffset.CID));

afterEach(() => {
  vi.useRealTimers();
});

describe('QueuePair I/O', () => {
  it('writes, reads back, compares, writes zeroes, flushes and trims with real SQE encodings', async () => {
    const { ctrl, qp } = setup();
    const data = pattern(8, 3);
    await qp.writeAsync(NSID, 100, 8, data, IoCdw12Flag.FUA);
    const back = Buffer.alloc(8 * BLOCK);
    await qp.readAsync(NSID, 100, 8, back);
    expect(back.equals(data)).toBe(true);
    await qp.compareAsync(NSID, 100, 8, data);
    await qp.writeZeroesAsync(NSID, 100, 4);
    await qp.readAsync(NSID, 100, 8, back);
    expect(back.subarray(0, 4 * BLOCK).every((x) => x === 0)).toBe(true);
    expect(back.subarray(4 * BLOCK).equals(data.subarray(4 * BLOCK))).toBe(true);
    await qp.flushAsync(NSID);
    await qp.dsmAsync(NSID, [{ slba: 0, nlb: 16 }, { slba: 64, nlb: 8 }]);

    const write = decodeReadWrite(ctrl.commands(IoOpcode.WRITE)[0]!.sqe);
    expect(write).toMatchObject({ opc: IoOpcode.WRITE, nsid: NSID, slba: 100, nlb: 8, fua: true });
    const dsm = ctrl.commands(IoOpcode.DATASET_MANAGEMENT)[0]!;
    expect(dsm.sqe.readUInt32LE(SqeOffset.CDW10)).toBe(1);
    expect(dsm.sqe.readUInt32LE(SqeOffset.CDW11)).toBe(4);
    expect(decodeDsmRanges(dsm.data!)).toEqual([
      { cattr: 0, nlb: 16, slba: 0 },
      { cattr: 0, nlb: 8, slba: 64 },
    ]);
  });

  it('reports a failed status as NvmeStatusError naming the command in trace format', async () => {
    const { qp } = setup();
    const err = await qp.readAsync(NSID, 2047, 2, Buffer.alloc(2 * BLOCK)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NvmeStatusError);
    expect((err as NvmeStatusError).sc).toBe(GenericStatus.LBA_OUT_OF_RANGE);
    expect((err as NvmeStatusError).message).toMatch(/^READ sqid:1 cid:\d+ nsid:1 lba:2047 len:2: LBA OUT OF RANGE \(00\/80\)/);
    const cmp = await qp.compareAsync(NSID, 0, 1, Buffer.alloc(BLOCK, 1)).catch((e: unknown) => e);
    expect((cmp as NvmeStatusError).statusName).toBe('COMPARE FAILURE');
  });

  it("keeps the completion's dword 0 on the status error", async () => {
    const { ctrl, qp } = setup();
    ctrl.hold.add(IoOpcode.READ);
    const done = qp.readAsync(NSID, 0, 1, Buffer.alloc(BLOCK)).catch((e: unknown) => e);
    ctrl.release(() => true, { cdw0: 0x1234_5678, status: { sct: StatusCodeType.GENERIC, sc: GenericStatus.INTERNAL_ERROR } });
    const err = (await done) as NvmeStatusError;
    expect(err).toBeInstanceOf(NvmeStatusError);
    expect(err.cdw0).toBe(0x1234_5678);
  });

  it('reuses the same CID for sequential commands', async () => {
    const { ctrl, qp } = setup();
    const buf = Buffer.alloc(BLOCK);
    for (let i = 0; i < 5; i++) await qp.readAsync(NSID, i, 1, buf);
    expect(new Set(cids(ctrl, IoOpcode.READ))).toEqual(new Set([0]));
  });

  it('keeps at most qsize-1 commands outstanding and queues the rest in order', async () => {
    const { ctrl, qp } = setup(4);
    ctrl.hold.add(IoOpcode.WRITE);
    const done: number[] = [];
    const all = Array.from({ length: 10 }, (_, i) =>
      qp.writeAsync(NSID, i, 1, pattern(1, i)).then(() => done.push(i)),
    );
    expect(qp.outstanding).toBe(3);
    expect(qp.queued).toBe(7);
    expect(ctrl.held).toHaveLength(3);
    expect(new Set(cids(ctrl, IoOpcode.WRITE))).toEqual(new Set([0, 1, 2]));
    while (ctrl.held.length > 0) {
      ctrl.release();
      await new Promise((r) => setImmediate(r));
      expect(qp.outstanding).toBeLessThanOrEqual(3);
    }
    await Promise.all(all);
    expect(done).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(ctrl.commands(IoOpcode.WRITE).map((r) => decodeReadWrite(r.sqe).slba)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Math.max(...cids(ctrl, IoOpcode.WRITE))).toBe(2);
  });

  it('sends a command submitted from a completion callback after those already waiting', async () => {
    const { ctrl, qp } = setup(2);
    const buf = Buffer.alloc(BLOCK);
    const last = new Promise<void>((resolve) => {
      qp.read(NSID, 0, 1, buf, () => qp.read(NSID, 3, 1, buf, () => resolve()));
    });
    qp.read(NSID, 1, 1, buf, () => undefined);
    qp.read(NSID, 2, 1, buf, () => undefined);
    expect(qp.queued).toBe(2);
    await last;
    expect(ctrl.commands(IoOpcode.READ).map((r) => decodeReadWrite(r.sqe).slba)).toEqual([0, 1, 2, 3]);
  });

  it('splits a transfer larger than the maximum into child commands and completes once', async () => {
    const { ctrl, qp } = setup(4, 8 * BLOCK);
    const data = pattern(30, 9);
    const cb = vi.fn();
    qp.write(NSID, 10, 30, data, cb);
    await vi.waitFor(() => expect(cb).toHaveBeenCalled());
    expect(cb).toHaveBeenCalledTimes(1);
    expect(cb).toHaveBeenCalledWith(null, 0, 0);
    const writes = ctrl.commands(IoOpcode.WRITE).map((r) => ({ ...decodeReadWrite(r.sqe), bytes: r.data!.length }));
    expect(writes.map((w) => [w.slba, w.nlb, w.bytes])).toEqual([
      [10, 8, 4096],
      [18, 8, 4096],
      [26, 8, 4096],
      [34, 6, 3072],
    ]);
    const back = Buffer.alloc(30 * BLOCK);
    await qp.readAsync(NSID, 10, 30, back);
    expect(back.equals(data)).toBe(true);
    expect(ctrl.commands(IoOpcode.READ)).toHaveLength(4);
  });

  it('fails a split command once, with the first child error', async () => {
    const { qp } = setup(8, 8 * BLOCK);
    const cb = vi.fn();
    qp.read(NSID, 2040, 24, Buffer.alloc(24 * BLOCK), cb);
    await vi.waitFor(() => expect(cb).toHaveBeenCalled());
    await new Promise((r) => setImmediate(r));
    expect(cb).toHaveBeenCalledTimes(1);
    const err = cb.mock.calls[0]![0] as NvmeStatusError;
    expect(err.message).toMatch(/^READ sqid:1 cid:\d+ nsid:1 lba:2048 len:8: LBA OUT OF RANGE/);
  });

  it('rejects bad block ranges synchronously', () => {
    const { qp } = setup();
    expect(() => qp.read(NSID, 0, 0, Buffer.alloc(0), () => undefined)).toThrow(RangeError);
    expect(() => qp.read(NSID, -1, 1, Buffer.alloc(BLOCK), () => undefined)).toThrow(RangeError);
  });
});

describe('QueuePair on a polled transport', () => {
  it('completes only when processCompletions reaps, and returns the count', async () => {
    const { fq, qp } = setup();
    fq.polled = true;
    const cb = vi.fn();
    qp.flush(NSID, cb);
    qp.flush(NSID, cb);
    await new Promise((r) => setImmediate(r));
    expect(cb).not.toHaveBeenCalled();
    expect(qp.processCompletions(1)).toBe(1);
    expect(qp.processCompletions(0)).toBe(1);
    expect(cb).toHaveBeenCalledTimes(2);
  });

  it('polls on its own with autoPoll (the admin queue), without the caller reaping', async () => {
    const ctrl = new FakeController();
    const fq = new FakeQpair(ctrl, 0, 8, 1 << 20);
    fq.polled = true;
    const admin = new QueuePair(fq, { commandTimeoutMs: 0, autoPoll: true });
    await expect(admin.rawAsync({ opc: AdminOpcode.KEEP_ALIVE })).resolves.toEqual({ cdw0: 0, cdw1: 0 });
    expect(ctrl.keepAlives).toBe(1);
    await admin.free();
  });
});

describe('QueuePair failure', () => {
  it('fails every outstanding and queued command exactly once on onFatal', async () => {
    const { ctrl, fq, qp } = setup(4);
    ctrl.hold.add(IoOpcode.READ);
    const onFatal = vi.fn();
    const qp2 = new QueuePair(new FakeQpair(ctrl, 2, 4, 1 << 20), { commandTimeoutMs: 0, onFatal });
    const cbs = Array.from({ length: 6 }, () => vi.fn());
    cbs.forEach((cb, i) => qp.read(NSID, i, 1, Buffer.alloc(BLOCK), cb));
    const splitCb = vi.fn();
    qp.read(NSID, 0, 3000, Buffer.alloc(3000 * BLOCK), splitCb);
    const lost = new TransportError('connection reset', 'ECONNRESET');
    fq.die(lost);
    fq.die(lost);
    for (const cb of [...cbs, splitCb]) {
      expect(cb).toHaveBeenCalledTimes(1);
      expect(cb.mock.calls[0]![0]).toBe(lost);
    }
    expect(qp.failedReason).toBe(lost);
    expect(qp.outstanding).toBe(0);
    expect(qp.queued).toBe(0);
    // The other queue pair is unaffected.
    await qp2.flushAsync(NSID);
    expect(onFatal).not.toHaveBeenCalled();
    // Later submissions fail asynchronously with the same error.
    const late = vi.fn();
    qp.read(NSID, 0, 1, Buffer.alloc(BLOCK), late);
    expect(late).not.toHaveBeenCalled();
    await new Promise((r) => process.nextTick(r));
    expect(late).toHaveBeenCalledWith(lost, 0, 0);
  });

  it('treats a completion for a CID that is not outstanding as fatal', async () => {
    const { ctrl, fq, qp } = setup();
    ctrl.hold.add(IoOpcode.READ);
    const onFatal = vi.fn();
    const qp3 = new QueuePair(fq, { commandTimeoutMs: 0, onFatal });
    const p = qp3.readAsync(NSID, 0, 1, Buffer.alloc(BLOCK));
    fq.events.onCompletion(encodeCqe({ cid: 77 }), 0);
    await expect(p).rejects.toBeInstanceOf(ProtocolError);
    expect(onFatal).toHaveBeenCalledTimes(1);
    expect(qp.outstanding).toBe(0);
  });

  it('free() fails what is left with ABORTED - SQ DELETION and closes the transport queue', async () => {
    const { ctrl, fq, qp } = setup(2);
    ctrl.hold.add(IoOpcode.READ);
    const a = qp.readAsync(NSID, 0, 1, Buffer.alloc(BLOCK)).catch((e: unknown) => e);
    const b = qp.readAsync(NSID, 1, 1, Buffer.alloc(BLOCK)).catch((e: unknown) => e);
    await qp.free();
    for (const err of [await a, await b]) {
      expect(err).toBeInstanceOf(NvmeStatusError);
      expect((err as NvmeStatusError).sct).toBe(StatusCodeType.GENERIC);
      expect((err as NvmeStatusError).sc).toBe(GenericStatus.ABORTED_SQ_DELETION);
    }
    expect(fq.closed).toBe(true);
  });
});

describe('QueuePair timeouts', () => {
  it('fails a command that gets no completion with CommandTimeoutError, asks for an Abort, and swallows the late completion', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const onTimeout = vi.fn();
    const { ctrl, qp } = setup(4, 1 << 20, { commandTimeoutMs: 1000, onTimeout });
    ctrl.hold.add(IoOpcode.READ);
    const cb = vi.fn();
    qp.read(NSID, 5, 1, Buffer.alloc(BLOCK), cb);
    await vi.advanceTimersByTimeAsync(900);
    expect(cb).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(400);
    expect(cb).toHaveBeenCalledTimes(1);
    const err = cb.mock.calls[0]![0] as CommandTimeoutError;
    expect(err).toBeInstanceOf(CommandTimeoutError);
    expect(err.message).toBe('READ sqid:1 cid:0 nsid:1 lba:5 len:1: no completion after 1000 ms');
    expect(onTimeout).toHaveBeenCalledWith(1, 0, IoOpcode.READ);
    // The CID stays reserved until the controller answers it.
    ctrl.hold.delete(IoOpcode.READ);
    await qp.readAsync(NSID, 6, 1, Buffer.alloc(BLOCK));
    expect(cids(ctrl, IoOpcode.READ)).toEqual([0, 1]);
    ctrl.release(() => true, { status: { sct: 0, sc: GenericStatus.ABORTED_BY_REQUEST } });
    expect(cb).toHaveBeenCalledTimes(1);
    expect(qp.failedReason).toBeNull();
    await qp.readAsync(NSID, 7, 1, Buffer.alloc(BLOCK));
    expect(cids(ctrl, IoOpcode.READ)).toEqual([0, 1, 0]);
    await qp.free();
  });
});

describe('QueuePair trace', () => {
  it("prints commands and completions in SPDK's format", async () => {
    const lines: string[] = [];
    const { qp } = setup(8, 1 << 20, { trace: (l) => lines.push(l) });
    await qp.readAsync(NSID, 0, 8, Buffer.alloc(8 * BLOCK));
    await qp.writeZeroesAsync(NSID, 8, 8);
    await qp.flushAsync(NSID);
    await qp.readAsync(NSID, 2047, 2, Buffer.alloc(2 * BLOCK)).catch(() => undefined);
    expect(lines).toEqual([
      'READ sqid:1 cid:0 nsid:1 lba:0 len:8',
      'SUCCESS (00/00) qid:1 cid:0 cdw0:0 sqhd:0001 p:0 m:0 dnr:0',
      'WRITE ZEROES (08) sqid:1 cid:0 nsid:1',
      'SUCCESS (00/00) qid:1 cid:0 cdw0:0 sqhd:0002 p:0 m:0 dnr:0',
      'FLUSH sqid:1 cid:0 nsid:1',
      'SUCCESS (00/00) qid:1 cid:0 cdw0:0 sqhd:0003 p:0 m:0 dnr:0',
      'READ sqid:1 cid:0 nsid:1 lba:2047 len:2',
      'LBA OUT OF RANGE (00/80) qid:1 cid:0 cdw0:0 sqhd:0004 p:0 m:0 dnr:1',
    ]);
  });
});
