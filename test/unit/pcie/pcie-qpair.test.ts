import { describe, expect, it } from 'vitest';
import { CSTS_CHECK_MS, PcieQpair, qpairLayout } from '../../../src/transport/pcie/pcie-qpair.js';
import { TransportError } from '../../../src/spec/errors.js';
import { encodeCqe, CQE_SIZE } from '../../../src/spec/cqe.js';
import { encodeSqe, SQE_SIZE, SqeOffset } from '../../../src/spec/sqe.js';
import { doorbellOffset, encodeCsts, Register } from '../../../src/spec/registers.js';
import { DmaAllocator, type DmaRegion } from '../../../src/transport/pcie/dma-memory.js';
import { fakeLibc } from './fake-libc.js';

const PAGE = 4096;
const MAX = 128 * 1024;
const IOVA = 0x20_0000;

/**
 * A queue pair on plain memory: a Buffer stands in for its DMA region and a
 * Uint32Array for BAR0. The test plays the controller: it reads SQEs out of the
 * ring, follows PRPs into the "device" view of memory and posts CQEs with the phase tag.
 */
function setup(qsize = 4, qid = 1, dstrd = 0) {
  const layout = qpairLayout(qsize, MAX, PAGE);
  const mem = Buffer.alloc(layout.totalBytes);
  const bar = new Uint32Array(0x2000 / 4);
  const completions: { cid: number; status: number }[] = [];
  let released = 0;
  const qp = new PcieQpair({
    qid,
    qsize,
    pageSize: PAGE,
    maxTransferSize: MAX,
    memory: { buf: mem, iova: IOVA },
    bar,
    sqDoorbell: doorbellOffset(qid, false, dstrd),
    cqDoorbell: doorbellOffset(qid, true, dstrd),
    interruptVector: null,
    release: () => released++,
    device: '0000:04:00.0',
  });
  qp.events = {
    onCompletion: (cqe, offset) => completions.push({ cid: cqe.readUInt16LE(offset + 12), status: cqe.readUInt16LE(offset + 14) >> 1 }),
    onFatal: (err) => {
      throw err;
    },
  };
  const device = {
    sqTail: () => bar[doorbellOffset(qid, false, dstrd) / 4]!,
    cqHead: () => bar[doorbellOffset(qid, true, dstrd) / 4]!,
    sqe: (index: number) => mem.subarray(layout.sqOffset + index * SQE_SIZE, layout.sqOffset + (index + 1) * SQE_SIZE),
    /** Device memory at an IOVA. */
    at: (iova: number, length: number) => mem.subarray(iova - IOVA, iova - IOVA + length),
    /** Posts a CQE at `index` with phase `p`. */
    post: (index: number, cid: number, p: number, sc = 0) => encodeCqe({ cid, sqid: qid, sqhd: 0, sc, p }, mem, layout.cqOffset + index * CQE_SIZE),
  };
  return { qp, mem, bar, layout, device, completions, released: () => released };
}

function command(opc: number, cid: number): Buffer {
  return encodeSqe({ opc, cid, nsid: 1, cdw10: 8 });
}

const prp = (sqe: Buffer, which: 1 | 2): number => Number(sqe.readBigUInt64LE(which === 1 ? SqeOffset.PRP1 : SqeOffset.PRP2));

describe('qpairLayout', () => {
  it('puts SQ, CQ, PRP list pages and bounce buffers on page boundaries, one list page and one bounce buffer per slot', () => {
    const l = qpairLayout(128, MAX, PAGE);
    expect(l.sqOffset).toBe(0);
    expect(l.cqOffset).toBe(128 * 64);
    expect(l.prpListOffset).toBe(l.cqOffset + PAGE);
    expect(l.bounceOffset).toBe(l.prpListOffset + 127 * PAGE);
    expect(l.totalBytes).toBe(l.bounceOffset + 127 * MAX);
    for (const v of Object.values(l)) expect(v % PAGE).toBe(0);
  });
});

