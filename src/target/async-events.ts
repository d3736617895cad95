/**
 * Asynchronous Event Requests of one controller: the AERs the host has
 * outstanding, events waiting for one, and the per-log-page mask the spec
 * applies after an event is reported (no second event of the kind until the
 * host reads that log page without RAE).
 */
import { Status } from './command-status.js';
import type { TargetRequest } from './request.js';

export class AsyncEvents {
  private readonly outstanding: TargetRequest[] = [];
  /** CQE dword 0 of each event not yet reported. */
  private readonly pending: number[] = [];
  /** Log page IDs whose event was reported and not yet read. */
  private readonly masked = new Set<number>();

  /** @param limit how many AERs may be outstanding (Identify AERL + 1) */
  constructor(private readonly limit: number) {}

  /** Takes an Async Event Request: parks it, or completes it at once if an event waits. */
  submit(req: TargetRequest): void {
    if (this.outstanding.length >= this.limit) {
      req.complete(Status.ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED);
      return;
    }
    this.outstanding.push(req);
    this.deliver();
  }

  /**
   * Reports an event whose details are in log page `logPageId`, unless one for
   * that page is already reported and unread.
   * @param cdw0 the AER completion dword 0 (type, info, log page)
   */
  post(logPageId: number, cdw0: number): void {
    if (this.masked.has(logPageId)) return;
    this.masked.add(logPageId);
    this.pending.push(cdw0);
    this.deliver();
  }

  /** The host read `logPageId` without RAE: its events may be reported again. */
  unmask(logPageId: number): void {
    this.masked.delete(logPageId);
  }

  get outstandingCount(): number {
    return this.outstanding.length;
  }

  /** Completes every outstanding AER with ABORTED - SQ DELETION (reset, teardown) and forgets pending events. */
  abortAll(): void {
    const reqs = this.outstanding.splice(0);
    this.pending.length = 0;
    this.masked.clear();
    for (const req of reqs) req.complete(Status.ABORTED_SQ_DELETION);
  }

  private deliver(): void {
    while (this.outstanding.length > 0 && this.pending.length > 0) {
      this.outstanding.shift()!.complete(Status.SUCCESS, this.pending.shift()!);
    }
  }
}
