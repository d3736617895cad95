/**
 * A controller attached through any transport (SPDK's `spdk_nvme_ctrlr`):
 * `connect()` runs the initialization state machine, then the `Controller`
 * owns the admin queue, keep-alive, asynchronous events, I/O queue IDs and
 * the shutdown on `detach()`.
 */
import { EventEmitter } from 'node:events';
import { ConfigError, TransportError } from '../spec/errors.js';
import { AsyncEventNoticeInfo, AsyncEventType } from '../spec/commands.js';
import { LogPageId } from '../spec/log-pages.js';
import { Cns } from '../spec/identify.js';
import { parseIdentifyController, type IdentifyController } from '../spec/identify-controller.js';
import { parseIdentifyNamespace, type IdentifyNamespace } from '../spec/identify-namespace.js';
import { NSID_LIST_MAX } from '../spec/namespace-lists.js';
import { decodeCc, decodeCsts, encodeCc, Register, ShutdownNotification, ShutdownStatus, type Cap, type Vs } from '../spec/registers.js';
import type { SqeInit } from '../spec/sqe.js';
import type { TransportController } from '../transport/transport.js';
import type { AdminCommands, GetLogPageOptions, SetFeaturesOptions } from './admin-commands.js';
import type { AsyncEvent, AsyncEventRequests } from './async-events.js';
import { initialize, InitContext } from './controller-init.js';
import { resetMemoryMapped } from './controller-reset.js';
import { SHARED_QPAIR_FAILED, SHARED_QPAIR_READY, type QpairDescriptor, type SharedQpairDescriptor } from './descriptor.js';
import { inCapsuleDataSizeOf } from './fabrics.js';
import { createIoQueues, deleteIoQueues, openIoQpair } from './io-qpair.js';
import type { Namespace } from './namespace.js';
import { scanNamespaces } from './namespace-scan.js';
import { resolveOptions, type ControllerOptions, type ResolvedOptions } from './options.js';
import type { QueuePair, RawCompletion } from './queue-pair.js';
import type { RegisterIo } from './register-io.js';
import { DISCOVERY_NQN, formatTransportId, parseTransportId, type TransportId } from './transport-id.js';
import { createTransportController, expandTransportId } from './transports.js';
import { pollUntil, withTimeout } from './wait.js';

/** Shutdown waits at least this long for CSTS.SHST = complete (SPDK's minimum; RTD3E may ask for more). */
const MIN_SHUTDOWN_TIMEOUT_MS = 10_000;

/** Options of `allocIoQpair` and `allocQpairDescriptor`. */
export interface IoQpairOptions {
  /** Queue entries; default the controller's I/O queue size (at most CAP.MQES + 1). */
  qsize?: number;
}

/**
 * Memory the controller reaches by DMA (`Controller.allocDmaBuffer`): I/O on
 * `buf`, or on any subarray of it, moves no bytes through a bounce buffer.
 * The IOVA travels beside the Buffer rather than on it, so the Buffer stays
 * an ordinary Buffer; the queue pair finds the IOVA itself from the Buffer's
 * ArrayBuffer, so `buf` and its subarrays can be passed to read/write as is.
 */
export interface DmaBuffer {
  /** A view of pinned, IOMMU-mapped, page-aligned memory, zeroed when allocated. */
  readonly buf: Buffer;
  /** Device address of `buf[0]`. */
  readonly iova: number;
}

/** What `detach()` managed to do. */
export interface DetachReport {
  /**
   * `complete`: CSTS.SHST reported shutdown complete; `timeout`: it did not in
   * time; `skipped`: the controller had already failed; `failed`: register access failed.
   */
  shutdown: 'complete' | 'timeout' | 'skipped' | 'failed';
  /** Errors met on the way (freeing queues, shutdown, closing); detach itself never throws. */
  errors: Error[];
}

/**
 * Events: `asyncEvent` (AsyncEvent) for every Asynchronous Event (after the
 * namespace list was refreshed, for a Namespace Attribute Changed notice);
 * `namespacesChanged` (Namespace[]); `error` (Error) when keep-alive or the
 * admin queue fails — emitted only when someone listens, and always kept in `failedReason`.
 */
