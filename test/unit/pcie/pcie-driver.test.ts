/**
 * The driver over the real PCIe controller and queue pairs, with a device
 * model on plain memory instead of VFIO: BAR0 is a Uint32Array the model
 * watches (CC, AQA/ASQ/ACQ, doorbells), DMA memory comes from the real
 * allocator on plain memory and is reached through its IOMMU mappings,
 * SQEs are fetched from the rings, PRPs walked, CQEs posted with phase tags.
 * Commands other than queue management are answered by the driver tests'
 * FakeController. The proof against a real controller is the lab test
 * 30-pcie-nvme-vfio; this one pins the sequence the driver runs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, Controller } from '../../../src/nvme-driver/controller.js';
import { connectAll } from '../../../src/nvme-driver/discovery.js';
import { registerTransport } from '../../../src/transport/transport.js';
import type { ProbingTransport } from '../../../src/nvme-driver/transports.js';
import { InitContext, initialize } from '../../../src/nvme-driver/controller-init.js';
import { resolveOptions } from '../../../src/nvme-driver/options.js';
import { parseTransportId } from '../../../src/nvme-driver/transport-id.js';
import { CreateIoCq, CreateIoSq, decodeCommand, DeleteIoCq, DeleteIoSq, GetLogPage, decodeReadWrite } from '../../../src/spec/commands.js';
import { CQE_SIZE, encodeCqe } from '../../../src/spec/cqe.js';
import { AdminOpcode, IoOpcode } from '../../../src/spec/opcodes.js';
import { decodeAqa, decodeCc, doorbellOffset, encodeCap, encodeCsts, encodeVs, Register, ShutdownStatus } from '../../../src/spec/registers.js';
import { SQE_SIZE, SqeOffset } from '../../../src/spec/sqe.js';
import { GenericStatus } from '../../../src/spec/status.js';
import { DmaAllocator } from '../../../src/transport/pcie/dma-memory.js';
import { ConfigError } from '../../../src/spec/errors.js';
import { PcieController, type PcieDevice } from '../../../src/transport/pcie/pcie-controller.js';
import { SHARED_QPAIR_READY } from '../../../src/nvme-driver/descriptor.js';
import { FakeController, FakeTransport } from '../driver/fake-controller.js';
import { fakeLibc } from './fake-libc.js';

const PAGE = 4096;

interface Ring {
  iova: number;
  size: number;
  /** SQ: next entry to fetch; CQ: next entry to post. */
  index: number;
  phase: number;
  cqid: number;
}

/** An NVMe controller model behind a `PcieDevice`. */
class DeviceModel implements PcieDevice {
  readonly bar = new Uint32Array(0x2000 / 4);
  readonly barAddress = 0n;
  /** IOMMU mappings: IOVA -> the memory the device reaches there. */
  readonly regions = new Map<number, Buffer>();
  /** PRP1 of every I/O command with data, in the order fetched. */
  readonly dataPrp1s: number[] = [];
  /** Queue management and register events, in order. */
  readonly log: string[] = [];
  readonly faults: string[] = [];
  private readonly sqs = new Map<number, Ring>();
  private readonly cqs = new Map<number, Ring>();
  private ready = false;
  private running = true;
  /** Fetch no I/O commands (they stay outstanding). */
  hold = false;
  /** Report CSTS.CFS = 1 until the next CC.EN = 0. */
  fatal = false;

  constructor(readonly fake: FakeController) {
    const cap = encodeCap(fake.cap);
    this.bar[0] = Number(cap & 0xffff_ffffn);
    this.bar[1] = Number(cap >> 32n);
    this.bar[Register.VS / 4] = encodeVs(fake.vs);
    setImmediate(this.step);
  }

  private readonly libc = fakeLibc();
  readonly dma = new DmaAllocator(this.libc, {
    map: (vaddr, iova, size) => void this.regions.set(iova, Buffer.from(this.libc.memoryAt(vaddr), 0, size)),
    unmap: (iova) => void this.regions.delete(iova),
  });

  /** Made-up eventfds, one per vector: the model never signals them. */
  enableMsix(wanted: number): readonly number[] {
    return Array.from({ length: wanted }, (_, vector) => 1000 + vector);
  }

  close(): void {
    this.running = false;
    this.log.push('close');
  }

