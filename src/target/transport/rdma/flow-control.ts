/**
 * Send-queue and RDMA READ accounting of one NVMe/RDMA queue pair on the
 * target, so the QP never holds more work requests than it was created with
 * and never more READs in flight than the host's IRD allows. A command that
 * finds no credit waits in a FIFO and resumes when a completion returns one.
 *
 * Credits: a response SEND takes one send-queue entry, a response preceded
 * by its read data takes two (the RDMA WRITE is unsignaled and retires with
 * the SEND), an RDMA READ takes one send-queue entry and one READ credit.
 */

/** A FIFO of small integers (command indices) in a preallocated ring: no allocation per push. */
export class IndexQueue {
  private readonly ring: Int32Array;
  private head = 0;
  private count = 0;

  constructor(capacity: number) {
    this.ring = new Int32Array(Math.max(1, capacity));
  }

  get length(): number {
    return this.count;
  }

  /** @throws RangeError when full (a caller queued an index twice) */
  push(index: number): void {
    if (this.count === this.ring.length) throw new RangeError(`queue of ${this.ring.length} is full`);
    this.ring[(this.head + this.count) % this.ring.length] = index;
    this.count++;
  }

  /** The oldest index, or -1 when empty. */
  peek(): number {
    return this.count === 0 ? -1 : this.ring[this.head]!;
  }

  /** Removes and returns the oldest index, or -1 when empty. */
  shift(): number {
    if (this.count === 0) return -1;
    const v = this.ring[this.head]!;
    this.head = (this.head + 1) % this.ring.length;
    this.count--;
    return v;
  }

  clear(): void {
    this.head = this.count = 0;
  }
}

/** Send-queue entries and RDMA READ slots of one QP. */
export class WorkRequestCredits {
  private sendFree: number;
  private readFree: number;

  /**
   * @param sendDepth send work requests the QP was created with
   * @param readDepth RDMA READs allowed in flight (initiator depth given in the accept)
   */
  constructor(
    readonly sendDepth: number,
    readonly readDepth: number,
  ) {
    this.sendFree = sendDepth;
    this.readFree = readDepth;
  }

  /** Takes `n` send-queue entries if all are free. */
  takeSend(n: number): boolean {
    if (this.sendFree < n) return false;
    this.sendFree -= n;
    return true;
  }

  /** Takes a READ slot and its send-queue entry if both are free. */
  takeRead(): boolean {
    if (this.readFree === 0 || this.sendFree === 0) return false;
    this.readFree--;
    this.sendFree--;
    return true;
  }

  /** `n` send-queue entries retired (their signaled completion came). @throws RangeError on more than were taken */
  returnSend(n: number): void {
    if (this.sendFree + n > this.sendDepth) throw new RangeError(`${n} send credits returned with ${this.sendFree} of ${this.sendDepth} free`);
    this.sendFree += n;
  }

  /** An RDMA READ completed: its READ slot and send-queue entry are free. @throws RangeError when none was taken */
  returnRead(): void {
    if (this.readFree === this.readDepth) throw new RangeError('READ credit returned with none outstanding');
    this.readFree++;
    this.returnSend(1);
  }

  /** Send-queue entries free now. */
  get sendAvailable(): number {
    return this.sendFree;
  }

  /** READ slots free now. */
  get readAvailable(): number {
    return this.readFree;
  }
}