export class Controller extends EventEmitter {
  /** The transport ID this controller was reached at (defaults filled in). */
  readonly trid: TransportId;
  /** Controller ID: from Fabrics Connect, or Identify Controller on PCIe. */
  readonly cntlid: number;
  /** Identify Controller data (nvme-cli key names). */
  readonly data: IdentifyController;
  /** Controller Capabilities, decoded. */
  readonly cap: Cap;
  /** Version, decoded (`formatVersion(vs)` prints `1.4`). */
  readonly vs: Vs;
  /** A discovery controller: no I/O queues, no namespaces; read its log with `discover()`. */
  readonly isDiscovery: boolean;
  /** Largest data transfer of one command from MDTS (Infinity when unlimited); the transport may cap lower. */
  readonly maxTransferSize: number;
  /** I/O queues the controller granted (Set Features Number of Queues); 0 for discovery. */
  readonly maxIoQueues: number;
  /** Default I/O queue entries: the option, capped at CAP.MQES + 1. */
  readonly ioQueueSize: number;
  /** Keep Alive Timeout in effect, ms (0: none). */
  readonly keepAliveTimeoutMs: number;
  /** Write data an I/O command may carry in its capsule (fabrics, from IOCCSZ); undefined when not reported. */
  readonly inCapsuleDataSize: number | undefined;
  /** The error that failed this controller, or null. */
  failedReason: Error | null = null;

  private namespaceList: Namespace[];
  private readonly options: ResolvedOptions;
  private readonly tctrl: TransportController;
  private readonly adminQp: QueuePair;
  private readonly admin: AdminCommands;
  private readonly regs: RegisterIo;
  private readonly aer: AsyncEventRequests | null;
  private readonly init: InitContext;
  private readonly ioQpairs = new Map<number, QueuePair>();
  /** QIDs held by queue pairs or descriptors. */
  private readonly usedQids = new Set<number>();
  /** PCIe queue pairs described to other threads: how to free their rings, and whether creating them worked. */
  private readonly sharedQpairs = new Map<number, { release: () => void; created: Promise<boolean> }>();
  /** Shared queue pairs being deleted after `releaseQpairDescriptor`. */
  private readonly sharedTeardowns = new Set<Promise<void>>();
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private keepAliveOutstanding = false;
  private detaching: Promise<DetachReport> | null = null;
  private resetting: Promise<void> | null = null;
  /** Live DMA buffers and how to free each (the transport frees those left at detach). */
  private readonly dmaBuffers = new WeakMap<DmaBuffer, () => void>();

  /** @internal built by `connect()` once initialization reached READY */
  constructor(init: InitContext) {
    super();
    this.init = init;
    this.trid = init.trid;
    this.cntlid = init.cntlid;
    this.data = init.data;
    this.cap = init.cap;
    this.vs = init.vs;
    this.isDiscovery = init.isDiscovery;
    this.maxTransferSize = init.maxTransferSize;
    this.maxIoQueues = init.maxIoQueues;
    this.ioQueueSize = init.ioQueueSize;
    this.keepAliveTimeoutMs = init.keepAliveTimeoutMs;
    this.inCapsuleDataSize = init.tctrl.fabrics ? inCapsuleDataSizeOf(init.data.ioccsz) : undefined;
    this.namespaceList = init.namespaces;
    this.options = init.opts;
    this.tctrl = init.tctrl;
    this.adminQp = init.admin!;
    this.admin = init.adminCommands;
    this.regs = init.regs;
    this.aer = init.aer;
    init.onAdminFatal = (err) => this.fail(err);
    this.aer?.setHandler((event) => void this.onAsyncEvent(event));
    this.startKeepAlive();
  }

  /** Active namespaces in NSID order. */
  get namespaces(): readonly Namespace[] {
    return this.namespaceList;
  }

  /** The active namespace `nsid`, or undefined. */
  getNamespace(nsid: number): Namespace | undefined {
    return this.namespaceList.find((ns) => ns.nsid === nsid);
  }

  /** I/O queue pairs this controller opened and that are not freed yet. */
  get ioQueuePairs(): readonly QueuePair[] {
    return [...this.ioQpairs.values()];
  }

