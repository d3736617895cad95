/**
 * The PCIe transport's side of a controller: VFIO, BAR0 registers, admin
 * queue attributes, and one DMA region per queue pair. Registered as trtype
 * `PCIe`; `traddr` is the function's address (`0000:04:00.0`), and a transport
 * ID without one stands for every NVMe controller bound to vfio-pci (`probe`).
 *
 * The controller keeps the queue pairs of its thread: CSTS trouble found by one
 * fails them all (the admin queue's failure fails the driver's controller), and
 * `enable` (initialization, and again in a controller reset) empties every ring.
 */
import { writeSync } from 'node:fs';
import { ConfigError, TransportError } from '../../spec/errors.js';
import type { ProbingTransport, TransportProbe } from '../../nvme-driver/transports.js';
import { decodeCap, doorbellOffset, encodeAqa, memoryPageSize, Register } from '../../spec/registers.js';
import type { TransportId } from '../../nvme-driver/transport-id.js';
import { vfioLibc } from '../../native/vfio.js';
import type { QpairConnectOptions, RegisterAccess, SharedQpairReservation, TransportController, TransportQpair } from '../transport.js';
import type { DmaRegion } from './dma-memory.js';
import { MmioRegisters } from './mmio-registers.js';
import { probeNvmeControllers, SYSFS_PCI_DEVICES } from './pci-sysfs.js';
import { PcieQpair, qpairLayout } from './pcie-qpair.js';
import { VfioDevice } from './vfio-device.js';

/**
 * Largest transfer of one command: each command slot owns a bounce buffer of
 * this size in DMA memory. The driver splits larger I/O (and caps it at MDTS).
 */
export const PCIE_MAX_TRANSFER_SIZE = 128 * 1024;
/** MSI-X vectors asked for in interrupt mode: vector 0 for the admin queue, one per I/O queue after it. */
const MAX_MSIX_VECTORS = 32;
/** What an eventfd write adds; waking a pending read on close. */
const EVENTFD_ONE = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]);

/** What the controller needs of an opened PCI function; `VfioDevice` in production, plain memory in tests. */
export interface PcieDevice {
  /** BAR0 as 32-bit words. */
  readonly bar: Uint32Array;
  /** Where BAR0 is mapped in this process. */
  readonly barAddress: bigint;
  readonly dma: { alloc(size: number): DmaRegion; free(region: DmaRegion): void };
  /** Enables MSI-X vectors (up to `wanted`) and returns their eventfds by vector. */
  enableMsix(wanted: number): readonly number[];
  close(): void;
}

/** What a worker thread needs to drive a queue pair the controller's thread set up: addresses in this process. */
interface PcieQpairShare {
  bdf: string;
  qid: number;
  qsize: number;
  pageSize: number;
  memoryAddress: bigint;
  memoryBytes: number;
  iova: number;
  barAddress: bigint;
  barBytes: number;
  sqDoorbell: number;
  cqDoorbell: number;
  /** Interrupt mode: the eventfd of the CQ's MSI-X vector (file descriptors are process-wide). */
  interruptFd: number | null;
}

/** An interrupt-driven CQ's eventfd, and the write that wakes its pending read on close. */
function eventfdInterrupt(fd: number): { fd: number; wake: () => void } {
  return { fd, wake: () => void writeSync(fd, EVENTFD_ONE) };
}

export class PcieController implements TransportController {
  readonly fabrics = false;
  private device: PcieDevice | null = null;
  private mmio: MmioRegisters | null = null;
  private admin: PcieQpair | null = null;
  private dstrd = 0;
  private pageSize = 4096;
  /** The queue pairs of this thread, admin included. */
  private readonly qpairs = new Set<PcieQpair>();

  /** @param openDevice opens the function at `bdf` (VFIO unless a test says otherwise) */
  constructor(
    readonly bdf: string,
    private readonly openDevice: (bdf: string) => PcieDevice = VfioDevice.open,
  ) {}

