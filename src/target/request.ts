/**
 * One command in flight on a target queue pair. Requests are pooled per queue
 * pair and reused, and each carries its block-device callbacks bound once, so
 * executing an I/O command allocates nothing here. A multi-step command (write
 * then flush, read then compare) sets `next` before each device call; the
 * bound callbacks route the device's answer there.
 */
import type { TargetCompletion } from './transport/transport.js';
import type { BdevCallback, BdevReadCallback } from './bdev/block-device.js';
import type { IoStats } from './io-stats.js';
import type { Namespace } from './namespace.js';
import type { LogLevel } from './target-context.js';

/** What a request needs from the queue pair that owns it. */
export interface RequestOwner {
  /** Completes `req`: writes the CQE and calls the transport's `done`. */
  complete(req: TargetRequest, status: number, cdw0?: number, data?: Buffer | null, cdw1?: number): void;
  /** Completes `req` with INTERNAL ERROR after `err` was thrown while handling it. */
  internalError(req: TargetRequest, err: unknown): void;
  /** Logs a line about this queue pair's commands. */
  log(level: LogLevel, msg: string): void;
}

/** The step that runs when a block device answers. */
export type RequestStep = (req: TargetRequest, err: Error | null, data: Buffer | null) => void;

export class TargetRequest {
  cid = 0;
  opc = 0;
  nsid = 0;
  /** Bumped each time the request is taken from the pool, so a stale reference can be told apart. */
  generation = 0;
  done: TargetCompletion | null = null;

  /** I/O state, valid while a data command runs. */
  ns: Namespace | null = null;
  /** The controller's counters, next to the namespace's. */
  ctrlStats: IoStats | null = null;
  lba = 0;
  /** Number of blocks (a count). */
  nlb = 0;
  bytes = 0;
  /** Flush once the write is done (FUA, or a write cache the host turned off). */
  flushAfterWrite = false;
  /** Host data kept across device steps (compare source). */
  hostData: Buffer | null = null;
  /** Outstanding device calls of a fan-out (flush of every namespace). */
  pending = 0;
  /** The status a fan-out completes with (an error from any device wins). */
  fanoutStatus = 0;
  next: RequestStep | null = null;

  /** Pass to `BlockDevice.read`. */
  readonly onRead: BdevReadCallback;
  /** Pass to any other `BlockDevice` call. */
  readonly onDone: BdevCallback;

  constructor(readonly owner: RequestOwner) {
    this.onRead = (err, data) => this.resume(err, data);
    this.onDone = (err) => this.resume(err, null);
  }

  complete(status: number, cdw0 = 0, data: Buffer | null = null, cdw1 = 0): void {
    this.owner.complete(this, status, cdw0, data, cdw1);
  }

  /** Clears per-command state before the request goes back to the pool. */
  reset(): void {
    this.done = null;
    this.ns = null;
    this.ctrlStats = null;
    this.hostData = null;
    this.next = null;
    this.flushAfterWrite = false;
    this.pending = 0;
    this.fanoutStatus = 0;
  }

  private resume(err: Error | null, data: Buffer | null): void {
    const step = this.next;
    this.next = null;
    try {
      step!(this, err, data);
    } catch (e) {
      this.owner.internalError(this, e);
    }
  }
}
