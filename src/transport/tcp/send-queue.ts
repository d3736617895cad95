/**
 * The outgoing side of one NVMe/TCP connection, batched per tick.
 *
 * PDU headers, digests and small payloads are written into a preallocated
 * arena; larger payloads are queued as the caller's own Buffers (no copy).
 * Everything queued during a tick goes to the socket in one corked burst,
 * which Node hands to the kernel as one writev.
 *
 * The socket keeps a view of an arena until the bytes are written, so each
 * arena counts its views that are queued or in flight; it is rewound once
 * none are left, and a full arena is swapped for a spare.
 */
import type { Socket } from 'node:net';

/** Arena size: room for a tick's worth of headers and copied 4 KiB writes at a deep queue. */
const ARENA_SIZE = 256 * 1024;

class Arena {
  readonly buf: Buffer = Buffer.allocUnsafe(ARENA_SIZE);
  /** Views of this arena queued for the socket or being written. */
  pending = 0;
  /** Socket write callback for a view of this arena; made once. */
  readonly written: () => void;

  constructor(queue: PduSendQueue) {
    this.written = () => queue.released(this);
  }
}

export class PduSendQueue {
  /** Largest reservation `reserve` accepts. */
  static readonly MAX_RESERVE = ARENA_SIZE;

  /** The arena that `reserve`'s offset points into. */
  buffer: Buffer;

  private arena: Arena;
  private readonly spares: Arena[] = [];
  /** Write position in the arena, and the start of the part not yet queued as a view. */
  private pos = 0;
  private segmentStart = 0;
  private readonly chunks: Buffer[] = [];
  private readonly callbacks: ((() => void) | undefined)[] = [];
  private scheduled = false;
  private discarded = false;

  constructor(private readonly socket: Socket) {
    this.arena = new Arena(this);
    this.buffer = this.arena.buf;
  }

  /**
   * Makes room for `n` bytes (at most `MAX_RESERVE`) and returns the offset in
   * `buffer` to write them at. Follow with `commit` of the bytes written.
   */
  reserve(n: number): number {
    if (this.pos + n > this.buffer.length) this.nextArena();
    return this.pos;
  }

  /** `n` bytes were written at the offset `reserve` returned. */
  commit(n: number): void {
    this.pos += n;
  }

  /** Queues `data` itself, after what is queued so far. The socket holds it until written. */
  appendBuffer(data: Buffer): void {
    this.closeSegment();
    this.chunks.push(data);
    this.callbacks.push(undefined);
  }

  /** Flushes at the end of the current tick (once, however many PDUs were queued). */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    process.nextTick(this.flushTick);
  }

  /** Hands everything queued to the socket now. */
  flush(): void {
    this.closeSegment();
    const n = this.chunks.length;
    if (n === 0 || this.discarded) return;
    if (n === 1) {
      this.socket.write(this.chunks[0]!, this.callbacks[0]);
    } else {
      this.socket.cork();
      for (let i = 0; i < n; i++) this.socket.write(this.chunks[i]!, this.callbacks[i]);
      this.socket.uncork();
    }
    this.chunks.length = 0;
    this.callbacks.length = 0;
  }

  /** Drops what is queued and ignores later flushes (the connection is going away). */
  discard(): void {
    this.discarded = true;
    this.chunks.length = 0;
    this.callbacks.length = 0;
  }

  /** Socket write callback of an arena view: the socket is done with those bytes. */
  released(arena: Arena): void {
    if (--arena.pending > 0) return;
    if (arena !== this.arena) this.spares.push(arena);
    else if (this.segmentStart === this.pos) this.pos = this.segmentStart = 0;
  }

  private readonly flushTick = (): void => {
    this.scheduled = false;
    this.flush();
  };

  /** Queues the arena bytes written since the last view as a view. */
  private closeSegment(): void {
    if (this.pos === this.segmentStart) return;
    this.chunks.push(this.buffer.subarray(this.segmentStart, this.pos));
    this.callbacks.push(this.arena.written);
    this.arena.pending++;
    this.segmentStart = this.pos;
  }

  private nextArena(): void {
    this.closeSegment();
    if (this.arena.pending > 0) {
      this.arena = this.spares.pop() ?? new Arena(this);
      this.buffer = this.arena.buf;
    }
    this.pos = this.segmentStart = 0;
  }
}