  /** `length` bytes of host memory at `iova`. */
  private at(iova: number, length: number): Buffer {
    for (const [start, buf] of this.regions) {
      if (iova >= start && iova + length <= start + buf.length) return buf.subarray(iova - start, iova - start + length);
    }
    this.faults.push(`DMA to unmapped IOVA 0x${iova.toString(16)} (+${length})`);
    return Buffer.alloc(length);
  }

  /** The pages a PRP1/PRP2 pair describes for `length` bytes. */
  private pages(sqe: Buffer, length: number): Buffer[] {
    const prp1 = Number(sqe.readBigUInt64LE(SqeOffset.PRP1));
    const prp2 = Number(sqe.readBigUInt64LE(SqeOffset.PRP2));
    const first = Math.min(length, PAGE - (prp1 % PAGE));
    const out = [this.at(prp1, first)];
    let left = length - first;
    const count = Math.ceil(left / PAGE);
    const entries = count <= 1 ? [prp2] : Array.from({ length: count }, (_, i) => Number(this.at(prp2 + i * 8, 8).readBigUInt64LE()));
    for (const page of entries) {
      if (left <= 0) break;
      out.push(this.at(page, Math.min(PAGE, left)));
      left -= PAGE;
    }
    return out;
  }

  private dataLength(qid: number, sqe: Buffer): number {
    const opc = sqe[SqeOffset.OPC]!;
    if (qid === 0) {
      if (opc === AdminOpcode.IDENTIFY) return 4096;
      if (opc === AdminOpcode.GET_LOG_PAGE) return decodeCommand(GetLogPage, sqe).numd * 4;
      return 0;
    }
    if (opc === IoOpcode.READ || opc === IoOpcode.WRITE) {
      const rw = decodeReadWrite(sqe);
      return rw.nlb * this.fake.namespaces.get(rw.nsid)!.blocks.length / Number(this.fake.namespaces.get(rw.nsid)!.data.nsze);
    }
    return 0;
  }

  private readonly step = (): void => {
    if (!this.running) return;
    const cc = decodeCc(this.bar[Register.CC / 4]!);
    if (cc.en && !this.ready) this.enable();
    if (!cc.en && this.ready) {
      // A controller reset: every queue and doorbell is gone, and so is a fatal status.
      this.log.push('disable');
      this.ready = false;
      this.fatal = false;
      this.sqs.clear();
      this.cqs.clear();
      this.bar.fill(0, 0x1000 / 4);
    }
    const shst = cc.shn !== 0 ? ShutdownStatus.COMPLETE : ShutdownStatus.NORMAL;
    if (cc.shn !== 0 && !this.log.includes('shutdown')) this.log.push('shutdown');
    this.bar[Register.CSTS / 4] = encodeCsts({ rdy: this.ready, shst, cfs: this.fatal });
    for (const [qid, sq] of this.sqs) {
      if (this.hold && qid !== 0) continue;
      const tail = this.bar[doorbellOffset(qid, false, 0) / 4]!;
      while (sq.index !== tail && this.sqs.has(qid)) {
        const sqe = Buffer.from(this.at(sq.iova + sq.index * SQE_SIZE, SQE_SIZE));
        sq.index = (sq.index + 1) % sq.size;
        this.execute(qid, sq, sqe);
      }
    }
    setImmediate(this.step);
  };

  private enable(): void {
    const aqa = decodeAqa(this.bar[Register.AQA / 4]!);
    const asq = this.bar[Register.ASQ / 4]!;
    const acq = this.bar[Register.ACQ / 4]!;
    if (asq === 0 || acq === 0) this.faults.push('CC.EN = 1 before ASQ/ACQ were programmed');
    this.log.push(`enable aqa=${aqa.asqs + 1}/${aqa.acqs + 1}`);
    // Doorbell writes while disabled are ignored: every queue starts from 0.
    this.bar.fill(0, 0x1000 / 4);
    this.sqs.set(0, { iova: asq, size: aqa.asqs + 1, index: 0, phase: 1, cqid: 0 });
    this.cqs.set(0, { iova: acq, size: aqa.acqs + 1, index: 0, phase: 1, cqid: 0 });
    this.ready = true;
  }