describe('PcieQpair', () => {
  it('exposes the ring addresses for Create I/O CQ / SQ', () => {
    const { qp, layout } = setup();
    expect(qp.queueMemory).toEqual({ sqIova: IOVA, cqIova: IOVA + layout.cqOffset, interruptVector: null });
    expect(qp.inCapsuleDataSize).toBe(0);
  });

  it('writes SQEs into the ring and rings the SQ tail doorbell once per poll, not per submit', () => {
    const { qp, device } = setup(8);
    qp.submit(command(0x00, 0), null);
    qp.submit(command(0x00, 1), null);
    qp.submit(command(0x00, 2), null);
    expect(device.sqTail()).toBe(0);
    expect(qp.processCompletions(0)).toBe(0);
    expect(device.sqTail()).toBe(3);
    expect([0, 1, 2].map((i) => device.sqe(i).readUInt16LE(SqeOffset.CID))).toEqual([0, 1, 2]);
  });

  it('places the doorbells by QID and DSTRD', () => {
    const { qp, bar } = setup(4, 3, 2);
    qp.submit(command(0x00, 0), null);
    qp.processCompletions(0);
    expect(bar[(0x1000 + 2 * 3 * 16) / 4]).toBe(1);
    expect(bar.filter((v) => v !== 0)).toHaveLength(1);
  });

  it('copies write data into the slot bounce buffer and points PRP1 at it (one page: PRP2 = 0)', () => {
    const { qp, device } = setup();
    const data = Buffer.alloc(4096, 0xab);
    const sqe = command(0x01, 2);
    sqe.writeBigUInt64LE(0xdeadn, SqeOffset.PRP2);
    sqe[SqeOffset.FLAGS] = 0x40; // PSDT = SGL: the transport must reset it to PRP
    qp.submit(sqe, data);
    const posted = device.sqe(0);
    expect(posted[SqeOffset.FLAGS]! >> 6).toBe(0);
    expect(prp(posted, 2)).toBe(0);
    expect(device.at(prp(posted, 1), 4096).equals(data)).toBe(true);
  });

  it('uses PRP2 as the second page for 8 KiB and a PRP list for 128 KiB, in the slot of the CID', () => {
    const { qp, device, layout } = setup();
    qp.submit(command(0x01, 1), Buffer.alloc(8192, 1));
    const two = device.sqe(0);
    expect(prp(two, 2)).toBe(prp(two, 1) + PAGE);
    const big = Buffer.alloc(MAX);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(i, i);
    qp.submit(command(0x01, 2), big);
    const sqe = device.sqe(1);
    expect(prp(sqe, 1)).toBe(IOVA + layout.bounceOffset + 2 * MAX);
    expect(prp(sqe, 2)).toBe(IOVA + layout.prpListOffset + 2 * PAGE);
    const list = device.at(prp(sqe, 2), 31 * 8);
    const pages = [prp(sqe, 1), ...Array.from({ length: 31 }, (_, i) => Number(list.readBigUInt64LE(i * 8)))];
    const gathered = Buffer.concat(pages.map((iova) => device.at(iova, PAGE)));
    expect(gathered.equals(big)).toBe(true);
  });

  it('keeps DPTR as given for commands without data (Create I/O CQ carries its PRP1)', () => {
    const { qp, device } = setup();
    const sqe = command(0x05, 0);
    sqe.writeBigUInt64LE(0x123000n, SqeOffset.PRP1);
    qp.submit(sqe, null);
    expect(prp(device.sqe(0), 1)).toBe(0x123000);
  });

  it('copies read data out of the bounce buffer when the completion arrives', () => {
    const { qp, device, completions } = setup();
    const dest = Buffer.alloc(4096);
    qp.submit(command(0x02, 1), dest);
    qp.processCompletions(0);
    device.at(prp(device.sqe(0), 1), 4096).fill(0x5a);
    expect(dest[0]).toBe(0);
    device.post(0, 1, 1);
    expect(qp.processCompletions(0)).toBe(1);
    expect(completions).toEqual([{ cid: 1, status: 0 }]);
    expect(dest.equals(Buffer.alloc(4096, 0x5a))).toBe(true);
  });

  it('consumes CQEs only while the phase tag matches, flips the phase at the wrap, and writes the CQ head once per poll', () => {
    const { qp, device, completions } = setup(4);
    for (let cid = 0; cid < 3; cid++) qp.submit(command(0x00, cid), null);
    qp.processCompletions(0);
    device.post(0, 0, 1);
    device.post(1, 1, 1);
    expect(qp.processCompletions(0)).toBe(2);
    expect(device.cqHead()).toBe(2);
    device.post(2, 2, 1);
    // Entry 3 still holds phase 0 from the zeroed ring: not new.
    expect(qp.processCompletions(0)).toBe(1);
    expect(device.cqHead()).toBe(3);
    for (let cid = 0; cid < 3; cid++) qp.submit(command(0x00, cid), null);
    qp.processCompletions(0);
    expect(device.sqTail()).toBe(2); // 3 + 3 wraps at qsize 4
    device.post(3, 0, 1);
    device.post(0, 1, 0); // second pass over the ring: phase 0 is new now
    device.post(1, 2, 1); // stale phase from the first pass: stop here
    expect(qp.processCompletions(0)).toBe(2);
    expect(device.cqHead()).toBe(1);
    expect(completions.map((c) => c.cid)).toEqual([0, 1, 2, 0, 1]);
  });

  it('reaps at most maxCompletions', () => {
    const { qp, device } = setup(8);
    for (let cid = 0; cid < 3; cid++) qp.submit(command(0x00, cid), null);
    qp.processCompletions(0);
    for (let i = 0; i < 3; i++) device.post(i, i, 1);
    expect(qp.processCompletions(2)).toBe(2);
    expect(device.cqHead()).toBe(2);
    expect(qp.processCompletions(0)).toBe(1);
  });

  it('rings the SQ doorbell again for commands submitted from a completion callback', () => {
    const { qp, device } = setup(8);
    qp.events = { onCompletion: () => qp.submit(command(0x00, 1), null), onFatal: () => undefined };
    qp.submit(command(0x00, 0), null);
    qp.processCompletions(0);
    device.post(0, 0, 1);
    qp.processCompletions(0);
    expect(device.sqTail()).toBe(2);
  });

  it('refuses data larger than a slot and releases its memory once on close', async () => {
    const { qp, released } = setup();
    expect(() => qp.submit(command(0x01, 0), Buffer.alloc(MAX + 512))).toThrow(RangeError);
    await qp.close();
    await qp.close();
    expect(released()).toBe(1);
    expect(qp.processCompletions(0)).toBe(0);
  });

  it('empties its rings on resetRings: the next command goes to SQ entry 0 and phase 1 is new again', () => {
    const { qp, device, completions } = setup(4);
    for (let cid = 0; cid < 3; cid++) qp.submit(command(0x00, cid), null);
    qp.processCompletions(0);
    device.post(0, 0, 1);
    device.post(1, 1, 1);
    expect(qp.processCompletions(0)).toBe(2);
    qp.resetRings();
    // The controller forgot the queue and its doorbells with CC.EN = 0.
    device.sqe(0).fill(0);
    qp.submit(command(0x00, 2), null);
    qp.processCompletions(0);
    expect(device.sqTail()).toBe(1);
    expect(device.sqe(0).readUInt16LE(SqeOffset.CID)).toBe(2);
    device.post(0, 2, 1);
    expect(qp.processCompletions(0)).toBe(1);
    expect(device.cqHead()).toBe(1);
    expect(completions.map((c) => c.cid)).toEqual([0, 1, 2]);
  });
});