  /**
   * Opens an I/O queue pair on a free QID: transport connect, then Fabrics
   * Connect with this controller's CNTLID. Commands that time out are aborted
   * on the admin queue. `free()` the queue pair to give the QID back.
   */
  async allocIoQpair(opts: IoQpairOptions = {}): Promise<QueuePair> {
    const qsize = this.checkIoQpair(opts);
    const qid = this.reserveQid();
    const o = this.options;
    const qp = await openIoQpair(
      this.tctrl,
      { ...o, qid, qsize, cntlid: this.cntlid, subnqn: this.subnqn, inCapsuleDataSize: this.inCapsuleDataSize },
      {
        commandTimeoutMs: o.commandTimeoutMs,
        maxTransferSize: this.maxTransferSize,
        trace: o.trace,
        onTimeout: this.init.abortTimedOut,
        onFree: () => {
          this.ioQpairs.delete(qid);
          this.usedQids.delete(qid);
        },
      },
      this.admin,
    );
    this.ioQpairs.set(qid, qp);
    return qp;
  }

  /**
   * Reserves a QID for a queue pair another thread will open with
   * `attachQpair(desc)`. The QID stays taken until `releaseQpairDescriptor`.
   * On PCIe this thread allocates the rings and creates the queues on the
   * controller (the other thread waits for that); free the queue pair in its
   * thread before `detach()`, which deletes the queues and frees the rings.
   */
  allocQpairDescriptor(opts: IoQpairOptions = {}): QpairDescriptor {
    if (!this.tctrl.fabrics && !this.tctrl.reserveSharedQpair) {
      throw new ConfigError('trtype', `the ${this.trid.trtype} transport cannot share queue pairs with other threads`);
    }
    const qsize = this.checkIoQpair(opts);
    const o = this.options;
    const qid = this.reserveQid();
    const shared = this.tctrl.fabrics ? {} : { shared: this.shareQpair(qid, qsize) };
    return {
      trid: formatTransportId(this.trid),
      trtype: this.trid.trtype,
      cntlid: this.cntlid,
      subnqn: this.subnqn,
      hostnqn: o.hostnqn,
      hostid: o.hostid,
      qid,
      qsize,
      headerDigest: o.headerDigest,
      dataDigest: o.dataDigest,
      commandTimeoutMs: o.commandTimeoutMs,
      connectTimeoutMs: o.connectTimeoutMs,
      maxTransferSize: Number.isFinite(this.maxTransferSize) ? this.maxTransferSize : 0,
      ...(this.inCapsuleDataSize === undefined ? {} : { inCapsuleDataSize: this.inCapsuleDataSize }),
      ...shared,
    };
  }

  /**
   * Gives a descriptor's QID back (after the queue pair it described was
   * freed); on PCIe once its queues are deleted and its rings freed.
   */
  releaseQpairDescriptor(desc: QpairDescriptor): void {
    if (desc.cntlid !== this.cntlid) return;
    const shared = this.sharedQpairs.get(desc.qid);
    if (!shared) {
      this.usedQids.delete(desc.qid);
      return;
    }
    this.sharedQpairs.delete(desc.qid);
    const teardown = this.dropSharedQpair(desc.qid, shared)
      .catch((err: Error) => this.init.trace(`deleting shared I/O queue ${desc.qid} failed: ${err.message}`))
      .finally(() => {
        this.usedQids.delete(desc.qid);
        this.sharedTeardowns.delete(teardown);
      });
    this.sharedTeardowns.add(teardown);
  }

  /**
   * Allocates `size` bytes of DMA memory (SPDK's `spdk_dma_zmalloc`): reads
   * and writes on it, or on subarrays of it, go to the controller without a
   * copy. Free it with `freeDmaBuffer` once no I/O uses it; `detach()` frees
   * what is left. Usable in this thread only.
   * @throws ConfigError for a size that is not a positive integer, or a transport without DMA memory (TCP, RDMA)
   * @throws TransportError when the memory cannot be pinned or mapped (RLIMIT_MEMLOCK, IOMMU space)
   */
  allocDmaBuffer(size: number): DmaBuffer {
    if (!this.tctrl.allocDmaBuffer) {
      throw new ConfigError('trtype', `the ${this.trid.trtype} transport has no DMA memory: pass ordinary Buffers (allocDmaBuffer is for trtype:PCIe)`);
    }
    if (!Number.isSafeInteger(size) || size < 1) throw new ConfigError('size', `expected a positive integer number of bytes, got ${size}`);
    const { buf, iova, free } = this.tctrl.allocDmaBuffer(size);
    const dma: DmaBuffer = Object.freeze({ buf, iova });
    this.dmaBuffers.set(dma, free);
    return dma;
  }

