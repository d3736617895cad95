/**
 * The I/O slots a generator has in flight: a fixed-size open-addressed set
 * (linear probing, backward-shift deletion, no tombstones), so checking and
 * claiming a slot per I/O allocates nothing however large the namespace is.
 */

const EMPTY = -1;

export class InFlightSet {
  private readonly keys: Float64Array;
  private readonly mask: number;
  private count = 0;

  /** @param capacity the most slots ever in flight at once (the queue depth) */
  constructor(readonly capacity: number) {
    let size = 8;
    while (size < capacity * 2) size *= 2;
    this.keys = new Float64Array(size).fill(EMPTY);
    this.mask = size - 1;
  }

  get size(): number {
    return this.count;
  }

  has(slot: number): boolean {
    const keys = this.keys;
    for (let i = this.home(slot); ; i = (i + 1) & this.mask) {
      const k = keys[i]!;
      if (k === slot) return true;
      if (k === EMPTY) return false;
    }
  }

  /** Adds a slot that is not in the set. */
  add(slot: number): void {
    if (this.count >= this.capacity) throw new RangeError(`in-flight set full (${this.capacity} slots)`);
    const keys = this.keys;
    let i = this.home(slot);
    while (keys[i] !== EMPTY) i = (i + 1) & this.mask;
    keys[i] = slot;
    this.count++;
  }

  /** Removes a slot; a slot that is not in the set is left alone. */
  delete(slot: number): void {
    const keys = this.keys;
    const mask = this.mask;
    let i = this.home(slot);
    for (;;) {
      const k = keys[i]!;
      if (k === EMPTY) return;
      if (k === slot) break;
      i = (i + 1) & mask;
    }
    // Shift later members of the probe run back so no lookup stops early at the hole.
    let hole = i;
    for (let j = (hole + 1) & mask; keys[j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.home(keys[j]!);
      const distHole = (hole - home) & mask;
      const distJ = (j - home) & mask;
      if (distHole <= distJ) {
        keys[hole] = keys[j]!;
        hole = j;
      }
    }
    keys[hole] = EMPTY;
    this.count--;
  }

  private home(slot: number): number {
    const lo = slot >>> 0;
    const hi = (slot / 4294967296) >>> 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    return h & this.mask;
  }
}
