/**
 * Asynchronous Event Requests: a few AERs kept outstanding on the admin queue,
 * each completion decoded and handed on, then the AER resubmitted (SPDK's
 * nvme_ctrlr_async_event_cb).
 */
import { asyncEventName, decodeAsyncEventCompletion } from '../spec/commands.js';
import { AdminOpcode } from '../spec/opcodes.js';
import { GenericStatus, NvmeStatusError, StatusCodeType } from '../spec/status.js';
import type { QueuePair } from './queue-pair.js';

/** One asynchronous event, as the controller reported it. */
export interface AsyncEvent {
  /** Asynchronous Event Type (`AsyncEventType`). */
  type: number;
  /** Asynchronous Event Information (`AsyncEventNoticeInfo`... by type). */
  info: number;
  /** The log page that tells more (reading it without RAE re-arms the event). */
  logPageId: number;
  /** E.g. `NOTICE: NS ATTRIBUTE CHANGED`. */
  name: string;
  /** Completion dword 0 as received. */
  cdw0: number;
}

/** Decodes dword 0 of an Asynchronous Event Request completion. */
export function decodeAsyncEvent(cdw0: number): AsyncEvent {
  const { type, info, logPageId } = decodeAsyncEventCompletion(cdw0);
  return { type, info, logPageId, name: asyncEventName(type, info), cdw0: cdw0 >>> 0 };
}

/** Cap on outstanding AERs (AERL + 1 of them otherwise): enough for an event burst without tying up admin slots. */
export const MAX_OUTSTANDING_AERS = 4;

/** Keeps AERs outstanding on an admin queue and reports their events. */
export class AsyncEventRequests {
  private handler: ((event: AsyncEvent) => void) | null = null;
  private readonly early: AsyncEvent[] = [];
  private stopped = false;

  /**
   * @param count how many AERs to keep outstanding
   * @param trace where to say that the controller refused an AER
   */
  constructor(
    private readonly admin: QueuePair,
    readonly count: number,
    private readonly trace: ((line: string) => void) | undefined,
  ) {}

  /** Submits the AERs (again after a controller reset, which took the earlier ones). */
  start(): void {
    this.stopped = false;
    for (let i = 0; i < this.count; i++) this.submit();
  }

  /** Where events go from now on; events that came before are delivered at once. */
  setHandler(handler: (event: AsyncEvent) => void): void {
    this.handler = handler;
    for (const event of this.early.splice(0)) handler(event);
  }

  /** Stops resubmitting (the admin queue is about to close). */
  stop(): void {
    this.stopped = true;
  }

  private submit(): void {
    this.admin.rawLongLived({ opc: AdminOpcode.ASYNC_EVENT_REQUEST }, null, this.onCompletion);
  }

  private readonly onCompletion = (err: Error | null, cdw0: number): void => {
    if (this.stopped) return;
    if (err) {
      const deleted =
        err instanceof NvmeStatusError && err.sct === StatusCodeType.GENERIC && err.sc === GenericStatus.ABORTED_SQ_DELETION;
      if (!deleted && this.admin.failedReason === null) this.trace?.(`async event request failed, not resubmitted: ${err.message}`);
      return;
    }
    this.submit();
    const event = decodeAsyncEvent(cdw0);
    if (this.handler) this.handler(event);
    else this.early.push(event);
  };
}
