/**
 * A fabrics queue pair's line to the driver (TCP, RDMA): where completions and
 * the one fatal error go. A failure while the driver has not set `events` yet
 * waits and is reported when it does; a submit on a queue pair that no longer
 * works reports the failure, once.
 */
import { TransportError } from '../spec/errors.js';
import type { QpairEvents } from './transport.js';

/**
 * The life of a queue pair. TCP: CLOSING from `close()` until the socket has
 * closed, CLOSED at once on a failure. RDMA: CLOSING from a failure or
 * `close()`, CLOSED once its resources are released.
 */
export const QpairState = {
  /** Connecting: TCP connect and ICReq/ICResp, or rdma_cm resolution and connect. */
  CONNECTING: 0,
  READY: 1,
  CLOSING: 2,
  /** Nothing more is sent or delivered. */
  CLOSED: 3,
} as const;
export type QpairState = (typeof QpairState)[keyof typeof QpairState];

/** Placeholder until the driver sets `events`. */
const NO_EVENTS: QpairEvents = { onCompletion: () => undefined, onFatal: () => undefined };

export abstract class QpairEventSource {
  /** The driver's events, null until it sets them; completions go straight here. */
  protected sink: QpairEvents | null = null;
  protected state: QpairState = QpairState.CONNECTING;
  /** Why the queue pair stopped working, or null while it works. */
  protected fatal: Error | null = null;
  private fatalDelivered = false;

  /** @param where names the queue pair in messages (`NVMe/TCP qid 1 to 127.0.0.1:4420`) */
  protected constructor(protected readonly where: string) {}

  get events(): QpairEvents {
    return this.sink ?? NO_EVENTS;
  }

  /** Set by the driver; a failure that happened before is reported to it now. */
  set events(events: QpairEvents) {
    this.sink = events;
    if (this.fatal !== null && !this.fatalDelivered) this.deliverFatal();
  }

  /** Keeps the first reason the queue pair stopped and tells the driver, if it listens yet and has not heard one. */
  protected reportFatal(err: Error): void {
    if (this.fatal === null) this.fatal = err;
    if (!this.fatalDelivered && this.sink !== null) this.deliverFatal();
  }

  /**
   * The start of every submit: true while the queue pair is READY; else the
   * command goes nowhere and the driver hears, once, that the queue pair no longer works.
   */
  protected readyToSubmit(): boolean {
    if (this.state === QpairState.READY) return true;
    this.reportFatal(this.fatal ?? new TransportError(`${this.where}: queue pair is closed`, 'ECONNRESET'));
    return false;
  }

  private deliverFatal(): void {
    this.fatalDelivered = true;
    this.sink!.onFatal(this.fatal!);
  }
}
