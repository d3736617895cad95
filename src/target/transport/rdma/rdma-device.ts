/**
 * What the target's connections on one RDMA device share: the protection
 * domain, the completion channel their CQs raise events on, and the pool of
 * registered data buffers (SPDK keeps the same per device in its poll group).
 */
import { TransportError } from '../../../spec/errors.js';
import { CompletionChannel } from '../../../native/completion-channel.js';
import { Access, contextOps, RegisteredMemory, verbs, type ContextOps } from '../../../native/verbs.js';
import { RdmaBufferPool } from './buffer-pool.js';
import type { RdmaTransportOptions } from './options.js';

export class RdmaDevice {
  readonly ops: ContextOps;
  readonly channel: CompletionChannel;
  readonly pool: RdmaBufferPool;

  private constructor(
    /** The `ibv_context *`. */
    readonly ctx: bigint,
    readonly pd: bigint,
    channel: CompletionChannel,
    options: RdmaTransportOptions,
  ) {
    this.ops = contextOps(ctx);
    this.channel = channel;
    this.pool = new RdmaBufferPool(
      options.ioUnitSize,
      options.maxIoSize,
      options.numSharedBuffers * options.ioUnitSize,
      (length) => new RegisteredMemory(pd, length, Access.LOCAL_WRITE),
    );
  }

  /** @throws TransportError when the PD or the completion channel cannot be created */
  static open(ctx: bigint, options: RdmaTransportOptions): RdmaDevice {
    const v = verbs();
    const pd = v.allocPd(ctx);
    if (!pd) throw new TransportError(`RDMA: ibv_alloc_pd failed: ${v.errnoName()}`, v.errnoName());
    try {
      return new RdmaDevice(ctx, pd, new CompletionChannel(ctx), options);
    } catch (err) {
      v.deallocPd(pd);
      throw err;
    }
  }

  /** Frees the pool, the channel and the PD: every QP, CQ and MR on them must be gone. */
  close(): void {
    this.pool.close();
    this.channel.close();
    verbs().deallocPd(this.pd);
  }
}
