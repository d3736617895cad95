/**
 * The buffers one connection's socket reads into (Node's `onread` with a
 * buffer generator). In-capsule write data goes to the core as a view of the
 * buffer it was read into, so it is copied once, by the device, as Linux
 * nvmet and SPDK receive it straight into the command's buffer. A command
 * holding such a view pins the buffer; while one is pinned the socket reads
 * into another, so at most one buffer per outstanding command is in use, and
 * a device that completes writes synchronously keeps the socket on one.
 */

/** Unpinned buffers kept for reuse; more are left to the GC, so a burst of slow writes does not hold memory for good. */
const SPARE_MAX = 8;

/** One read buffer and how many commands hold views of it. */
export class ReadBuffer {
  /** Commands whose data is a view of these bytes. */
  pins = 0;

  constructor(readonly bytes: Buffer) {}
}

export class ReadBuffers {
  /** The buffer the socket reads into now. */
  current: ReadBuffer;
  private readonly spare: ReadBuffer[] = [];

  /** @param size bytes of one buffer (the most one socket read takes) */
  constructor(private readonly size: number) {
    this.current = new ReadBuffer(Buffer.allocUnsafeSlow(size));
  }

  /** The buffer for the next read: the current one unless a command holds a view of it. For `onread.buffer`. */
  readonly next = (): Buffer => {
    if (this.current.pins > 0) this.current = this.spare.pop() ?? new ReadBuffer(Buffer.allocUnsafeSlow(this.size));
    return this.current.bytes;
  };

  /**
   * Pins the current buffer when `data` is a view of it (the receiver hands
   * over data that arrived within one read as such a view, else as a copy).
   * @returns the buffer to unpin once `data` is no longer used, or null
   */
  pinIfView(data: Buffer): ReadBuffer | null {
    const rb = this.current;
    if (data.buffer !== rb.bytes.buffer) return null;
    rb.pins++;
    return rb;
  }

  /** A command is done with its view of `rb`. */
  unpin(rb: ReadBuffer): void {
    if (--rb.pins === 0 && rb !== this.current && this.spare.length < SPARE_MAX) this.spare.push(rb);
  }

  /** Buffers allocated and not in use (for tests and stats). */
  get spareCount(): number {
    return this.spare.length;
  }
}
