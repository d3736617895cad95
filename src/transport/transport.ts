/**
 * The host transport interface: what the transport-neutral driver needs from
 * TCP, RDMA or PCIe (SPDK's `spdk_nvme_transport_ops`, Linux's `nvme_ctrl_ops`).
 *
 * Division of labour: a transport moves SQEs, CQEs and data. The driver owns
 * command IDs, request slots, timeouts, Fabrics Connect and Property Get/Set,
 * and the controller state machine. Transports register themselves by trtype;
 * nothing above this layer imports a transport folder.
 */
import type { TransportId } from '../nvme-driver/transport-id.js';

/** Receives what a transport queue pair produces. The driver's QueuePair implements it. */
export interface QpairEvents {
  /**
   * One completion. `cqe` holds the 16-byte CQE at `offset` and is only valid
   * during the call. For controller-to-host commands the data has already been
   * placed in the buffer given to `submit`.
   */
  onCompletion(cqe: Buffer, offset: number): void;
  /**
   * The queue pair can no longer work (connection lost, peer sent a malformed
   * PDU, TermReq received...). Called at most once; the driver fails every
   * outstanding command with `err`. No `onCompletion` follows.
   */
  onFatal(err: Error): void;
}

/** Options for opening one queue pair at the transport level. */
export interface QpairConnectOptions {
  /** Queue ID: 0 for the admin queue. */
  qid: number;
  /** Number of submission queue entries (a count; Fabrics SQSIZE on the wire is this minus one). */
  qsize: number;
  /** NVMe/TCP header digest (HDGST). Ignored by other transports. */
  headerDigest: boolean;
  /** NVMe/TCP data digest (DDGST). Ignored by other transports. */
  dataDigest: boolean;
  /** Give up connecting after this long. */
  connectTimeoutMs: number;
  /**
   * I/O queues: completions raise an event instead of waiting for a poll, and
   * the transport delivers them on its own: PCIe through an MSI-X interrupt,
   * RDMA through the device's completion channel (event mode; its admin queue
   * always runs so). Ignored by TCP, whose completions always arrive as events.
   */
  interrupts?: boolean;
  /**
   * I/O queues on fabrics: the largest write payload the controller accepts
   * inside a command capsule, in bytes: IOCCSZ * 16 - 64 from Identify
   * Controller. Ignored for the admin queue (NVMe/TCP fixes 8 KiB there).
   * When absent the transport assumes a default (TCP: 4096, SPDK's target default).
   */
  inCapsuleDataSize?: number;
}

/**
 * Where a memory-mapped transport (PCIe) put a queue pair's rings: the driver
 * creates the queues on the controller with Create I/O CQ / Create I/O SQ
 * pointing there, and deletes them before the transport frees the memory.
 */
export interface QueueMemory {
  /** Device address of the submission queue (physically contiguous). */
  readonly sqIova: number;
  /** Device address of the completion queue (physically contiguous). */
  readonly cqIova: number;
  /** MSI-X vector the CQ interrupts on, or null for a polled CQ (IEN = 0). */
  readonly interruptVector: number | null;
}

/**
 * A PCIe queue pair whose rings the controller's thread sets up and another
 * thread drives (a perf worker): `share` is structured-cloneable and goes to
 * that thread, which opens it with `attachSharedQpair`.
 */
export interface SharedQpairReservation {
  readonly queueMemory: QueueMemory;
  readonly share: unknown;
  /** Frees the rings, after the queues were deleted on the controller. */
  release(): void;
}

