/**
 * The contract between a target transport (the TCP and RDMA listeners) and the
 * target core (subsystems, controllers, block devices).
 *
 * A transport accepts connections, frames PDUs, gathers write data (in-capsule
 * or through R2T/H2CData) and sends read data and CQEs. It knows nothing about
 * NVMe commands beyond the SGL that says how much data a command moves. The
 * core executes commands; it knows nothing about sockets.
 */

/** Where a connection arrived: filled by the transport, used by the core for discovery and ACLs. */
export interface TargetConnectionInfo {
  trtype: 'TCP' | 'RDMA';
  adrfam: 'IPv4' | 'IPv6';
  /** The listener's local address and port. */
  traddr: string;
  trsvcid: string;
  /** The peer, for logs and `nvmf_subsystem_get_qpairs`. */
  peerAddress: string;
  peerPort: number;
  /** Bytes of in-capsule data the transport accepts on I/O queues (goes into IOCCSZ). */
  inCapsuleDataSize: number;
  /** Largest data transfer of one command, in bytes (goes into MDTS). */
  maxIoSize: number;
  /** Largest I/O queue the transport accepts, in entries (CAP.MQES + 1). */
  maxQueueDepth: number;
  /** Largest admin queue, in entries. */
  maxAdminQueueDepth: number;
}

/**
 * Called by the core when a command finishes. `cqe` is 16 bytes with CID, SQID,
 * SQHD and status set (valid only during the call). `data` is the read payload
 * for controller-to-host commands, else null; the transport may keep `data`
 * until it has been written to the socket, and the core must not change it
 * before then.
 */
export type TargetCompletion = (cqe: Buffer, data: Buffer | null) => void;

/** The status a transport fails a command with itself. */
export interface CommandFailure {
  /** Status Code Type (`StatusCodeType`). */
  sct: number;
  /** Status Code. */
  sc: number;
  /** Do Not Retry; default false. */
  dnr?: boolean;
}

/** One queue pair as the core sees it; created per connection by `TargetCore.createQueuePair`. */
export interface TargetQueuePair {
  /**
   * Executes one command. `sqe` is the 64-byte SQE (valid only during the
   * call). `data` holds all host-to-controller data, already gathered, or null.
   * The first command on a new queue pair must be Fabrics Connect; the core
   * enforces that. `done` is called exactly once, possibly synchronously.
   */
  execute(sqe: Buffer, data: Buffer | null, done: TargetCompletion): void;
  /**
   * Completes a command the transport cannot hand over (an SGL it cannot
   * serve, a data digest error) with `status`, without executing it. The core
   * accounts for it as for any failed command: SQHD advances, the error log
   * and the error counters record it. `done` is called exactly once,
   * synchronously, with no data.
   */
  fail(sqe: Buffer, status: CommandFailure, done: TargetCompletion): void;
  /** The connection went away: release the queue (and, for QID 0, the controller's association). */
  close(reason: string): void;
  /**
   * Set by the transport: the core calls it to drop this connection (keep-alive
   * expired, controller reset or shut down, subsystem deleted).
   */
  onTerminate: (reason: string) => void;
}

/** What a transport needs from the target core. */
export interface TargetCore {
  createQueuePair(info: TargetConnectionInfo): TargetQueuePair;
}
