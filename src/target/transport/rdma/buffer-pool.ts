/**
 * Registered data buffers of one RDMA device, shared by its connections (SPDK's
 * shared buffer pool): the local side of RDMA READs (write data fetched from
 * the host) and RDMA WRITEs (read data placed on the host). Two size classes,
 * `ioUnitSize` and `maxIoSize`; the pool grows one registered chunk at a time
 * up to a byte budget (`num_shared_buffers` x `io_unit_size`), after which a
 * command waits (`whenAvailable`) until another returns its buffer.
 */

/** Memory registered with the device: what the pool needs of `RegisteredMemory`. */
export interface RegisteredRegion {
  /** Start address (user space addresses fit a number exactly). */
  readonly address: bigint;
  readonly buffer: Buffer;
  readonly lkey: number;
  release(): void;
}

/** One data buffer: its bytes, address and local key. */
export class PoolBuffer {
  private view: Buffer;

  constructor(
    readonly bytes: Buffer,
    /** Address of `bytes[0]` for an SGE. */
    readonly address: number,
    readonly lkey: number,
  ) {
    this.view = bytes;
  }

  /** The first `length` bytes; the view object is reused while the length repeats (no object per I/O). */
  viewOf(length: number): Buffer {
    if (this.view.length !== length) this.view = this.bytes.subarray(0, length);
    return this.view;
  }
}

/** Bytes registered per growth step (at least one buffer). */
const CHUNK_BYTES = 1 << 20;

export class RdmaBufferPool {
  private readonly small: PoolBuffer[] = [];
  private readonly large: PoolBuffer[] = [];
  private readonly regions: RegisteredRegion[] = [];
  private readonly waiters = new Set<() => void>();
  private wakeScheduled = false;
  private registeredBytes = 0;

  /**
   * @param register registers `length` bytes with the device (`RegisteredMemory` in production)
   */
  constructor(
    readonly smallSize: number,
    readonly largeSize: number,
    readonly capacityBytes: number,
    private readonly register: (length: number) => RegisteredRegion,
  ) {}

  /**
   * A buffer of at least `length` bytes (at most `largeSize`), or null when the
   * budget is spent and none is free.
   * @throws TransportError when registering more memory fails
   */
  acquire(length: number): PoolBuffer | null {
    const isSmall = length <= this.smallSize;
    const free = isSmall ? this.small : this.large;
    if (free.length === 0) this.grow(isSmall ? this.smallSize : this.largeSize, free);
    return free.pop() ?? null;
  }

  /** Returns a buffer the NIC and the core are done with; wakes the waiters. */
  release(buf: PoolBuffer): void {
    (buf.bytes.length === this.smallSize ? this.small : this.large).push(buf);
    if (this.waiters.size > 0 && !this.wakeScheduled) {
      this.wakeScheduled = true;
      setImmediate(this.wake);
    }
  }

  /** Calls `resume` once, on a later turn, after some buffer is released. */
  whenAvailable(resume: () => void): void {
    this.waiters.add(resume);
  }

  /** Forgets a waiter (its connection closed). */
  cancel(resume: () => void): void {
    this.waiters.delete(resume);
  }

  /** Buffers free now, and bytes registered (for tests and stats). */
  get idle(): number {
    return this.small.length + this.large.length;
  }

  get registered(): number {
    return this.registeredBytes;
  }

  /** Deregisters everything; no buffer may be in use. */
  close(): void {
    for (const r of this.regions.splice(0)) r.release();
    this.small.length = this.large.length = 0;
    this.waiters.clear();
    this.registeredBytes = 0;
  }

  private grow(size: number, into: PoolBuffer[]): void {
    const room = this.capacityBytes - this.registeredBytes;
    const count = Math.min(Math.max(1, Math.floor(CHUNK_BYTES / size)), Math.floor(room / size));
    if (count <= 0) return;
    const region = this.register(count * size);
    this.regions.push(region);
    this.registeredBytes += count * size;
    const base = Number(region.address);
    for (let i = 0; i < count; i++) into.push(new PoolBuffer(region.buffer.subarray(i * size, (i + 1) * size), base + i * size, region.lkey));
  }

  private readonly wake = (): void => {
    this.wakeScheduled = false;
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const resume of waiting) resume();
  };
}