/** One transport-level queue pair (a TCP connection, an RDMA QP, a PCIe SQ/CQ pair). */
export interface TransportQpair {
  readonly qid: number;
  readonly qsize: number;
  /**
   * Largest write payload that may travel inside the command capsule, in bytes
   * (fabrics); 0 where the transport has no in-capsule data (PCIe).
   */
  readonly inCapsuleDataSize: number;
  /** Largest data transfer of one command this transport accepts, in bytes. */
  readonly maxTransferSize: number;
  /** PCIe: the rings that Create I/O CQ / SQ point at; absent on fabrics. */
  readonly queueMemory?: QueueMemory;
  /** Where completions and fatal errors go. Set by the driver before the first `submit`. */
  events: QpairEvents;
  /**
   * Submits one command. `sqe` is 64 bytes with OPC, CID, NSID and the command
   * dwords set; the transport fills PSDT and DPTR (SGL or PRP). `data` is the
   * write source or read destination, sized exactly to the transfer, or null.
   * The transport may keep `data` until the completion, but not `sqe`: the
   * driver reuses it once `submit` returns. Never throws for a dead queue pair:
   * it reports through `events.onFatal` instead.
   */
  submit(sqe: Buffer, data: Buffer | null): void;
  /**
   * Reaps up to `maxCompletions` completions and returns how many. 0 means the
   * transport's own bound, at most one queue's worth: a completion callback that
   * resubmits would otherwise keep a poll loop from ever returning to the event
   * loop (SPDK bounds it the same way). Callers that want everything loop.
   * Polled transports (PCIe, RDMA in poll mode) do their work here; event-driven
   * ones (TCP) deliver completions as data arrives and return 0.
   */
  processCompletions(maxCompletions: number): number;
  /** Closes the queue pair. Outstanding commands are the driver's to fail. */
  close(): Promise<void>;
}

/** Register access for controllers with memory-mapped registers (PCIe). */
export interface RegisterAccess {
  read32(offset: number): number;
  read64(offset: number): bigint;
  write32(offset: number, value: number): void;
  write64(offset: number, value: bigint): void;
}

/** The transport's side of one controller. */
export interface TransportController {
  /**
   * True for NVMe over Fabrics: the driver then sends Fabrics Connect on every
   * new queue pair and reads registers with Property Get/Set.
   */
  readonly fabrics: boolean;
  /** Memory-mapped registers; absent on fabrics. */
  readonly registers?: RegisterAccess;
  /**
   * Memory-mapped controllers: called in the ENABLE state, after the admin
   * queue pair exists and just before CC.EN = 1, so the transport can program
   * AQA, ASQ and ACQ (SPDK's `nvme_transport_ctrlr_enable`).
   */
  enable?(): void;
  /** Memory-mapped transports: rings for a queue pair another thread will drive (see `SharedQpairReservation`). */
  reserveSharedQpair?(opts: QpairConnectOptions): SharedQpairReservation;
  /** In the other thread: the queue pair a reservation's `share` describes, over the same memory. */
  attachSharedQpair?(share: unknown): TransportQpair;
  /**
   * Memory-mapped transports: `size` bytes of zeroed, page-aligned memory the
   * controller reaches by DMA (pinned and IOMMU-mapped), `buf[i]` at device
   * address `iova + i`. Data in it (or in a subarray of it) moves without a copy
   * (SPDK's `spdk_dma_zmalloc`); `free` unmaps it, after which `buf` must not be
   * touched. Absent on transports that cannot map user memory (TCP, RDMA).
   * @throws TransportError when the memory cannot be had or mapped
   */
  allocDmaBuffer?(size: number): { buf: Buffer; iova: number; free(): void };
  /** Opens queue pair `opts.qid` at the transport level (socket + ICReq, rdma_cm connect, SQ/CQ rings). */
  connectQpair(opts: QpairConnectOptions): Promise<TransportQpair>;
  /** Releases controller-wide transport resources (after every queue pair is closed). */
  close(): Promise<void>;
}

/** A transport, registered by its trtype. */
export interface Transport {
  readonly trtype: TransportId['trtype'];
  /** Creates the transport side of a controller; connects nothing yet. */
  createController(trid: TransportId): TransportController;
}

const registry = new Map<string, Transport>();

/** Makes a transport available to `connect()`; called by each transport's module. */
export function registerTransport(transport: Transport): void {
  registry.set(transport.trtype.toUpperCase(), transport);
}

/** The transport registered for `trtype` (case-insensitive), or undefined. */
export function findTransport(trtype: string): Transport | undefined {
  return registry.get(trtype.toUpperCase());
}
