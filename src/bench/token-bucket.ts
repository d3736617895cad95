/**
 * The pacing of `rate=` / `rate_iops=`: tokens (bytes or I/Os) accrue at the
 * rate, and an I/O may go when its tokens are there. Checked at submission,
 * with the caller's clock reading, so a rate costs no timer per I/O; a refused
 * I/O learns how long to wait, and the context arms one timer to resume.
 *
 * The bucket has no ceiling: time lost to a late timer or to a thread the
 * scheduler left waiting is made up afterwards, as fio's default
 * `rate_process=linear` makes it up (fio compares the bytes done with the time
 * spent). On a busy 2-core machine stalls of a second happen, and a bucket
 * capped at one second's worth missed a 1000 IOPS rate by 20 % over 5 s. The
 * bucket starts with one I/O's worth, so nothing is granted ahead of the rate.
 */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;
  private readonly initial: number;

  /**
   * @param ratePerSec tokens per second (> 0)
   * @param largestTake the most one `take` asks for: the bucket starts (and restarts) with that many
   * @param nowMs the clock at creation
   */
  constructor(
    readonly ratePerSec: number,
    largestTake: number,
    nowMs: number,
  ) {
    if (!(ratePerSec > 0)) throw new RangeError(`rate must be > 0, got ${ratePerSec}`);
    this.initial = largestTake;
    this.tokens = largestTake;
    this.lastMs = nowMs;
  }

  /**
   * Accrues up to `nowMs` and says how long until `amount` tokens are there: 0
   * when they are now (take them with {@link consume}). Separate from taking so
   * that an I/O limited by two buckets (bytes and I/Os) takes from both or neither.
   */
  wait(amount: number, nowMs: number): number {
    if (nowMs > this.lastMs) {
      this.tokens += ((nowMs - this.lastMs) * this.ratePerSec) / 1000;
      this.lastMs = nowMs;
    }
    return this.tokens >= amount ? 0 : ((amount - this.tokens) * 1000) / this.ratePerSec;
  }

  /** Takes `amount` tokens that {@link wait} said are there. */
  consume(amount: number): void {
    this.tokens -= amount;
  }

  /** Starts over at `nowMs` (the end of ramp time). */
  reset(nowMs: number): void {
    this.tokens = this.initial;
    this.lastMs = nowMs;
  }
}