  private execute(qid: number, sq: Ring, sqe: Buffer): void {
    const opc = sqe[SqeOffset.OPC]!;
    if (qid === 0 && opc === AdminOpcode.ASYNC_EVENT_REQUEST) return;
    if (qid === 0 && this.queueCommand(sqe)) return this.post(sq.cqid, qid, sqe, {});
    const length = this.dataLength(qid, sqe);
    if (qid !== 0 && length > 0) this.dataPrp1s.push(Number(sqe.readBigUInt64LE(SqeOffset.PRP1)));
    const pages = length > 0 ? this.pages(sqe, length) : [];
    const data = length > 0 ? Buffer.concat(pages) : null;
    const answer = this.fake.execute(qid, sqe, data);
    if (data !== null && opc & 2) {
      let o = 0;
      for (const p of pages) o += data.copy(p, 0, o, o + p.length);
    }
    this.post(sq.cqid, qid, sqe, answer);
  }

  private queueCommand(sqe: Buffer): boolean {
    const opc = sqe[SqeOffset.OPC]!;
    if (opc === AdminOpcode.CREATE_IO_CQ) {
      const c = decodeCommand(CreateIoCq, sqe);
      this.log.push(`create cq ${c.qid} size ${c.qsize} pc ${c.pc} ien ${c.ien}`);
      this.cqs.set(c.qid, { iova: Number(c.prp1), size: c.qsize, index: 0, phase: 1, cqid: c.qid });
    } else if (opc === AdminOpcode.CREATE_IO_SQ) {
      const c = decodeCommand(CreateIoSq, sqe);
      this.log.push(`create sq ${c.qid} size ${c.qsize} cq ${c.cqid}`);
      if (!this.cqs.has(c.cqid)) this.faults.push(`SQ ${c.qid} created before its CQ ${c.cqid}`);
      this.sqs.set(c.qid, { iova: Number(c.prp1), size: c.qsize, index: 0, phase: 1, cqid: c.cqid });
    } else if (opc === AdminOpcode.DELETE_IO_SQ) {
      const qid = decodeCommand(DeleteIoSq, sqe).qid;
      this.log.push(`delete sq ${qid}`);
      this.sqs.delete(qid);
    } else if (opc === AdminOpcode.DELETE_IO_CQ) {
      const qid = decodeCommand(DeleteIoCq, sqe).qid;
      this.log.push(`delete cq ${qid}`);
      if (this.sqs.has(qid)) this.faults.push(`CQ ${qid} deleted before its SQ`);
      this.cqs.delete(qid);
    } else {
      return false;
    }
    return true;
  }

  private post(cqid: number, sqid: number, sqe: Buffer, answer: { cdw0?: number; status?: object }): void {
    const cq = this.cqs.get(cqid)!;
    const cid = sqe.readUInt16LE(SqeOffset.CID);
    encodeCqe({ cid, sqid, sqhd: 0, cdw0: answer.cdw0 ?? 0, ...answer.status, p: cq.phase }, this.at(cq.iova + cq.index * CQE_SIZE, CQE_SIZE));
    cq.index = (cq.index + 1) % cq.size;
    if (cq.index === 0) cq.phase ^= 1;
  }
}

let model: DeviceModel;
let ctrlr: Controller | undefined;

async function connectModel(enableInterrupts = false): Promise<Controller> {
  const fake = new FakeController();
  fake.addNamespace(1, 2048);
  model = new DeviceModel(fake);
  const trid = parseTransportId('trtype:PCIe traddr:0000:04:00.0');
  const init = new InitContext(trid, resolveOptions(trid, { ioQueueSize: 16, enableInterrupts }), new PcieController(trid.traddr!, () => model));
  await initialize(init);
  ctrlr = new Controller(init);
  return ctrlr;
}

afterEach(async () => {
  await ctrlr?.detach();
  ctrlr = undefined;
});