  /**
   * Unmaps and returns a buffer of `allocDmaBuffer`; its `buf` must not be
   * used afterwards (the memory is gone).
   * @throws ConfigError when `dma` is not a live buffer of this controller
   */
  freeDmaBuffer(dma: DmaBuffer): void {
    const free = this.dmaBuffers.get(dma);
    if (!free) throw new ConfigError('dma', `expected a DMA buffer allocated by this controller and not yet freed, got one at IOVA 0x${dma.iova.toString(16)}`);
    this.dmaBuffers.delete(dma);
    free();
  }

  /** Identify with any CNS: the raw 4096 bytes. */
  identify(cns: number, nsid = 0, cntid = 0): Promise<Buffer> {
    return this.admin.identify(cns, nsid, cntid);
  }

  async identifyController(): Promise<IdentifyController> {
    return parseIdentifyController(await this.admin.identify(Cns.CONTROLLER));
  }

  async identifyNamespace(nsid: number): Promise<IdentifyNamespace> {
    return parseIdentifyNamespace(await this.admin.identify(Cns.NAMESPACE, nsid));
  }

  /** Get Log Page: `length` bytes of log `lid`, read in 4 KiB pieces, from `opts.offset`. */
  getLogPage(lid: number, length: number, opts?: GetLogPageOptions): Promise<Buffer> {
    return this.admin.getLogPage(lid, length, opts);
  }

  /** Get Features: completion dword 0. */
  getFeatures(fid: number, cdw11 = 0, sel = 0): Promise<number> {
    return this.admin.getFeatures(fid, cdw11, sel);
  }

  /** Set Features: completion dword 0. */
  setFeatures(fid: number, cdw11: number, opts?: SetFeaturesOptions): Promise<number> {
    return this.admin.setFeatures(fid, cdw11, opts);
  }

  keepAlive(): Promise<void> {
    return this.admin.keepAlive();
  }

  /** Abort command `cid` on queue `sqid`: completion dword 0 (bit 0 set = not aborted). */
  abort(sqid: number, cid: number): Promise<number> {
    return this.admin.abort(sqid, cid);
  }

  /** Any admin command (vendor specific, ones without a helper). */
  adminCommand(sqe: SqeInit | Buffer, data: Buffer | null = null): Promise<RawCompletion> {
    return this.adminQp.rawAsync(sqe, data);
  }

  /** Reads a 32-bit register (`Register.CSTS`...): MMIO or Property Get. */
  readRegister32(offset: number): Promise<number> {
    return this.regs.read32(offset);
  }

  /** Reads a 64-bit register (`Register.CAP`). */
  readRegister64(offset: number): Promise<bigint> {
    return this.regs.read64(offset);
  }

  /**
   * Resets the controller (SPDK's `spdk_nvme_ctrlr_reset`), also the way back
   * from a failed one (CSTS.CFS). Commands the controller holds fail with
   * ABORTED - SQ DELETION with DNR clear (retry them); commands submitted
   * meanwhile wait and go out once their queue is back. Every I/O queue pair of
   * this thread keeps working afterwards. Calls during a reset share it.
   *
   * Implemented for PCIe (CC.EN = 0, CSTS.RDY = 0, admin queue programmed and
   * enabled again, Number of Queues / Keep Alive / AER restored, I/O queues
   * created again); fabrics would reconnect the association and are refused for now.
   * @throws ConfigError on fabrics, or while queue pairs are shared with other
   *   threads; TransportError when the controller does not come back (it is then failed)
   */
  reset(): Promise<void> {
    this.resetting ??= this.doReset().finally(() => (this.resetting = null));
    return this.resetting;
  }

  /**
   * Detaches: stops keep-alive and events, frees the I/O queue pairs, shuts the
   * controller down (CC.SHN = normal, then CSTS.SHST = complete within RTD3E,
   * at least 10 s), closes the admin queue and the transport. Never throws: a
   * dead connection is reported in the result. Calling it again returns the same report.
   */
  detach(): Promise<DetachReport> {
    this.detaching ??= this.doDetach();
    return this.detaching;
  }

  private get subnqn(): string {
    return this.trid.subnqn ?? DISCOVERY_NQN;
  }