  /** BAR0 registers, once the admin queue pair opened the device. */
  get registers(): RegisterAccess | undefined {
    return this.mmio ?? undefined;
  }

  async connectQpair(opts: QpairConnectOptions): Promise<TransportQpair> {
    if (opts.qid === 0) this.open();
    const device = this.opened(opts.qid);
    const interrupt = opts.qid > 0 && opts.interrupts ? this.interruptFor(device, opts.qid) : undefined;
    const layout = qpairLayout(opts.qsize, PCIE_MAX_TRANSFER_SIZE, this.pageSize);
    const region = device.dma.alloc(layout.totalBytes);
    const qp: PcieQpair = new PcieQpair({
      qid: opts.qid,
      qsize: opts.qsize,
      pageSize: this.pageSize,
      maxTransferSize: PCIE_MAX_TRANSFER_SIZE,
      memory: region,
      bar: device.bar,
      sqDoorbell: doorbellOffset(opts.qid, false, this.dstrd),
      cqDoorbell: doorbellOffset(opts.qid, true, this.dstrd),
      interruptVector: interrupt ? opts.qid : null,
      release: () => {
        this.qpairs.delete(qp);
        device.dma.free(region);
      },
      device: this.bdf,
      onControllerFatal: this.controllerFailed,
      ...(interrupt ? { interrupt } : {}),
    });
    this.qpairs.add(qp);
    if (opts.qid === 0) this.admin = qp;
    return qp;
  }

  /** A region of its own per buffer, so that freeing one returns its pages and IOVA range at once. */
  allocDmaBuffer(size: number): { buf: Buffer; iova: number; free(): void } {
    const device = this.device;
    if (device === null) throw new TransportError(`${this.bdf}: DMA memory needs an open device (connected, not yet detached)`);
    const region = device.dma.alloc(size);
    return { buf: region.buf.subarray(0, size), iova: region.iova, free: () => device.dma.free(region) };
  }

  /** With `opts.interrupts`, the CQ gets MSI-X vector `qid` and the share carries its eventfd. */
  reserveSharedQpair(opts: QpairConnectOptions): SharedQpairReservation {
    const device = this.opened(opts.qid);
    const interruptFd = opts.interrupts ? this.interruptFor(device, opts.qid).fd : null;
    const layout = qpairLayout(opts.qsize, PCIE_MAX_TRANSFER_SIZE, this.pageSize);
    const region = device.dma.alloc(layout.totalBytes);
    const share: PcieQpairShare = {
      bdf: this.bdf,
      qid: opts.qid,
      qsize: opts.qsize,
      pageSize: this.pageSize,
      memoryAddress: region.address,
      memoryBytes: region.size,
      iova: region.iova,
      barAddress: device.barAddress,
      barBytes: device.bar.byteLength,
      sqDoorbell: doorbellOffset(opts.qid, false, this.dstrd),
      cqDoorbell: doorbellOffset(opts.qid, true, this.dstrd),
      interruptFd,
    };
    return {
      queueMemory: { sqIova: region.iova + layout.sqOffset, cqIova: region.iova + layout.cqOffset, interruptVector: interruptFd === null ? null : opts.qid },
      share,
      release: () => device.dma.free(region),
    };
  }

  attachSharedQpair(share: unknown): TransportQpair {
    const s = share as PcieQpairShare;
    const libc = vfioLibc();
    return new PcieQpair({
      qid: s.qid,
      qsize: s.qsize,
      pageSize: s.pageSize,
      maxTransferSize: PCIE_MAX_TRANSFER_SIZE,
      memory: { buf: Buffer.from(libc.viewAt(s.memoryAddress, s.memoryBytes)), iova: s.iova },
      bar: new Uint32Array(libc.viewAt(s.barAddress, s.barBytes)),
      sqDoorbell: s.sqDoorbell,
      cqDoorbell: s.cqDoorbell,
      interruptVector: s.interruptFd === null ? null : s.qid,
      // The memory belongs to the controller's thread, which frees it once the queues are deleted.
      release: () => undefined,
      device: s.bdf,
      ...(s.interruptFd === null ? {} : { interrupt: eventfdInterrupt(s.interruptFd) }),
    });
  }