describe('the driver over PcieController on a device model', () => {
  it('programs AQA/ASQ/ACQ before CC.EN and identifies the controller', async () => {
    const c = await connectModel();
    expect(model.log[0]).toBe('enable aqa=32/32');
    expect(c.isDiscovery).toBe(false);
    expect(c.cntlid).toBe(model.fake.identify.cntlid);
    expect(c.namespaces.map((ns) => ns.nsid)).toEqual([1]);
    expect(model.faults).toEqual([]);
  });

  it('creates the CQ then the SQ of an I/O queue pair, moves 128 KiB through PRP lists, and deletes SQ then CQ on free', async () => {
    const c = await connectModel();
    const qp = await c.allocIoQpair();
    expect(model.log.slice(1)).toEqual(['create cq 1 size 16 pc true ien false', 'create sq 1 size 16 cq 1']);
    const out = Buffer.alloc(128 * 1024);
    for (let i = 0; i < out.length; i += 4) out.writeUInt32LE(i * 2654435761 >>> 0, i);
    await qp.writeAsync(1, 8, 256, out);
    expect(model.fake.namespaces.get(1)!.blocks.subarray(8 * 512, 8 * 512 + out.length).equals(out)).toBe(true);
    const back = Buffer.alloc(out.length);
    await qp.readAsync(1, 8, 256, back);
    expect(back.equals(out)).toBe(true);
    await qp.free();
    expect(model.log.slice(3)).toEqual(['delete sq 1', 'delete cq 1']);
    expect(model.faults).toEqual([]);
  });

  it('keeps more commands in flight than fit the ring, across phase wraps', async () => {
    const c = await connectModel();
    const qp = await c.allocIoQpair({ qsize: 4 });
    const bufs = Array.from({ length: 40 }, (_, i) => Buffer.alloc(512, i));
    await Promise.all(bufs.map((b, i) => qp.writeAsync(1, i, 1, b)));
    const reads = Array.from({ length: 40 }, () => Buffer.alloc(512));
    await Promise.all(reads.map((b, i) => qp.readAsync(1, i, 1, b)));
    reads.forEach((b, i) => expect(b.equals(bufs[i]!)).toBe(true));
    expect(model.faults).toEqual([]);
  });

  it('creates the queues of a descriptor in the background, flags them ready, and deletes them at detach', async () => {
    const c = await connectModel();
    const regionsBefore = model.regions.size;
    const desc = c.allocQpairDescriptor({ qsize: 8 });
    expect(desc.qid).toBe(1);
    expect(desc.shared!.state.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(model.regions.size).toBe(regionsBefore + 1);
    while (Atomics.load(desc.shared!.state, 0) === 0) await new Promise((r) => setTimeout(r, 1));
    expect(Atomics.load(desc.shared!.state, 0)).toBe(SHARED_QPAIR_READY);
    expect(desc.shared!.interrupts).toBe(false);
    expect(model.log.slice(1)).toEqual(['create cq 1 size 8 pc true ien false', 'create sq 1 size 8 cq 1']);
    expect(structuredClone(desc).qid).toBe(1);
    await c.detach();
    ctrlr = undefined;
    expect(model.log.slice(3)).toEqual(['delete sq 1', 'delete cq 1', 'shutdown', 'close']);
    expect(model.regions.size).toBe(0);
  });

  it('gives a descriptor an MSI-X vector when the controller runs with interrupts, and says so to the other thread', async () => {
    const c = await connectModel(true);
    const desc = c.allocQpairDescriptor({ qsize: 8 });
    while (Atomics.load(desc.shared!.state, 0) === 0) await new Promise((r) => setTimeout(r, 1));
    expect(desc.shared!.interrupts).toBe(true);
    expect((desc.shared!.share as { interruptFd: number }).interruptFd).toBe(1000 + desc.qid);
    expect(model.log.slice(1)).toEqual([`create cq ${desc.qid} size 8 pc true ien true`, `create sq ${desc.qid} size 8 cq ${desc.qid}`]);
  });

  it('detaches with a normal shutdown and closes the device, freeing every DMA region', async () => {
    const c = await connectModel();
    await c.allocIoQpair();
    const report = await c.detach();
    ctrlr = undefined;
    expect(report).toEqual({ shutdown: 'complete', errors: [] });
    expect(model.log.slice(-4)).toEqual(['delete sq 1', 'delete cq 1', 'shutdown', 'close']);
    expect(model.regions.size).toBe(0);
  });

  it('resets: CC.EN = 0, admin queue enabled again, I/O queue created again on the same rings, data kept', async () => {
    const c = await connectModel();
    const qp = await c.allocIoQpair();
    const data = Buffer.alloc(4096);
    for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((i * 2246822519) >>> 0, i);
    await qp.writeAsync(1, 16, 8, data);
    const created = model.log.slice(1, 3);
    await c.reset();
    expect(model.log.slice(3)).toEqual(['disable', 'enable aqa=32/32', ...created]);
    const back = Buffer.alloc(data.length);
    await qp.readAsync(1, 16, 8, back);
    expect(back.equals(data)).toBe(true);
    expect(c.failedReason).toBeNull();
    expect(model.faults).toEqual([]);
  });

  it('fails the commands the controller held with ABORTED - SQ DELETION (DNR clear) and sends those submitted meanwhile after the reset', async () => {
    const c = await connectModel();
    const qp = await c.allocIoQpair();
    model.hold = true;
    const held = qp.readAsync(1, 0, 1, Buffer.alloc(512));
    const resetting = c.reset();
    const meanwhile = qp.writeAsync(1, 3, 1, Buffer.alloc(512, 0x77));
    model.hold = false;
    await expect(held).rejects.toMatchObject({ name: 'NvmeStatusError', sc: GenericStatus.ABORTED_SQ_DELETION, dnr: false });
    await resetting;
    await meanwhile;
    expect(model.fake.namespaces.get(1)!.blocks.subarray(3 * 512, 4 * 512).equals(Buffer.alloc(512, 0x77))).toBe(true);
    expect(model.faults).toEqual([]);
  });

  it('fails outstanding I/O and the controller on CSTS.CFS = 1 found by an idle poll; reset brings both back', async () => {
    const c = await connectModel();
    const qp = await c.allocIoQpair();
    model.hold = true;
    const read = qp.readAsync(1, 0, 1, Buffer.alloc(512));
    model.fatal = true;
    await expect(read).rejects.toThrow(/controller fatal status \(CSTS\.CFS=1\)/);
    expect(c.failedReason?.message).toMatch(/controller fatal status/);
    await expect(qp.writeAsync(1, 0, 1, Buffer.alloc(512))).rejects.toThrow(/controller fatal status/);
    model.hold = false;
    await c.reset();
    expect(c.failedReason).toBeNull();
    await qp.writeAsync(1, 5, 1, Buffer.alloc(512, 0x42));
    const back = Buffer.alloc(512);
    await qp.readAsync(1, 5, 1, back);
    expect(back.equals(Buffer.alloc(512, 0x42))).toBe(true);
    expect(model.faults).toEqual([]);
  });

  it('refuses to reset while a queue pair is driven by another thread', async () => {
    const c = await connectModel();
    c.allocQpairDescriptor({ qsize: 8 });
    await expect(c.reset()).rejects.toThrow(/driven by other threads/);
  });
});

describe('DMA buffers (Controller.allocDmaBuffer)', () => {
  const KiB = 1024;
  const pattern = (buf: Buffer, seed: number): Buffer => {
    for (let i = 0; i < buf.length; i += 4) buf.writeUInt32LE(Math.imul(i + seed, 2654435761) >>> 0, i);
    return buf;
  };

  it('hands out zeroed, page-aligned memory the device reaches at its IOVA', async () => {
    const c = await connectModel();
    const dma = c.allocDmaBuffer(10_000);
    expect(dma.buf.length).toBe(10_000);
    expect(dma.iova % PAGE).toBe(0);
    expect(dma.buf.every((b) => b === 0)).toBe(true);
    dma.buf[5] = 0x77;
    expect(model.regions.get(dma.iova)![5]).toBe(0x77);
  });

  it('writes from a DMA buffer and reads into a subarray of it with PRPs at their own IOVA, never through the bounce buffer', async () => {
    const c = await connectModel();
    const qp = await c.allocIoQpair();
    const dma = c.allocDmaBuffer(256 * KiB);
    const out = pattern(dma.buf.subarray(0, 128 * KiB), 1);
    await qp.writeAsync(1, 16, 256, out);
    expect(model.fake.namespaces.get(1)!.blocks.subarray(16 * 512, 16 * 512 + out.length).equals(out)).toBe(true);
    const back = dma.buf.subarray(128 * KiB + 512, 128 * KiB + 512 + 4 * KiB);
    await qp.readAsync(1, 16, 8, back);
    expect(back.equals(out.subarray(0, 4 * KiB))).toBe(true);
    expect(model.dataPrp1s).toEqual([dma.iova, dma.iova + 128 * KiB + 512]);
    expect(model.faults).toEqual([]);
  });

  it('still bounces a plain Buffer, and a Buffer of a freed DMA buffer', async () => {
    const c = await connectModel();
    const qp = await c.allocIoQpair();
    const dma = c.allocDmaBuffer(8 * KiB);
    const kept = dma.buf;
    c.freeDmaBuffer(dma);
    const plain = pattern(Buffer.alloc(8 * KiB), 2);
    await qp.writeAsync(1, 0, 16, plain);
    await qp.readAsync(1, 0, 16, kept);
    expect(kept.equals(plain)).toBe(true);
    const [w, r] = model.dataPrp1s;
    expect(w).toBe(r);
    expect(w).not.toBe(dma.iova);
    expect(model.regions.has(dma.iova)).toBe(false);
  });

  it('returns the IOVA range on free, and refuses to free a buffer twice', async () => {
    const c = await connectModel();
    const a = c.allocDmaBuffer(64 * KiB);
    const b = c.allocDmaBuffer(4 * KiB);
    c.freeDmaBuffer(a);
    expect(() => c.freeDmaBuffer(a)).toThrow(ConfigError);
    const again = c.allocDmaBuffer(16 * KiB);
    expect(again.iova).toBe(a.iova);
    expect(b.iova).toBe(a.iova + 64 * KiB);
  });

  it('refuses a size that is not a positive integer', async () => {
    const c = await connectModel();
    expect(() => c.allocDmaBuffer(0)).toThrow(/size.*positive integer.*got 0/);
    expect(() => c.allocDmaBuffer(1.5)).toThrow(ConfigError);
  });

  it('is a ConfigError naming the transport on fabrics, which have no DMA memory', async () => {
    const fake = new FakeController();
    registerTransport(new FakeTransport(fake));
    ctrlr = await connect('trtype:RDMA adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:nqn.2024-01.io.nvmekit:fake');
    expect(() => ctrlr!.allocDmaBuffer(4096)).toThrow(ConfigError);
    expect(() => ctrlr!.allocDmaBuffer(4096)).toThrow(/RDMA transport has no DMA memory/);
  });
});

describe('trtype:PCIe without traddr through connect() and connectAll()', () => {
  const models = new Map<string, DeviceModel>();
  const notices: string[] = [];
  let usable: string[] = [];
  const skipped = '0000:00:05.0: skipped, it is bound to the kernel nvme driver; to use it: nvme-setup bind 0000:00:05.0';
  const probing: ProbingTransport = {
    trtype: 'PCIe',
    createController: (trid) =>
      new PcieController(trid.traddr!, (bdf) => {
        const fake = new FakeController();
        fake.addNamespace(1, 64);
        const m = new DeviceModel(fake);
        models.set(bdf, m);
        return m;
      }),
    probe: (trid) => ({ trids: usable.map((traddr) => ({ ...trid, traddr })), skipped: [skipped] }),
  };
  registerTransport(probing);
  const attached: Controller[] = [];
  afterEach(async () => {
    for (const c of attached.splice(0)) await c.detach();
    notices.length = 0;
  });

  it('connectAll attaches every controller the probe lists, in order, and passes on the skipped ones', async () => {
    usable = ['0000:00:04.0', '0000:00:08.0'];
    attached.push(...(await connectAll('trtype:PCIe', { notice: (line) => notices.push(line), keepAliveTimeoutMs: 0 })));
    expect(attached.map((c) => c.trid.traddr)).toEqual(usable);
    expect(attached.every((c) => c.namespaces.length === 1)).toBe(true);
    expect(notices).toEqual([skipped]);
  });

  it('connect takes the one controller, and refuses to choose among several', async () => {
    usable = ['0000:00:04.0'];
    attached.push(await connect('trtype:PCIe', { notice: (line) => notices.push(line), keepAliveTimeoutMs: 0 }));
    expect(attached[0]!.trid).toEqual({ trtype: 'PCIe', traddr: '0000:00:04.0' });
    usable = ['0000:00:04.0', '0000:00:08.0'];
    await expect(connect('trtype:PCIe', { notice: () => undefined })).rejects.toThrow(
      /'trtype:PCIe' stands for 2 controllers \(0000:00:04\.0, 0000:00:08\.0\): pick one with traddr, or attach them all with connectAll\(\)/,
    );
  });
});