describe('PcieQpair controller health', () => {
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  function failing(cstsValue: number) {
    const t = setup(4);
    const fatal: Error[] = [];
    t.qp.events = { onCompletion: () => undefined, onFatal: (err) => fatal.push(err) };
    t.bar[Register.CSTS / 4] = cstsValue;
    return { ...t, fatal };
  }

  it('reads CSTS on an idle poll and reports CFS = 1 once, as a TransportError naming the controller fatal status', async () => {
    const { qp, fatal } = failing(encodeCsts({ rdy: true, cfs: true }));
    qp.submit(command(0x02, 0), Buffer.alloc(512));
    await sleep(CSTS_CHECK_MS + 20);
    expect(qp.processCompletions(0)).toBe(0);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toBeInstanceOf(TransportError);
    expect(fatal[0]!.message).toMatch(/^0000:04:00\.0: controller fatal status \(CSTS\.CFS=1\).*Controller\.reset\(\)/);
    await sleep(CSTS_CHECK_MS + 20);
    qp.processCompletions(0);
    expect(fatal).toHaveLength(1);
  });

  it('says the controller is gone when CSTS reads all ones', async () => {
    const { qp, fatal } = failing(0xffff_ffff);
    await sleep(CSTS_CHECK_MS + 20);
    qp.processCompletions(0);
    expect(fatal.map((e) => (e as TransportError).code)).toEqual(['ENODEV']);
    expect(fatal[0]!.message).toMatch(/controller is gone \(CSTS reads 0xffffffff/);
  });

  it('leaves a ready controller alone, and reports again after a reset that found it failed', async () => {
    const { qp, bar, fatal } = failing(encodeCsts({ rdy: true }));
    await sleep(CSTS_CHECK_MS + 20);
    qp.processCompletions(0);
    expect(fatal).toEqual([]);
    bar[Register.CSTS / 4] = encodeCsts({ rdy: true, cfs: true });
    await sleep(CSTS_CHECK_MS + 20);
    qp.processCompletions(0);
    qp.resetRings();
    await sleep(CSTS_CHECK_MS + 20);
    qp.processCompletions(0);
    expect(fatal).toHaveLength(2);
  });
});

describe('PcieQpair with DMA memory of the user (allocDmaBuffer)', () => {
  /** A DMA region from the real allocator on plain memory; the controller reaches it at `region.iova`. */
  function dmaRegion(size: number): DmaRegion {
    return new DmaAllocator(fakeLibc(), { map: () => undefined, unmap: () => undefined }).alloc(size);
  }
  const bounceSlot = (mem: Buffer, layout: ReturnType<typeof qpairLayout>, slot: number) => mem.subarray(layout.bounceOffset + slot * MAX, layout.bounceOffset + (slot + 1) * MAX);

  it('points PRP1 at a DMA buffer and builds the PRP list from its own pages, copying nothing', () => {
    const { qp, mem, layout, device } = setup();
    const region = dmaRegion(256 * 1024);
    const data = region.buf.subarray(PAGE, PAGE + MAX).fill(0xab);
    qp.submit(command(0x01, 1), data);
    const sqe = device.sqe(0);
    expect(prp(sqe, 1)).toBe(region.iova + PAGE);
    expect(prp(sqe, 2)).toBe(IOVA + layout.prpListOffset + PAGE);
    const list = device.at(prp(sqe, 2), 31 * 8);
    expect(Array.from({ length: 31 }, (_, i) => Number(list.readBigUInt64LE(i * 8)))).toEqual(Array.from({ length: 31 }, (_, i) => region.iova + (i + 2) * PAGE));
    expect(bounceSlot(mem, layout, 1).every((b) => b === 0)).toBe(true);
  });

  it('starts PRP1 inside a page for a subarray at an offset, PRP2 at the next page of the buffer', () => {
    const { qp, device } = setup();
    const region = dmaRegion(4 * PAGE);
    qp.submit(command(0x01, 0), region.buf.subarray(PAGE + 512, 2 * PAGE + 512));
    expect(prp(device.sqe(0), 1)).toBe(region.iova + PAGE + 512);
    expect(prp(device.sqe(0), 2)).toBe(region.iova + 2 * PAGE);
  });

  it('lets the controller read straight into the DMA buffer: nothing is copied on completion', () => {
    const { qp, mem, layout, device, completions } = setup();
    const region = dmaRegion(2 * PAGE);
    const dest = region.buf.subarray(PAGE);
    qp.submit(command(0x02, 2), dest);
    qp.processCompletions(0);
    expect(prp(device.sqe(0), 1)).toBe(region.iova + PAGE);
    // The controller's DMA lands in the buffer; a copy out of the slot would overwrite it with 0xee.
    region.buf.fill(0x5a, PAGE);
    bounceSlot(mem, layout, 2).fill(0xee);
    device.post(0, 2, 1);
    expect(qp.processCompletions(0)).toBe(1);
    expect(completions).toEqual([{ cid: 2, status: 0 }]);
    expect(dest.every((b) => b === 0x5a)).toBe(true);
  });

  it('bounces a view of DMA memory that is not dword aligned (PRP1 bits 1:0 are reserved), and a plain Buffer', () => {
    const { qp, layout, device } = setup();
    const region = dmaRegion(2 * PAGE);
    const odd = region.buf.subarray(2, 2 + 512).fill(0x11);
    qp.submit(command(0x01, 0), odd);
    qp.submit(command(0x01, 1), Buffer.alloc(512, 0x22));
    expect(prp(device.sqe(0), 1)).toBe(IOVA + layout.bounceOffset);
    expect(device.at(IOVA + layout.bounceOffset, 512).equals(odd)).toBe(true);
    expect(prp(device.sqe(1), 1)).toBe(IOVA + layout.bounceOffset + MAX);
  });
});
