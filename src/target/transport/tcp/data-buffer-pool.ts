/**
 * Buffers that host-to-controller data is gathered into (in-capsule data and
 * H2CData), reused across commands and connections so a write allocates
 * nothing once the pool has grown to the peak number of writes in flight.
 * SPDK keeps a shared pool of `max_io_size` buffers for the same purpose.
 */

/** One pooled buffer and a cached view of the length last asked for. */
export class DataBuffer {
  private view: Buffer;

  constructor(readonly bytes: Buffer) {
    this.view = bytes;
  }

  /**
   * The first `length` bytes. The view object is reused while the length
   * repeats (the steady state of a benchmark), so no object per I/O.
   */
  viewOf(length: number): Buffer {
    if (this.view.length !== length) this.view = this.bytes.subarray(0, length);
    return this.view;
  }
}

/** Two size classes: small buffers for in-capsule and admin data, large ones for R2T transfers. */
export class DataBufferPool {
  private readonly small: DataBuffer[] = [];
  private readonly large: DataBuffer[] = [];

  /**
   * @param smallSize bytes of a small buffer (the largest in-capsule data)
   * @param largeSize bytes of a large buffer (the largest transfer)
   */
  constructor(
    readonly smallSize: number,
    readonly largeSize: number,
  ) {}

  /** A buffer of at least `length` bytes (at most `largeSize`). */
  acquire(length: number): DataBuffer {
    if (length <= this.smallSize) return this.small.pop() ?? new DataBuffer(Buffer.allocUnsafeSlow(this.smallSize));
    return this.large.pop() ?? new DataBuffer(Buffer.allocUnsafeSlow(this.largeSize));
  }

  /** Returns a buffer no one reads or writes any more. */
  release(buf: DataBuffer): void {
    (buf.bytes.length === this.smallSize ? this.small : this.large).push(buf);
  }

  /** Buffers waiting to be reused (for tests and stats). */
  get idle(): number {
    return this.small.length + this.large.length;
  }
}