  private async doReset(): Promise<void> {
    if (this.detaching) throw new TransportError(`controller ${this.subnqn} cntlid ${this.cntlid} is detached`);
    if (this.tctrl.fabrics) {
      throw new ConfigError('trtype', `reset over ${this.trid.trtype} is not implemented yet: detach() and connect() again`);
    }
    if (this.sharedQpairs.size > 0) {
      throw new ConfigError('reset', `${this.sharedQpairs.size} I/O queue pair(s) are driven by other threads: free them and release their descriptors first`);
    }
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer);
    try {
      await resetMemoryMapped(this.init, [...this.ioQpairs.values()]);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.fail(error);
      for (const qp of [this.adminQp, ...this.ioQpairs.values()]) qp.onFatal(error);
      throw error;
    }
    this.failedReason = null;
    this.startKeepAlive();
  }

  private startKeepAlive(): void {
    if (this.keepAliveTimeoutMs <= 0) return;
    this.keepAliveTimer = setInterval(this.sendKeepAlive, Math.max(1, Math.floor(this.keepAliveTimeoutMs / 2)));
    this.keepAliveTimer.unref();
  }

  private async doDetach(): Promise<DetachReport> {
    const errors: Error[] = [];
    const collect = (err: unknown): void => void errors.push(err instanceof Error ? err : new Error(String(err)));
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer);
    this.aer?.stop();
    for (const qp of [...this.ioQpairs.values()]) await qp.free().catch(collect);
    for (const [qid, shared] of [...this.sharedQpairs]) await this.dropSharedQpair(qid, shared).catch(collect);
    this.sharedQpairs.clear();
    await Promise.all(this.sharedTeardowns);
    let shutdown: DetachReport['shutdown'] = 'skipped';
    if (this.failedReason === null && this.adminQp.failedReason === null) {
      shutdown = await this.shutdown().catch((err: unknown) => {
        collect(err);
        return 'failed' as const;
      });
    }
    await this.adminQp.free().catch(collect);
    await this.tctrl.close().catch(collect);
    this.init.trace(`detached: shutdown ${shutdown}${errors.map((e) => `; ${e.message}`).join('')}`);
    return { shutdown, errors };
  }

  /** CC.SHN = normal, then CSTS.SHST = complete; the whole sequence within RTD3E (at least 10 s). */
  private async shutdown(): Promise<'complete' | 'timeout'> {
    const timeoutMs = Math.max(MIN_SHUTDOWN_TIMEOUT_MS, Math.ceil(this.data.rtd3e / 1000));
    let expired: Error | null = null;
    const sequence = async (): Promise<void> => {
      const cc = decodeCc(await this.regs.read32(Register.CC));
      await this.regs.write32(Register.CC, encodeCc({ ...cc, shn: ShutdownNotification.NORMAL }));
      await pollUntil(
        async () => decodeCsts(await this.regs.read32(Register.CSTS)),
        (csts) => csts.shst === ShutdownStatus.COMPLETE,
        () => expired,
      );
    };
    try {
      await withTimeout(sequence(), timeoutMs, () => (expired = new TransportError(`shutdown not complete after ${timeoutMs} ms`, 'ETIMEDOUT')));
      return 'complete';
    } catch (err) {
      if (err === expired) return 'timeout';
      throw err;
    }
  }

  /** Rings for a queue pair another thread drives, and Create I/O CQ/SQ for it in the background. */
  private shareQpair(qid: number, qsize: number): SharedQpairDescriptor {
    let reservation;
    try {
      reservation = this.tctrl.reserveSharedQpair!({
        qid,
        qsize,
        headerDigest: false,
        dataDigest: false,
        connectTimeoutMs: this.options.connectTimeoutMs,
        interrupts: this.options.enableInterrupts,
      });
    } catch (err) {
      this.usedQids.delete(qid);
      throw err;
    }
    const state = new Int32Array(new SharedArrayBuffer(4));
    const created = createIoQueues(this.admin, qid, qsize, reservation.queueMemory).then(
      () => (Atomics.store(state, 0, SHARED_QPAIR_READY), true),
      (err: Error) => {
        this.init.trace(`creating shared I/O queue ${qid} failed: ${err.message}`);
        Atomics.store(state, 0, SHARED_QPAIR_FAILED);
        return false;
      },
    );
    this.sharedQpairs.set(qid, { release: reservation.release, created });
    return { share: reservation.share, interrupts: reservation.queueMemory.interruptVector !== null, state };
  }

  /** Deletes a shared queue pair's queues on the controller (once created), then frees its rings. */
  private async dropSharedQpair(qid: number, shared: { release: () => void; created: Promise<boolean> }): Promise<void> {
    try {
      if (await shared.created) await deleteIoQueues(this.admin, qid);
    } finally {
      shared.release();
    }
  }

  private checkIoQpair(opts: IoQpairOptions): number {
    if (this.isDiscovery) throw new ConfigError('subnqn', `${this.subnqn} is a discovery controller: it has no I/O queues`);
    if (this.detaching || this.failedReason || this.resetting) {
      const state = this.detaching ? 'detached' : this.failedReason ? 'failed' : 'resetting';
      throw new TransportError(`controller ${this.subnqn} cntlid ${this.cntlid} is ${state}`);
    }
    const qsize = opts.qsize ?? this.ioQueueSize;
    const max = this.cap.mqes + 1;
    if (!Number.isInteger(qsize) || qsize < 2 || qsize > max) {
      throw new ConfigError('qsize', `expected an integer from 2 to ${max} (CAP.MQES + 1), got ${qsize}`);
    }
    return qsize;
  }

  private reserveQid(): number {
    for (let qid = 1; qid <= this.maxIoQueues; qid++) {
      if (!this.usedQids.has(qid)) {
        this.usedQids.add(qid);
        return qid;
      }
    }
    throw new ConfigError('qid', `all ${this.maxIoQueues} I/O queues the controller granted are in use`);
  }

  private readonly sendKeepAlive = (): void => {
    if (this.keepAliveOutstanding || this.failedReason || this.resetting) return;
    this.keepAliveOutstanding = true;
    this.admin.keepAlive().then(
      () => (this.keepAliveOutstanding = false),
      (err: Error) => {
        this.keepAliveOutstanding = false;
        this.fail(err);
      },
    );
  };

  private fail(err: Error): void {
    if (this.failedReason || this.detaching) return;
    this.failedReason = err;
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer);
    this.aer?.stop();
    this.init.trace(`controller failed: ${err.message}`);
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  private async onAsyncEvent(event: AsyncEvent): Promise<void> {
    this.init.trace(`async event: ${event.name} (log page 0x${event.logPageId.toString(16)})`);
    if (event.type === AsyncEventType.NOTICE && event.info === AsyncEventNoticeInfo.NS_ATTRIBUTE_CHANGED) {
      try {
        // Reading the Changed Namespace List (without RAE) re-arms the notice.
        await this.admin.getLogPage(LogPageId.CHANGED_NAMESPACE_LIST, NSID_LIST_MAX * 4);
        this.namespaceList = await scanNamespaces(this.admin, this.data, this.vs);
        this.emit('namespacesChanged', this.namespaceList);
      } catch (err) {
        this.init.trace(`namespace rescan failed: ${(err as Error).message}`);
      }
    }
    this.emit('asyncEvent', event);
  }
}

