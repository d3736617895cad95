/**
 * I/O counters kept per namespace (for `bdev_get_iostat` and the SMART log)
 * and per controller. Plain number fields, bumped in place on the hot path.
 */
export class IoStats {
  /** Read and Compare commands (SMART "host read commands"). */
  readOps = 0;
  bytesRead = 0;
  /** Write commands (SMART "host write commands"). */
  writeOps = 0;
  bytesWritten = 0;
  /** DSM deallocate commands. */
  unmapOps = 0;
  bytesUnmapped = 0;
  writeZeroesOps = 0;
  flushOps = 0;
  /** Commands that completed with an error status. */
  errors = 0;

  /** One Read or Compare of `bytes` done. */
  countRead(bytes: number): void {
    this.readOps++;
    this.bytesRead += bytes;
  }

  /** One Write of `bytes` done. */
  countWrite(bytes: number): void {
    this.writeOps++;
    this.bytesWritten += bytes;
  }

  /** One deallocating Dataset Management of `bytes` done. */
  countUnmap(bytes: number): void {
    this.unmapOps++;
    this.bytesUnmapped += bytes;
  }

  /** Adds `other`'s counters to this one (SMART sums namespaces). */
  add(other: IoStats): void {
    this.readOps += other.readOps;
    this.bytesRead += other.bytesRead;
    this.writeOps += other.writeOps;
    this.bytesWritten += other.bytesWritten;
    this.unmapOps += other.unmapOps;
    this.bytesUnmapped += other.bytesUnmapped;
    this.writeZeroesOps += other.writeZeroesOps;
    this.flushOps += other.flushOps;
    this.errors += other.errors;
  }
}
