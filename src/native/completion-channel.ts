/**
 * Completion-channel (event) mode for verbs CQs, shared by the NVMe/RDMA host
 * and target: a CQ created on a channel raises one event on the channel's fd
 * after `ibv_req_notify_cq`, and the fd is watched through `fd-watch.ts`, so a
 * queue with nothing to do costs no CPU.
 *
 * `CqProgress` is the policy: when an event (or a caller) says there may be
 * work, poll; while polls find completions, poll again on the next turn of
 * the event loop (busy: batches, no wake-up per completion); after a poll
 * that finds nothing, arm the CQ and poll once more (a completion that landed
 * between the last poll and the arm raises no event), then sleep until the
 * channel fires.
 */
import { TransportError } from '../spec/errors.js';
import { fdWatcher } from './fd-watch.js';
import { verbs, type ContextOps } from './verbs.js';

/** One completion channel of a device context, with the CQs created on it. */
export class CompletionChannel {
  /** The `ibv_comp_channel *` to pass to `ibv_create_cq`. */
  readonly channel: bigint;
  private readonly fd: number;
  private readonly handlers = new Map<bigint, () => void>();
  private closed = false;

  /** @throws TransportError when the channel cannot be created or watched */
  constructor(ctx: bigint) {
    const v = verbs();
    const ch = v.createCompChannel(ctx);
    if (!ch) throw new TransportError(`RDMA: ibv_create_comp_channel failed: ${v.errnoName()}`, v.errnoName());
    this.channel = ch;
    this.fd = v.compChannelFd(ch);
    try {
      fdWatcher().watch(this.fd, this.onReady);
    } catch (err) {
      v.destroyCompChannel(ch);
      throw err;
    }
  }

  /** Routes the events of `cq` (created on this channel) to `onEvent`. */
  add(cq: bigint, onEvent: () => void): void {
    this.handlers.set(cq, onEvent);
  }

  /** Stops routing events of `cq`; every event was acknowledged as it came, so `cq` may then be destroyed. */
  remove(cq: bigint): void {
    this.handlers.delete(cq);
  }

  /** CQs on this channel. */
  get size(): number {
    return this.handlers.size;
  }

  /** Stops watching and destroys the channel (after every CQ on it is destroyed). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    fdWatcher().unwatch(this.fd);
    verbs().destroyCompChannel(this.channel);
  }

  private readonly onReady = (): void => {
    const v = verbs();
    for (;;) {
      const cq = v.getCqEvent(this.channel);
      if (cq === null) return;
      v.ackCqEvents(cq, 1);
      this.handlers.get(cq)?.();
    }
  };
}

/** Drives one CQ in event mode; see the module comment. */
export class CqProgress {
  private immediate: NodeJS.Immediate | null = null;
  private stopped = false;

  /**
   * @param drain polls the CQ and handles what it found; returns how many work completions it reaped
   */
  constructor(
    private readonly ops: ContextOps,
    private readonly cq: bigint,
    private readonly drain: () => number,
  ) {}

  /** There may be completions (the channel fired, or work was posted): poll on the next turn. */
  readonly kick = (): void => {
    if (this.immediate === null && !this.stopped) this.immediate = setImmediate(this.tick);
  };

  /** The channel fired: poll now (no extra turn of the event loop), unless a poll is already due. */
  readonly onEvent = (): void => {
    if (this.immediate === null && !this.stopped) this.tick();
  };

  /** No more polls or arms (before the CQ is destroyed). */
  stop(): void {
    this.stopped = true;
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.immediate = null;
  }

  private readonly tick = (): void => {
    this.immediate = null;
    if (this.stopped) return;
    if (this.drain() > 0 && !this.stopped) {
      this.kick();
      return;
    }
    if (this.stopped) return;
    if (this.ops.reqNotifyCq(this.cq, 0) !== 0) {
      // Cannot arm: keep polling rather than lose completions.
      this.kick();
      return;
    }
    if (this.drain() > 0) this.kick();
  };
}

const shared = new Map<bigint, CompletionChannel>();

/**
 * This thread's completion channel for device context `ctx`, created on first
 * use: every event-mode queue pair on a device shares one fd and one watch.
 * Pair each call with `releaseSharedChannel`.
 */
export function sharedCompletionChannel(ctx: bigint): CompletionChannel {
  let ch = shared.get(ctx);
  if (ch === undefined) {
    ch = new CompletionChannel(ctx);
    shared.set(ctx, ch);
  }
  return ch;
}

/** Destroys the shared channel of `ctx` once no CQ uses it (call after removing and destroying the CQ). */
export function releaseSharedChannel(ctx: bigint): void {
  const ch = shared.get(ctx);
  if (ch !== undefined && ch.size === 0) {
    shared.delete(ctx);
    ch.close();
  }
}