  /** Empties every ring of this thread (the controller holds no queue now), then programs AQA, ASQ and ACQ. */
  enable(): void {
    const admin = this.admin;
    if (admin === null || this.mmio === null) throw new TransportError(`${this.bdf}: enable before the admin queue pair was opened`);
    for (const qp of this.qpairs) qp.resetRings();
    this.mmio.write32(Register.AQA, encodeAqa({ asqs: admin.qsize - 1, acqs: admin.qsize - 1 }));
    this.mmio.write64(Register.ASQ, BigInt(admin.queueMemory.sqIova));
    this.mmio.write64(Register.ACQ, BigInt(admin.queueMemory.cqIova));
  }

  async close(): Promise<void> {
    this.device?.close();
    this.device = null;
    this.mmio = null;
    this.admin = null;
  }

  private opened(qid: number): PcieDevice {
    if (this.device === null) throw new TransportError(`${this.bdf}: queue pair qid:${qid} before the admin queue pair (qid 0)`);
    return this.device;
  }

  /** I/O queue `qid` interrupts on MSI-X vector `qid`: a vector's eventfd has exactly one reader. */
  private interruptFor(device: PcieDevice, qid: number): { fd: number; wake: () => void } {
    const fds = device.enableMsix(MAX_MSIX_VECTORS);
    const fd = fds[qid];
    if (fd === undefined) {
      throw new TransportError(`${this.bdf}: interrupt mode has ${fds.length} MSI-X vectors, so I/O queues 1 to ${fds.length - 1}; qid ${qid} is beyond them`);
    }
    return eventfdInterrupt(fd);
  }

  /** CSTS trouble seen by one queue pair fails every queue pair of this thread. */
  private readonly controllerFailed = (err: TransportError): void => {
    for (const qp of this.qpairs) qp.reportFatal(err);
  };

  private open(): void {
    if (this.device !== null) throw new TransportError(`${this.bdf}: the admin queue pair is already open`);
    const device = this.openDevice(this.bdf);
    this.device = device;
    this.mmio = new MmioRegisters(device.bar);
    const cap = decodeCap(this.mmio.read64(Register.CAP));
    this.dstrd = cap.dstrd;
    // The driver's ENABLE state programs CC.MPS = CAP.MPSMIN; PRPs use the same page size.
    this.pageSize = memoryPageSize(cap.mpsmin);
  }
}

/** trtype `PCIe`. */
export const pcieTransport: ProbingTransport = {
  trtype: 'PCIe',
  createController(trid: TransportId): TransportController {
    if (!trid.traddr) throw new ConfigError('traddr', 'PCIe needs the controller address, e.g. traddr:0000:04:00.0');
    return new PcieController(trid.traddr);
  },
  probe: (trid) => probeTransportIds(trid),
};

/**
 * Every NVMe controller bound to vfio-pci, as transport IDs like `trid` with
 * its traddr; those the kernel (or no driver) holds come back as skipped lines.
 * @param root sysfs PCI devices (tests point it at a fake tree)
 * @throws ConfigError when none is bound to vfio-pci
 */
export function probeTransportIds(trid: TransportId, root?: string): TransportProbe {
  const { usable, skipped } = probeNvmeControllers(root);
  if (usable.length === 0) {
    const seen = skipped.length > 0 ? `: ${skipped.join('; ')}` : ` (${root ?? SYSFS_PCI_DEVICES} lists no NVMe controller)`;
    throw new ConfigError('traddr', `trtype:PCIe without traddr found no NVMe controller bound to vfio-pci${seen}`);
  }
  return { trids: usable.map((traddr) => ({ ...trid, traddr })), skipped };
}