/**
 * Connects to the controller at `trid` and initializes it (CONNECT_ADMINQ ...
 * READY). With the discovery NQN (the default `subnqn` on fabrics) this is a
 * discovery controller; `connectAll()` follows its log instead.
 *
 * A PCIe transport ID without traddr attaches the one controller bound to
 * vfio-pci (`connectAll()` takes several).
 *
 * @throws ConfigError for a bad transport ID, option or missing transport, or a
 *   PCIe transport ID that stands for no or several controllers; TransportError / ProtocolError / NvmeStatusError / CommandTimeoutError from the way
 */
export async function connect(trid: string | TransportId, opts: ControllerOptions = {}): Promise<Controller> {
  const id = oneController(typeof trid === 'string' ? parseTransportId(trid) : parseTransportId(formatTransportId(trid)), opts);
  const init = new InitContext(id, resolveOptions(id, opts), createTransportController(id));
  try {
    await initialize(init);
  } catch (err) {
    await init.teardown(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
  return new Controller(init);
}

/** The single controller a transport ID stands for (PCIe without traddr may stand for several). */
function oneController(trid: TransportId, opts: ControllerOptions): TransportId {
  const all = expandTransportId(trid, opts.notice);
  if (all.length === 1) return all[0]!;
  throw new ConfigError(
    'traddr',
    `'${formatTransportId(trid)}' stands for ${all.length} controllers (${all.map((t) => t.traddr).join(', ')}): ` +
      `pick one with traddr, or attach them all with connectAll()`,
  );
}
