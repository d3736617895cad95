/**
 * The Keep Alive Timer of one controller, traffic based as Linux nvmet runs it:
 * any command on any queue of the association counts as a keep alive (CTRATT
 * TBKAS), so the hot path only sets a flag. A timer fires once per period
 * (KATO rounded up to whole seconds, as nvmet does) and the association expires
 * when a whole period went by without a command: between one and two periods
 * after the last command. That second period is the grace a host's own timer
 * jitter needs.
 */
export class KeepAliveTimer {
  /** Set by every command; cleared each period. */
  commandSeen = false;
  private timer: NodeJS.Timeout | null = null;
  private periodMs = 0;

  constructor(private readonly onExpire: (katoMs: number) => void) {}

  /** (Re)starts the timer for a KATO in ms; 0 turns it off. */
  start(katoMs: number): void {
    this.stop();
    if (katoMs === 0) return;
    this.periodMs = Math.ceil(katoMs / 1000) * 1000;
    this.commandSeen = false;
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    this.timer = setTimeout(this.tick, this.periodMs);
    this.timer.unref();
  }

  private readonly tick = (): void => {
    this.timer = null;
    if (this.commandSeen) {
      this.commandSeen = false;
      this.schedule();
      return;
    }
    this.onExpire(this.periodMs);
  };
}
